"""What moderators and members type for chats, turned into values (or a friendly error).

Separate from the handlers so the grammar ("weekly tuesday", "every 2 weeks thu", "monthly 2nd
tuesday", "once 2027-03-14", lead times "24h 15m") is tested on its own and reads in one place.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from communitybot.chat_schedule import (
    WEEKDAYS,
    Schedule,
    ScheduleError,
    monthly,
    next_occurrence,
    once,
    reanchored,
    resolve,
    weekly,
)
from communitybot.text import quote

DEFAULT_LEADS = (24 * 60, 15)
MIN_LEAD = 1
MAX_LEAD = 7 * 24 * 60
MAX_LEADS = 4
_HASHTAG = re.compile(r"[a-z0-9][a-z0-9_-]{1,31}")
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_LEAD = re.compile(r"(\d{1,6})\s*(m|min|mins|minutes?|h|hours?|d|days?)")
_ORDINALS = {
    "1st": 1,
    "first": 1,
    "2nd": 2,
    "second": 2,
    "3rd": 3,
    "third": 3,
    "4th": 4,
    "fourth": 4,
    "5th": 5,
    "fifth": 5,
    "last": -1,
}
SCHEDULE_HELP = (
    "Schedules look like `weekly tuesday`, `every 2 weeks thursday`, `monthly 2nd tuesday` "
    "or `once 2027-03-14`."
)


class ChatInputError(ValueError):
    """A friendly sentence saying what is wrong with what was typed."""


def parse_hashtag(raw: str) -> str:
    """`#EngChat` → `engchat` (2–32 letters, digits, - or _)."""
    tag = raw.strip().lstrip("#").casefold()
    if not _HASHTAG.fullmatch(tag):
        raise ChatInputError(
            f"“{quote(raw, 40)}” is not a hashtag I can use: 2 to 32 letters, digits, - or _, "
            "like `engchat`."
        )
    return tag


def parse_time(raw: str) -> time:
    match = _TIME.fullmatch(raw.strip())
    if match:
        hours, minutes = int(match[1]), int(match[2])
        if hours < 24 and minutes < 60:
            return time(hours, minutes)
    raise ChatInputError(f"“{quote(raw, 20)}” is not a time: use 24-hour HH:MM, like `19:00`.")


def _weekday(raw: str) -> int:
    word = raw.casefold().rstrip("s")  # "tuesdays"
    if len(word) >= 3:
        for index, name in enumerate(WEEKDAYS):
            if name.startswith(word):
                return index
    raise ChatInputError(f"“{quote(raw, 20)}” is not a weekday. {SCHEDULE_HELP}")


def parse_schedule(raw: str, timezone: str, at: time, now: datetime) -> Schedule:
    """The schedule typed, anchored at its first occurrence after `now`.

    Raises ChatInputError for anything unreadable, and for a one-off date already past.
    """
    words = [w for w in raw.casefold().replace(",", " ").split() if w != "on"]
    try:
        schedule = _schedule(words, timezone, at, now)
    except ScheduleError as error:
        raise ChatInputError(str(error)) from error
    if schedule.kind != "once":
        first = next_occurrence(schedule, now)
        if first is None:  # pragma: no cover - recurring rules always have a next one
            raise ChatInputError("That schedule never happens.")
        schedule = reanchored(schedule, first)
    return schedule


def _schedule(words: list[str], timezone: str, at: time, now: datetime) -> Schedule:
    if len(words) == 2 and words[0] == "weekly":
        return weekly(timezone, at, _first_day(_weekday(words[1]), timezone, at, now))
    if len(words) == 4 and words[0] == "every" and words[2] in ("weeks", "week"):
        if not words[1].isdigit():
            raise ChatInputError(f"“{quote(words[1], 10)}” is not a number. {SCHEDULE_HELP}")
        day = _weekday(words[3])
        return weekly(timezone, at, _first_day(day, timezone, at, now), int(words[1]))
    if len(words) == 3 and words[0] == "monthly":
        nth = _ORDINALS.get(words[1])
        if nth is None:
            raise ChatInputError("Say which one: 1st, 2nd, 3rd, 4th, 5th or last.")
        zone = Schedule("once", timezone, at, now.date()).zone
        local_today = now.astimezone(zone).date()
        return monthly(timezone, at, nth, _weekday(words[2]), local_today)
    if len(words) == 2 and words[0] == "once":
        try:
            on = date.fromisoformat(words[1])
        except ValueError:
            raise ChatInputError(
                f"“{quote(words[1], 20)}” is not a date: use YYYY-MM-DD, like `2027-03-14`."
            ) from None
        return once(timezone, at, on)
    raise ChatInputError(f"I can't read that schedule. {SCHEDULE_HELP}")


def _first_day(day: int, timezone: str, at: time, now: datetime) -> date:
    """The first date on weekday `day` whose chat (at local `at`) is still ahead."""
    zone = Schedule("once", timezone, at, now.date()).zone
    today = now.astimezone(zone).date()
    first = today + timedelta(days=(day - today.weekday()) % 7)
    if resolve(datetime.combine(first, at), zone).start <= now:
        first += timedelta(days=7)
    return first


def parse_leads(raw: str | None) -> tuple[int, ...]:
    """Lead times in minutes, longest first: "24h 15m", "1d, 30min" (default: 24 h and 15 min)."""
    text = (raw or "").strip().casefold()
    if not text:
        return DEFAULT_LEADS
    parts = [p for p in re.split(r"[,\s]+(?=\d)", text.replace(" and ", ",")) if p.strip(", ")]
    leads: set[int] = set()
    for part in parts:
        match = _LEAD.fullmatch(part.strip(", "))
        if match is None:
            raise ChatInputError(
                f"“{quote(part, 20)}” is not a lead time: use e.g. `24h`, `15m` or `2d`."
            )
        amount, unit = int(match[1]), match[2][0]
        minutes = amount * {"m": 1, "h": 60, "d": 24 * 60}[unit]
        if not MIN_LEAD <= minutes <= MAX_LEAD:
            raise ChatInputError(
                f"“{quote(part, 20)}” is too {'short' if minutes < MIN_LEAD else 'long'}: "
                "reminders can come from 1 minute to 7 days before a chat."
            )
        leads.add(minutes)
    if len(leads) > MAX_LEADS:
        raise ChatInputError(f"Choose at most {MAX_LEADS} reminder times.")
    return tuple(sorted(leads, reverse=True))


def describe_lead(minutes: int) -> str:
    """1440 → "24 hours", 90 → "1 h 30 min", 15 → "15 minutes"."""
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{minutes // 60} h {minutes % 60} min"
