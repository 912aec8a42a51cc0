"""The dashboard feature: the `dashboard` command (the web server itself is started by
`communitybot.bootstrap`, beside the adapters), and `/forgetme` ending the person's sessions."""

from __future__ import annotations

from communitybot.context import Context
from communitybot.dashboard import commands, sessions
from communitybot.dashboard.catalogue import DASHBOARD_COMMANDS
from communitybot.feature import Feature, handlers_in
from communitybot.models import Member


async def forget(ctx: Context, memberships: list[Member]) -> None:
    """The stored dashboard sessions of each forgotten account (and the acting one)."""
    for user in dict.fromkeys([ctx.member.ref, *(m.ref for m in memberships)]):
        await sessions.forget(ctx.store.db, user.platform, user.user_id)


FEATURE = Feature(
    "dashboard",
    catalogue=DASHBOARD_COMMANDS,
    commands=handlers_in(commands),
    forget=forget,
)
