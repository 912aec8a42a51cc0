"""The peer-rounds page's figures: per round, its groups, the members in them, and how many
groups reported meeting (at least one member answered "yes" to the follow-up).

One query per page of rounds: the page's rounds are picked first (a CTE), then only their
groups are counted, through the `round_groups_by_round` index and the group members' primary
key, so a long history costs no more than the page's own rounds. Whether a group met or
answered is one probe of `round_group_members_answers` (migrations 0039, 0040), not a read of its
seats' rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from communitybot.dashboard.paged import PAGE_SIZE
from communitybot.store.db import Database
from communitybot.store.timefmt import from_db

CHART_ROUNDS = 12


@dataclass(frozen=True)
class RoundRow:
    key: str
    """The round's local date, as the bot names rounds."""
    trigger: str
    started: date
    groups: int
    members: int
    met: int
    """Groups where at least one member said they met."""
    answered: int
    """Groups where at least one member answered the follow-up at all."""

    @property
    def met_rate(self) -> float | None:
        return self.met / self.groups if self.groups else None

    @property
    def met_percent(self) -> str:
        rate = self.met_rate
        return "–" if rate is None else f"{rate * 100:.0f}%"


async def count_rounds(db: Database, community_id: int) -> int:
    row = await db.fetch_one("SELECT count(*) FROM rounds WHERE community_id = ?", (community_id,))
    return int(row[0]) if row is not None else 0


async def rounds(
    db: Database, community_id: int, offset: int = 0, limit: int = PAGE_SIZE
) -> list[RoundRow]:
    """A page of rounds, newest first, with their groups' figures."""
    rows = await db.fetch_all(
        "WITH page AS (SELECT id, round_key, trigger, started_at FROM rounds"
        "  WHERE community_id = ? ORDER BY round_key DESC, id DESC LIMIT ? OFFSET ?)"
        " SELECT page.round_key, page.trigger, page.started_at,"
        " (SELECT count(*) FROM round_groups g WHERE g.round_id = page.id),"
        " (SELECT count(*) FROM round_groups g JOIN round_group_members gm"
        "  ON gm.group_id = g.id WHERE g.round_id = page.id),"
        " (SELECT count(*) FROM round_groups g WHERE g.round_id = page.id AND EXISTS"
        "  (SELECT 1 FROM round_group_members gm WHERE gm.group_id = g.id"
        "   AND gm.answer = 'yes')),"
        " (SELECT count(*) FROM round_groups g WHERE g.round_id = page.id AND EXISTS"
        "  (SELECT 1 FROM round_group_members gm WHERE gm.group_id = g.id"
        "   AND gm.answer IS NOT NULL))"
        " FROM page ORDER BY page.round_key DESC, page.id DESC",
        (community_id, limit, offset),
    )
    out = []
    for row in rows:
        started = from_db(str(row[2]))
        assert started is not None
        out.append(
            RoundRow(
                key=str(row[0]),
                trigger=str(row[1]),
                started=started.date(),
                groups=int(row[3]),
                members=int(row[4]),
                met=int(row[5]),
                answered=int(row[6]),
            )
        )
    return out
