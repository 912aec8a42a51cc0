"""Chat series timing: same local wall-clock time across the 2027 DST changes, N-weekly parity,
"2nd Tuesday", one-offs, and local times that do not exist or happen twice — said, not hidden."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from dateutil.rrule import WEEKLY, rrule

from communitybot.chats.schedule import (
    ScheduleError,
    monthly,
    next_occurrence,
    occurrences,
    once,
    problems,
    reanchored,
    weekly,
)

JAN_2027 = datetime(2027, 1, 1, tzinfo=UTC)


def local_times(found: list) -> list[str]:
    return [f"{o.local:%Y-%m-%d %H:%M}" for o in found]


def test_a_weekly_19_00_chat_stays_at_19_00_across_the_us_and_eu_dst_changes_of_2027() -> None:
    # US: clocks jump on 14 March and go back on 7 November 2027; EU: 28 March and 31 October.
    new_york = weekly("America/New_York", time(19, 0), date(2027, 3, 4))  # Thursdays
    paris = weekly("Europe/Paris", time(19, 0), date(2027, 3, 4))
    start = datetime(2027, 3, 1, tzinfo=UTC)

    ny = occurrences(new_york, start, count=4)
    assert local_times(ny) == [
        "2027-03-04 19:00",
        "2027-03-11 19:00",
        "2027-03-18 19:00",
        "2027-03-25 19:00",
    ]
    assert [o.start.hour for o in ny] == [0, 0, 23, 23]  # EST (UTC−5) then EDT (UTC−4)

    eu = occurrences(paris, start, count=5)
    assert {f"{o.local:%H:%M}" for o in eu} == {"19:00"}
    assert [o.start.hour for o in eu] == [18, 18, 18, 18, 17]  # CET, then CEST on 1 April

    autumn = datetime(2027, 10, 25, tzinfo=UTC)
    ny_autumn = occurrences(new_york, autumn, count=3)
    paris_autumn = occurrences(paris, autumn, count=2)
    assert local_times(ny_autumn) == ["2027-10-28 19:00", "2027-11-04 19:00", "2027-11-11 19:00"]
    assert [o.start.hour for o in ny_autumn] == [23, 23, 0]
    assert [o.start.hour for o in paris_autumn] == [17, 18]
    assert all(o.note is None for o in ny + eu + ny_autumn + paris_autumn)


def test_a_rule_anchored_in_utc_would_have_drifted_to_20_00() -> None:
    """Why the rule runs on local wall-clock time: the UTC version moves the chat."""
    utc_rule = rrule(WEEKLY, dtstart=datetime(2027, 3, 25, 18, 0), count=2)  # 19:00 CET
    paris = weekly("Europe/Paris", time(19, 0), date(2027, 3, 25))
    after_switch = list(utc_rule)[1].replace(tzinfo=UTC).astimezone(paris.zone)
    assert f"{after_switch:%H:%M}" == "20:00"
    (ours,) = occurrences(paris, datetime(2027, 3, 26, tzinfo=UTC))
    assert f"{ours.local:%H:%M}" == "19:00"


def test_every_two_weeks_keeps_its_rhythm_from_an_old_anchor_and_after_reanchoring() -> None:
    old = weekly("Europe/London", time(16, 30), date(2024, 1, 9), interval=2)  # a Tuesday
    after = datetime(2027, 5, 1, tzinfo=UTC)
    # The slow, obvious way: iterate from the 2024 start.
    slow = [
        d
        for d in rrule(WEEKLY, interval=2, dtstart=datetime(2024, 1, 9, 16, 30), count=200)
        if d.date() >= date(2027, 5, 1)
    ][:3]
    fast = occurrences(old, after, count=3)
    assert [o.local.replace(tzinfo=None) for o in fast] == slow
    moved = reanchored(old, fast[0])
    assert moved.anchor == fast[0].local.date()
    assert occurrences(moved, after, count=3) == fast


def test_monthly_on_the_second_tuesday() -> None:
    series = monthly("America/Chicago", time(18, 0), 2, 1, date(2027, 1, 1))
    found = occurrences(series, JAN_2027, count=4)
    assert local_times(found) == [
        "2027-01-12 18:00",
        "2027-02-09 18:00",
        "2027-03-09 18:00",
        "2027-04-13 18:00",
    ]
    assert series.describe() == "every month on the 2nd Tuesday at 18:00 (America/Chicago)"
    # From an anchor years back, the same answer.
    later = occurrences(series, datetime(2030, 6, 1, tzinfo=UTC), count=1)
    assert local_times(later) == ["2030-06-11 18:00"]


def test_last_friday_of_the_month() -> None:
    series = monthly("Asia/Tokyo", time(20, 0), -1, 4, date(2027, 2, 1))
    assert local_times(occurrences(series, JAN_2027, count=2)) == [
        "2027-02-26 20:00",
        "2027-03-26 20:00",
    ]


def test_a_one_off_happens_once_and_one_in_the_past_is_reported() -> None:
    chat = once("Europe/Berlin", time(17, 0), date(2027, 2, 3))
    assert local_times(occurrences(chat, JAN_2027, count=3)) == ["2027-02-03 17:00"]
    assert next_occurrence(chat, datetime(2027, 2, 4, tzinfo=UTC)) is None
    assert problems(chat, JAN_2027) == []
    assert problems(chat, datetime(2027, 3, 1, tzinfo=UTC)) == [
        "Wednesday 03 February 2027 17:00 is in the past."
    ]


def test_a_time_in_the_spring_forward_gap_is_reported_with_where_it_lands() -> None:
    series = weekly("America/New_York", time(2, 30), date(2027, 3, 7))  # Sundays, 02:30
    (problem,) = problems(series, datetime(2027, 3, 1, tzinfo=UTC))
    assert "02:30 does not exist on Sunday 14 March 2027 in America/New_York" in problem
    assert "03:30 instead" in problem
    gap = occurrences(series, datetime(2027, 3, 10, tzinfo=UTC))[0]
    assert f"{gap.local:%Y-%m-%d %H:%M}" == "2027-03-14 03:30"
    assert gap.note == problem


def test_an_ambiguous_time_in_the_autumn_is_resolved_to_the_first_and_said() -> None:
    series = weekly("America/New_York", time(1, 30), date(2027, 10, 31))
    (problem,) = problems(series, datetime(2027, 10, 1, tzinfo=UTC))
    assert "01:30 happens twice on Sunday 07 November 2027" in problem
    assert "the first one" in problem and "UTC−4" in problem
    (first,) = occurrences(series, datetime(2027, 11, 6, tzinfo=UTC))
    assert first.start == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)


def test_a_skipped_date_is_left_out() -> None:
    series = weekly("Europe/Paris", time(19, 0), date(2027, 1, 7))
    found = occurrences(series, JAN_2027, count=2, skip={date(2027, 1, 7)})
    assert local_times(found) == ["2027-01-14 19:00", "2027-01-21 19:00"]


def test_the_next_occurrence_is_strictly_after_the_given_moment() -> None:
    series = weekly("UTC", time(12, 0), date(2027, 1, 4))
    at = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
    found = next_occurrence(series, at)
    assert found is not None and found.start == at + timedelta(weeks=1)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: weekly("Mars/Olympus", time(19), date(2027, 1, 4)), "not a time zone"),
        (lambda: weekly("Europe/Paris", time(19), date(2027, 1, 4), interval=0), "1 to 12"),
        (lambda: monthly("Europe/Paris", time(19), 6, 1, date(2027, 1, 1)), "1st, 2nd"),
    ],
)
def test_bad_schedules_are_refused_with_a_sentence(make: object, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        make()  # type: ignore[operator]
