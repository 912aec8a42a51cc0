"""The identity feature: one person, many accounts (`link`, `unlink`, the first account's
confirmation). Its data is per account, not per membership: `/mydata` shows it once, beside the
memberships (`communitybot.privacy`), and its `forget` deletes it for every account `/forgetme`
forgets (this account, or every linked account when the member chose the whole person)."""

from __future__ import annotations

from communitybot.context import Context
from communitybot.feature import Feature, handlers_in
from communitybot.identity import commands as identity
from communitybot.identity.catalogue import IDENTITY_COMMANDS
from communitybot.models import Member


async def forget(ctx: Context, memberships: list[Member]) -> None:
    """What linking stores about each forgotten account (and the acting one)."""
    for user in dict.fromkeys([ctx.member.ref, *(m.ref for m in memberships)]):
        await ctx.store.people.forget_account(user)


FEATURE = Feature(
    "identity",
    catalogue=IDENTITY_COMMANDS,
    commands=handlers_in(identity),
    on_message=identity.on_message,
    on_choice=identity.on_choice,
    forget=forget,
)
