"""The chats feature: scheduled topic chats (`chat ...`), their reminders, the run that posts
the questions and listens in the channel, recaps and transcripts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from communitybot.chats import commands as chats
from communitybot.chats import (
    edit,
    host_tools,
    hosts,
    interested,
    jobs,
    legs,
    network_commands,
    questions,
    run,
    run_jobs,
    transcript,
)
from communitybot.chats.catalogue import CHAT_COMMANDS
from communitybot.chats.network_catalogue import CHAT_NETWORK_COMMANDS
from communitybot.chats.run_catalogue import CHAT_RUN_COMMANDS
from communitybot.context import Context
from communitybot.feature import Feature, handlers_in
from communitybot.job_kinds import JobKind
from communitybot.models import Member
from communitybot.store.stats import MemberCounts


async def stats(ctx: Context, counts: MemberCounts) -> list[str]:
    return [await chats.stats_line(ctx)]


async def forget(ctx: Context, memberships: list[Member]) -> None:
    """Before the member's rows go (`ctx.features.forget` runs the privacy feature's deletion
    last): plan the deletion of their relayed network-chat messages' copies."""
    await legs.forget(ctx, [m.id for m in memberships])


async def export(ctx: Context, member: Member) -> dict[str, Any]:
    return {
        "chat_subscriptions": await ctx.store.chats.export_for_member(member.id),
        "chat_messages": await ctx.store.chat_runs.export_for_member(member.id),
        "chats_hosted": await ctx.store.chats.export_hosting(member.id),
    }


FEATURE = Feature(
    "chats",
    catalogue=(*CHAT_COMMANDS, *CHAT_RUN_COMMANDS, *CHAT_NETWORK_COMMANDS),
    commands=handlers_in(chats, edit, host_tools, questions, transcript, network_commands),
    jobs={
        # chat.start always runs (even late, after downtime) so a series never stalls; a
        # reminder found late still goes out while its chat is ahead (and is dropped, logged,
        # once it has begun).
        jobs.START: JobKind(jobs.run_start, grace=None, long=True, live=True),
        jobs.REMINDER: JobKind(jobs.run_reminder, grace=timedelta(hours=24)),
        jobs.CHANNEL_REMINDER: JobKind(jobs.run_channel_reminder, grace=timedelta(hours=24)),
        # Both always run, however late: a question checks the chat is not over, and the end
        # must always close the run (or the conversation would be listened to for ever),
        # posting the recap unless it is more than STALE_RECAP late.
        run_jobs.QUESTION: JobKind(run.run_question, grace=None),
        run_jobs.END: JobKind(run.run_end, grace=None),
        # A network chat's leg in one affiliate: opened by that affiliate's platform, while the
        # chat runs (the handler checks); it records the owner's run's leg, hence its lane.
        legs.LEG: JobKind(legs.run_leg, grace=None, long=True, live=True, lanes=legs.owner_lane),
        # Deleting a forgotten member's relayed copies: always, however late.
        legs.FORGET: JobKind(legs.run_forget, grace=None),
    },
    # A host leaving: the moderator log hears about each series that needs a (new) host.
    on_leave=hosts.on_leave,
    on_channel_message=run.on_channel_message,
    # "Interested" on a chat's calendar event, and the reminder offer it brings (issue #15).
    on_choice=interested.on_choice,
    listens_to=run.listens_to,
    stats=stats,
    export=export,
    forget=forget,
)
