"""The chats' scheduled work: the chat-start job that moves a series on, and member reminders.

Each occurrence gets one `chat.start` job and, per subscriber and lead time, one `chat.reminder`
job, with idempotency keys naming series, occurrence, member and lead, so scheduling twice is
harmless. When a chat starts, its series is re-anchored, its next occurrence stored, and that
occurrence's jobs scheduled: the chain never depends on a reminder having fired. Jobs check the
series when they fire (still active, still this occurrence, still subscribed), so cancelling,
skipping, unsubscribing or editing the time needs no bookkeeping of old jobs: they find nothing
to do. A series with a ping (a role, or Matrix @room) also gets a `chat.channel-reminder` job per
occurrence: a last call in the chat's channel 15 minutes before, pinging that role.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from loguru import logger

from communitybot.chats import calendar_sync
from communitybot.chats import network as chats_network
from communitybot.chats import run as chat_run
from communitybot.chats.hosts import hosts_line
from communitybot.chats.input import describe_lead
from communitybot.chats.schedule import Occurrence, next_occurrence, reanchored
from communitybot.context import Context
from communitybot.i18n import tr, use_language
from communitybot.i18n.choice import community_language, member_language
from communitybot.i18n.dates import day_month_year, day_time, time_of_day
from communitybot.models import Member
from communitybot.ports import ChatPlatform
from communitybot.replies import Action, Message, SendDirect, SendToChannel, unix_times
from communitybot.store.chats import ChatSeries, Subscription
from communitybot.store.jobs import Job, NewJob
from communitybot.store.store import Store
from communitybot.text import quote
from communitybot.timezones import describe_zone

START = "chat.start"
REMINDER = "chat.reminder"
CHANNEL_REMINDER = "chat.channel-reminder"
CHANNEL_LEAD = 15
"""Minutes before the start of the channel's last call (only for series with a ping)."""


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def start_key(series_id: int, start: datetime) -> str:
    return f"chat-start:{series_id}:{_stamp(start)}"


def reminder_key(series_id: int, start: datetime, member_id: int, lead: int) -> str:
    return f"chat-reminder:{series_id}:{_stamp(start)}:{member_id}:{lead}"


def channel_reminder_key(series_id: int, start: datetime) -> str:
    return f"chat-channel-reminder:{series_id}:{_stamp(start)}"


def reminder_jobs(
    series: ChatSeries, start: datetime, subscriptions: list[Subscription], now: datetime
) -> list[NewJob]:
    """The reminders for one occurrence; those whose moment has passed are left out."""
    jobs: list[NewJob] = []
    for sub in subscriptions:
        for lead in sub.lead_minutes:
            due = start - timedelta(minutes=lead)
            if due > now:
                payload = {
                    "series": series.id,
                    "start": start.isoformat(),
                    "member": sub.member_id,
                    "lead": lead,
                }
                key = reminder_key(series.id, start, sub.member_id, lead)
                # The member's community's job: its platform's process reminds them (a network
                # chat's subscriber may be on another platform than the series).
                home = sub.community_id or series.community_id
                jobs.append(NewJob(REMINDER, due, key, payload, home))
    return jobs


async def schedule_occurrence(store: Store, series: ChatSeries, now: datetime) -> None:
    """Schedule the series' next chat: its start job and every subscriber's reminders."""
    start = series.next_start
    if start is None or series.status != "active":
        return
    payload = {"series": series.id, "start": start.isoformat()}
    await store.jobs.schedule(
        START, start, start_key(series.id, start), now, payload, community_id=series.community_id
    )
    jobs = reminder_jobs(series, start, await store.chats.subscribers(series.id), now)
    last_call = start - timedelta(minutes=CHANNEL_LEAD)
    if series.ping_role is not None and last_call > now:
        jobs.append(
            NewJob(
                CHANNEL_REMINDER,
                last_call,
                channel_reminder_key(series.id, start),
                payload,
                series.community_id,
            )
        )
    for job in jobs:
        await store.jobs.schedule(
            job.kind, job.due_at, job.key, now, job.payload, community_id=job.community_id
        )


async def schedule_member_reminders(
    store: Store, series: ChatSeries, subscription: Subscription, now: datetime
) -> int:
    """A (re)subscribing member's reminders for the next chat; returns how many are ahead."""
    if series.next_start is None:
        return 0
    jobs = reminder_jobs(series, series.next_start, [subscription], now)
    for job in jobs:
        await store.jobs.schedule(
            job.kind, job.due_at, job.key, now, job.payload, community_id=job.community_id
        )
    return len(jobs)


def when_for(start: datetime, timezone: str | None, fallback: str) -> str:
    """ "Tuesday 19 January, 19:00 (Europe/London)" in the member's zone (or the chat's)."""
    zone_name = timezone or fallback
    try:
        local = start.astimezone(ZoneInfo(zone_name))
    except (OverflowError, ValueError):
        # A start stored before dates were bounded (year 9999) has no local time east of UTC.
        return tr("{date}, {time} UTC", date=day_month_year(start), time=time_of_day(start))
    return tr("{when} ({zone})", when=day_time(local), zone=describe_zone(zone_name))


def _current(series: ChatSeries | None, job: Job) -> ChatSeries | None:
    """The series if the job's occurrence is still the one it will hold next."""
    if series is None or series.status != "active" or series.next_start is None:
        return None
    if series.next_start != datetime.fromisoformat(str(job.payload["start"])):
        return None
    return series


async def run_start(ctx: Context, job: Job) -> list[Action]:
    """A chat begins: move the series to its next chat, then open this one (`chats.run.begin`)."""
    series = _current(await ctx.store.chats.get(int(job.payload["series"])), job)
    if series is None:
        return []
    community = await ctx.store.communities.get_by_id(series.community_id)
    assert community is not None
    start = series.next_start
    assert start is not None
    local = start.astimezone(series.schedule.zone)
    schedule = reanchored(series.schedule, Occurrence(start, local))
    skipped = tuple(d for d in series.skipped if d > local.date())
    # After downtime, chats that would have happened meanwhile are not replayed.
    after = max(start, ctx.now)
    following = next_occurrence(schedule, after, skipped) if schedule.kind != "once" else None
    await ctx.store.chats.advance(series.id, schedule, following.start if following else None)
    await ctx.store.chats.set_skipped(series.id, skipped)
    fresh = await ctx.store.chats.get(series.id)
    assert fresh is not None
    await schedule_occurrence(ctx.store, fresh, ctx.now)
    # The calendar entry moves on to the following chat (or goes, after the last one).
    moved = await calendar_sync.calendar_actions(ctx.store, fresh, ctx.now)
    if ctx.now - start >= timedelta(minutes=series.duration_minutes):
        logger.warning("chat #{} of {} was missed (the bot was down)", series.hashtag, start)
        return moved
    return [*await chat_run.begin(ctx, community, series, start), *moved]


async def run_channel_reminder(ctx: Context, job: Job) -> list[Action]:
    """The last call in the chat's channel, pinging the series' role (if it still has one)."""
    series = _current(await ctx.store.chats.get(int(job.payload["series"])), job)
    if series is None or series.next_start is None or series.ping_role is None:
        return []
    if ctx.now >= series.next_start:
        logger.info("chat channel reminder {} dropped: the chat has already started", job.key)
        return []
    community = await ctx.store.communities.get_by_id(series.community_id)
    assert community is not None
    minutes = max(1, round((series.next_start - ctx.now).total_seconds() / 60))
    with use_language(community_language(community)):  # everyone in the channel reads it
        lines = [
            tr(
                "⏰ **#{hashtag}: {title}** starts here in {lead}.",
                hashtag=series.hashtag,
                title=quote(series.title, 200),
                lead=describe_lead(minutes),
            )
        ]
        hosted = await hosts_line(ctx.store, ctx.platform, series)
        if hosted:
            lines.append(hosted)
        lines.append(
            tr(
                "`{command}` sends you reminders by DM.",
                command=f"{ctx.prefix}chat subscribe {series.hashtag}",
            )
        )
    message = Message(
        "\n".join(lines), ping_role=series.ping_role, moments=unix_times((series.next_start,))
    )
    return [SendToChannel(community.ref, series.channel_id, message)]


async def run_reminder(ctx: Context, job: Job) -> list[Action]:
    """Remind one member, in their own time zone; nothing if the chat already started."""
    series = _current(await ctx.store.chats.get(int(job.payload["series"])), job)
    if series is None or series.next_start is None:
        return []
    if ctx.now >= series.next_start:
        logger.info("chat reminder {} dropped: the chat has already started", job.key)
        return []
    member_id, lead = int(job.payload["member"]), int(job.payload["lead"])
    subscription = await ctx.store.chats.subscription(series.id, member_id)
    member = await ctx.store.members.get_by_id(member_id)
    if subscription is None or lead not in subscription.lead_minutes or member is None:
        return []
    if member.left_at is not None:
        return []
    community = await ctx.store.communities.get_by_id(member.community_id)
    if community is None or not await chats_network.takes_part(ctx.store, series, community.id):
        return []  # e.g. their affiliate left the network
    room = await chats_network.room_for(ctx.store, series, community) or ""
    with use_language(member_language(member, community)):  # a DM: in the member's language
        text = reminder_text(
            ctx.platform, ctx.prefix, series, member, series.next_start, ctx.now, room=room
        )
    moments = unix_times((series.next_start,))
    return [SendDirect(community.ref, member.ref, Message(text, moments=moments))]


def reminder_text(
    platform: ChatPlatform,
    prefix: str,
    series: ChatSeries,
    member: Member,
    start: datetime,
    now: datetime,
    *,
    room: str | None = None,
) -> str:
    """`room`: where the member's own community holds it (a network chat's affiliate room;
    "": none chosen there yet); None: the series' channel."""
    minutes = max(1, round((start - now).total_seconds() / 60))
    when = when_for(start, member.timezone, series.schedule.timezone)
    if room == "":
        place = tr("your community's room for it (not chosen yet)")
    else:
        place = platform.mention_channel(room or series.channel_id)
    lines = [
        tr(
            "⏰ **#{hashtag}: {title}** starts in {lead}: {when}, in {place}.",
            hashtag=series.hashtag,
            title=quote(series.title, 200),
            lead=describe_lead(minutes),
            when=when,
            place=place,
        )
    ]
    if member.timezone is None:
        lines.append(
            tr(
                "(That is the chat's time zone: set yours with `{command}`.)",
                command=f"{prefix}profile edit timezone",
            )
        )
    lines.append(
        tr(
            "`{command}` stops these reminders.",
            command=f"{prefix}chat unsubscribe {series.hashtag}",
        )
    )
    return "\n".join(lines)


def skip_dates(series: ChatSeries, extra: date) -> tuple[date, ...]:
    return tuple(sorted({*series.skipped, extra}))
