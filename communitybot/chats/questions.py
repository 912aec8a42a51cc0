"""`/chat questions`: the hosts (or moderators) load the questions for a series' next chat.

A loaded script is used by the next chat that starts and then removed: topic chats ask new
questions each time, and a forgotten script must not repeat last week's. Without a script the
chat is an open conversation. The questions stay private to the hosts until they are posted.
"""

from __future__ import annotations

from typing import Any

from communitybot.chats.details import find_series
from communitybot.chats.jobs import when_for
from communitybot.chats.network import steward_refusal
from communitybot.chats.script import (
    CLEAR_WORDS,
    ScriptError,
    describe,
    parse_script,
    planned,
)
from communitybot.context import Context
from communitybot.feature import handles
from communitybot.replies import Action, reply
from communitybot.store.chats import ChatSeries


def _example(ctx: Context, series: ChatSeries) -> str:
    return (
        f"`{ctx.prefix}chat questions {series.hashtag} Q1 @10 What feedback works? | "
        "Q2 @30 How do you follow it up?` (leave out the @minutes to space them evenly)"
    )


def _when(ctx: Context, series: ChatSeries) -> str:
    if series.next_start is None:
        return ""
    return ", " + when_for(series.next_start, ctx.member.timezone, series.schedule.timezone)


@handles("chat", "questions")
async def questions(ctx: Context, options: dict[str, Any]) -> list[Action]:
    found = await find_series(ctx, options)
    if isinstance(found, str):
        return reply(found)
    series = found
    hosts = await ctx.store.chats.hosts(series.id)
    if series.network_id is not None and ctx.member.id not in hosts:
        refusal = await steward_refusal(ctx, series)  # a network chat: its stewards and hosts
        if refusal is not None:
            return reply(
                f"Only the network's stewards and the hosts of #{series.hashtag} can "
                "load its questions."
            )
    elif not ctx.is_moderator and ctx.member.id not in hosts:
        return reply(f"Only moderators and the hosts of #{series.hashtag} can load its questions.")
    raw = str(options.get("script") or "").strip()
    runs = ctx.store.chat_runs
    if not raw:
        script = await runs.script(series.id)
        if not script:
            return reply(
                f"No questions are loaded for the next #{series.hashtag}{_when(ctx, series)}: "
                f"it will be an open conversation. Load some with {_example(ctx, series)}."
            )
        lines = [f"**Questions for the next #{series.hashtag}**{_when(ctx, series)}:"]
        lines += describe(planned(script, series.duration_minutes))
        lines.append(f"`{ctx.prefix}chat questions {series.hashtag} clear` removes them.")
        return reply("\n".join(lines))
    if raw.casefold() in CLEAR_WORDS:
        if not await runs.clear_script(series.id):
            return reply(f"No questions were loaded for #{series.hashtag}.")
        return reply(f"Removed the questions: the next #{series.hashtag} is an open conversation.")
    try:
        script = parse_script(raw, series.duration_minutes)
    except ScriptError as error:
        return reply(f"{error}\nNothing was changed. Example: {_example(ctx, series)}.")
    await runs.set_script(series.id, script, ctx.member.id, ctx.clock.now())
    count = len(script)
    lines = [
        f"Loaded {count} question{'s' if count != 1 else ''} for the next #{series.hashtag}"
        f"{_when(ctx, series)}; each is posted at its minute:",
        *describe(planned(script, series.duration_minutes)),
        "They are used by that chat only (load new ones for the one after); "
        f"`{ctx.prefix}chat questions {series.hashtag}` shows them, "
        f"`{ctx.prefix}chat questions {series.hashtag} clear` removes them.",
    ]
    return reply("\n".join(lines))
