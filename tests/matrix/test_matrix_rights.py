"""Rights on Matrix, against the real Synapse: who is a moderator of a space-wide community,
who sees a chat held in an invite-only room, and how many DM rooms a member can open."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from nio import RoomCreateResponse, RoomGetStateEventResponse, RoomPreset

from tests.matrix.conftest import World
from tests.matrix.members import Member

FIRST_QUESTION = "What best describes your role?"


async def _until(condition: Callable[[], bool], within: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, "condition never became true"
        await asyncio.sleep(0.05)


async def _space(world: World) -> tuple[Member, str, str]:
    """A space created by "mod" with a public lobby; the bot serves the space."""
    mod = await world.member("mod")
    space = await mod.client.room_create(
        name=f"Space {world.n}", space=True, preset=RoomPreset.public_chat
    )
    assert isinstance(space, RoomCreateResponse)
    lobby = await mod.create_room(f"Lobby {world.n}")
    await _add_child(mod, space.room_id, lobby)
    world.general = lobby
    return mod, space.room_id, lobby


async def _add_child(mod: Member, space_id: str, room_id: str) -> None:
    await mod.client.room_put_state(
        space_id, "m.space.child", {"via": ["localhost"]}, state_key=room_id
    )


async def _newcomer(world: World, name: str, space_id: str, lobby: str) -> Member:
    member = await world.member(name)
    await member.join(space_id)
    await member.join(lobby)
    await member.wait_dm(FIRST_QUESTION, sender=world.bot_id)
    return member


async def _answer(member: Member, bot_id: str, room: str, command: str) -> str:
    mark = member.mark()
    await member.say(room, command)
    seen = await member.wait_for(
        lambda s: (
            s.sender == bot_id
            and (s.room_id in member.direct_rooms or s.room_id == room)
            and not s.body.startswith("💡 First steps")
        ),  # a fresh community's one-time hint
        after=mark,
    )  # a private answer comes in the DM room, a public one where the command was typed
    return seen.body


async def test_a_child_rooms_creator_is_no_moderator_but_a_space_admin_is(world: World) -> None:
    mod, space_id, lobby = await _space(world)
    mods_room = await mod.create_room(f"Moderators {world.n}")
    bot = await world.start_bot(rooms=[space_id], moderator_rooms=[mods_room])
    bot_id = world.bot_id
    await world.bot_in(lobby)
    await world.bot_in(mods_room)

    alice = await _newcomer(world, "alice", space_id, lobby)
    own = await alice.create_room(f"Alice's room {world.n}")  # v12: alice is its creator
    await _add_child(mod, space_id, own)
    await world.bot_in(own)  # the bot serves it and knows who created it
    assert bot.served.community_of(own) == space_id
    assert "Only moderators" in await _answer(alice, bot_id, lobby, "!stats")
    assert "Only moderators" in await _answer(alice, bot_id, own, "!stats")

    bob = await _newcomer(world, "bob", space_id, lobby)
    assert "Only moderators" in await _answer(bob, bot_id, lobby, "!stats")
    await mod.set_power_level(space_id, bob.user_id, 50)  # a space admin
    await _until(lambda: bot.platform.power_level(space_id, bob.user_id) >= 50)
    assert "Community statistics" in await _answer(bob, bot_id, lobby, "!stats")

    carol = await _newcomer(world, "carol", space_id, lobby)
    await carol.join(mods_room)
    await mod.set_power_level(mods_room, carol.user_id, 50)  # power in a moderator room
    await _until(lambda: bot.platform.power_level(mods_room, carol.user_id) >= 50)
    assert "Community statistics" in await _answer(carol, bot_id, lobby, "!stats")
    assert "Community statistics" in await _answer(mod, bot_id, lobby, "!stats")  # creator


async def test_a_chat_in_an_invite_only_room_is_hidden_from_members_outside_it(
    world: World,
) -> None:
    mod, space_id, lobby = await _space(world)
    staff = await mod.client.room_create(
        name=f"Staff {world.n}", preset=RoomPreset.private_chat, invite=[]
    )
    assert isinstance(staff, RoomCreateResponse)
    club = await mod.client.room_create(
        name=f"Club {world.n}",
        preset=RoomPreset.private_chat,
        initial_state=[
            {
                "type": "m.room.join_rules",
                "state_key": "",
                "content": {
                    "join_rule": "restricted",
                    "allow": [{"type": "m.room_membership", "room_id": space_id}],
                },
            }
        ],
    )  # anyone in the space may join it
    assert isinstance(club, RoomCreateResponse)
    bot = await world.start_bot(rooms=[space_id])
    bot_id = world.bot_id
    await world.bot_in(lobby)
    for room in (staff.room_id, club.room_id):
        await mod.client.room_invite(room, bot_id)  # a moderator's invite is accepted
        await world.bot_in(room)
        await _add_child(mod, space_id, room)
        await _until(lambda room=room: bot.served.community_of(room) == space_id)
    await mod.join(lobby)

    created = await _answer(
        mod,
        bot_id,
        lobby,
        f'!chat create staffchat "Staff matters" {staff.room_id} "weekly tuesday" 19:00 '
        "Europe/London",
    )
    assert "Created **#staffchat" in created
    assert "Created **#engchat" in await _answer(
        mod,
        bot_id,
        lobby,
        f'!chat create engchat "Open chat" {lobby} "weekly tuesday" 19:00 Europe/London',
    )

    assert "Created **#clubchat" in await _answer(
        mod,
        bot_id,
        lobby,
        f'!chat create clubchat "Club" {club.room_id} "weekly tuesday" 19:00 Europe/London',
    )

    bob = await _newcomer(world, "bob", space_id, lobby)
    listing = await _answer(bob, bot_id, lobby, "!chat list")
    assert "#engchat" in listing and "#clubchat" in listing and "staffchat" not in listing
    refused = await _answer(bob, bot_id, lobby, "!chat subscribe staffchat")
    assert "There is no chat #staffchat" in refused
    assert "#staffchat" in await _answer(mod, bot_id, lobby, "!chat list")


async def test_one_dm_room_per_member_and_dm_invites_are_bounded(world: World) -> None:
    mod = await world.member("mod")
    world.general = await mod.create_room(f"General {world.n}")
    bot = await world.start_bot()
    bot_id = world.bot_id
    bot.invites.dm_invites_per_hour = 2
    bob = await world.member("bob")
    await bob.join(world.general)
    await bob.wait_dm(FIRST_QUESTION, sender=bot_id)
    first = await bob.wait_direct_room()

    opened: list[str] = []
    for _ in range(3):
        response = await bob.client.room_create(
            is_direct=True, invite=[bot_id], preset=RoomPreset.trusted_private_chat
        )
        assert isinstance(response, RoomCreateResponse)
        opened.append(str(response.room_id))
    second, third, fourth = opened
    await world.bot_in(second)
    await world.bot_in(third)
    await _until_left(bob, fourth, bot_id)  # declined: over the hour's allowance
    for old in (first, second):  # each superseded DM room is left
        await _until_left(bob, old, bot_id)
    assert fourth not in bot.client.rooms
    record = await bot.state.dm_room(bob.user_id)
    assert record is not None and record.room_id == third
    direct: Any = world.synapse.account_data(world.bot_account, "m.direct") or {}
    assert direct[bob.user_id] == [third]

    mark = bob.mark()
    await bob.say(third, "!privacy show")
    answer = await bob.wait_for(lambda s: s.sender == bot_id, after=mark)
    assert answer.room_id == third
    assert not [s for s in bob.seen if s.sender == bot_id and s.room_id == fourth]


async def _until_left(member: Member, room_id: str, user_id: str, within: float = 15.0) -> None:
    """Wait until `user_id`'s membership of `room_id`, as `member` reads it, is "leave"."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        response = await member.client.room_get_state_event(room_id, "m.room.member", user_id)
        state = response.content if isinstance(response, RoomGetStateEventResponse) else {}
        if state.get("membership") == "leave":
            return
        assert loop.time() < deadline, f"{user_id} never left {room_id}"
        await asyncio.sleep(0.1)


async def test_a_tag_cannot_hand_out_a_room_whose_joiners_get_moderator_power(
    world: World,
) -> None:
    mod, space_id, lobby = await _space(world)
    bot = await world.start_bot(rooms=[space_id])
    bot_id = world.bot_id
    await world.bot_in(lobby)
    await mod.join(lobby)
    powerful = await mod.client.room_create(
        name=f"Everyone is admin {world.n}",
        preset=RoomPreset.public_chat,
        invite=[bot_id],
        power_level_override={"users_default": 50},
    )
    assert isinstance(powerful, RoomCreateResponse)
    await world.bot_in(powerful.room_id)
    await _until(
        lambda: bot.client.rooms[powerful.room_id].power_levels.defaults.users_default == 50
    )
    refused = await _answer(mod, bot_id, lobby, f"!tags link maths role={powerful.room_id}")
    assert "can't link **maths**" in refused and "power level 50" in refused
