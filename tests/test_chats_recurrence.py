"""The arithmetic recurrence (fast path) gives exactly what dateutil's rrule gives.

`chats.schedule` walks weekly and monthly "nth weekday" dates by plain date arithmetic because
building an rrule per series cost ~50 µs; these tests hold it to rrule over years of dates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from dateutil.rrule import MONTHLY, WEEKLY, rrule, weekday

from communitybot.chats.input import ChatInputError, parse_leads
from communitybot.chats.schedule import monthly, nth_weekday, occurrences, weekly

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("interval", [1, 2, 3, 4])
@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Australia/Sydney"])
def test_weekly_dates_match_rrule(interval: int, zone: str) -> None:
    first = date(2026, 1, 6)  # a Tuesday
    schedule = weekly(zone, time(19), first, interval)
    ours = [o.local.date() for o in occurrences(schedule, START, count=150)]
    rule = rrule(
        WEEKLY,
        interval=interval,
        byweekday=first.weekday(),
        dtstart=datetime.combine(first, time(19)),
        count=150,
    )
    assert ours == [d.date() for d in rule]
    assert all(o.local.time() == time(19) for o in occurrences(schedule, START, count=150))


@pytest.mark.parametrize("nth", [1, 2, 3, 4, 5, -1])
@pytest.mark.parametrize("day", range(7))
def test_monthly_nth_weekday_dates_match_rrule(nth: int, day: int) -> None:
    schedule = monthly("Europe/Paris", time(18, 30), nth, day, date(2026, 1, 1))
    ours = [o.local.date() for o in occurrences(schedule, START, count=40)]
    rule = rrule(
        MONTHLY, byweekday=weekday(day)(nth), dtstart=datetime(2026, 1, 1, 18, 30), count=40
    )
    assert ours == [d.date() for d in rule]


def test_nth_weekday_says_when_a_month_has_no_fifth() -> None:
    assert nth_weekday(2027, 2, 1, 5) is None  # February 2027 has four Tuesdays
    assert nth_weekday(2027, 3, 1, 5) == date(2027, 3, 30)
    assert nth_weekday(2027, 3, 1, -1) == date(2027, 3, 30)
    assert nth_weekday(2027, 1, 1, 2) == date(2027, 1, 12)


def test_an_old_anchor_is_jumped_forward_to_the_same_answer() -> None:
    old = weekly("Europe/London", time(19), date(2025, 1, 7), 2)
    after = datetime(2027, 6, 1, tzinfo=UTC)
    (found,) = occurrences(old, after)
    assert found.start > after and found.start - after <= timedelta(weeks=2)
    assert (found.local.date() - date(2025, 1, 7)).days % 14 == 0


def test_lead_times_default_parse_and_refuse_absurd_ones() -> None:
    assert parse_leads(None) == (1440, 15)
    assert parse_leads("15m, 2h and 1d") == (1440, 120, 15)
    assert parse_leads("90 minutes") == (90,)
    for bad in ("0m", "8d", "later", "1m 2m 3m 4m 5m"):
        with pytest.raises(ChatInputError):
            parse_leads(bad)
