"""Native calendars (issue #15): a chat series' next chat in the platform's own calendar.

Each series has one calendar entry per community it appears in (every affiliate, for a network
chat), keyed "chat:<series id>": a
Guild Scheduled Event on Discord, the `.ics` pinned in the chat's room on Matrix. The entry
always shows the NEXT chat only (a scheduled event is one occurrence), so it is published
again whenever what it shows changes: on create, on an edit, on skip-next, on cancel (removed)
and when a chat starts (it moves on to the following one). Handlers return these actions with
their own, so the outbox delivers them after the commit like any other; a platform that refuses
(e.g. no Manage Events) is reported once per failed publish in the moderator log by delivery and
never blocks the command that caused it.

Members who mark a Discord event "Interested" are offered reminders: see `chats.interested`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from communitybot.chats import calendar as chat_calendar
from communitybot.chats import network as chat_network
from communitybot.chats.schedule import plannable
from communitybot.i18n import tr, use_language
from communitybot.i18n.choice import community_language
from communitybot.models import Community
from communitybot.replies import (
    Action,
    Attachment,
    CalendarEntry,
    PublishCalendar,
    safe_filename,
)
from communitybot.store.chats import ChatSeries
from communitybot.store.store import Store
from communitybot.text import neutralize_mass_mentions

KEY_PREFIX = "chat:"


def calendar_key(series_id: int) -> str:
    return f"{KEY_PREFIX}{series_id}"


async def communities_of(store: Store, series: ChatSeries) -> list[tuple[Community, str]]:
    """Every community the series appears in, with the channel it is held in there (each
    gets its own calendar entry, in its own language): its own community; for a network chat
    every affiliate of the network, in the room that affiliate holds it in (an affiliate
    without one: none)."""
    community = await store.communities.get_by_id(series.community_id)
    found = [(community, series.channel_id)] if community is not None else []
    if series.network_id is None:
        return found
    for community_id, _ in await store.networks.affiliate_refs(series.network_id):
        if community_id == series.community_id:
            continue
        affiliate = await store.communities.get_by_id(community_id)
        room = await chat_network.room_for(store, series, affiliate) if affiliate else None
        if affiliate is not None and room:
            found.append((affiliate, room))
    return found


def _description(series: ChatSeries) -> str:
    about = series.description.strip() if series.description else ""
    schedule = series.schedule.describe()
    when = tr(
        "{schedule}, {minutes} minutes.",
        schedule=f"{schedule[:1].upper()}{schedule[1:]}",
        minutes=series.duration_minutes,
    )
    return neutralize_mass_mentions(f"{about}\n\n{when}" if about else when)


def entry_for(series: ChatSeries, now: datetime) -> CalendarEntry | None:
    """The series' next chat as a calendar entry; None when there is none to show (cancelled,
    ended, or stored outside the years a calendar can hold)."""
    start = series.next_start
    if series.status != "active" or start is None or not plannable(start, now):
        return None
    start = start.astimezone(UTC)
    ics = chat_calendar.calendar(series, series.schedule.describe(), now)
    return CalendarEntry(
        title=neutralize_mass_mentions(f"#{series.hashtag}: {series.title}"),
        description=_description(series),
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(minutes=series.duration_minutes)).isoformat(),
        channel_id=series.channel_id,
        ics=Attachment(safe_filename(series.hashtag, "ics"), ics.encode(), "text/calendar"),
    )


async def calendar_actions(store: Store, series: ChatSeries, now: datetime) -> list[Action]:
    """Publish (or remove) the series' entry in every community it appears in.

    `series` is read again, so a caller may pass the row it had before its own change.
    """
    fresh = await store.chats.get(series.id) or series
    key = calendar_key(fresh.id)
    actions: list[Action] = []
    entries: dict[str, CalendarEntry | None] = {}  # one per language: the .ics costs a little
    for community, room in await communities_of(store, fresh):
        language = community_language(community)  # its members read the entry
        if language not in entries:
            with use_language(language):
                entries[language] = entry_for(fresh, now)
        entry = entries[language]
        actions.append(
            PublishCalendar(community.ref, key, replace(entry, channel_id=room) if entry else None)
        )
    return actions
