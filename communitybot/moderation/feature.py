"""The moderation feature: the bot's settings (`setup`), `stats`, rate limits (`limits`) and the
one-time set-up hint after a moderator's first command."""

from __future__ import annotations

from communitybot.context import Context
from communitybot.feature import Feature, handlers_in
from communitybot.moderation import commands as moderation
from communitybot.moderation import first_steps, limits
from communitybot.moderation.catalogue import LIMIT_COMMANDS, SETUP_COMMANDS, STATS_COMMANDS
from communitybot.store.stats import MemberCounts


async def stats(ctx: Context, counts: MemberCounts) -> list[str]:
    """While a channel is unset, `/stats` ends with what to set."""
    line = first_steps.stats_line(ctx)
    return [line] if line else []


FEATURE = Feature(
    "moderation",
    catalogue=(*SETUP_COMMANDS, *STATS_COMMANDS, *LIMIT_COMMANDS),
    commands=handlers_in(moderation, limits),
    stats=stats,
    after_moderator_command=first_steps.after_moderator_command,
    after_moderator_command_may_write=first_steps.may_write,
)
