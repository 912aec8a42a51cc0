"""The Matrix adapter end to end: the real bot, real member clients, a real Synapse."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.matrix.conftest import World, built
from tests.matrix.members import Member

FIRST_QUESTION = "What best describes your role?"


async def _served_room(world: World) -> Member:
    """A moderator who created the served room (v12: creators outrank every power level)."""
    mod = await world.member("mod")
    world.general = await mod.create_room(f"General {world.n}")
    return mod


async def _answer(member: Member, bot_id: str, answer: str, expect: str) -> None:
    mark = member.mark()
    room = await member.wait_direct_room()
    await member.say(room, answer)
    await member.wait_dm(expect, after=mark, sender=bot_id)


async def test_a_member_who_joins_is_onboarded_in_a_dm_and_introduced(world: World) -> None:
    mod = await _served_room(world)
    intro_room = await mod.create_room(f"Introductions {world.n}", alias=f"intro{world.n}")
    await world.start_bot()
    bot_id = world.bot_id
    await mod.client.room_invite(intro_room, bot_id)  # a moderator's invite is accepted
    await world.bot_in(intro_room)
    await mod.join(world.general)
    mark = mod.mark()
    await mod.say(world.general, f"!setup introductions_channel=#intro{world.n}:localhost")
    await mod.wait_dm("introductions", after=mark, sender=bot_id)

    alice = await world.member("alice")
    await alice.join(world.general)
    first = await alice.wait_dm(FIRST_QUESTION, sender=bot_id)
    assert first.content["msgtype"] == "m.notice"
    assert (
        "<strong>" in first.content["formatted_body"] or "<br>" in first.content["formatted_body"]
    )
    assert "1." in first.body or "1)" in first.body  # numbered options

    await _answer(alice, bot_id, "1", "subjects")
    await _answer(alice, bot_id, "Maths", "grade")
    await _answer(alice, bot_id, "skip", "topics")
    await _answer(alice, bot_id, "1", "time zone")
    await _answer(alice, bot_id, "Europe/Paris", "mentor")
    await _answer(alice, bot_id, "no", "mentor someone")
    await _answer(alice, bot_id, "yes", "introduce yourself")
    await _answer(alice, bot_id, "I teach maths in Lyon and love puzzles.", "post your intro")
    mark = mod.mark()
    await _answer(alice, bot_id, "yes", "All done")
    post = await mod.wait_for(lambda s: s.room_id == intro_room and "Lyon" in s.body, after=mark)
    assert post.sender == bot_id and post.content["msgtype"] == "m.notice"
    assert post.content.get("m.mentions") == {}


async def test_commands_reply_privately_and_moderators_are_recognised(world: World) -> None:
    mod = await _served_room(world)
    await world.start_bot()
    bot_id = world.bot_id
    alice = await world.member("alice")
    bob = await world.member("bob")
    await alice.join(world.general)
    await bob.join(world.general)
    await alice.wait_dm(FIRST_QUESTION, sender=bot_id)
    await bob.wait_dm(FIRST_QUESTION, sender=bot_id)

    mark = alice.mark()
    await alice.say(world.general, "!tags add maths, edtech")
    added = await alice.wait_dm("maths", after=mark, sender=bot_id)
    assert added.content["msgtype"] == "m.notice"
    assert not alice.since(mark, sender=bot_id, room_id=world.general)  # personal → DM only

    mark = bob.mark()
    await bob.say(world.general, "!tags add maths")
    await bob.wait_dm("maths", after=mark, sender=bot_id)
    mark = bob.mark()
    await bob.say(world.general, "!peers")
    peers = await bob.wait_dm("alice", after=mark, sender=bot_id)
    assert "maths" in peers.body

    # Not a moderator at power level 0 …
    mark = alice.mark()
    await alice.say(world.general, "!stats")
    await alice.wait_dm("Only moderators", after=mark, sender=bot_id)
    # … but at the configured level 50.
    await mod.set_power_level(world.general, alice.user_id, 50)
    await _until(
        lambda: (
            world.bot is not None
            and world.bot.platform.power_level(world.general, alice.user_id) >= 50
        )
    )  # the bot learns power levels from its sync
    mark = alice.mark()
    await alice.say(world.general, "!stats")
    stats = await alice.wait_dm("member", after=mark, sender=bot_id)
    assert "Only moderators" not in stats.body

    # Typing mistakes get a private explanation; notices and edits are never answered.
    mark = alice.mark()
    await alice.say(world.general, "!frobnicate")
    await alice.wait_dm("I don't know", after=mark, sender=bot_id)
    mark = bob.mark()
    await bob.say(world.general, "!peers", msgtype="m.notice")
    original = await bob.say(world.general, "!tags list")
    await bob.wait_dm("tag", after=mark, sender=bot_id)
    mark = bob.mark()
    await bob.say(
        world.general,
        "* !peers",
        **{
            "m.new_content": {"msgtype": "m.text", "body": "!peers"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": original},
        },
    )
    await bob.say(world.general, "!help")
    help_text = await bob.wait_dm("!tags add", after=mark, sender=bot_id)
    assert "!peers" in help_text.body
    await asyncio.sleep(0.5)
    assert len(bob.since(mark, sender=bot_id)) == 1  # only the help, never the notice or edit


async def test_a_restarted_bot_resumes_onboarding_without_repeating_itself(world: World) -> None:
    await _served_room(world)
    bot = await world.start_bot()
    device = bot.client.device_id
    bot_id = world.bot_id
    alice = await world.member("alice")
    await alice.join(world.general)
    await alice.wait_dm(FIRST_QUESTION, sender=bot_id)
    await _answer(alice, bot_id, "1", "subjects")

    await world.stop_bot()
    dm = await alice.wait_direct_room()
    mark = alice.mark()
    await alice.say(dm, "Maths")  # typed while the bot is down

    restarted = await world.start_bot()
    assert restarted.client.device_id == device  # the saved token was reused
    await alice.wait_dm("grade", after=mark, sender=bot_id)
    await asyncio.sleep(1.5)  # time for any replayed history to be (wrongly) answered
    replies = alice.since(mark, sender=bot_id)
    assert len(replies) == 1, [r.body for r in replies]
    await _answer(alice, bot_id, "skip", "topics")


async def test_commands_typed_while_the_bot_was_down_are_each_answered_once(
    world: World,
) -> None:
    world.timeline_limit = 3  # so the catch-up sync is "limited" and the gap must be filled
    await _served_room(world)
    await world.start_bot()
    bot_id = world.bot_id
    alice = await world.member("alice")
    await alice.join(world.general)
    await alice.wait_dm(FIRST_QUESTION, sender=bot_id)
    await world.stop_bot()
    mark = alice.mark()
    for tag in ("maths", "science", "history", "music", "arts", "geography"):
        await alice.say(world.general, f"!tags add {tag}")
    await world.start_bot()
    await alice.wait_dm("geography", after=mark, sender=bot_id)
    await asyncio.sleep(1.0)
    replies = alice.since(mark, sender=bot_id)
    assert len(replies) == 6, [r.body for r in replies]
    assert "maths" in replies[0].body


async def test_the_bot_recovers_when_the_homeserver_restarts(world: World) -> None:
    await _served_room(world)
    await world.start_bot()
    bot_id = world.bot_id
    alice = await world.member("alice")
    await alice.join(world.general)
    await alice.wait_dm(FIRST_QUESTION, sender=bot_id)

    world.synapse.stop()
    await asyncio.sleep(1.5)  # the bot's syncs fail meanwhile and back off
    world.synapse.start()
    mark = alice.mark()
    await alice.say(world.general, "!tags add science")
    await alice.wait_dm("science", after=mark, sender=bot_id, within=30)


async def test_a_space_serves_its_rooms_and_a_tag_room_is_an_invite(world: World) -> None:
    mod = await world.member("mod")
    space = await mod.client.room_create(name=f"Space {world.n}", space=True, preset=_public())
    lobby = await mod.create_room(f"Lobby {world.n}")
    maths = await mod.create_room(f"Maths {world.n}", alias=f"maths{world.n}")
    await _add_child(mod, space.room_id, lobby)
    world.general = lobby
    await world.start_bot(rooms=[space.room_id])
    bot_id = world.bot_id
    await world.bot_in(lobby)  # the bot joins the space's rooms by itself
    await mod.client.room_invite(maths, bot_id)
    await world.bot_in(maths)
    await mod.set_power_level(maths, bot_id, 50)  # inviting needs power in a public room

    mark = mod.mark()
    await mod.say(lobby, f"!tags link maths role=#maths{world.n}:localhost")
    await mod.wait_dm("grants", after=mark, sender=bot_id)

    alice = await world.member("alice")
    await alice.join(space.room_id)
    await alice.join(lobby)  # one more room of the same space: still one welcome
    await alice.wait_dm(FIRST_QUESTION, sender=bot_id)
    mark = alice.mark()
    await alice.say(lobby, "!tags add maths")
    await alice.wait_dm("maths", after=mark, sender=bot_id)
    await _until(lambda: maths in alice.client.rooms)  # the bot invited, the client accepted
    await asyncio.sleep(0.5)
    welcomes = [s for s in alice.seen if s.sender == bot_id and FIRST_QUESTION in s.body]
    assert len(welcomes) == 1


async def _until(condition: Callable[[], bool], within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, "condition never became true"
        await asyncio.sleep(0.05)


def _public() -> Any:
    from nio import RoomPreset

    return RoomPreset.public_chat


async def _add_child(mod: Member, space_id: str, room_id: str) -> None:
    await mod.client.room_put_state(
        space_id, "m.space.child", {"via": ["localhost"]}, state_key=room_id
    )


async def test_a_wrong_token_or_an_unreachable_server_is_one_clear_error(world: World) -> None:
    from adapters.matrix import MatrixStartupError
    from adapters.matrix.login import Credentials
    from communitybot.store.store import Store
    from tests.matrix.synapse import free_port

    store = await Store.open(world.directory / "errors.db")
    try:
        wrong = world.config([])
        wrong.credentials = Credentials(world.synapse.url, world.bot_id, access_token="syt_nope")
        with pytest.raises(MatrixStartupError, match="refused COMMUNITYBOT_MATRIX__ACCESS_TOKEN"):
            await (await built(wrong, store)).serve()
        away = world.config([])
        away.credentials = Credentials(
            f"http://127.0.0.1:{free_port()}", world.bot_id, password="x"
        )
        with pytest.raises(MatrixStartupError, match="cannot reach the Matrix homeserver"):
            await (await built(away, store)).serve()
    finally:
        await store.close()


def test_the_command_line_reports_an_unreachable_homeserver_in_one_line(tmp_path: Path) -> None:
    from tests.matrix.synapse import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMUNITYBOT_")}
    env |= {
        "COMMUNITYBOT_MATRIX__HOMESERVER": f"http://127.0.0.1:{free_port()}",
        "COMMUNITYBOT_MATRIX__USER_ID": "@bot:localhost",
        "COMMUNITYBOT_MATRIX__ACCESS_TOKEN": "syt_not_a_real_token_value",
        "COMMUNITYBOT_DATABASE_PATH": str(tmp_path / "bot.db"),
    }
    run = subprocess.run(
        [sys.executable, "-m", "communitybot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("communitybot: cannot reach the Matrix homeserver"), run.stderr
    assert "syt_not_a_real_token_value" not in run.stderr


async def test_a_members_own_dm_is_used_and_an_encrypted_one_is_declined(world: World) -> None:
    from nio import RoomCreateResponse, RoomPreset

    await _served_room(world)
    await world.start_bot()
    bot_id = world.bot_id
    bob = await world.member("bob")
    await bob.join(world.general)
    await bob.wait_dm(FIRST_QUESTION, sender=bot_id)

    encrypted = await bob.client.room_create(
        is_direct=True,
        invite=[bot_id],
        preset=RoomPreset.trusted_private_chat,
        initial_state=[
            {
                "type": "m.room.encryption",
                "state_key": "",
                "content": {"algorithm": "m.megolm.v1.aes-sha2"},
            }
        ],
    )
    assert isinstance(encrypted, RoomCreateResponse)
    await bob.wait_dm("can't read end-to-end encrypted", sender=bot_id)

    plain = await bob.client.room_create(
        is_direct=True, invite=[bot_id], preset=RoomPreset.trusted_private_chat
    )
    assert isinstance(plain, RoomCreateResponse)
    await world.bot_in(plain.room_id)
    mark = bob.mark()
    await bob.say(plain.room_id, "!privacy show")
    answer = await bob.wait_for(lambda s: s.sender == bot_id, after=mark)
    assert answer.room_id == plain.room_id  # the member's own DM room is now the DM room
    direct = world.synapse.account_data(world.bot_account, "m.direct") or {}
    assert plain.room_id in direct[bob.user_id]  # adopted rooms are marked as DMs too
    assert encrypted.room_id not in direct[bob.user_id]
