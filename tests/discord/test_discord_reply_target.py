"""The reply target is explicit: the event names its interaction (`reply_handle`), so the answer
reaches the right interaction from wherever it is sent, and nothing about it outlives the event."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

from adapters.discord import DiscordBot
from communitybot.events import CommunityRef, Event
from communitybot.replies import Message
from tests.discord.gateway_double import GUILD_ID, DiscordDouble
from tests.discord.helpers import BOB, MOD, answer, slash, sub

COMMUNITY = CommunityRef("discord", GUILD_ID)


async def test_a_reply_sent_from_another_task_answers_the_events_own_interaction(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    """Replying from a task that does not share the dispatch's context (a context variable would
    be empty there and the answer would go to a DM) still answers the interaction."""

    async def answer_elsewhere(event: Event) -> list[Any]:
        reply = bot.platform.reply(event, Message("Answered from elsewhere"), ephemeral=True)
        loop = asyncio.get_running_loop()
        await loop.create_task(reply, context=contextvars.Context())
        return []

    bot.bot.dispatch = answer_elsewhere  # type: ignore[method-assign]
    asked = await double.interact(BOB, 2, slash("privacy", sub("show")))
    body = await answer(double, asked)
    assert body["data"]["content"] == "Answered from elsewhere"
    assert body["data"]["flags"] & 64, "ephemeral, as asked"


async def test_two_members_answered_in_reverse_order_each_get_their_own_answer(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    events: list[Event] = []
    both = asyncio.Event()

    async def hold_then_reply(event: Event) -> list[Any]:
        events.append(event)
        if len(events) == 2:
            both.set()
        await both.wait()
        return []

    bot.bot.dispatch = hold_then_reply  # type: ignore[method-assign]
    first = await double.interact(BOB, 2, slash("privacy", sub("show")))
    second = await double.interact(MOD, 2, slash("privacy", sub("show")))
    async with asyncio.timeout(5):
        await both.wait()
    for event in reversed(events):  # answered later, from the test's own task
        await bot.platform.reply(event, Message(f"for {event.user.user_id}"), ephemeral=True)
    assert (await answer(double, first))["data"]["content"] == f"for {BOB}"
    assert (await answer(double, second))["data"]["content"] == f"for {MOD}"


async def test_the_interactions_member_counts_only_while_its_event_is_handled(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    """A moderator's Manage Server comes from their interaction while its event is handled;
    afterwards nothing of the interaction stays behind to go stale."""
    seen: list[bool] = []
    asked = asyncio.Event()

    async def ask_moderator(event: Event) -> list[Any]:
        seen.append(await bot.platform.is_moderator(event.community, event.user, None))
        asked.set()
        return []

    bot.bot.dispatch = ask_moderator  # type: ignore[method-assign]
    await double.interact(MOD, 2, slash("privacy", sub("show")))
    async with asyncio.timeout(5):
        await asked.wait()
    await asyncio.sleep(0)  # the runner leaves its `during` block right after dispatch
    assert seen == [True]
    assert bot.platform.acting.interaction_of(int(GUILD_ID), int(MOD)) is None
