"""The tags page's numbers: members per tag (present members), new taggings in the last 4 weeks
against the 4 before, and which tags have no channel linked (`tags link`, communitybot/tags).

Aggregates over tags ⋈ member_tags ⋈ members with the indexes the tables already have
(tags by community, member_tags by tag, members by id): no per-tag or per-member round trips.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from communitybot.store.db import Database
from communitybot.store.timefmt import to_db

WINDOW = timedelta(weeks=4)


@dataclass(frozen=True)
class TagRow:
    name: str
    category: str
    members: int
    """Present members with the tag."""
    recent: int
    """Taggings in the last 4 weeks (members since gone included)."""
    before: int
    """Taggings in the 4 weeks before those."""
    channel_linked: bool
    role_linked: bool

    @property
    def change(self) -> str:
        return _change(self.recent, self.before)


@dataclass(frozen=True)
class TagTotals:
    tags: int
    unlinked: int
    recent: int
    before: int

    @property
    def change(self) -> str:
        return _change(self.recent, self.before)


def _change(recent: int, before: int) -> str:
    if before == 0:
        return "new" if recent else "–"
    return f"{(recent - before) / before * 100:+.0f}%"


def _unlinked(column: str) -> str:
    return f"({column} IS NULL OR {column} = '')"


_COLUMNS = (
    "SELECT t.name AS name, t.category AS category, count(m.id) AS members,"
    " coalesce(sum(CASE WHEN mt.added_at >= ? THEN 1 ELSE 0 END), 0) AS recent,"
    " coalesce(sum(CASE WHEN mt.added_at >= ? AND mt.added_at < ? THEN 1 ELSE 0 END), 0)"
    " AS earlier,"
    f" CASE WHEN {_unlinked('t.channel_id')} THEN 0 ELSE 1 END AS channel_linked,"
    f" CASE WHEN {_unlinked('t.role_id')} THEN 0 ELSE 1 END AS role_linked"
    " FROM tags t LEFT JOIN member_tags mt ON mt.tag_id = t.id"
    " LEFT JOIN members m ON m.id = mt.member_id AND m.left_at IS NULL"
    " WHERE t.community_id = ?"
)
_GROUP = " GROUP BY t.id, t.name, t.category, t.channel_id, t.role_id"


def _windows(now: datetime) -> tuple[str, str, str]:
    return to_db(now - WINDOW), to_db(now - 2 * WINDOW), to_db(now - WINDOW)


def _row(r: Any) -> TagRow:
    return TagRow(
        str(r["name"]),
        str(r["category"]),
        int(r["members"]),
        int(r["recent"]),
        int(r["earlier"]),
        bool(int(r["channel_linked"])),
        bool(int(r["role_linked"])),
    )


async def top_tags(
    db: Database, community_id: int, now: datetime, limit: int | None, offset: int = 0
) -> list[TagRow]:
    """Tags by present members, most first (name breaks ties); `limit` None: all of them."""
    page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
    rows = await db.fetch_all(
        _COLUMNS + _GROUP + " ORDER BY count(m.id) DESC, t.name" + page,
        (*_windows(now), community_id),
    )
    return [_row(row) for row in rows]


async def unlinked_tags(db: Database, community_id: int, now: datetime, limit: int) -> list[TagRow]:
    """Tags with no channel linked, most members first: where a channel would help most."""
    rows = await db.fetch_all(
        _COLUMNS
        + f" AND {_unlinked('t.channel_id')}"
        + _GROUP
        + f" ORDER BY count(m.id) DESC, t.name LIMIT {int(limit)}",
        (*_windows(now), community_id),
    )
    return [_row(row) for row in rows]


async def totals(db: Database, community_id: int, now: datetime) -> TagTotals:
    recent_from, before_from, before_to = _windows(now)
    tags = await db.fetch_one(
        f"SELECT count(*) AS tags, coalesce(sum(CASE WHEN {_unlinked('channel_id')}"
        " THEN 1 ELSE 0 END), 0) AS unlinked FROM tags WHERE community_id = ?",
        (community_id,),
    )
    taggings = await db.fetch_one(
        "SELECT coalesce(sum(CASE WHEN mt.added_at >= ? THEN 1 ELSE 0 END), 0) AS recent,"
        " coalesce(sum(CASE WHEN mt.added_at < ? THEN 1 ELSE 0 END), 0) AS earlier"
        " FROM tags t JOIN member_tags mt ON mt.tag_id = t.id"
        " WHERE t.community_id = ? AND mt.added_at >= ?",
        (recent_from, before_to, community_id, before_from),
    )
    return TagTotals(
        int(tags["tags"]) if tags else 0,
        int(tags["unlinked"]) if tags else 0,
        int(taggings["recent"]) if taggings else 0,
        int(taggings["earlier"]) if taggings else 0,
    )


def csv_rows(rows: list[TagRow]) -> list[list[str]]:
    """Every tag, most members first. Tag names are moderators' text: a name a spreadsheet
    would run as a formula (=, +, -, @ first) gets a leading apostrophe."""
    return [
        ["tag", "category", "members", "new_last_4_weeks", "new_4_weeks_before", "channel", "role"]
    ] + [
        [
            safe_cell(row.name),
            safe_cell(row.category),
            str(row.members),
            str(row.recent),
            str(row.before),
            "linked" if row.channel_linked else "none",
            "linked" if row.role_linked else "none",
        ]
        for row in rows
    ]


def safe_cell(text: str) -> str:
    """Text a spreadsheet shows, never runs (CSV formula injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
