"""The problems-of-practice page's numbers (`ask`, `follow`, `resolve`: communitybot/asks).

Open asks are read a page at a time, oldest first (they have waited longest), with their
follower counts from the ask_followers primary key. Time to resolution is over the asks
resolved in the last 12 months: their (opened, resolved) pairs are read once (a community
resolves tens or hundreds a year, not a member count's worth) and the medians are taken here,
since SQLite has no median.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from communitybot.i18n import tr
from communitybot.store.db import Database
from communitybot.store.timefmt import from_db, to_db

MONTHS = 12


@dataclass(frozen=True)
class OpenAsk:
    number: int
    problem: str
    asker: str
    opened_at: datetime
    followers: int
    age_days: int


@dataclass(frozen=True)
class Month:
    label: str
    """"2026-03"."""
    resolved: int
    median_days: float


@dataclass(frozen=True)
class Resolution:
    resolved: int
    median_days: float | None
    months: tuple[Month, ...]
    """The last 12 calendar months, oldest first (months with none resolved included)."""


async def open_count(db: Database, community_id: int) -> int:
    row = await db.fetch_one(
        "SELECT count(*) AS n FROM asks WHERE community_id = ? AND resolved_at IS NULL",
        (community_id,),
    )
    return int(row["n"]) if row is not None else 0


async def open_asks(
    db: Database, community_id: int, now: datetime, limit: int, offset: int
) -> list[OpenAsk]:
    rows = await db.fetch_all(
        "SELECT a.id AS id, a.problem AS problem, a.created_at AS created_at,"
        " m.display_name AS asker,"
        " (SELECT count(*) FROM ask_followers f WHERE f.ask_id = a.id) AS followers"
        " FROM asks a JOIN members m ON m.id = a.member_id"
        " WHERE a.community_id = ? AND a.resolved_at IS NULL"
        f" ORDER BY a.created_at, a.id LIMIT {int(limit)} OFFSET {int(offset)}",
        (community_id,),
    )
    found = []
    for row in rows:
        opened = from_db(row["created_at"])
        assert opened is not None
        found.append(
            OpenAsk(
                int(row["id"]),
                str(row["problem"]),
                str(row["asker"] or tr("a member")),
                opened,
                int(row["followers"]),
                max(0, (now - opened).days),
            )
        )
    return found


def _month_starts(now: datetime) -> list[datetime]:
    """The first instants of the last 12 calendar months (UTC), oldest first."""
    year, month = now.year, now.month
    starts = []
    for _ in range(MONTHS):
        starts.append(datetime(year, month, 1, tzinfo=now.tzinfo))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


async def resolution(db: Database, community_id: int, now: datetime) -> Resolution:
    starts = _month_starts(now)
    rows = await db.fetch_all(
        "SELECT created_at, resolved_at FROM asks WHERE community_id = ? AND resolved_at >= ?",
        (community_id, to_db(starts[0])),
    )
    per_month: dict[str, list[float]] = {s.strftime("%Y-%m"): [] for s in starts}
    every: list[float] = []
    for row in rows:
        opened, resolved = from_db(row["created_at"]), from_db(row["resolved_at"])
        assert opened is not None and resolved is not None
        days = max(0.0, (resolved - opened) / timedelta(days=1))
        every.append(days)
        key = resolved.astimezone(now.tzinfo).strftime("%Y-%m")
        if key in per_month:
            per_month[key].append(days)
    months = tuple(
        Month(key, len(days), round(median(days), 1) if days else 0.0)
        for key, days in per_month.items()
    )
    return Resolution(len(every), round(median(every), 1) if every else None, months)


def csv_rows(found: Resolution, open_now: int) -> list[list[str]]:
    """Per month: asks resolved and their median days to resolution (numbers only)."""
    return (
        [["month", "resolved", "median_days_to_resolution"]]
        + [[m.label, str(m.resolved), f"{m.median_days:.1f}"] for m in found.months]
        + [["open_now", str(open_now), ""]]
    )
