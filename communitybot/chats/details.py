"""What `/chat create` and `/chat edit` share: finding the series named, and the ping option.

The typed grammar itself lives in `chats.input`; this adds the parts that need the context (the
community's series, the platform the ping is for).
"""

from __future__ import annotations

from typing import Any

from communitybot.chats.input import ChatInputError, parse_hashtag, parse_ping
from communitybot.chats.network import find_network_series, steward_refusal
from communitybot.context import Context
from communitybot.i18n import tr
from communitybot.store.chats import ChatSeries


async def find_series(ctx: Context, options: dict[str, Any]) -> ChatSeries | str:
    """The active series named by the `hashtag` option (the community's own, or its network's
    network chat), or what to reply instead."""
    try:
        hashtag = parse_hashtag(str(options["hashtag"]))
    except ChatInputError as error:
        return str(error)
    series = await ctx.store.chats.find(ctx.community.id, hashtag)
    if series is None:
        series = await find_network_series(ctx, hashtag)
    if series is None:
        return no_such_chat(ctx, hashtag)
    return series


def no_such_chat(ctx: Context, hashtag: str) -> str:
    """The answer for a hashtag that names no chat the member may see."""
    return tr(
        "There is no chat #{hashtag}. `{command}` shows them.",
        hashtag=hashtag,
        command=f"{ctx.prefix}chat list",
    )


async def managed_series(ctx: Context, options: dict[str, Any]) -> ChatSeries | str:
    """`find_series` for a change (edit, skip, cancel): a network chat only for its stewards."""
    found = await find_series(ctx, options)
    if isinstance(found, ChatSeries):
        refusal = await steward_refusal(ctx, found)
        if refusal is not None:
            return refusal
        if options.get("channel") and found.community_id != ctx.community.id:
            return tr(
                "#{hashtag}'s channel is in the community that created it: change it there. "
                "Here, `{command}` chooses this community's room for it.",
                hashtag=found.hashtag,
                command=f"{ctx.prefix}chat room {found.hashtag} <channel>",
            )
    return found


def input_error(error: Exception, raw_schedule: object) -> str:
    """A parse error for `/chat create|edit`, with a hint when an unquoted schedule was split
    into words ("weekly" read as the schedule, "tuesday" as the next option)."""
    if str(raw_schedule or "").casefold() in ("weekly", "every", "monthly", "once"):
        return tr(
            '{error}\nPut the schedule in quotes when you type it, e.g. `"weekly tuesday"`.',
            error=error,
        )
    return str(error)


def ping_option(ctx: Context, raw: object) -> str | None:
    """The `ping` option checked for this platform (absent or "none": no ping)."""
    if raw is None or str(raw).strip() == "":
        return None
    return parse_ping(str(raw), ctx.platform.name, ctx.community.ref.space_id)


def describe_ping(ping: str | None) -> str:
    """How a reply names the ping without pinging anyone."""
    if ping is None:
        return tr("nobody")
    if ping == "room":
        return tr("everyone in the room ({room})", room="@\u200broom")
    return tr("the chosen role")
