"""Threads, group introductions, deliberate pings and channel messages on Discord, with the
real discord.py client against the loopback double."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from adapters.discord import DiscordBot
from communitybot.delivery import deliver
from communitybot.events import (
    ChannelMessage,
    CommunityRef,
    ConversationRef,
    Event,
    MessageReceived,
    UserRef,
)
from communitybot.ports import MissingPermission
from communitybot.replies import Message, SendToGroup
from tests.discord.gateway_double import (
    BOT_ID,
    GUILD_ID,
    INTRO_CHANNEL,
    NO_THREADS_CHANNEL,
    TAG_ROLE,
    WELCOME_CHANNEL,
    DiscordDouble,
)
from tests.discord.helpers import BOB, MOD, answer, slash

COMMUNITY = CommunityRef("discord", GUILD_ID)
BOB_REF = UserRef("discord", BOB, "Bob")
MOD_REF = UserRef("discord", MOD, "Mod")


async def _set_introductions_channel(double: DiscordDouble) -> None:
    option = {"type": 7, "name": "introductions_channel", "value": INTRO_CHANNEL}
    await answer(double, await double.interact(MOD, 2, slash("setup", option)))


class Recorder:
    """The events the bot dispatched to the core (and the core handled), unchanged."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    def add(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, kind: type) -> list[Event]:
        return [event for event in self.events if isinstance(event, kind)]

    async def wait(self, kind: type, count: int, within: float = 5.0) -> list[Event]:
        async with asyncio.timeout(within):
            while len(self.of(kind)) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.of(kind)


@contextmanager
def recording(bot: DiscordBot) -> Iterator[Recorder]:
    recorder = Recorder()
    core = bot.bot
    original = core.dispatch

    async def dispatch(event: Event) -> Any:
        result = await original(event)
        recorder.add(event)  # once handled: a test that waits for it leaves no work behind
        return result

    core.dispatch = dispatch  # type: ignore[method-assign]
    try:
        yield recorder
    finally:
        core.dispatch = original  # type: ignore[method-assign]


# -- group introductions -----------------------------------------------------------------------


async def test_a_group_introduction_is_a_private_thread_with_exactly_those_members(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await _set_introductions_channel(double)
    text = f"Meet each other: <@{BOB}> teaches maths, <@{MOD}> teaches physics."
    group = SendToGroup(COMMUNITY, (BOB_REF, MOD_REF), "Bob & Mod", Message(text))

    assert await deliver(bot.platform, None, [group], None) == []

    [thread_id] = double.created_threads
    thread = double.threads[thread_id]
    assert thread["type"] == 12 and thread["parent_id"] == INTRO_CHANNEL
    assert thread["name"] == "Bob & Mod" and thread["thread_metadata"]["invitable"] is False
    assert double.thread_members[thread_id] == [BOB, MOD]
    [post] = double.delivered(thread_id)
    assert post.body["content"] == text
    # Exactly the introduced members are pinged (their notification); nobody else, no role.
    assert post.body["allowed_mentions"] == {"parse": [], "users": [int(BOB), int(MOD)]}
    assert not double.rest("POST", "/users/@me/channels")  # no DMs


async def test_a_member_not_named_in_the_introduction_is_pinged_at_its_start(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await _set_introductions_channel(double)
    ref = await bot.platform.open_group(
        COMMUNITY, (BOB_REF, MOD_REF), "Intro", Message(f"<@{BOB}>, meet a colleague!")
    )
    assert ref == ConversationRef("discord", "thread", double.created_threads[0])
    [post] = double.delivered(ref.conversation_id)
    assert post.body["content"] == f"<@{MOD}>\n<@{BOB}>, meet a colleague!"


async def test_without_an_introductions_channel_each_member_gets_a_dm(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    group = SendToGroup(COMMUNITY, (BOB_REF, MOD_REF), "Intro", Message("Meet each other"))
    assert await deliver(bot.platform, None, [group], None) == []
    assert double.created_threads == []
    for user in (BOB, MOD):
        dm = double.dm_channel_of(user)
        assert dm is not None
        [post] = double.delivered(dm)
        assert post.body["content"] == "Meet each other"


async def test_a_member_discord_cannot_add_means_no_half_made_thread_but_dms(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await _set_introductions_channel(double)
    double.unknown_members.add(MOD)
    group = SendToGroup(COMMUNITY, (BOB_REF, MOD_REF), "Intro", Message("Meet each other"))
    assert await deliver(bot.platform, None, [group], None) == []
    [thread_id] = double.created_threads
    assert thread_id in double.deleted_channels  # the half-made thread was removed
    assert double.delivered(thread_id) == []
    for user in (BOB, MOD):
        dm = double.dm_channel_of(user)
        assert dm is not None and len(double.delivered(dm)) == 1


# -- chat threads ------------------------------------------------------------------------------


async def test_a_chat_thread_opens_on_its_welcome_message(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    thread_id = await bot.platform.open_chat_thread(
        COMMUNITY, WELCOME_CHANNEL, "#maths chat", Message("Welcome to the #maths chat!")
    )
    [welcome] = double.delivered(WELCOME_CHANNEL)
    assert welcome.body["content"] == "Welcome to the #maths chat!"
    [opened] = double.rest("POST", f"/channels/{WELCOME_CHANNEL}/messages/{thread_id}/threads")
    assert opened.body["name"] == "#maths chat"
    assert double.threads[thread_id]["type"] == 11  # public
    assert double.threads[thread_id]["parent_id"] == WELCOME_CHANNEL

    await bot.platform.send_to_channel(COMMUNITY, thread_id, Message("Q1: what worked?"))
    [question] = double.delivered(thread_id)
    assert question.body["content"] == "Q1: what worked?"


async def test_a_channel_without_thread_permissions_is_refused_before_posting(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    with pytest.raises(MissingPermission, match="Create Public Threads"):
        await bot.platform.open_chat_thread(
            COMMUNITY, NO_THREADS_CHANNEL, "chat", Message("Welcome")
        )
    assert double.rest("POST", f"/channels/{NO_THREADS_CHANNEL}/") == []


async def test_a_thread_discord_refuses_takes_its_welcome_back(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    uncached = "930000000000000099"  # not in the cache: the refusal comes from Discord
    double.no_thread_channels.add(uncached)
    with pytest.raises(MissingPermission):
        await bot.platform.open_chat_thread(COMMUNITY, uncached, "chat", Message("Welcome"))
    [welcome] = double.delivered(uncached)
    assert welcome.body["content"] == "Welcome"
    assert double.rest("DELETE", f"/channels/{uncached}/messages/") != []
    assert double.created_threads == []


# -- deliberate pings --------------------------------------------------------------------------


async def test_a_role_ping_is_the_only_mention_a_message_allows(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await bot.platform.send_to_channel(
        COMMUNITY,
        WELCOME_CHANNEL,
        Message(f"The #maths chat starts now, with <@{BOB}>!", ping_role=TAG_ROLE),
    )
    await bot.platform.send_to_channel(COMMUNITY, WELCOME_CHANNEL, Message(f"<@&{TAG_ROLE}> hi"))
    pinged, plain = double.delivered(WELCOME_CHANNEL)
    assert pinged.body["content"] == f"<@&{TAG_ROLE}>\nThe #maths chat starts now, with <@{BOB}>!"
    assert pinged.body["allowed_mentions"] == {"parse": [], "roles": [int(TAG_ROLE)]}
    assert plain.body["allowed_mentions"] == {"parse": []}


async def test_a_ping_value_that_is_no_role_pings_nobody(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await bot.platform.send_to_channel(
        COMMUNITY, WELCOME_CHANNEL, Message("Chat time", ping_role="room")
    )
    [post] = double.delivered(WELCOME_CHANNEL)
    assert post.body["content"] == "Chat time"
    assert post.body["allowed_mentions"] == {"parse": []}


# -- members' messages -------------------------------------------------------------------------


async def test_members_messages_in_channels_and_threads_reach_the_core(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    thread_id = await bot.platform.open_chat_thread(
        COMMUNITY, WELCOME_CHANNEL, "#maths chat", Message("Welcome!")
    )
    with recording(bot) as recorder:
        said = await double.say_in_channel(BOB, WELCOME_CHANNEL, "Hello all")
        answer_id = await double.say_in_channel(
            MOD, thread_id, f"A1 <@{BOB}> exit tickets", reply_to=said, mentions=(BOB,)
        )
        await double.say_in_channel(BOT_ID, WELCOME_CHANNEL, "the bot's own message")
        await double.say_in_channel(BOB, thread_id, "A1 me too", reply_to=thread_id)
        await double.say_in_dm(BOB, "a DM still is a DM")
        await recorder.wait(MessageReceived, 1)
        hello, reply, own_reply = await recorder.wait(ChannelMessage, 3)

    assert hello == ChannelMessage(
        COMMUNITY,
        UserRef("discord", BOB, "Bob"),
        ConversationRef("discord", "channel", WELCOME_CHANNEL),
        "Hello all",
        said,
        avatar_url=hello.avatar_url,
    )
    assert str(hello.avatar_url).startswith("https://cdn.discordapp.com/")
    assert reply == ChannelMessage(
        COMMUNITY,
        UserRef("discord", MOD, "Mod"),
        ConversationRef("discord", "thread", thread_id),
        f"A1 <@{BOB}> exit tickets",
        answer_id,
        parent_channel_id=WELCOME_CHANNEL,
        reply_to_user_id=BOB,
        mentioned_user_ids=(BOB,),
        reply_to_key=f"discord:{said}",
        avatar_url=reply.avatar_url,
    )
    assert isinstance(own_reply, ChannelMessage)
    assert own_reply.reply_to_user_id is None  # a reply to the bot's welcome is no exchange
    assert len(recorder.of(ChannelMessage)) == 3  # the bot's own message was not forwarded


async def test_a_message_in_a_thread_missing_from_the_cache_is_still_a_thread_message(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    thread = double._thread(WELCOME_CHANNEL, {"name": "older thread", "type": 11})
    with recording(bot) as recorder:
        await double.say_in_channel(BOB, thread["id"], "still here")
        await double.say_in_channel(BOB, thread["id"], "and again")
        first, second = await recorder.wait(ChannelMessage, 2)
    for message in (first, second):
        assert isinstance(message, ChannelMessage)
        assert message.conversation == ConversationRef("discord", "thread", thread["id"])
        assert message.parent_channel_id == WELCOME_CHANNEL
    assert len(double.rest("GET", f"/channels/{thread['id']}")) == 1  # fetched once
