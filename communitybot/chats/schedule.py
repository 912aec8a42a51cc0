"""When a recurring chat happens: rrule-shaped rules over *local wall-clock* times, then zoneinfo.

Why this shape:

* A weekly 19:00 chat must stay at 19:00 local time across DST changes. The rule therefore runs
  over naive local date-times (it never sees an offset), and each occurrence is placed in the
  series' IANA time zone afterwards. A rule anchored in UTC would drift to 20:00 (or 18:00).
* The rules are dateutil's (WEEKLY with an interval, MONTHLY "nth weekday"), but the dates are
  walked by plain date arithmetic: building an rrule per call cost ~50 µs, too much for 100,000
  series in a second. The tests hold the arithmetic to rrule's answers over years and zones.
* The anchor is always an actual occurrence's local date, moved forward to the last occurrence as
  the series runs (`reanchored`), and `occurrences` first jumps an old anchor forward (whole
  periods of N weeks, or whole months), so it never iterates from a years-old start. The bot
  also stores each series' next occurrence and recomputes it only when that chat starts.
* ZoneInfo keeps only a few zones strongly cached; `_zone` keeps every zone used, since
  reloading a zone file costs more than computing an occurrence.
* Local times that do not exist (the spring-forward gap) or happen twice (the autumn fold) are
  not silently moved: `Occurrence.note` says what happened, and `problems` lists them for the
  coming year so a moderator hears about them when creating the series.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import MONTHLY, rrule, weekday

from communitybot.i18n import N_, ptr, tr
from communitybot.i18n.dates import day_month_year, full_date, time_of_day

ScheduleKind = Literal["weekly", "monthly", "once"]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", -1: "last"}
DAY_NAMES = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
"""The weekday names a schedule is described with (translated where shown)."""
MAX_WEEK_INTERVAL = 12
SAY_WHICH = N_("Say which one: 1st, 2nd, 3rd, 4th, 5th or last.")
PROBLEM_HORIZON = timedelta(days=366)
PLAN_AHEAD = timedelta(days=5 * 365 + 1)
"""How far ahead a one-off chat may be planned (five years). Dates far outside this window
overflow Python's datetime once shifted to a time zone east or west of UTC (year 9999 or 1)."""


class ScheduleError(ValueError):
    """A schedule that cannot work; the message is a friendly sentence for the moderator."""


@dataclass(frozen=True)
class Schedule:
    """A chat series' timing. `anchor` is the local date of an occurrence (the first, or the
    latest one held), so weekly intervals keep their parity and rrule starts close by."""

    kind: ScheduleKind
    timezone: str
    local_time: time
    anchor: date
    interval: int = 1
    """Weekly: every `interval` weeks."""
    nth: int | None = None
    """Monthly: the nth (1–5, or -1 for last) `anchor`'s weekday of the month."""

    @property
    def weekday(self) -> int:
        return self.anchor.weekday()

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    def describe(self) -> str:
        """E.g. "every 2 weeks on Tuesday at 19:00 (Europe/Paris)", in the current language."""
        first = datetime.combine(self.anchor, self.local_time)
        at, zone = time_of_day(first), self.timezone
        day = tr(DAY_NAMES[self.weekday])
        if self.kind == "once":
            return tr(
                "once on {date} at {time} ({zone})", date=full_date(first), time=at, zone=zone
            )
        if self.kind == "monthly":
            return tr(
                "every month on the {nth} {day} at {time} ({zone})",
                nth=ordinal(self.nth or 1),
                day=day,
                time=at,
                zone=zone,
            )
        if self.interval == 1:
            return tr("every week on {day} at {time} ({zone})", day=day, time=at, zone=zone)
        return tr(
            "every {n} weeks on {day} at {time} ({zone})",
            n=self.interval,
            day=day,
            time=at,
            zone=zone,
        )


def ordinal(nth: int) -> str:
    """ "1st" … "5th", "last": which weekday of the month, translated (each word is a whole
    message, since languages inflect them differently)."""
    words = {
        1: ptr("weekday of the month", "1st"),
        2: ptr("weekday of the month", "2nd"),
        3: ptr("weekday of the month", "3rd"),
        4: ptr("weekday of the month", "4th"),
        5: ptr("weekday of the month", "5th"),
        -1: ptr("weekday of the month", "last"),
    }
    return words[nth]


@dataclass(frozen=True)
class Occurrence:
    start: datetime
    """The moment, in UTC."""
    local: datetime
    """The same moment in the series' time zone (aware)."""
    note: str | None = None
    """Set when the local time does not exist or is ambiguous that day: what was done about it."""


@cache
def _zone(name: str) -> ZoneInfo:
    """ZoneInfo's own cache keeps only 8 zones strongly; a community spans more, and reloading
    a zone's file costs more than the whole occurrence computation."""
    return ZoneInfo(name)


def weekly(timezone: str, local_time: time, first: date, interval: int = 1) -> Schedule:
    """Every `interval` weeks on `first`'s weekday, starting on `first`."""
    if not 1 <= interval <= MAX_WEEK_INTERVAL:
        raise ScheduleError(tr("Choose an interval from 1 to {max} weeks.", max=MAX_WEEK_INTERVAL))
    return _checked(Schedule("weekly", timezone, local_time, first, interval=interval))


def monthly(timezone: str, local_time: time, nth: int, day: int, first_month: date) -> Schedule:
    """The `nth` weekday `day` (0 = Monday) of each month, from `first_month`'s month on.

    The anchor is set to that month's occurrence (or the next month's, if it has no 5th one).
    """
    if nth not in ORDINALS:
        raise ScheduleError(tr(SAY_WHICH))
    if not 0 <= day <= 6:
        raise ScheduleError(tr("The weekday must be Monday to Sunday."))
    rule = rrule(
        MONTHLY,
        byweekday=weekday(day)(nth),
        dtstart=datetime.combine(first_month.replace(day=1), local_time),
        count=1,
    )
    anchor = next(iter(rule)).date()
    return _checked(Schedule("monthly", timezone, local_time, anchor, nth=nth))


def once(timezone: str, local_time: time, on: date) -> Schedule:
    return _checked(Schedule("once", timezone, local_time, on))


def check_plan_date(on: date, today: date) -> None:
    """Refuse a chat date in the past or more than five years ahead (`today` is local)."""
    latest = today + PLAN_AHEAD
    if on < today:
        raise ScheduleError(
            tr(
                "{date} is in the past: pick a date from today ({today}) on.",
                date=day_month_year(on),
                today=day_month_year(today),
            )
        )
    if on > latest:
        raise ScheduleError(
            tr(
                "{date} is too far ahead: chats can be planned up to five years ahead "
                "(until {latest}).",
                date=on.isoformat(),
                latest=day_month_year(latest),
            )
        )


def plannable(start: datetime, now: datetime) -> bool:
    """Whether a stored start lies in the window the bot can show and convert safely.

    A database written before dates were checked may hold a chat in year 9999: those are
    skipped or explained instead of crashing `/chat calendar` and `/chat next`.
    """
    return now - PLAN_AHEAD <= start <= now + PLAN_AHEAD + timedelta(days=2)


def _checked(schedule: Schedule) -> Schedule:
    try:
        ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ScheduleError(
            tr(
                "“{zone}” is not a time zone I know. Use a name like Europe/Paris.",
                zone=schedule.timezone,
            )
        ) from error
    return schedule


def resolve(local: datetime, zone: ZoneInfo) -> Occurrence:
    """Place a naive local wall-clock time in `zone`, saying so if it is missing or doubled."""
    first = local.replace(tzinfo=zone, fold=0)
    offset = first.utcoffset()
    if offset == zone.utcoffset(local.replace(fold=1)):
        # The common case, by arithmetic (cheaper than astimezone on the hot path).
        return Occurrence(
            (local - offset).replace(tzinfo=UTC) if offset is not None else local, first
        )
    start = first.astimezone(UTC)
    round_trip = start.astimezone(zone).replace(tzinfo=None)
    if round_trip != local:
        # In the gap: fold=0 reads it with the offset from before the jump, i.e. later by the
        # size of the jump (02:30 becomes 03:30). Said, never silent.
        moved = start.astimezone(zone)
        note = tr(
            "{time} does not exist on {date} in {zone} (the clocks jump forward); it happens "
            "at {moved} instead.",
            time=time_of_day(local),
            date=full_date(local),
            zone=zone.key,
            moved=time_of_day(moved),
        )
        return Occurrence(start, moved, note)
    note = tr(
        "{time} happens twice on {date} in {zone} (the clocks go back); it is the first one, "
        "{utc} UTC{offset}.",
        time=time_of_day(local),
        date=full_date(local),
        zone=zone.key,
        utc=time_of_day(first),
        offset=_offset(first),
    )
    return Occurrence(start, first, note)


def _offset(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _fast_forward(schedule: Schedule, local_day: date) -> date:
    """A start on the series' rhythm at most one period before `local_day` (or the anchor).

    Whole periods are skipped arithmetically (N weeks; months, starting on the 1st, which the
    "nth weekday" rule does not mind), so the walk yields at most two dates before the answer.
    """
    if local_day <= schedule.anchor:
        return schedule.anchor
    if schedule.kind == "weekly":
        period = 7 * schedule.interval
        periods = (local_day - schedule.anchor).days // period
        return schedule.anchor + timedelta(days=periods * period)
    if schedule.kind == "monthly":
        month_start = local_day.replace(day=1)
        if month_start > schedule.anchor:
            return month_start
    return schedule.anchor


def _weekly_dates(schedule: Schedule, start: date) -> Iterator[datetime]:
    """Weekly dates by plain arithmetic: `start` is on the rhythm (anchor + whole periods).

    Same answers as `rrule(WEEKLY, interval=n, byweekday=anchor's weekday)` (the tests compare
    them over years and zones) at a fraction of the cost of building a rule per call.
    """
    step = timedelta(days=7 * schedule.interval)
    moment = datetime.combine(start, schedule.local_time)
    while True:
        yield moment
        moment += step


def nth_weekday(year: int, month: int, day: int, nth: int) -> date | None:
    """The `nth` weekday `day` (0 = Monday) of a month, -1 for the last; None if it has none."""
    length = monthrange(year, month)[1]
    if nth == -1:
        last = date(year, month, length)
        return last - timedelta(days=(last.weekday() - day) % 7)
    number = 1 + (day - date(year, month, 1).weekday()) % 7 + 7 * (nth - 1)
    return date(year, month, number) if number <= length else None


def _monthly_dates(schedule: Schedule, start: date) -> Iterator[datetime]:
    """Monthly "nth weekday" dates by arithmetic, from `start`'s month on (checked against
    `rrule(MONTHLY, byweekday=weekday(d)(n))` in the tests)."""
    year, month = start.year, start.month
    while True:
        found = nth_weekday(year, month, schedule.weekday, schedule.nth or 1)
        if found is not None and found >= start:
            yield datetime.combine(found, schedule.local_time)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _rule(schedule: Schedule, start: date) -> Iterator[datetime]:
    begin = datetime.combine(start, schedule.local_time)
    if schedule.kind == "once":
        return iter([begin])
    if schedule.kind == "weekly":
        return _weekly_dates(schedule, start)
    return _monthly_dates(schedule, start)


def occurrences(
    schedule: Schedule,
    after: datetime,
    count: int = 1,
    skip: Collection[date] = (),
) -> list[Occurrence]:
    """The next `count` occurrences starting strictly after `after` (UTC), minus skipped dates."""
    if count < 1:
        return []
    zone = schedule.zone
    # A day's margin either side of the offset: anything earlier is surely before `after`.
    earliest = after.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    found: list[Occurrence] = []
    anchor = schedule.anchor
    for local in _rule(schedule, _fast_forward(schedule, earliest.date())):
        if local < earliest or local.date() < anchor or (skip and local.date() in skip):
            continue
        occurrence = resolve(local, zone)
        if occurrence.start > after:
            found.append(occurrence)
            if len(found) >= count:
                break
    return found


def next_occurrence(
    schedule: Schedule, after: datetime, skip: Collection[date] = ()
) -> Occurrence | None:
    found = occurrences(schedule, after, 1, skip)
    return found[0] if found else None


def reanchored(schedule: Schedule, occurrence: Occurrence) -> Schedule:
    """The same series anchored at `occurrence` (call it once a chat has happened)."""
    return replace(schedule, anchor=occurrence.local.date())


def heads_up(notes: list[str]) -> list[str]:
    """The lines that tell a moderator about `problems`: a heading and one bullet each."""
    return [tr("**Heads-up about the clock changes:**"), *(f"• {n}" for n in notes)]


def problems(schedule: Schedule, now: datetime) -> list[str]:
    """What a moderator must hear about: a one-off in the past, and every occurrence in the
    coming year whose local time does not exist or is ambiguous (with what will happen)."""
    found: list[str] = []
    if schedule.kind == "once":
        occurrence = resolve(datetime.combine(schedule.anchor, schedule.local_time), schedule.zone)
        if occurrence.start <= now:
            found.append(
                tr(
                    "{date} {time} is in the past.",
                    date=full_date(occurrence.local),
                    time=time_of_day(occurrence.local),
                )
            )
        elif occurrence.note:
            found.append(occurrence.note)
        return found
    horizon = now + PROBLEM_HORIZON
    for occurrence in occurrences(schedule, now, count=60):
        if occurrence.start > horizon:
            break
        if occurrence.note:
            found.append(occurrence.note)
    return found
