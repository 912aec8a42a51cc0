"""A network chat's run: one leg per affiliate (issue #15).

The owner community's chat-start job records the network run (its questions, its question and
end jobs, as a community chat's) and schedules one `chat.leg` job per affiliate, as that
affiliate's job: the scheduler of THAT affiliate's platform runs it and opens the thread or
room with its own platform's `open_chat_thread`. The leg is recorded in the job's transaction
(one per run and affiliate: a restarted bot never opens a second one). Questions, host notes
and the recap then go to every leg at once (`chats.run.places`).

A relay that a platform refuses (lost permission, webhook deleted, kicked) marks that leg
lost: no more relays to it in that run, its moderators told once; the others carry on.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from loguru import logger

from communitybot import units
from communitybot.affiliates import modlog_note
from communitybot.chats import late_start
from communitybot.chats import network as chats_network
from communitybot.chats.run_jobs import schedule_run
from communitybot.chats.script import planned
from communitybot.chats.welcome import about_line, questions_line
from communitybot.context import Context
from communitybot.events import CommunityRef
from communitybot.i18n import tr, use_language
from communitybot.i18n.choice import community_language
from communitybot.models import Community
from communitybot.ports import PlatformError
from communitybot.replies import Action, Message, RelayDelete, RelayPost, SendToChannel
from communitybot.store.chat_runs import ChatRun
from communitybot.store.chats import ChatSeries
from communitybot.store.jobs import Job
from communitybot.store.store import Store
from communitybot.text import neutralize_mass_mentions, quote

LEG = "chat.leg"
FORGET = "chat.relay-forget"


def leg_key(run_id: int, community_id: int) -> str:
    return f"chat-leg:{run_id}:{community_id}"


# Starting ------------------------------------------------------------------------------------
async def begin_network(
    ctx: Context, community: Community, series: ChatSeries, start_at: datetime
) -> list[Action]:
    """Record the network run of `start_at` (once) and ask every affiliate to open its leg."""
    if await ctx.store.chat_runs.for_occurrence(series.id, start_at) is not None:
        logger.info("network chat #{} of {} is already open", series.hashtag, start_at)
        return []
    assert series.network_id is not None
    questions = planned(await ctx.store.chat_runs.script(series.id), series.duration_minutes)
    await ctx.store.chat_runs.clear_script(series.id)
    run = await ctx.store.chat_runs.create(
        series.id,
        community.id,
        start_at,
        timedelta(minutes=series.duration_minutes),
        "",  # a network run happens in its legs
        False,
        series.title,
        questions,
        network_id=series.network_id,
    )
    await schedule_run(ctx.store, run, ctx.now)
    for community_id in await ctx.store.networks.affiliates(series.network_id):
        await ctx.store.jobs.schedule(
            LEG,
            ctx.now,
            leg_key(run.id, community_id),
            ctx.now,
            {"run": run.id, "community": community_id},
            community_id=community_id,
        )
    return []


def welcome(prefix: str, series: ChatSeries, run: ChatRun, hosts: str) -> Message:
    """The welcome in one leg: a community chat's, plus how the relay works and `norelay`
    (in the current language: the caller chooses the leg's community's)."""
    lines = [
        tr(
            "🗣️ **#{hashtag}: {title}** starts now ({minutes} minutes): a network chat, held in "
            "every affiliate at once. Welcome, everyone!",
            hashtag=series.hashtag,
            title=quote(series.title, 200),
            minutes=series.duration_minutes,
        )
    ]
    if hosts:
        lines.append(tr("Hosted by {names}.", names=hosts))
    if series.description:
        lines.append(about_line(series.description))
    lines.append(questions_line(len(run.questions)))
    lines.append(
        tr(
            "What you write here is shown in the other affiliates' rooms too, with your name and "
            "community. `{command}` keeps your messages in this room only.",
            command=f"{prefix}chat norelay",
        )
    )
    lines.append(
        tr(
            "Messages are kept for the transcript (`{transcript}`); `{forget}` removes yours, "
            "and their copies.",
            transcript=f"{prefix}chat transcript {series.hashtag}",
            forget=f"{prefix}forgetme",
        )
    )
    return Message("\n".join(lines))


async def _host_names(store: Store, series: ChatSeries) -> str:
    """The hosts as plain quoted names: their mentions would mean nothing on another platform."""
    hosts = await store.chats.present_hosts(series.id)
    return ", ".join(f"“{quote(h.label, 60)}”" for h in hosts)


async def run_leg(ctx: Context, job: Job) -> list[Action]:
    """`chat.leg`: open this affiliate's thread or room for a running network chat, once."""
    run = await ctx.store.chat_runs.get(int(job.payload["run"]))
    community_id = int(job.payload["community"])
    if run is None or run.status != "running" or ctx.now >= run.ends_at:
        return []
    if await ctx.store.chat_legs.get(run.id, community_id) is not None:
        return []
    series = await ctx.store.chats.get(run.series_id)
    community = await ctx.store.communities.get_by_id(community_id)
    if series is None or community is None:
        return []
    if not await chats_network.takes_part(ctx.store, series, community_id):
        return []  # it left the network meanwhile
    room = await chats_network.room_for(ctx.store, series, community)
    if room is None:
        logger.info(
            "network chat #{}: community {} has no room for it", series.hashtag, community_id
        )
        with use_language(community_language(community)):
            return modlog_note(
                community,
                tr(
                    "⚠️ The network chat **#{hashtag}** started, but your community has no room "
                    "for it (and no welcome channel), so it is not held here. Choose one with "
                    "`{command}` for the next one.",
                    hashtag=series.hashtag,
                    command=f"{ctx.prefix}chat room {series.hashtag} <channel>",
                ),
            )
    hosts = await _host_names(ctx.store, series)
    with use_language(community_language(community)):  # this leg's community reads it
        message = welcome(ctx.prefix, series, run, hosts)
        late = late_start.note(run.questions, run.started_at, ctx.now)
    if late is not None:  # the bot was down at the start: say so, as a community chat does
        message = replace(message, text=f"{message.text}\n{late}")
    safe = replace(message, text=neutralize_mass_mentions(message.text))
    actions: list[Action] = []
    try:
        conversation = await units.outside(
            ctx.platform.open_chat_thread,
            community.ref,
            room,
            f"#{series.hashtag}: {series.title}"[:100],
            safe,
        )
        in_thread = conversation != room
    except PlatformError as error:
        logger.warning(
            "no thread for network chat #{} ({}): it runs in the room", series.hashtag, error
        )
        conversation, in_thread = room, False
        actions.append(SendToChannel(community.ref, room, message))
    await ctx.store.chat_legs.add(run.id, community_id, conversation, in_thread)
    return actions


async def owner_lane(store: Store, job: Job) -> list[CommunityRef]:
    """`JobKind.lanes` of a leg job: it also writes the owner community's run (its legs)."""
    run = await store.chat_runs.get(int(job.payload["run"]))
    owner = await store.communities.get_by_id(run.community_id) if run else None
    return [owner.ref] if owner else []


async def places(store: Store, run: ChatRun) -> list[tuple[CommunityRef, str]]:
    """Every leg of a network run (a lost one too: it only lost the relay, perhaps)."""
    return [(leg.community, leg.conversation_id) for leg in await store.chat_legs.of_run(run.id)]


# A refused relay -----------------------------------------------------------------------------
async def relay_refused(ctx: Context, action: RelayPost) -> list[Action]:
    """Delivering `action` was refused: its leg is lost (once), its moderators hear once."""
    actions: list[Action] = []
    for leg in await ctx.store.chat_legs.running_at(action.community, action.conversation_id):
        if not await ctx.store.chat_legs.mark_lost(leg.run_id, leg.community_id):
            continue
        run = await ctx.store.chat_runs.get(leg.run_id)
        series = await ctx.store.chats.get(run.series_id) if run else None
        community = await ctx.store.communities.get_by_id(leg.community_id)
        hashtag = series.hashtag if series else "?"
        logger.warning("network chat #{}: leg in community {} lost", hashtag, leg.community_id)
        with use_language(community_language(community)):
            actions += modlog_note(
                community,
                tr(
                    "⚠️ I could not post the other affiliates' messages in this community's room "
                    "of the network chat **#{hashtag}** (a missing permission, or the bot's "
                    "webhook was removed?), so I stopped relaying them here for this chat. Your "
                    "members' messages still reach the others. Please check my permissions there "
                    "before the next one.",
                    hashtag=hashtag,
                ),
            )
    return actions


# /forgetme ------------------------------------------------------------------------------------
async def forget(ctx: Context, member_ids: list[int]) -> None:
    """Before the member's rows go: plan the deletion of every copy of their relayed messages
    (a durable job, since a forgetter returns no actions), while the runs' legs are known."""
    found = await ctx.store.chat_legs.relayed_by(member_ids)
    deletes: list[list[object]] = []
    for run_id, key, home in found:
        for leg in await ctx.store.chat_legs.of_run(run_id):
            if leg.community_id != home:
                deletes.append([leg.community_id, leg.conversation_id, key])
    if not deletes:
        return
    now = ctx.clock.now()
    await ctx.store.jobs.schedule(
        FORGET,
        now,
        f"chat-relay-forget:{min(member_ids)}:{now.isoformat()}",
        now,
        {"deletes": deletes},
    )


async def run_forget(ctx: Context, job: Job) -> list[Action]:
    """`chat.relay-forget`: delete the copies a forgotten member's messages left elsewhere."""
    actions: list[Action] = []
    for community_id, conversation, key in job.payload["deletes"]:
        community = await ctx.store.communities.get_by_id(int(community_id))
        if community is not None:
            actions.append(RelayDelete(community.ref, str(conversation), str(key)))
    return actions
