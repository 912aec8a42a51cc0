"""What moderators and members type for chats, turned into values (or a friendly error).

Separate from the handlers so the grammar ("weekly tuesday", "every 2 weeks thu", "monthly 2nd
tuesday", "once 2027-03-14", lead times "24h 15m") is tested on its own and reads in one place.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from communitybot.chats.schedule import (
    MAX_WEEK_INTERVAL,
    SAY_WHICH,
    WEEKDAYS,
    Schedule,
    ScheduleError,
    check_plan_date,
    monthly,
    next_occurrence,
    once,
    reanchored,
    resolve,
    weekly,
)
from communitybot.i18n import N_, ntr, tr
from communitybot.numbers import is_ascii_number, parse_int
from communitybot.text import quote

DEFAULT_LEADS = (24 * 60, 15)
MIN_LEAD = 1
MAX_LEAD = 7 * 24 * 60
MAX_LEADS = 4
_HASHTAG = re.compile(r"[a-z0-9][a-z0-9_-]{1,31}")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_LEAD = re.compile(r"([0-9]{1,6})\s*(m|min|mins|minutes?|h|hours?|d|days?)")
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
SCHEDULE_HELP = N_(
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
            tr(
                "“{typed}” is not a hashtag I can use: 2 to 32 letters, digits, - or _, "
                "like `engchat`.",
                typed=quote(raw, 40),
            )
        )
    return tag


def parse_time(raw: str) -> time:
    match = _TIME.fullmatch(raw.strip())
    if match:
        hours, minutes = int(match[1]), int(match[2])
        if hours < 24 and minutes < 60:
            return time(hours, minutes)
    raise ChatInputError(
        tr("“{typed}” is not a time: use 24-hour HH:MM, like `19:00`.", typed=quote(raw, 20))
    )


def _weekday(raw: str) -> int:
    word = raw.casefold().rstrip("s")  # "tuesdays"
    if len(word) >= 3:
        for index, name in enumerate(WEEKDAYS):
            if name.startswith(word):
                return index
    raise ChatInputError(
        tr("“{typed}” is not a weekday. {help}", typed=quote(raw, 20), help=tr(SCHEDULE_HELP))
    )


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
            raise ChatInputError(tr("That schedule never happens."))
        schedule = reanchored(schedule, first)
    return schedule


def _schedule(words: list[str], timezone: str, at: time, now: datetime) -> Schedule:
    if len(words) == 2 and words[0] == "weekly":
        return weekly(timezone, at, _first_day(_weekday(words[1]), timezone, at, now))
    if len(words) == 4 and words[0] == "every" and words[2] in ("weeks", "week"):
        interval = parse_int(words[1], 1, MAX_WEEK_INTERVAL)
        if interval is None:
            raise ChatInputError(
                tr(
                    "“{typed}” won't do: choose an interval from 1 to {max} weeks. {help}",
                    typed=quote(words[1], 10),
                    max=MAX_WEEK_INTERVAL,
                    help=tr(SCHEDULE_HELP),
                )
            )
        day = _weekday(words[3])
        return weekly(timezone, at, _first_day(day, timezone, at, now), interval)
    if len(words) == 3 and words[0] == "monthly":
        nth = _ORDINALS.get(words[1])
        if nth is None:
            raise ChatInputError(tr(SAY_WHICH))
        zone = Schedule("once", timezone, at, now.date()).zone
        local_today = now.astimezone(zone).date()
        return monthly(timezone, at, nth, _weekday(words[2]), local_today)
    if len(words) == 2 and words[0] == "once":
        try:
            on = date.fromisoformat(words[1])
        except ValueError:
            raise ChatInputError(
                tr(
                    "“{typed}” is not a date: use YYYY-MM-DD, like `2027-03-14`.",
                    typed=quote(words[1], 20),
                )
            ) from None
        zone = Schedule("once", timezone, at, now.date()).zone
        check_plan_date(on, now.astimezone(zone).date())
        return once(timezone, at, on)
    typed = quote(" ".join(words), 40)
    raise ChatInputError(
        tr("I can't read that schedule (“{typed}”). {help}", typed=typed, help=tr(SCHEDULE_HELP))
    )


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
    parts = [p for p in re.split(r"[,\s]+(?=[0-9])", text.replace(" and ", ",")) if p.strip(", ")]
    leads: set[int] = set()
    for part in parts:
        match = _LEAD.fullmatch(part.strip(", "))
        if match is None:
            raise ChatInputError(
                tr(
                    "“{typed}” is not a lead time: use e.g. `24h`, `15m` or `2d`.",
                    typed=quote(part, 20),
                )
            )
        amount, unit = int(match[1]), match[2][0]
        minutes = amount * {"m": 1, "h": 60, "d": 24 * 60}[unit]
        if not MIN_LEAD <= minutes <= MAX_LEAD:
            message = (
                N_(
                    "“{typed}” is too short: reminders can come from 1 minute to 7 days "
                    "before a chat."
                )
                if minutes < MIN_LEAD
                else N_(
                    "“{typed}” is too long: reminders can come from 1 minute to 7 days "
                    "before a chat."
                )
            )
            raise ChatInputError(tr(message, typed=quote(part, 20)))
        leads.add(minutes)
    if len(leads) > MAX_LEADS:
        raise ChatInputError(tr("Choose at most {max} reminder times.", max=MAX_LEADS))
    return tuple(sorted(leads, reverse=True))


def describe_lead(minutes: int) -> str:
    """1440 → "24 hours", 90 → "1 h 30 min", 15 → "15 minutes"."""
    if minutes % 60 == 0:
        hours = minutes // 60
        return ntr("{n} hour", "{n} hours", hours)
    if minutes < 60:
        return ntr("{n} minute", "{n} minutes", minutes)
    return tr("{hours} h {minutes} min", hours=minutes // 60, minutes=minutes % 60)


def leads_text(leads: tuple[int, ...]) -> str:
    """ "24 hours and 15 minutes": a subscription's lead times in words."""
    said = [describe_lead(m) for m in leads]
    text = said[0] if said else ""
    for more in said[1:]:
        text = tr("{first} and {second}", first=text, second=more)
    return text


# Details: title, description, duration, hosts, ping ------------------------------------------

MAX_TITLE = 120
MAX_DESCRIPTION = 500
MIN_DURATION = 15
MAX_DURATION = 8 * 60
DEFAULT_DURATION = 60
MAX_HOSTS = 5
CLEAR_WORDS = frozenset({"none", "off", "-"})
"""What a moderator types to clear an optional detail (`ping=none`, `description=none`)."""
_DISCORD_USER = re.compile(r"<@!?([0-9]+)>")
_DISCORD_ROLE = re.compile(r"<@&([0-9]+)>")
_MATRIX_TO_USER = re.compile(r"https://matrix\.to/#/(@[^\s,/?]+)")
_ROLE_NAME = re.compile(r"[\w.-]{1,64}")


def parse_title(raw: str) -> str:
    title = " ".join(raw.split())
    if not title:
        raise ChatInputError(tr("Please give the chat a title."))
    if len(title) > MAX_TITLE:
        raise ChatInputError(
            tr(
                "That title is {length} characters long: keep it to {max}.",
                length=len(title),
                max=MAX_TITLE,
            )
        )
    return title


def parse_description(raw: str) -> str:
    """What the chat is about, up to 500 characters ("none" clears it)."""
    text = raw.strip()
    if text.casefold() in CLEAR_WORDS:
        return ""
    if len(text) > MAX_DESCRIPTION:
        raise ChatInputError(
            tr(
                "That description is {length} characters long: keep it to {max} "
                "(a sentence or two about what the chat is for).",
                length=len(text),
                max=MAX_DESCRIPTION,
            )
        )
    return text


def parse_duration(raw: object) -> int:
    """Minutes, from 15 to 480; the catalogue checks this too, but not every caller is typed."""
    minutes = parse_int(raw if isinstance(raw, int) else str(raw))
    if minutes is None:
        raise ChatInputError(
            tr("“{typed}” is not a number of minutes, like `60`.", typed=quote(str(raw), 20))
        )
    if not MIN_DURATION <= minutes <= MAX_DURATION:
        raise ChatInputError(
            tr(
                "A chat lasts from {min} minutes to {hours} hours ({max} minutes); {minutes} "
                "minutes won't work.",
                min=MIN_DURATION,
                hours=MAX_DURATION // 60,
                max=MAX_DURATION,
                minutes=minutes,
            )
        )
    return minutes


def host_names(raw: str) -> list[str]:
    """Who was named as hosts, as user ids or display names to look up.

    Mentions come as `<@123>` (Discord: typed `@name` in the option), `@ann:example.org` or a
    matrix.to link (Matrix), or plain names (console, or a display name); several are separated
    by spaces or commas (commas let a display name contain spaces).
    """
    text = _MATRIX_TO_USER.sub(lambda m: f" {m[1]} ", raw)
    text = _DISCORD_USER.sub(lambda m: f" {m[1]} ", text)
    parts = text.split(",") if "," in text else text.split()
    names: list[str] = []
    for part in parts:
        name = part.strip()
        if name and name not in names:
            names.append(name)
    if not names:
        raise ChatInputError(tr("Name at least one host, e.g. `@ann`."))
    if len(names) > MAX_HOSTS:
        raise ChatInputError(tr("A chat can have at most {max} hosts.", max=MAX_HOSTS))
    return names


def parse_ping(raw: str, platform: str, everyone_role: str) -> str | None:
    """The role to ping (Discord: its id), "room" (Matrix @room), or None for no ping.

    `everyone_role` is the Discord server's id, which is also its @everyone role: refused, since
    the bot never pings everyone.
    """
    text = raw.strip()
    if text.casefold() in CLEAR_WORDS:
        return None
    if platform == "matrix":
        if text.casefold() in ("room", "@room"):
            return "room"
        raise ChatInputError(
            tr("On Matrix, `ping` can be `room` (notify everyone in the chat's room) or `none`.")
        )
    if platform == "discord":
        match = _DISCORD_ROLE.fullmatch(text)
        role = match[1] if match else text
        if not is_ascii_number(role):
            raise ChatInputError(tr("For `ping`, pick a role (e.g. @engchat-regulars), or `none`."))
        if role == everyone_role:
            raise ChatInputError(
                tr(
                    "I won't ping {everyone}: pick a role people choose to join, like one "
                    "linked to the chat's tag.",
                    everyone="@\u200beveryone",
                )
            )
        return role
    if text.casefold() in ("room", "@room"):
        return "room"
    if not _ROLE_NAME.fullmatch(text.lstrip("@&")):
        raise ChatInputError(tr("“{typed}” is not a role I can ping.", typed=quote(text, 40)))
    return text.lstrip("@&")
