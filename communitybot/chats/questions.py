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
from communitybot.i18n import ntr, tr
from communitybot.replies import Action, reply
from communitybot.store.chats import ChatSeries


def _example(ctx: Context, series: ChatSeries) -> str:
    return tr(
        "`{command}` (leave out the @minutes to space them evenly)",
        command=tr(
            "{prefix}chat questions {hashtag} Q1 @10 What feedback works? | "
            "Q2 @30 How do you follow it up?",
            prefix=ctx.prefix,
            hashtag=series.hashtag,
        ),
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
                tr(
                    "Only the network's stewards and the hosts of #{hashtag} can load its "
                    "questions.",
                    hashtag=series.hashtag,
                )
            )
    elif not ctx.is_moderator and ctx.member.id not in hosts:
        return reply(
            tr(
                "Only moderators and the hosts of #{hashtag} can load its questions.",
                hashtag=series.hashtag,
            )
        )
    raw = str(options.get("script") or "").strip()
    runs = ctx.store.chat_runs
    if not raw:
        script = await runs.script(series.id)
        if not script:
            return reply(
                tr(
                    "No questions are loaded for the next #{hashtag}{when}: it will be an open "
                    "conversation. Load some with {example}.",
                    hashtag=series.hashtag,
                    when=_when(ctx, series),
                    example=_example(ctx, series),
                )
            )
        lines = [
            tr(
                "**Questions for the next #{hashtag}**{when}:",
                hashtag=series.hashtag,
                when=_when(ctx, series),
            )
        ]
        lines += describe(planned(script, series.duration_minutes))
        lines.append(
            tr(
                "`{command}` removes them.",
                command=f"{ctx.prefix}chat questions {series.hashtag} clear",
            )
        )
        return reply("\n".join(lines))
    if raw.casefold() in CLEAR_WORDS:
        if not await runs.clear_script(series.id):
            return reply(tr("No questions were loaded for #{hashtag}.", hashtag=series.hashtag))
        return reply(
            tr(
                "Removed the questions: the next #{hashtag} is an open conversation.",
                hashtag=series.hashtag,
            )
        )
    try:
        script = parse_script(raw, series.duration_minutes)
    except ScriptError as error:
        return reply(
            tr(
                "{error}\nNothing was changed. Example: {example}.",
                error=error,
                example=_example(ctx, series),
            )
        )
    await runs.set_script(series.id, script, ctx.member.id, ctx.clock.now())
    count = len(script)
    lines = [
        ntr(
            "Loaded {n} question for the next #{hashtag}{when}; each is posted at its minute:",
            "Loaded {n} questions for the next #{hashtag}{when}; each is posted at its minute:",
            count,
            hashtag=series.hashtag,
            when=_when(ctx, series),
        ),
        *describe(planned(script, series.duration_minutes)),
        tr(
            "They are used by that chat only (load new ones for the one after); `{show}` shows "
            "them, `{clear}` removes them.",
            show=f"{ctx.prefix}chat questions {series.hashtag}",
            clear=f"{ctx.prefix}chat questions {series.hashtag} clear",
        ),
    ]
    return reply("\n".join(lines))
