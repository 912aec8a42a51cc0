"""The peer-rounds page's figures: per round, its groups, the members in them, and how many
groups reported meeting (at least one member answered "yes" to the follow-up).

One query per page of rounds: the page's rounds are picked first (a CTE), then only their
groups are aggregated, per group and then per round, on the `round_groups_by_round` index and
the group members' primary key, so a big community's long history costs no more than a page.
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
        "  WHERE community_id = ? ORDER BY round_key DESC, id DESC LIMIT ? OFFSET ?),"
        " grp AS (SELECT g.round_id, g.id, count(gm.member_id) AS members,"
        "  max(CASE WHEN gm.answer = 'yes' THEN 1 ELSE 0 END) AS met,"
        "  max(CASE WHEN gm.answer IS NOT NULL THEN 1 ELSE 0 END) AS answered"
        "  FROM round_groups g JOIN page ON page.id = g.round_id"
        "  LEFT JOIN round_group_members gm ON gm.group_id = g.id"
        "  GROUP BY g.round_id, g.id)"
        " SELECT page.round_key, page.trigger, page.started_at, count(grp.id),"
        " coalesce(sum(grp.members), 0), coalesce(sum(grp.met), 0),"
        " coalesce(sum(grp.answered), 0)"
        " FROM page LEFT JOIN grp ON grp.round_id = page.id"
        " GROUP BY page.id, page.round_key, page.trigger, page.started_at"
        " ORDER BY page.round_key DESC, page.id DESC",
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
