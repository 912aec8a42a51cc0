"""Group introductions, topic-chat rooms, @room pings and members' room messages on Matrix,
with the real bot, real member clients and a real Synapse."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from nio import RoomGetStateResponse

from adapters.matrix.translate import community_ref, user_ref
from communitybot.bot import Bot
from communitybot.delivery import deliver
from communitybot.events import ChannelMessage, CommandInvoked, Event
from communitybot.replies import Message, SendToGroup
from tests.matrix.conftest import World
from tests.matrix.members import Member

WAIT = 20.0


class Recorder:
    """Every event any bot dispatched (and the core handled), in order."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    def add(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    def channel_messages(self) -> list[ChannelMessage]:
        return [event for event in self.events if isinstance(event, ChannelMessage)]

    @property
    def messages(self) -> list[ChannelMessage]:
        return self.channel_messages()

    async def wait_message(self, predicate: Callable[[ChannelMessage], bool]) -> ChannelMessage:
        """The first channel message recorded that matches (fails after WAIT seconds)."""
        found = await self.wait_for(lambda e: isinstance(e, ChannelMessage) and predicate(e))
        assert isinstance(found, ChannelMessage)
        return found

    async def wait_for(self, predicate: Callable[[Event], bool]) -> Event:
        """The first recorded event that matches (fails after WAIT seconds)."""
        async with asyncio.timeout(WAIT):
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                self._changed.clear()
                await self._changed.wait()

    async def wait_text(self, text: str) -> ChannelMessage:
        found = await self.wait_for(lambda e: isinstance(e, ChannelMessage) and e.text == text)
        assert isinstance(found, ChannelMessage)
        return found


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorded = Recorder()
    original = Bot.dispatch

    async def dispatch(self: Bot, event: Event) -> Any:
        result = await original(self, event)
        recorded.add(event)
        return result

    monkeypatch.setattr(Bot, "dispatch", dispatch)
    return recorded


async def _served_room(world: World) -> Member:
    mod = await world.member("mod")
    world.general = await mod.create_room(f"General {world.n}")
    return mod


async def _state(world: World, room_id: str) -> list[dict[str, Any]]:
    assert world.bot is not None
    response = await world.bot.client.room_get_state(room_id)
    assert isinstance(response, RoomGetStateResponse), response
    return list(response.events)


async def test_a_group_introduction_is_a_private_room_with_exactly_those_members(
    world: World,
) -> None:
    await _served_room(world)
    bot = await world.start_bot()
    alice = await world.member("alice")
    bob = await world.member("bob")
    community = community_ref(world.general)
    users = (user_ref(alice.user_id, "Alice"), user_ref(bob.user_id, "Bob"))
    mark_a, mark_b = alice.mark(), bob.mark()

    group = SendToGroup(community, users, "Alice & Bob", Message("Meet each other: **maths**!"))
    assert await deliver(bot.platform, None, [group], None) == []

    seen_a = await alice.wait_for(lambda s: "Meet each other" in s.body, after=mark_a)
    seen_b = await bob.wait_for(lambda s: "Meet each other" in s.body, after=mark_b)
    room_id = seen_a.room_id
    assert seen_b.room_id == room_id != world.general
    assert seen_a.sender == world.bot_id and seen_a.content["m.mentions"] == {}
    assert room_id not in alice.direct_rooms  # a room, not a DM
    state = await _state(world, room_id)
    [name] = [e for e in state if e["type"] == "m.room.name"]
    assert name["content"]["name"] == "Alice & Bob"
    [rules] = [e for e in state if e["type"] == "m.room.join_rules"]
    assert rules["content"]["join_rule"] == "invite"
    members = {
        e["state_key"]: e["content"]["membership"] for e in state if e["type"] == "m.room.member"
    }
    assert set(members) == {world.bot_id, alice.user_id, bob.user_id}
    direct = world.synapse.account_data(world.bot_account, "m.direct") or {}
    assert room_id not in [room for rooms in direct.values() for room in rooms]


async def test_a_group_the_homeserver_refuses_falls_back_to_a_dm_each(world: World) -> None:
    await _served_room(world)
    bot = await world.start_bot()
    alice = await world.member("alice")
    community = community_ref(world.general)
    nobody = user_ref("@nobody:invalid.example", "Nobody")  # cannot be invited: no such server
    group = SendToGroup(
        community, (user_ref(alice.user_id), nobody), "Intro", Message("Say hello to Nobody")
    )
    rooms_before = set(world.synapse.joined_rooms(world.bot_account))
    problems = await deliver(bot.platform, None, [group], None)
    await alice.wait_dm("Say hello to Nobody", sender=world.bot_id)
    assert len(problems) == 1 and "Nobody" in problems[0]  # only their DM failed
    # The half-made group room was left again: no room the bot is still in is that group.
    new_rooms = set(world.synapse.joined_rooms(world.bot_account)) - rooms_before
    assert set(alice.direct_rooms) <= new_rooms
    for room_id in new_rooms:
        names = [e for e in await _state(world, room_id) if e["type"] == "m.room.name"]
        assert all(e["content"].get("name") != "Intro" for e in names)


async def test_a_chat_runs_in_the_room_and_only_a_deliberate_ping_notifies_it(
    world: World,
) -> None:
    mod = await _served_room(world)
    bot = await world.start_bot()
    await mod.join(world.general)
    community = community_ref(world.general)
    mark = mod.mark()

    chat = await bot.platform.open_chat_thread(
        community, world.general, "#maths chat", Message("Welcome to the #maths chat!")
    )
    assert chat == world.general
    await bot.platform.send_to_channel(community, chat, Message("Q1 starts now", ping_role="room"))
    await bot.platform.send_to_channel(community, chat, Message("Q2: and @room?"))

    welcome = await mod.wait_for(lambda s: "Welcome to" in s.body, after=mark)
    pinged = await mod.wait_for(lambda s: "Q1" in s.body, after=mark)
    plain = await mod.wait_for(lambda s: "Q2" in s.body, after=mark)
    assert welcome.room_id == pinged.room_id == world.general
    assert welcome.content["m.mentions"] == {}
    assert pinged.body == "@room Q1 starts now"
    assert pinged.content["m.mentions"] == {"room": True}
    assert plain.content["m.mentions"] == {}


async def test_members_messages_reach_the_core_once_with_replies_and_mentions(
    world: World, recorder: Recorder
) -> None:
    mod = await _served_room(world)
    await world.start_bot()
    await mod.join(world.general)
    alice = await world.member("alice")
    await alice.join(world.general)
    await alice.wait_dm("What best describes your role?", sender=world.bot_id)

    hello = await alice.say(world.general, "Hello all")
    await mod.say(
        world.general,
        f"> <{alice.user_id}> Hello all\n\nA1 welcome {alice.user_id}",
        **{
            "m.relates_to": {"m.in_reply_to": {"event_id": hello}},
            "m.mentions": {"user_ids": [alice.user_id, world.bot_id]},
        },
    )
    await alice.say(world.general, "!tags list")  # a command stays a command
    reply = await recorder.wait_text(f"A1 welcome {alice.user_id}")
    first = await recorder.wait_text("Hello all")
    assert first.conversation.conversation_id == world.general
    assert first.conversation.kind == "channel" and first.message_id == hello
    assert first.community == community_ref(world.general)
    assert reply.user.user_id == mod.user_id
    assert reply.reply_to_user_id == alice.user_id
    assert reply.mentioned_user_ids == (alice.user_id,)  # mentioning the bot is not an exchange
    command = await recorder.wait_for(lambda e: isinstance(e, CommandInvoked))
    assert isinstance(command, CommandInvoked) and command.path == ("tags", "list")

    # Down for a while: what was said meanwhile arrives once, nothing earlier comes again.
    await world.stop_bot()
    await alice.say(world.general, "said while the bot was down")
    await world.start_bot()
    await mod.say(
        world.general,
        "back to your point",
        **{"m.relates_to": {"m.in_reply_to": {"event_id": hello}}},  # not remembered: looked up
    )
    late = await recorder.wait_text("back to your point")
    assert late.reply_to_user_id == alice.user_id
    texts = [message.text for message in recorder.channel_messages()]
    assert texts == [
        "Hello all",
        f"A1 welcome {alice.user_id}",
        "said while the bot was down",
        "back to your point",
    ]
    assert world.bot_id not in {message.user.user_id for message in recorder.channel_messages()}
