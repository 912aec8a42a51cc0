"""`/chat edit`: change a series' details, timing, hosts or ping — all checked before any change.

Moderators may change everything; a series' hosts may change its title and description. A new
schedule, time or time zone recomputes the next chat; its start job and every subscriber's
reminders are scheduled for the new moment, while the old moment's jobs find the series holding
another next chat and do nothing (`chats.jobs._current`), so no reminder goes out for the old
time. The same parsers as `/chat create` are used, so errors read the same.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from communitybot.chats import calendar_sync
from communitybot.chats import jobs as chat_jobs
from communitybot.chats.details import (
    describe_ping,
    input_error,
    managed_series,
    ping_option,
)
from communitybot.chats.hosts import names, resolve_hosts
from communitybot.chats.input import (
    ChatInputError,
    parse_description,
    parse_duration,
    parse_schedule,
    parse_time,
    parse_title,
)
from communitybot.chats.schedule import (
    Occurrence,
    Schedule,
    heads_up,
    next_occurrence,
    problems,
    reanchored,
)
from communitybot.context import Context
from communitybot.feature import handles
from communitybot.i18n import tr
from communitybot.i18n.dates import full_datetime
from communitybot.models import Member
from communitybot.replies import Action, reply
from communitybot.store.chats import ChatSeries
from communitybot.text import quote
from communitybot.timezones import TimezoneError, describe_zone, parse_timezone, read_timezone

HOST_FIELDS = frozenset({"title", "description"})
SHOWN_IN_CALENDAR = frozenset(
    {"title", "description", "channel", "schedule", "time", "timezone", "duration"}
)
"""What the series' calendar entry shows: changing any of it publishes the entry again."""
TIMING_FIELDS = frozenset({"schedule", "time", "timezone"})
FIELDS = (
    "title",
    "description",
    "channel",
    "schedule",
    "time",
    "timezone",
    "duration",
    "hosts",
    "ping",
    "no_ping",
)


@dataclass(frozen=True)
class _Edit:
    """A validated edit: the series as it will be, plus what the reply must mention."""

    series: ChatSeries
    hosts: list[Member] | None
    """The new hosts, or None when they are not being changed."""
    next_chat: Occurrence | None
    """The recomputed next chat, when the timing changed."""
    notes: list[str]


def _given(options: dict[str, Any]) -> set[str]:
    given = {f for f in FIELDS if options.get(f) not in (None, "")}
    if options.get("no_ping") is False:
        given.discard("no_ping")
    return given


@handles("chat", "edit")
async def edit(ctx: Context, options: dict[str, Any]) -> list[Action]:
    found = await managed_series(ctx, options)
    if isinstance(found, str):
        return reply(found)
    given = _given(options)
    if not given:
        return reply(
            tr(
                "Nothing to change: give at least one of {fields}, e.g. `{command}`.",
                fields=", ".join(f"`{f}`" for f in FIELDS),
                command=f"{ctx.prefix}chat edit {found.hashtag} time=18:30",
            )
        )
    refusal = await _refusal(ctx, found, given)
    if refusal:
        return reply(refusal)
    try:
        change = await _validated(ctx, found, options, given)
    except (ChatInputError, TimezoneError) as error:
        return reply(input_error(error, options.get("schedule")))
    old_hosts = await ctx.store.chats.present_hosts(found.id)
    every_host = await ctx.store.chats.hosts(found.id)
    lines = _summary(ctx, found, change, old_hosts, every_host)
    if not lines:
        return reply(
            tr("Nothing changed: #{hashtag} already has those details.", hashtag=found.hashtag)
        )
    await ctx.store.chats.save_details(change.series)
    if change.hosts is not None:
        await ctx.store.chats.set_hosts(found.id, [h.id for h in change.hosts])
    fresh = await ctx.store.chats.get(found.id)
    assert fresh is not None
    # Idempotent: the next chat's jobs already scheduled stay; new ones (time, ping) are added.
    await chat_jobs.schedule_occurrence(ctx.store, fresh, ctx.clock.now())
    text = "\n".join(
        [tr("Updated **#{hashtag}**:", hashtag=found.hashtag), *(f"• {line}" for line in lines)]
    )
    if "timezone" in given:
        note = read_timezone(str(options["timezone"]), ctx.clock.now()).note
        text += f"\n{note}" if note else ""
    if change.notes:
        text += "\n\n" + "\n".join(heads_up(change.notes))
    shown = given & SHOWN_IN_CALENDAR
    published = await calendar_sync.calendar_actions(ctx.store, fresh, ctx.clock.now())
    return [*reply(text, ephemeral=False), *(published if shown else [])]


async def _refusal(ctx: Context, series: ChatSeries, given: set[str]) -> str | None:
    """Why this member may not make this edit (None: they may)."""
    if ctx.is_moderator:
        return None
    hosts = await ctx.store.chats.present_hosts(series.id)
    if ctx.member.id not in {h.id for h in hosts}:
        return tr(
            "Only moderators and the hosts of #{hashtag} can edit it.", hashtag=series.hashtag
        )
    barred = sorted(given - HOST_FIELDS)
    if barred:
        return tr(
            "As a host of #{hashtag} you can change its title and description; ask a moderator "
            "to change {fields}.",
            hashtag=series.hashtag,
            fields=", ".join(f"`{b}`" for b in barred),
        )
    return None


async def _validated(
    ctx: Context, series: ChatSeries, options: dict[str, Any], given: set[str]
) -> _Edit:
    """Every given option checked (raising ChatInputError / TimezoneError), nothing stored."""
    if "ping" in given and "no_ping" in given:
        raise ChatInputError(tr("Give either `ping` or `no_ping`, not both."))
    updated = series
    if "title" in given:
        updated = replace(updated, title=parse_title(str(options["title"])))
    if "description" in given:
        updated = replace(updated, description=parse_description(str(options["description"])))
    if "channel" in given:
        updated = replace(updated, channel_id=str(options["channel"]).strip())
    if "duration" in given:
        updated = replace(updated, duration_minutes=parse_duration(options["duration"]))
    if "ping" in given:
        updated = replace(updated, ping_role=ping_option(ctx, options["ping"]))
    if "no_ping" in given:
        updated = replace(updated, ping_role=None)
    hosts = await resolve_hosts(ctx, str(options["hosts"])) if "hosts" in given else None
    next_chat: Occurrence | None = None
    notes: list[str] = []
    if given & TIMING_FIELDS:
        schedule, next_chat, notes = _retimed(ctx, series, options, given)
        updated = replace(updated, schedule=schedule, next_start=next_chat.start)
    return _Edit(updated, hosts, next_chat, notes)


def _retimed(
    ctx: Context, series: ChatSeries, options: dict[str, Any], given: set[str]
) -> tuple[Schedule, Occurrence, list[str]]:
    """The new schedule anchored at its next chat, that chat, and the DST notes to pass on."""
    now = ctx.clock.now()
    old = series.schedule
    zone = parse_timezone(str(options["timezone"]), now) if "timezone" in given else old.timezone
    at = parse_time(str(options["time"])) if "time" in given else old.local_time
    if "schedule" in given:
        schedule = parse_schedule(str(options["schedule"]), zone, at, now)
    else:
        schedule = replace(old, timezone=zone, local_time=at)
    notes = problems(schedule, now)
    skip = (*series.skipped, *_held_day(series))
    following = next_occurrence(schedule, now, skip)
    if following is None:
        raise ChatInputError(
            notes[0] if notes else tr("With that change the chat would never happen.")
        )
    return reanchored(schedule, following), following, notes


def _held_day(series: ChatSeries) -> tuple[date, ...]:
    """The local day of the chat last held, if the anchor is one (a series gets one chat a day:
    moving today's finished chat to a later hour must not hold it a second time)."""
    if series.next_start is None:
        return ()
    upcoming_day = series.next_start.astimezone(series.schedule.zone).date()
    return (series.schedule.anchor,) if series.schedule.anchor != upcoming_day else ()


def _summary(
    ctx: Context, old: ChatSeries, change: _Edit, old_hosts: list[Member], every_host: list[int]
) -> list[str]:
    """One line per detail that actually changes (empty: the edit changes nothing)."""
    new = change.series
    lines: list[str] = []
    if new.title != old.title:
        lines.append(
            tr(
                "Title: {old} → **{new}**",
                old=quote(old.title, 120),
                new=quote(new.title, 120),
            )
        )
    if new.description != old.description:
        lines.append(
            tr("Description: {description}", description=quote(new.description, 200))
            if new.description
            else tr("Description: removed")
        )
    if new.channel_id != old.channel_id:
        mention = ctx.platform.mention_channel
        lines.append(
            tr("Channel: {old} → {new}", old=mention(old.channel_id), new=mention(new.channel_id))
        )
    if new.schedule != old.schedule or new.next_start != old.next_start:
        if new.schedule.describe() != old.schedule.describe():
            lines.append(
                tr(
                    "Schedule: {old} → {new}",
                    old=old.schedule.describe(),
                    new=new.schedule.describe(),
                )
            )
        if change.next_chat is not None and new.next_start != old.next_start:
            lines.append(
                tr(
                    "Next chat: {when} ({zone}); subscribers' reminders move with it.",
                    when=_when(change.next_chat),
                    zone=describe_zone(new.schedule.timezone),
                )
            )
    if new.duration_minutes != old.duration_minutes:
        lines.append(
            tr(
                "Duration: {old} → {new} minutes",
                old=old.duration_minutes,
                new=new.duration_minutes,
            )
        )
    if change.hosts is not None and sorted(h.id for h in change.hosts) != sorted(every_host):
        before = names(ctx.platform, old_hosts) or tr("nobody")
        lines.append(tr("Hosts: {old} → {new}", old=before, new=names(ctx.platform, change.hosts)))
    if new.ping_role != old.ping_role:
        lines.append(
            tr(
                "Ping: {whom} at the start and 15 minutes before",
                whom=describe_ping(new.ping_role),
            )
            if new.ping_role
            else tr("Ping: {whom}", whom=describe_ping(new.ping_role))
        )
    return lines


def _when(occurrence: Occurrence) -> str:
    moment: datetime = occurrence.local
    return full_datetime(moment)
