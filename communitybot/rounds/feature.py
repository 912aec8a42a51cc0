"""The peer rounds feature: members opt in (`rounds join`), the bot introduces small groups on a
schedule and asks afterwards whether they met."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from communitybot import network_schedule
from communitybot.context import Context
from communitybot.feature import Feature, handlers_in
from communitybot.job_kinds import JobKind
from communitybot.models import Member
from communitybot.rounds import commands as rounds
from communitybot.rounds import network, runs, schedule
from communitybot.rounds.catalogue import ROUND_COMMANDS
from communitybot.store.stats import MemberCounts


async def stats(ctx: Context, counts: MemberCounts) -> list[str]:
    return [await rounds.stats_line(ctx)]


async def export(ctx: Context, member: Member) -> dict[str, Any]:
    return {"peer_rounds": await ctx.store.rounds.export_for_member(member.id)}


FEATURE = Feature(
    "rounds",
    catalogue=ROUND_COMMANDS,
    commands=handlers_in(rounds, network),
    jobs={
        # A round job always runs (it moves the schedule on; it skips pairing if days late); a
        # follow-up found late still goes out for a few days.
        schedule.RUN: JobKind(rounds.run_scheduled, grace=None, long=True),
        runs.FOLLOW_UP: JobKind(runs.run_follow_up, grace=timedelta(days=3)),
        # A network round holds every affiliate's lane, as `network rounds run` does.
        network_schedule.ROUND_JOB: JobKind(
            network.run_scheduled, grace=None, long=True, lanes=network_schedule.lanes
        ),
    },
    on_leave=rounds.on_leave,
    on_choice=rounds.on_choice,
    stats=stats,
    export=export,
)
