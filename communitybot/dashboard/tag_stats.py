"""The tags page's numbers: members per tag (present members), new taggings in the last 4 weeks
against the 4 before, and which tags have no channel linked (`tags link`, communitybot/tags).

Three queries, each reading an index rather than looking up every tagging's member (migration
0039): the community's tags with each one's number of taggings (a count over
`member_tags_by_tag`), the taggings of members who have left (a range of `members_present`: a
tenth of the members), subtracted to give present members, and the taggings of the last 8
weeks per tag (a range of `member_tags_by_tag_added`). A tag's taggings are its community's
members' (a tag belongs to one community, as `communitybot/peers/loader.py` also relies on).
A large community still has many taggings (100,000 members × 6 tags), so the result is kept
for a minute per community (`FRESH_FOR`) and the page's table is a slice of it: paging through
the tags, or downloading the CSV after looking, does not count them again.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

from communitybot.i18n import ptr
from communitybot.store.db import Database
from communitybot.store.timefmt import to_db

WINDOW = timedelta(weeks=4)
FRESH_FOR = timedelta(minutes=1)
"""How long a community's tag numbers are reused (the page says when they were counted)."""


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
class TagTable:
    counted_at: datetime
    rows: tuple[TagRow, ...]
    """Every tag, most present members first (name breaks ties)."""

    @property
    def unlinked(self) -> list[TagRow]:
        return [row for row in self.rows if not row.channel_linked]

    @property
    def recent(self) -> int:
        return sum(row.recent for row in self.rows)

    @property
    def before(self) -> int:
        return sum(row.before for row in self.rows)

    @property
    def change(self) -> str:
        return _change(self.recent, self.before)


def _change(recent: int, before: int) -> str:
    if before == 0:
        return ptr("tag growth", "new") if recent else "–"
    return f"{(recent - before) / before * 100:+.0f}%"


_kept: weakref.WeakKeyDictionary[Database, dict[int, TagTable]] = weakref.WeakKeyDictionary()
"""Per database (a test's or the process's), per community: the last count."""


async def tag_table(db: Database, community_id: int, now: datetime) -> TagTable:
    """The community's tag numbers, counted at most once per `FRESH_FOR`."""
    kept = _kept.setdefault(db, {})
    found = kept.get(community_id)
    if found is not None and timedelta(0) <= now - found.counted_at < FRESH_FOR:
        return found
    found = await _count(db, community_id, now)
    if len(kept) > 1000:  # a process serving very many communities: forget the oldest
        kept.pop(next(iter(kept)))
    kept[community_id] = found
    return found


async def _count(db: Database, community_id: int, now: datetime) -> TagTable:
    tags = await db.fetch_all(
        "SELECT t.id, t.name, t.category, t.channel_id, t.role_id,"
        " (SELECT count(*) FROM member_tags mt WHERE mt.tag_id = t.id) AS taggings"
        " FROM tags t WHERE t.community_id = ?",
        (community_id,),
    )
    gone = await db.fetch_all(
        "SELECT mt.tag_id AS tag_id, count(*) AS n"
        " FROM members m CROSS JOIN member_tags mt"
        " WHERE mt.member_id = m.id AND m.community_id = ? AND m.left_at IS NOT NULL"
        " GROUP BY mt.tag_id",
        (community_id,),
    )
    recent = await db.fetch_all(
        "SELECT t.id AS tag_id,"
        " sum(CASE WHEN mt.added_at >= ? THEN 1 ELSE 0 END) AS recent,"
        " sum(CASE WHEN mt.added_at < ? THEN 1 ELSE 0 END) AS earlier"
        " FROM tags t CROSS JOIN member_tags mt"
        " WHERE mt.tag_id = t.id AND t.community_id = ? AND mt.added_at >= ?"
        " GROUP BY t.id",
        (to_db(now - WINDOW), to_db(now - WINDOW), community_id, to_db(now - 2 * WINDOW)),
    )
    left = {int(row["tag_id"]): int(row["n"]) for row in gone}
    by_tag = {int(row["tag_id"]): (int(row["recent"]), int(row["earlier"])) for row in recent}
    rows = [
        TagRow(
            str(tag["name"]),
            str(tag["category"]),
            int(tag["taggings"]) - left.get(int(tag["id"]), 0),
            *by_tag.get(int(tag["id"]), (0, 0)),
            channel_linked=bool(tag["channel_id"]),
            role_linked=bool(tag["role_id"]),
        )
        for tag in tags
    ]
    rows.sort(key=lambda row: (-row.members, row.name))
    return TagTable(now, tuple(rows))


def csv_rows(rows: tuple[TagRow, ...] | list[TagRow]) -> list[list[str]]:
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
