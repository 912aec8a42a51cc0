"""Next-occurrence computation for many chat series (target: 100,000 in ≤ 1 s).

    python -m benchmarks.chats [--series 100000]

Series are a realistic mix (weekly, every 2–4 weeks, monthly "nth weekday", in 12 time zones).
Timed twice: anchored at a recent occurrence (what the bot stores, re-anchoring as chats happen)
and anchored two years back (what `occurrences` guards against by jumping forward first), plus
plain rrule from the two-year-old start for comparison. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

from dateutil.rrule import WEEKLY, rrule

from communitybot.chats.schedule import Schedule, monthly, next_occurrence, weekly

ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Africa/Lagos",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)
NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


def make_series(count: int, rng: random.Random) -> list[Schedule]:
    series: list[Schedule] = []
    for _ in range(count):
        zone = rng.choice(ZONES)
        at = clock_time(rng.choice((16, 17, 18, 19, 20)), rng.choice((0, 30)))
        recent = NOW.date() - timedelta(days=rng.randrange(0, 28))
        if rng.random() < 0.8:
            series.append(weekly(zone, at, recent, interval=rng.choice((1, 1, 1, 2, 4))))
        else:
            series.append(monthly(zone, at, rng.choice((1, 2, 3, -1)), rng.randrange(7), recent))
    return series


def timed(series: list[Schedule]) -> float:
    started = time.perf_counter()
    for schedule in series:
        next_occurrence(schedule, NOW)
    return time.perf_counter() - started


def steady_state(series: list[Schedule]) -> tuple[float, float, int]:
    """(scan of stored next occurrences, recomputation of those passed in a day, how many)."""
    stored = [(next_occurrence(s, NOW), s) for s in series]
    started = time.perf_counter()
    upcoming = sorted(o.start for o, _ in stored if o is not None and o.start > NOW)
    scan = time.perf_counter() - started
    day_later = NOW + timedelta(days=1)
    passed = [(o, s) for o, s in stored if o is not None and o.start <= day_later]
    started = time.perf_counter()
    for occurrence, schedule in passed:
        next_occurrence(schedule, occurrence.start)
    recompute = time.perf_counter() - started
    assert upcoming
    return scan, recompute, len(passed)


def plain_rrule_from(start: date, count: int) -> float:
    """rrule.after from a two-year-old naive start, the cost the re-anchoring avoids."""
    rule = rrule(WEEKLY, dtstart=datetime.combine(start, clock_time(19)))
    target = NOW.replace(tzinfo=None)
    started = time.perf_counter()
    for _ in range(count):
        rule.after(target)
    return (time.perf_counter() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(6)
    series = make_series(args.series, rng)
    old = [
        replace(s, anchor=s.anchor - timedelta(weeks=104 if s.kind == "weekly" else 0))
        if s.kind == "weekly"
        else replace(s, anchor=s.anchor.replace(year=s.anchor.year - 2))
        for s in series
    ]
    recent_s = timed(series)
    old_s = timed(old)
    scan_s, recompute_s, passed = steady_state(series)
    plain_us = plain_rrule_from(NOW.date() - timedelta(weeks=104), 2000) * 1e6
    n = len(series)
    print("| Series | Anchor | Total | Per series | Target |")
    print("|---|---|---|---|---|")
    print(
        f"| {n:,} | last occurrence (≤ 4 weeks) | {recent_s:.2f} s | "
        f"{recent_s / n * 1e6:.1f} µs | ≤ 1 s |"
    )
    print(
        f"| {n:,} | two years back (jumped forward) | {old_s:.2f} s | "
        f"{old_s / n * 1e6:.1f} µs | ≤ 1 s |"
    )
    print(
        f"| {n:,} | stored next occurrence, scanned (no recomputation) | {scan_s * 1e3:.0f} ms | "
        f"{scan_s / n * 1e6:.2f} µs | ≤ 1 s |"
    )
    print(
        f"| {passed:,} | a day's recomputations (chats that happened that day) | "
        f"{recompute_s * 1e3:.0f} ms | {recompute_s / max(passed, 1) * 1e6:.1f} µs | — |"
    )
    print(f"| 2,000 | plain `rrule.after` from two years back | — | {plain_us:.0f} µs | — |")


if __name__ == "__main__":
    main()
