"""`/chat calendar`: a chat series as an iCalendar (.ics, RFC 5545) text members can import.

The event repeats in the chat's own time zone (DTSTART;TZID=… with an RRULE), so calendars keep
19:00 local across DST changes exactly like the bot does; a UTC start would drift by an hour. The
VTIMEZONE the standard asks for is generated from zoneinfo: one observance per offset change in
the coming years (or a single fixed one for zones without DST).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from communitybot.chats.schedule import WEEKDAYS
from communitybot.store.chats import ChatSeries

YEARS_OF_TRANSITIONS = 3
_BYDAY = [name[:2].upper() for name in WEEKDAYS]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets (UTF-8) continue on lines starting with a space."""
    parts: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            parts.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    return [*parts, current]


def _local(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta(0)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{rest:02d}"


def transitions(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """UTC moments in [start, end) where the zone's offset changes (found to the second)."""
    found: list[datetime] = []
    day = timedelta(days=1)
    moment = start
    while moment < end:
        later = moment + day
        if moment.astimezone(zone).utcoffset() != later.astimezone(zone).utcoffset():
            low, high = moment, later
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high.replace(microsecond=0))
        moment = later
    return found


def _yearly_rule(onset: datetime) -> str:
    """The onset's date as "the nth (or last) weekday of its month", as a yearly RRULE."""
    last = (onset + timedelta(days=7)).month != onset.month
    nth = -1 if last else (onset.day - 1) // 7 + 1
    return f"RRULE:FREQ=YEARLY;BYMONTH={onset.month};BYDAY={nth}{_BYDAY[onset.weekday()]}"


def _predicts(rule: str, onset: datetime, actual: datetime) -> bool:
    """Whether `rule` from `onset` lands on `actual` a year later (DST rules mostly do)."""
    parsed = rrulestr(rule.removeprefix("RRULE:"), dtstart=onset)
    following = parsed.after(onset)
    return following == actual


def _observance(zone: ZoneInfo, change: datetime, rule: str | None) -> list[str]:
    before = (change - timedelta(seconds=1)).astimezone(zone)
    after = change.astimezone(zone)
    kind = "DAYLIGHT" if after.dst() else "STANDARD"
    lines = [
        f"BEGIN:{kind}",
        f"DTSTART:{_local(_onset(zone, change))}",
        f"TZOFFSETFROM:{_offset(before.utcoffset())}",
        f"TZOFFSETTO:{_offset(after.utcoffset())}",
        f"TZNAME:{after.tzname()}",
    ]
    return [*lines, *([rule] if rule else []), f"END:{kind}"]


def _onset(zone: ZoneInfo, change: datetime) -> datetime:
    """The change as local wall time read with the offset in force before it (RFC 5545)."""
    before = (change - timedelta(seconds=1)).astimezone(zone)
    return (change + (before.utcoffset() or timedelta(0))).replace(tzinfo=None)


def _vtimezone(zone: ZoneInfo, start: datetime) -> list[str]:
    """Compact when the zone's changes repeat as "nth weekday of a month" (nearly all do): one
    observance per change with a yearly rule; otherwise each change of the coming years."""
    lines = ["BEGIN:VTIMEZONE", f"TZID:{zone.key}"]
    changes = transitions(zone, start, start + timedelta(days=366 * YEARS_OF_TRANSITIONS))
    if not changes:
        here = start.astimezone(zone)
        return [
            *lines,
            "BEGIN:STANDARD",
            "DTSTART:19700101T000000",
            f"TZOFFSETFROM:{_offset(here.utcoffset())}",
            f"TZOFFSETTO:{_offset(here.utcoffset())}",
            f"TZNAME:{here.tzname()}",
            "END:STANDARD",
            "END:VTIMEZONE",
        ]
    onsets = [_onset(zone, c) for c in changes]
    per_year = sum(1 for c in changes if c < changes[0] + timedelta(days=360))
    rules = [_yearly_rule(o) for o in onsets[:per_year]]
    if per_year < len(changes) and all(
        _predicts(rule, onsets[i], onsets[i + per_year])
        for i, rule in enumerate(rules)
        if i + per_year < len(onsets)
    ):
        for change, rule in zip(changes[:per_year], rules, strict=True):
            lines += _observance(zone, change, rule)
    else:
        for change in changes:
            lines += _observance(zone, change, None)
    return [*lines, "END:VTIMEZONE"]


def rrule_line(series: ChatSeries) -> str | None:
    """The RRULE for the series (None for a one-off)."""
    schedule = series.schedule
    day = _BYDAY[schedule.weekday]
    if schedule.kind == "weekly":
        interval = f";INTERVAL={schedule.interval}" if schedule.interval > 1 else ""
        return f"RRULE:FREQ=WEEKLY{interval};BYDAY={day}"
    if schedule.kind == "monthly":
        return f"RRULE:FREQ=MONTHLY;BYDAY={schedule.nth or 1}{day}"
    return None


def _about(series: ChatSeries, schedule_text: str) -> str:
    return (
        f"{series.description.strip()}\n\n{schedule_text}".replace("\r\n", "\n").replace("\r", "\n")
        if series.description
        else schedule_text
    )


def calendar(series: ChatSeries, description: str, now: datetime) -> str:
    """The series from its next chat on, as .ics text (CRLF line ends, as RFC 5545 says).

    The event's DESCRIPTION is the series' own description (if any), then `description` (the
    schedule in words).
    """
    assert series.next_start is not None
    zone = series.schedule.zone
    first = series.next_start.astimezone(zone)
    tzid = f"TZID={zone.key}"
    event = [
        "BEGIN:VEVENT",
        f"UID:chat-{series.id}-{series.hashtag}@communitybot",
        f"DTSTAMP:{now.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"DTSTART;{tzid}:{_local(first)}",
        f"DURATION:PT{series.duration_minutes}M",
        f"SUMMARY:{_escape(f'#{series.hashtag}: {series.title}')}",
        f"DESCRIPTION:{_escape(_about(series, description))}",
    ]
    rule = rrule_line(series)
    if rule:
        event.append(rule)
        skipped = [d for d in series.skipped if d > first.date()]
        if skipped:
            dates = ",".join(
                _local(datetime.combine(d, series.schedule.local_time)) for d in skipped
            )
            event.append(f"EXDATE;{tzid}:{dates}")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//communitybot//chats//EN",
        "CALSCALE:GREGORIAN",
        # Observances from a year before the first chat, so its own offset is already defined.
        *_vtimezone(zone, series.next_start.astimezone(UTC) - timedelta(days=366)),
        *event,
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(folded for line in lines for folded in _fold(line)) + "\r\n"
