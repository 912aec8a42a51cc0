"""The asks feature: problems of practice (`ask`, `follow`, `resolve`, `asks`) and the reminder
to report back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from communitybot.asks import commands as asks
from communitybot.asks.catalogue import ASK_COMMANDS
from communitybot.context import Context
from communitybot.feature import Feature, handlers_in
from communitybot.i18n import tr
from communitybot.job_kinds import JobKind
from communitybot.models import Member
from communitybot.store.stats import MemberCounts


async def stats(ctx: Context, counts: MemberCounts) -> list[str]:
    count = await ctx.store.asks.open_count(ctx.community.id)
    return [tr("• Open problems of practice: {count}", count=count)]


async def export(ctx: Context, member: Member) -> dict[str, Any]:
    return {"problems_of_practice": await ctx.store.asks.export_for_member(member.id)}


FEATURE = Feature(
    "asks",
    catalogue=ASK_COMMANDS,
    commands=handlers_in(asks),
    jobs={
        # A reminder found late (after downtime) still goes out within a week of its day.
        asks.REMINDER: JobKind(asks.run_reminder, grace=timedelta(days=7)),
    },
    stats=stats,
    export=export,
)
