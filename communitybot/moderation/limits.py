"""Moderators' `limits`: how often a member may use the bot in this community (issue #11).

The limiter itself (`communitybot.rate_limits`) keeps its counters in memory; this stores only
the two numbers moderators choose. A change is announced in the moderator-log channel like
`/setup`, and the Bot re-reads the limits after any moderator command.
"""

from __future__ import annotations

from typing import Any

from communitybot.context import Context
from communitybot.feature import handles
from communitybot.i18n import tr, use_language
from communitybot.i18n.choice import community_language
from communitybot.i18n.dates import number
from communitybot.naming import who
from communitybot.replies import Action, Message, SendToChannel, reply
from communitybot.store.limits import LimitSettings, LimitsRepository

MAX_COMMANDS_PER_MINUTE = 1000
MAX_POSTS_PER_HOUR = 100


def _per_minute(value: int) -> str:
    return tr("no limit") if value == 0 else tr("{count} a minute", count=value)


def _per_hour(value: int) -> str:
    return tr("no limit") if value == 0 else tr("{count} an hour", count=value)


def _text(ctx: Context, settings: LimitSettings) -> str:
    return "\n".join(
        [
            tr("**Limits per member** (moderators are exempt)"),
            tr("• Commands: {limit}", limit=_per_minute(settings.commands_per_minute)),
            tr(
                "• Public posts (`{prefix}ask`, `{prefix}onboard`): {limit}",
                prefix=ctx.prefix,
                limit=_per_hour(settings.posts_per_hour),
            ),
            "",
            tr(
                "Change them with e.g. `{prefix}limits 30 10` or "
                "`{prefix}limits posts_per_hour=3`; 0 means no limit.",
                prefix=ctx.prefix,
            ),
        ]
    )


def _summary(before: LimitSettings, after: LimitSettings) -> str:
    """What changed, in the current language."""
    return tr(
        "commands {before_commands} → {after_commands}; public posts {before_posts} → "
        "{after_posts}",
        before_commands=_per_minute(before.commands_per_minute),
        after_commands=_per_minute(after.commands_per_minute),
        before_posts=_per_hour(before.posts_per_hour),
        after_posts=_per_hour(after.posts_per_hour),
    )


def _number(raw: Any, name: str, highest: int) -> int | str:
    """The value, or a friendly explanation (the parser already checked the type)."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return tr("`{name}` must be a whole number.", name=name)
    if not 0 <= value <= highest:
        return tr(
            "`{name}` must be between 0 and {highest} (0 means no limit).",
            name=name,
            highest=number(highest),
        )
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
            return reply(f"{checked} {tr('Nothing was changed.')}")
        per_minute = checked
    if posts is not None:
        checked = _number(posts, "posts_per_hour", MAX_POSTS_PER_HOUR)
        if isinstance(checked, str):
            return reply(f"{checked} {tr('Nothing was changed.')}")
        per_hour = checked
    after = LimitSettings(per_minute, per_hour)
    await repository.set(ctx.community.id, after)
    saved = tr("Saved: {changes}.", changes=_summary(before, after))
    actions: list[Action] = reply(f"{saved}\n\n{_text(ctx, after)}")
    modlog = ctx.community.modlog_channel
    if modlog:
        with use_language(community_language(ctx.community)):  # the whole team reads it
            note = tr(
                "⚙️ {author} changed the limits per member: {changes}",
                author=who(ctx.platform, ctx.member),
                changes=_summary(before, after),
            )
        actions.append(SendToChannel(ctx.community.ref, modlog, Message(note)))
    return actions
