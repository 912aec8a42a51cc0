"""Moderators' `limits`: how often a member may use the bot in this community (issue #11).

The limiter itself (`communitybot.rate_limits`) keeps its counters in memory; this stores only
the two numbers moderators choose. A change is announced in the moderator-log channel like
`/setup`, and the Bot re-reads the limits after any moderator command.
"""

from __future__ import annotations

from typing import Any

from communitybot.context import Context
from communitybot.feature import handles
from communitybot.naming import who
from communitybot.replies import Action, Message, SendToChannel, reply
from communitybot.store.limits import LimitSettings, LimitsRepository

MAX_COMMANDS_PER_MINUTE = 1000
MAX_POSTS_PER_HOUR = 100


def _shown(value: int, unit: str) -> str:
    return "no limit" if value == 0 else f"{value} {unit}"


def _text(ctx: Context, settings: LimitSettings) -> str:
    return "\n".join(
        [
            "**Limits per member** (moderators are exempt)",
            f"• Commands: {_shown(settings.commands_per_minute, 'a minute')}",
            f"• Public posts (`{ctx.prefix}ask`, `{ctx.prefix}onboard`): "
            f"{_shown(settings.posts_per_hour, 'an hour')}",
            "",
            f"Change them with e.g. `{ctx.prefix}limits 30 10` "
            f"or `{ctx.prefix}limits posts_per_hour=3`; 0 means no limit.",
        ]
    )


def _number(raw: Any, name: str, highest: int) -> int | str:
    """The value, or a friendly explanation (the parser already checked the type)."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return f"`{name}` must be a whole number."
    if not 0 <= value <= highest:
        return f"`{name}` must be between 0 and {highest:,} (0 means no limit)."
    return value


@handles("limits")
async def limits(ctx: Context, options: dict[str, Any]) -> list[Action]:
    repository = LimitsRepository(ctx.store.db)
    before = await repository.get(ctx.community.id)
    commands, posts = options.get("commands_per_minute"), options.get("posts_per_hour")
    if commands is None and posts is None:
        return reply(_text(ctx, before))
    per_minute = before.commands_per_minute
    per_hour = before.posts_per_hour
    if commands is not None:
        checked = _number(commands, "commands_per_minute", MAX_COMMANDS_PER_MINUTE)
        if isinstance(checked, str):
            return reply(f"{checked} Nothing was changed.")
        per_minute = checked
    if posts is not None:
        checked = _number(posts, "posts_per_hour", MAX_POSTS_PER_HOUR)
        if isinstance(checked, str):
            return reply(f"{checked} Nothing was changed.")
        per_hour = checked
    after = LimitSettings(per_minute, per_hour)
    await repository.set(ctx.community.id, after)
    summary = (
        f"commands {_shown(before.commands_per_minute, 'a minute')} → "
        f"{_shown(after.commands_per_minute, 'a minute')}; public posts "
        f"{_shown(before.posts_per_hour, 'an hour')} → {_shown(after.posts_per_hour, 'an hour')}"
    )
    actions: list[Action] = reply(f"Saved: {summary}.\n\n{_text(ctx, after)}")
    modlog = ctx.community.modlog_channel
    if modlog:
        note = f"⚙️ {who(ctx.platform, ctx.member)} changed the limits per member: {summary}"
        actions.append(SendToChannel(ctx.community.ref, modlog, Message(note)))
    return actions
