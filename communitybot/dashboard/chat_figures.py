"""The chats page's figures: each chat series with its subscribers, and each occurrence (run)
with its participants, messages and answered questions; a network chat's run also per
affiliate (its legs, `communitybot.chats.legs`).

A community sees its own series and runs, and the network runs it had a leg in (a network
chat belongs to the steward's community; each affiliate ran a leg of it). A run's figures are
its recorded messages (`chat_run_messages`): participants are the members who wrote at least
once, "answers" the messages written after a question was posted (question > 0), and a
question counts as answered when at least one message belongs to it; "asked" is how many of
the run's questions were posted. Runs are picked a page at a time (a CTE) before their
messages are aggregated on the (run, message) key, so history costs no more than a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from communitybot.dashboard.paged import PAGE_SIZE
from communitybot.i18n import ptr, tr
from communitybot.store.db import Database
from communitybot.store.timefmt import from_db

CHART_RUNS = 12

_MINE = (
    "(r.series_id IN (SELECT s.id FROM chat_series s WHERE s.community_id = ?)"
    " OR r.id IN (SELECT l.run_id FROM chat_legs l WHERE l.community_id = ?))"
)
"""Runs of this community: its own, and the network runs it had a leg in."""
_MY_SERIES = (
    "(s.community_id = ? OR (s.network_id IS NOT NULL AND EXISTS (SELECT 1 FROM chat_runs r"
    " JOIN chat_legs l ON l.run_id = r.id WHERE r.series_id = s.id AND l.community_id = ?)))"
)


@dataclass(frozen=True)
class SeriesRow:
    id: int
    hashtag: str
    title: str
    kind: str
    status: str
    network: bool
    subscribers: int
    runs: int
    last_run: date | None

    @property
    def status_text(self) -> str:
        """The series' status as the page says it (the stored value is a data key)."""
        if self.status == "active":
            return ptr("chat series status", "active")
        if self.status == "ended":
            return ptr("chat series status", "ended")
        if self.status == "cancelled":
            return ptr("chat series status", "cancelled")
        return self.status


@dataclass(frozen=True)
class RunRow:
    id: int
    hashtag: str
    title: str
    started: datetime
    network: bool
    participants: int
    messages: int
    answers: int
    asked: int
    answered: int

    @property
    def answered_text(self) -> str:
        return tr("{answered} of {asked}", answered=self.answered, asked=self.asked)


@dataclass(frozen=True)
class LegRow:
    run_id: int
    community_id: int
    affiliate: str
    lost: bool
    participants: int
    messages: int


def _moment(text: object) -> datetime:
    moment = from_db(str(text))
    assert moment is not None
    return moment


async def count_series(db: Database, community_id: int) -> int:
    row = await db.fetch_one(
        f"SELECT count(*) FROM chat_series s WHERE {_MY_SERIES}", (community_id, community_id)
    )
    return int(row[0]) if row is not None else 0


async def series(
    db: Database, community_id: int, offset: int = 0, limit: int = PAGE_SIZE
) -> list[SeriesRow]:
    """A page of chat series, the active ones first, then by hashtag."""
    rows = await db.fetch_all(
        "SELECT s.id, s.hashtag, s.title, s.kind, s.status, s.network_id,"
        " (SELECT count(*) FROM chat_subscriptions c WHERE c.series_id = s.id),"
        " (SELECT count(*) FROM chat_runs r WHERE r.series_id = s.id),"
        " (SELECT max(r.started_at) FROM chat_runs r WHERE r.series_id = s.id)"
        f" FROM chat_series s WHERE {_MY_SERIES}"
        " ORDER BY CASE WHEN s.status = 'active' THEN 0 ELSE 1 END, s.hashtag, s.id"
        " LIMIT ? OFFSET ?",
        (community_id, community_id, limit, offset),
    )
    return [
        SeriesRow(
            id=int(row[0]),
            hashtag=str(row[1]),
            title=str(row[2]),
            kind=str(row[3]),
            status=str(row[4]),
            network=row[5] is not None,
            subscribers=int(row[6]),
            runs=int(row[7]),
            last_run=_moment(row[8]).date() if row[8] is not None else None,
        )
        for row in rows
    ]


async def count_runs(db: Database, community_id: int) -> int:
    row = await db.fetch_one(
        f"SELECT count(*) FROM chat_runs r WHERE {_MINE}", (community_id, community_id)
    )
    return int(row[0]) if row is not None else 0


async def runs(
    db: Database, community_id: int, offset: int = 0, limit: int = PAGE_SIZE
) -> list[RunRow]:
    """A page of runs, newest first, with their messages' figures."""
    rows = await db.fetch_all(
        "WITH page AS (SELECT r.id, r.series_id, r.title, r.started_at, r.network_id,"
        f"  r.current_question FROM chat_runs r WHERE {_MINE}"
        "  ORDER BY r.started_at DESC, r.id DESC LIMIT ? OFFSET ?)"
        " SELECT page.id, s.hashtag, page.title, page.started_at, page.network_id,"
        " page.current_question, count(DISTINCT m.member_id), count(m.message_id),"
        " coalesce(sum(CASE WHEN m.question > 0 THEN 1 ELSE 0 END), 0),"
        " count(DISTINCT CASE WHEN m.question > 0 THEN m.question END)"
        " FROM page JOIN chat_series s ON s.id = page.series_id"
        " LEFT JOIN chat_run_messages m ON m.run_id = page.id"
        " GROUP BY page.id, s.hashtag, page.title, page.started_at, page.network_id,"
        " page.current_question"
        " ORDER BY page.started_at DESC, page.id DESC",
        (community_id, community_id, limit, offset),
    )
    return [
        RunRow(
            id=int(row[0]),
            hashtag=str(row[1]),
            title=str(row[2]),
            started=_moment(row[3]),
            network=row[4] is not None,
            asked=int(row[5]),
            participants=int(row[6]),
            messages=int(row[7]),
            answers=int(row[8]),
            answered=int(row[9]),
        )
        for row in rows
    ]


async def legs(db: Database, run_ids: list[int]) -> dict[int, list[LegRow]]:
    """The legs of these (network) runs, by run: each affiliate's participants and messages."""
    out: dict[int, list[LegRow]] = {run_id: [] for run_id in run_ids}
    if not run_ids:
        return out
    marks = ", ".join("?" for _ in run_ids)
    rows = await db.fetch_all(
        "SELECT l.run_id, l.community_id, c.name, c.platform, c.space_id, l.status,"
        " count(DISTINCT m.member_id), count(m.message_id)"
        " FROM chat_legs l JOIN communities c ON c.id = l.community_id"
        " LEFT JOIN chat_run_messages m ON m.run_id = l.run_id"
        "  AND m.community_id = l.community_id"
        f" WHERE l.run_id IN ({marks})"
        " GROUP BY l.run_id, l.community_id, c.name, c.platform, c.space_id, l.status"
        " ORDER BY l.run_id, l.community_id",
        run_ids,
    )
    for row in rows:
        name = str(row[2]) if row[2] else f"{row[3]} {row[4]}"
        out[int(row[0])].append(
            LegRow(
                run_id=int(row[0]),
                community_id=int(row[1]),
                affiliate=name,
                lost=str(row[5]) == "lost",
                participants=int(row[6]),
                messages=int(row[7]),
            )
        )
    return out
