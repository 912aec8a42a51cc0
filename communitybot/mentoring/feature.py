"""The mentoring feature: offers and requests (`mentor`), the matcher and settings
(`mentoring`), the pairs' check-ins, and kind endings when a member leaves."""

from __future__ import annotations

from typing import Any

from communitybot import network_schedule
from communitybot.context import Context
from communitybot.feature import Feature, handlers_in
from communitybot.i18n import tr
from communitybot.job_kinds import JobKind
from communitybot.mentoring import admin, checkins, match, network
from communitybot.mentoring import commands as mentoring
from communitybot.mentoring.catalogue import MENTORING_COMMANDS
from communitybot.mentoring.pairing import CHECKIN
from communitybot.models import Member
from communitybot.store.stats import MemberCounts


async def stats(ctx: Context, counts: MemberCounts) -> list[str]:
    return [
        tr(
            "• Mentoring: {wants} would like a mentor, {offers} would like to mentor",
            wants=counts.wants_mentor,
            offers=counts.offers_mentor,
        ),
        await admin.stats_line(ctx),
    ]


async def export(ctx: Context, member: Member) -> dict[str, Any]:
    return {"mentoring": await ctx.store.mentoring.export_for_member(member.id)}


FEATURE = Feature(
    "mentoring",
    catalogue=MENTORING_COMMANDS,
    commands=handlers_in(mentoring, checkins, match, admin, network),
    jobs={
        # A check-in always runs, even long after downtime: each round schedules the next, so
        # dropping a late one would end a pairing's check-ins for good. Late, it simply asks
        # (and counts) from now.
        CHECKIN: JobKind(checkins.run_checkin, grace=None, long=True),
        # Automatic network matching holds every affiliate's lane, as `network mentors match`.
        network_schedule.MATCH_JOB: JobKind(
            network.run_scheduled, grace=None, long=True, lanes=network_schedule.lanes
        ),
    },
    on_leave=mentoring.on_leave,
    on_choice=checkins.on_choice,
    stats=stats,
    export=export,
)
