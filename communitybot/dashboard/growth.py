"""Members over time: joins and leaves per period, and the members present at each period's end.

Per week over the last 26 weeks; per day over the last 28 days for a young community (its first
member joined less than 4 weeks ago), where weeks would be one or two points. Periods end at
"now" (the last one is the current, partial week or day).

One aggregate per direction (joins, leaves): a CASE turns each timestamp into its period's
number and the database counts per number, reading only the community's rows of the last
26 weeks: no per-member round trips. Timestamps are stored as UTC ISO text (`store.timefmt`),
so comparing the text compares the times, in SQLite and PostgreSQL alike.

Honest limit: a member who left and came back is one row (their latest join, no leave), so the
history counts their return, not their first join or their leave; "present at the end of a
period" is worked back from today's count with the joins and leaves after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from communitybot.i18n.dates import day_month, short_date
from communitybot.store.db import Database
from communitybot.store.timefmt import to_db

WEEKS = 26
YOUNG_DAYS = 28


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    joined: int
    left: int
    present: int
    """Members present at the period's end."""

    def label(self, daily: bool) -> str:
        """Its first day as the reader writes it ("09 Mar", "09 Mar 2027")."""
        return day_month(self.start) if daily else short_date(self.start)


@dataclass(frozen=True)
class Growth:
    daily: bool
    periods: tuple[Period, ...]
    present: int
    """Present members now."""

    @property
    def unit(self) -> str:
        return "day" if self.daily else "week"

    @property
    def joined(self) -> int:
        return sum(p.joined for p in self.periods)

    @property
    def left(self) -> int:
        return sum(p.left for p in self.periods)


def _bucket(column: str, bounds: list[str]) -> str:
    """SQL: the number of the period `column` falls in (bounds are the periods' ends)."""
    whens = " ".join(f"WHEN {column} < ? THEN {n}" for n in range(len(bounds) - 1))
    return f"CASE {whens} ELSE {len(bounds) - 1} END"


async def _counts(
    db: Database, community_id: int, column: str, start: str, bounds: list[str]
) -> list[int]:
    rows = await db.fetch_all(
        f"SELECT {_bucket(column, bounds)} AS period, count(*) AS n FROM members"
        f" WHERE community_id = ? AND {column} >= ? AND {column} < ?"
        " GROUP BY 1",
        (*bounds[:-1], community_id, start, bounds[-1]),
    )
    counts = [0] * len(bounds)
    for row in rows:
        counts[int(row["period"])] = int(row["n"])
    return counts


async def growth(db: Database, community_id: int, now: datetime) -> Growth:
    first = await db.fetch_one(
        "SELECT min(joined_at) AS first, sum(CASE WHEN left_at IS NULL THEN 1 ELSE 0 END)"
        " AS present FROM members WHERE community_id = ?",
        (community_id,),
    )
    present = int(first["present"] or 0) if first is not None else 0
    first_join = first["first"] if first is not None else None
    daily = first_join is not None and first_join >= to_db(now - timedelta(days=YOUNG_DAYS))
    step, count = (timedelta(days=1), YOUNG_DAYS) if daily else (timedelta(weeks=1), WEEKS)
    starts = [now - step * (count - n) for n in range(count)]
    ends = [*starts[1:], now]
    bounds = [to_db(end) for end in ends[:-1]] + [to_db(now + timedelta(seconds=1))]
    joined = await _counts(db, community_id, "joined_at", to_db(starts[0]), bounds)
    left = await _counts(db, community_id, "left_at", to_db(starts[0]), bounds)
    periods = []
    at_end = present
    for n in reversed(range(count)):
        periods.append(Period(starts[n], ends[n], joined[n], left[n], at_end))
        at_end = at_end - joined[n] + left[n]
    periods.reverse()
    return Growth(daily, tuple(periods), present)


def csv_rows(found: Growth) -> list[list[str]]:
    """One row per period, oldest first (numbers and dates only)."""
    return [["period_start", "period_end", "joined", "left", "present_at_end"]] + [
        [to_db(p.start), to_db(p.end), str(p.joined), str(p.left), str(p.present)]
        for p in found.periods
    ]
