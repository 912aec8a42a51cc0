"""When peer rounds happen: the moderator's setting turned into chat-schedule rules and jobs.

The timing rules are `communitybot.chats.schedule`'s (local wall-clock time in an IANA zone, so
a Monday 09:00 round stays at 09:00 across DST changes): weekly and biweekly are its weekly rule
with an interval of 1 or 2, monthly is "the 1st <weekday> of the month". Each round is one
`rounds.run` job whose key names the community, the schedule's generation and the moment, so
scheduling twice is harmless and a job from a replaced schedule is a no-op.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from communitybot.chats.schedule import (
    WEEKDAYS,
    Occurrence,
    Schedule,
    monthly,
    next_occurrence,
    reanchored,
    resolve,
    weekly,
)
from communitybot.i18n import tr
from communitybot.store.rounds import Frequency, RoundSettings
from communitybot.store.store import Store
from communitybot.text import quote

RUN = "rounds.run"
FREQUENCIES: tuple[Frequency, ...] = ("weekly", "biweekly", "monthly")
DEFAULT_WEEKDAY = 0
DEFAULT_TIME = time(9, 0)
DEFAULT_TIMEZONE = "UTC"
_TIME = re.compile(r"([0-9]{1,2})(?::([0-9]{2}))?")


class RoundInputError(ValueError):
    """A friendly sentence saying what is wrong with what the moderator typed."""


def parse_frequency(raw: str) -> Frequency:
    word = raw.strip().casefold().replace("-", "")
    aliases = {"fortnightly": "biweekly", "every2weeks": "biweekly"}
    word = aliases.get(word, word)
    for frequency in FREQUENCIES:
        if word == frequency:
            return frequency
    raise RoundInputError(
        tr(
            "“{text}” is not a frequency I know: choose weekly, biweekly or monthly.",
            text=quote(raw, 20),
        )
    )


def parse_weekday(raw: str | None) -> int:
    if raw is None or not raw.strip():
        return DEFAULT_WEEKDAY
    word = raw.strip().casefold().rstrip("s")
    if len(word) >= 2:
        for index, name in enumerate(WEEKDAYS):
            if name.startswith(word):
                return index
    raise RoundInputError(
        tr("“{text}” is not a weekday: try `monday` or `thu`.", text=quote(raw, 20))
    )


def parse_time(raw: str | None) -> time:
    if raw is None or not raw.strip():
        return DEFAULT_TIME
    match = _TIME.fullmatch(raw.strip())
    if match:
        hours, minutes = int(match[1]), int(match[2] or 0)
        if hours < 24 and minutes < 60:
            return time(hours, minutes)
    raise RoundInputError(
        tr("“{text}” is not a time: use 24-hour HH:MM, like `09:00`.", text=quote(raw, 20))
    )


def build(frequency: Frequency, weekday: int, at: time, timezone: str, now: datetime) -> Schedule:
    """The schedule anchored at its first round after `now`."""
    if frequency == "monthly":
        zone = Schedule("once", timezone, at, now.date()).zone
        schedule = monthly(timezone, at, 1, weekday, now.astimezone(zone).date())
    else:
        zone = Schedule("once", timezone, at, now.date()).zone
        today = now.astimezone(zone).date()
        first = today + timedelta(days=(weekday - today.weekday()) % 7)
        if resolve(datetime.combine(first, at), zone).start <= now:
            first += timedelta(days=7)
        schedule = weekly(timezone, at, first, 2 if frequency == "biweekly" else 1)
    occurrence = next_occurrence(schedule, now)
    assert occurrence is not None  # recurring rules always have a next one
    return reanchored(schedule, occurrence)


def schedule_of(settings: RoundSettings) -> Schedule:
    if settings.frequency == "monthly":
        return Schedule("monthly", settings.timezone, settings.local_time, settings.anchor, nth=1)
    interval = 2 if settings.frequency == "biweekly" else 1
    return Schedule(
        "weekly", settings.timezone, settings.local_time, settings.anchor, interval=interval
    )


def describe(settings: RoundSettings) -> str:
    """E.g. "every week on Monday at 09:00 (UTC)"."""
    return schedule_of(settings).describe()


def run_key(community_id: int, generation: int, start: datetime) -> str:
    return f"{RUN}:{community_id}:{generation}:{start.isoformat(timespec='minutes')}"


def round_key(moment: datetime, timezone: str) -> str:
    """A round's identity: its local date (one round per community per day)."""
    zone = Schedule("once", timezone, DEFAULT_TIME, moment.date()).zone
    return moment.astimezone(zone).date().isoformat()


async def schedule_next(store: Store, settings: RoundSettings, now: datetime) -> None:
    """Put the settings' next round on the scheduler (idempotent)."""
    if not settings.active or settings.next_at is None:
        return
    payload = {
        "community": settings.community_id,
        "generation": settings.generation,
        "at": settings.next_at.isoformat(),
    }
    key = run_key(settings.community_id, settings.generation, settings.next_at)
    await store.jobs.schedule(
        RUN, settings.next_at, key, now, payload, community_id=settings.community_id
    )


async def cancel_next(store: Store, settings: RoundSettings, now: datetime) -> None:
    if settings.next_at is not None:
        key = run_key(settings.community_id, settings.generation, settings.next_at)
        await store.jobs.cancel(key, now)


async def advance(store: Store, settings: RoundSettings, held: datetime, now: datetime) -> None:
    """The round due at `held` is being run: store and schedule the one after it.

    After downtime, rounds that would have happened meanwhile are not replayed: the next one is
    the first after now.
    """
    schedule = schedule_of(settings)
    local = held.astimezone(schedule.zone)
    schedule = reanchored(schedule, Occurrence(held, local))
    following = next_occurrence(schedule, max(held, now))
    await store.rounds.advance(
        settings.community_id, local.date(), following.start if following else None
    )
    fresh = await store.rounds.settings(settings.community_id)
    if fresh is not None:
        await schedule_next(store, fresh, now)
