"""`/chat`: recurring facilitated topic chats (moderators plan them, members get reminders).

Handlers validate everything first and change nothing on a bad input; the timing rules live in
`communitybot.chats.schedule`, the typed grammar in `chats.input`, the scheduled work in
`chats.jobs`. A series stores its next occurrence, so listing chats never recomputes a rule.
"""

from __future__ import annotations

from typing import Any

from communitybot.affiliates import stewarded_network
from communitybot.chats import calendar as chat_calendar
from communitybot.chats import calendar_sync
from communitybot.chats import jobs as chat_jobs
from communitybot.chats import network as chats_network
from communitybot.chats import visibility as chats_visibility
from communitybot.chats.details import (
    describe_ping,
    find_series,
    input_error,
    managed_series,
    no_such_chat,
    ping_option,
)
from communitybot.chats.hosts import hosts_line, names, resolve_hosts
from communitybot.chats.input import (
    DEFAULT_DURATION,
    MAX_DESCRIPTION,
    ChatInputError,
    leads_text,
    parse_description,
    parse_duration,
    parse_hashtag,
    parse_leads,
    parse_schedule,
    parse_time,
    parse_title,
)
from communitybot.chats.schedule import heads_up, next_occurrence, plannable, problems
from communitybot.context import Context
from communitybot.feature import handles
from communitybot.i18n import tr, use_language
from communitybot.i18n.choice import community_language
from communitybot.i18n.dates import day_month_year, full_datetime, short_day, weekday_day_month
from communitybot.replies import Action, Attachment, reply, safe_filename
from communitybot.store.chats import ChatSeries
from communitybot.text import quote
from communitybot.timezones import TimezoneError, describe_zone, read_timezone

UPCOMING_LIMIT = 10
LIST_DESCRIPTION = 100
"""Characters of a description `/chat list` shows (the announcement shows it all)."""


@handles("chat", "create")
async def create(ctx: Context, options: dict[str, Any]) -> list[Action]:
    now = ctx.clock.now()
    try:
        hashtag = parse_hashtag(str(options["hashtag"]))
        title = parse_title(str(options["title"]))
        at = parse_time(str(options["time"]))
        zone = read_timezone(str(options["timezone"]), now)
        timezone = zone.name
        schedule = parse_schedule(str(options["schedule"]), timezone, at, now)
        duration = parse_duration(options.get("duration") or DEFAULT_DURATION)
        description = parse_description(str(options.get("description") or ""))
        ping = ping_option(ctx, options.get("ping"))
        hosts = (
            await resolve_hosts(ctx, str(options["hosts"]))
            if options.get("hosts")
            else [ctx.member]
        )
    except (ChatInputError, TimezoneError) as error:
        return reply(input_error(error, options["schedule"]))
    scope = str(options.get("scope") or "community").strip().casefold()
    if scope not in ("community", "network"):
        return reply(
            tr(
                "“{typed}” is not a scope: use `scope=network` for a chat every affiliate of "
                "your network holds, or leave it out for your community's own chat.",
                typed=quote(scope, 20),
            )
        )
    network_id: int | None = None
    if scope == "network":
        network = await stewarded_network(
            ctx,
            reply(tr("Your community is in no network, so there is no network chat to create.")),
            lambda n: tr("Only the network's stewards can create a network chat."),
        )
        if isinstance(network, list):
            return network
        network_id = network.id
        clash = await chats_network.network_clash(ctx, network, hashtag)
        if clash:
            return reply(clash)
    elif clash := await chats_network.community_clash(ctx, hashtag):
        return reply(clash)
    if await ctx.store.chats.find(ctx.community.id, hashtag):
        return reply(
            tr(
                "There is already a chat #{hashtag}. Pick another hashtag, or `{command}` first.",
                hashtag=hashtag,
                command=f"{ctx.prefix}chat cancel {hashtag}",
            )
        )
    notes = problems(schedule, now)
    first = next_occurrence(schedule, now)
    if first is None:
        return reply(notes[0] if notes else tr("That chat would never happen."))
    series = await ctx.store.chats.create(
        ctx.community.id,
        hashtag,
        title,
        str(options["channel"]),
        schedule,
        duration,
        first.start,
        ctx.member.id,
        now,
        description=description,
        ping_role=ping,
        network_id=network_id,
    )
    await ctx.store.chats.set_hosts(series.id, [h.id for h in hosts])
    await chat_jobs.schedule_occurrence(ctx.store, series, now)
    lines = [
        tr(
            "Created **#{hashtag}: {title}** in {channel}, {schedule}, {minutes} minutes.",
            hashtag=hashtag,
            title=quote(title, 120),
            channel=ctx.platform.mention_channel(series.channel_id),
            schedule=schedule.describe(),
            minutes=series.duration_minutes,
        ),
        tr(
            "First chat: {when} ({zone}).",
            when=full_datetime(first.local),
            zone=describe_zone(timezone),
        ),
        tr("Hosted by {names}.", names=names(ctx.platform, hosts)),
    ]
    if zone.note:
        lines.append(zone.note)
    if description:
        lines.append(tr("About: {description}", description=quote(description, MAX_DESCRIPTION)))
    if ping:
        lines.append(
            tr(
                "I'll ping {whom} at the start and 15 minutes before.",
                whom=describe_ping(ping),
            )
        )
    if notes:
        lines += ["", *heads_up(notes)]
    if network_id is not None:
        lines.append(
            tr(
                "A network chat: every affiliate holds it in its own room, messages relayed "
                "between them. Each affiliate's moderators choose it with `{command}` "
                "(default: their welcome channel).",
                command=f"{ctx.prefix}chat room {hashtag} <channel>",
            )
        )
    lines.append(
        tr(
            "Members can get reminders with `{command}`.",
            command=f"{ctx.prefix}chat subscribe {hashtag}",
        )
    )
    published = await calendar_sync.calendar_actions(ctx.store, series, now)
    return [*reply("\n".join(lines), ephemeral=False, moments=(first.start,)), *published]


async def _where(ctx: Context, series: ChatSeries) -> str:
    """Where this community holds the chat (a network chat: its own room, marked)."""
    room = await chats_network.room_for(ctx.store, series, ctx.community)
    place = ctx.platform.mention_channel(room) if room else tr("no room chosen yet")
    if series.network_id is not None:
        return tr("{place} (network chat)", place=place)
    return place


async def _line(ctx: Context, series: ChatSeries, zone: str | None) -> str:
    when = (
        chat_jobs.when_for(series.next_start, zone, series.schedule.timezone)
        if series.next_start
        else tr("no upcoming chat")
    )
    return tr(
        "• **#{hashtag}**: {title} — {when}, in {place}",
        hashtag=series.hashtag,
        title=quote(series.title, 120),
        when=when,
        place=await _where(ctx, series),
    )


@handles("chat", "list")
async def list_chats(ctx: Context, options: dict[str, Any]) -> list[Action]:
    chats = await chats_visibility.visible(ctx, await chats_network.all_series(ctx))
    if not chats:
        return reply(tr("There are no chats planned yet."))
    lines = [tr("**Chats**")]
    for series in chats:
        if series.community_id == ctx.community.id:
            hosted = await hosts_line(ctx.store, ctx.platform, series) or tr(
                "No host at the moment."
            )
        else:  # hosts on another affiliate (perhaps platform): their mention means nothing here
            hosted = tr("Hosted by the network.")
        lines.append(
            tr(
                "• **#{hashtag}**: {title} — {schedule}, {minutes} min, in {place}. {hosts}",
                hashtag=series.hashtag,
                title=quote(series.title, 120),
                schedule=series.schedule.describe(),
                minutes=series.duration_minutes,
                place=await _where(ctx, series),
                hosts=hosted,
            )
        )
        if series.description:
            lines.append(f"  {quote(series.description, LIST_DESCRIPTION)}")
    lines.append(
        tr("`{command}` shows the coming ones in your time zone.", command=f"{ctx.prefix}chat next")
    )
    return reply("\n".join(lines))


@handles("chat", "next")
async def upcoming(ctx: Context, options: dict[str, Any]) -> list[Action]:
    now = ctx.clock.now()
    chats = [
        s
        for s in await chats_visibility.visible(ctx, await chats_network.all_series(ctx))
        if s.next_start and s.next_start > now
    ][:UPCOMING_LIMIT]
    if not chats:
        return reply(tr("No chats are coming up."))
    zone = ctx.member.timezone
    lines = [
        tr("**Coming up** (your time, {zone})", zone=describe_zone(zone))
        if zone
        else tr("**Coming up**")
    ]
    lines += [await _line(ctx, s, zone) for s in chats]
    if zone is None:
        lines.append(
            tr(
                "Times are in each chat's own zone: set yours with `{command}`.",
                command=f"{ctx.prefix}profile edit timezone",
            )
        )
    return reply("\n".join(lines))


@handles("chat", "cancel")
async def cancel(ctx: Context, options: dict[str, Any]) -> list[Action]:
    found = await managed_series(ctx, options)
    if isinstance(found, str):
        return reply(found)
    await ctx.store.chats.cancel(found.id)
    removed = await calendar_sync.calendar_actions(ctx.store, found, ctx.clock.now())
    return [
        *reply(
            tr(
                "Cancelled **#{hashtag}**: no more chats or reminders for it.",
                hashtag=found.hashtag,
            ),
            ephemeral=False,
        ),
        *removed,
    ]


@handles("chat", "skip-next")
async def skip_next(ctx: Context, options: dict[str, Any]) -> list[Action]:
    found = await managed_series(ctx, options)
    if isinstance(found, str):
        return reply(found)
    if found.next_start is None:
        return reply(tr("#{hashtag} has no upcoming chat to skip.", hashtag=found.hashtag))
    now = ctx.clock.now()
    zone = found.schedule.zone
    skipped_day = found.next_start.astimezone(zone).date()
    skipped = chat_jobs.skip_dates(found, skipped_day)
    following = (
        next_occurrence(found.schedule, found.next_start, skipped)
        if found.schedule.kind != "once"
        else None
    )
    if following is None:
        return reply(
            tr(
                "#{hashtag} has only that one chat: use `{command}` instead.",
                hashtag=found.hashtag,
                command=f"{ctx.prefix}chat cancel {found.hashtag}",
            )
        )
    await ctx.store.chats.set_skipped(found.id, skipped)
    await ctx.store.chats.advance(found.id, found.schedule, following.start)
    fresh = await ctx.store.chats.get(found.id)
    assert fresh is not None
    await chat_jobs.schedule_occurrence(ctx.store, fresh, now)
    moved = await calendar_sync.calendar_actions(ctx.store, fresh, now)
    return [
        *reply(
            tr(
                "Skipped #{hashtag} on {day}. The next one is {when} ({zone}).",
                hashtag=found.hashtag,
                day=weekday_day_month(skipped_day),
                when=full_datetime(following.local),
                zone=describe_zone(found.schedule.timezone),
            ),
            ephemeral=False,
            moments=(following.start,),
        ),
        *moved,
    ]


async def _visible_series(ctx: Context, options: dict[str, Any]) -> ChatSeries | str:
    """`find_series`, answering "no such chat" for one the member may not see (so a private
    channel's chat does not even show it exists)."""
    found = await find_series(ctx, options)
    if isinstance(found, ChatSeries) and not await chats_visibility.can_see(ctx, found):
        return no_such_chat(ctx, found.hashtag)
    return found


@handles("chat", "subscribe")
async def subscribe(ctx: Context, options: dict[str, Any]) -> list[Action]:
    found = await _visible_series(ctx, options)
    if isinstance(found, str):
        return reply(found)
    try:
        leads = parse_leads(options.get("lead_times"))
    except ChatInputError as error:
        return reply(str(error))
    now = ctx.clock.now()
    await ctx.store.chats.subscribe(found.id, ctx.member.id, leads, now)
    subscription = await ctx.store.chats.subscription(found.id, ctx.member.id)
    assert subscription is not None
    await chat_jobs.schedule_member_reminders(ctx.store, found, subscription, now)
    lines = [
        tr(
            "You'll get a reminder {leads} before each **#{hashtag}** chat.",
            leads=leads_text(leads),
            hashtag=found.hashtag,
        )
    ]
    if found.next_start:
        when = chat_jobs.when_for(found.next_start, ctx.member.timezone, found.schedule.timezone)
        lines.append(tr("Next one: {when}.", when=when))
    return reply("\n".join(lines), moments=(found.next_start,))


@handles("chat", "unsubscribe")
async def unsubscribe(ctx: Context, options: dict[str, Any]) -> list[Action]:
    found = await find_series(ctx, options)
    if isinstance(found, str):
        return reply(found)
    if not await ctx.store.chats.unsubscribe(found.id, ctx.member.id):
        return reply(tr("You weren't subscribed to #{hashtag}.", hashtag=found.hashtag))
    return reply(tr("No more reminders for #{hashtag}.", hashtag=found.hashtag))


@handles("chat", "calendar")
async def calendar(ctx: Context, options: dict[str, Any]) -> list[Action]:
    found = await _visible_series(ctx, options)
    if isinstance(found, str):
        return reply(found)
    if found.next_start is None:
        return reply(
            tr("#{hashtag} has no upcoming chat to add to a calendar.", hashtag=found.hashtag)
        )
    if not plannable(found.next_start, ctx.clock.now()):
        return reply(
            tr(
                "#{hashtag}'s next chat is stored for {date}, outside the five years I can put "
                "in a calendar. A moderator can fix it with `{edit}` or `{cancel}`.",
                hashtag=found.hashtag,
                date=day_month_year(found.next_start),
                edit=f"{ctx.prefix}chat edit {found.hashtag} schedule=…",
                cancel=f"{ctx.prefix}chat cancel {found.hashtag}",
            )
        )
    with use_language(community_language(ctx.community)):  # the file its calendar shows
        ics = chat_calendar.calendar(found, found.schedule.describe(), ctx.clock.now())
    name = safe_filename(found.hashtag, "ics")
    return reply(
        tr(
            "**#{hashtag}** for your calendar: open the attached `{file}` (or import it in "
            "Google Calendar, Outlook or Apple Calendar) to add every upcoming chat. It keeps "
            "the chat's local time across clock changes.",
            hashtag=found.hashtag,
            file=name,
        ),
        attachment=Attachment(name, ics.encode(), "text/calendar"),
    )


async def stats_line(ctx: Context) -> str:
    """The chats' line in `/stats`: live series, reminder subscriptions, the last chat held."""
    summary = await ctx.store.chat_runs.community_summary(ctx.community.id)
    if summary.last is None:
        return tr(
            "• Chats: {series} series, {subscriptions} reminder subscription(s); none held yet",
            series=summary.active_series,
            subscriptions=summary.subscriptions,
        )
    last = summary.last
    return tr(
        "• Chats: {series} series, {subscriptions} reminder subscription(s); the last, "
        "#{hashtag} on {day}: {participants} participant(s), {messages} message(s)",
        series=summary.active_series,
        subscriptions=summary.subscriptions,
        hashtag=last.hashtag,
        day=short_day(last.started_at),
        participants=last.participants,
        messages=last.messages,
    )
