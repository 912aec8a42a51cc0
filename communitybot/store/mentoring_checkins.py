"""Check-ins on mentoring pairings: who was asked when, what they answered, which pairs are flagged.

A check-in row is one question to one side of a pairing in one round (1, 2, …). The row's
(pair, member, round) key makes asking idempotent: a replayed job asks nobody twice. A row with
no answer when the next round comes is a check-in left unanswered; two of those by one side flag
the pairing for the moderators (`mentor_pairs.flagged_at`, set once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from communitybot.store.db import Database
from communitybot.store.timefmt import from_db, to_db

Answer = Literal["met", "not_yet", "end"]
ANSWERS: tuple[Answer, ...] = ("met", "not_yet", "end")


@dataclass(frozen=True)
class Checkin:
    pair_id: int
    member_id: int
    round: int
    asked_at: datetime
    answer: Answer | None
    answered_at: datetime | None


@dataclass(frozen=True)
class MentoringFigures:
    """What `/stats` shows about mentoring in one community."""

    active_pairs: int
    flagged_pairs: int
    waiting_requests: int
    answered_met: int
    answered_not_yet: int


def _checkin(row: Sequence[object]) -> Checkin:
    asked = from_db(str(row[3]))
    assert asked is not None
    answer = str(row[4]) if row[4] is not None else None
    return Checkin(
        int(str(row[0])),
        int(str(row[1])),
        int(str(row[2])),
        asked,
        answer if answer in ANSWERS else None,
        from_db(str(row[5])) if row[5] is not None else None,
    )


_COLUMNS = "pair_id, member_id, round, asked_at, answer, answered_at"


class CheckinRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ask(self, pair_id: int, member_id: int, round_no: int, now: datetime) -> bool:
        """Record that this side is asked in this round; False when it already was."""
        row = await self._db.fetch_one(
            "INSERT INTO mentor_checkins (pair_id, member_id, round, asked_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING RETURNING round",
            (pair_id, member_id, round_no, to_db(now)),
        )
        return row is not None

    async def answer(
        self, pair_id: int, member_id: int, answer: Answer, now: datetime
    ) -> int | None:
        """Store the answer on this side's latest check-in; its round, or None if never asked.

        Answering again replaces the earlier answer (a "not yet" that became "met").
        """
        row = await self._db.fetch_one(
            "SELECT max(round) FROM mentor_checkins WHERE pair_id = ? AND member_id = ?",
            (pair_id, member_id),
        )
        if row is None or row[0] is None:
            return None
        round_no = int(row[0])
        await self._db.execute(
            "UPDATE mentor_checkins SET answer = ?, answered_at = ?"
            " WHERE pair_id = ? AND member_id = ? AND round = ?",
            (answer, to_db(now), pair_id, member_id, round_no),
        )
        return round_no

    async def of_pair(self, pair_id: int) -> list[Checkin]:
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM mentor_checkins WHERE pair_id = ? ORDER BY round, member_id",
            (pair_id,),
        )
        return [_checkin(r) for r in rows]

    async def of_pairs(self, pair_ids: Sequence[int]) -> dict[int, list[Checkin]]:
        """Check-ins of many pairings at once (for the moderators' list), by pair id."""
        out: dict[int, list[Checkin]] = {pid: [] for pid in pair_ids}
        for start in range(0, len(pair_ids), 500):
            chunk = list(pair_ids[start : start + 500])
            marks = ", ".join("?" for _ in chunk)
            rows = await self._db.fetch_all(
                f"SELECT {_COLUMNS} FROM mentor_checkins WHERE pair_id IN ({marks})"
                " ORDER BY round, member_id",
                chunk,
            )
            for row in rows:
                checkin = _checkin(row)
                out[checkin.pair_id].append(checkin)
        return out

    async def flag(self, pair_id: int, now: datetime) -> bool:
        """Mark the pairing as flagged for the moderators; False when it already was."""
        changed = await self._db.execute(
            "UPDATE mentor_pairs SET flagged_at = ? WHERE id = ? AND flagged_at IS NULL",
            (to_db(now), pair_id),
        )
        return changed > 0

    async def unflag(self, pair_id: int) -> bool:
        """Clear the moderators' flag (a side said they met after all); False if none was set."""
        changed = await self._db.execute(
            "UPDATE mentor_pairs SET flagged_at = NULL WHERE id = ? AND flagged_at IS NOT NULL",
            (pair_id,),
        )
        return changed > 0

    async def figures(self, community_id: int) -> MentoringFigures:
        pairs = await self._db.fetch_one(
            "SELECT count(*), count(flagged_at) FROM mentor_pairs"
            " WHERE community_id = ? AND status = 'active'",
            (community_id,),
        )
        answers = await self._db.fetch_one(
            "SELECT coalesce(sum(CASE WHEN c.answer = 'met' THEN 1 ELSE 0 END), 0),"
            " coalesce(sum(CASE WHEN c.answer = 'not_yet' THEN 1 ELSE 0 END), 0)"
            " FROM mentor_checkins c JOIN mentor_pairs p ON p.id = c.pair_id"
            " WHERE p.community_id = ?",
            (community_id,),
        )
        waiting = await self._db.fetch_one(
            "SELECT count(*) FROM mentee_requests r JOIN members m ON m.id = r.member_id"
            " WHERE m.community_id = ? AND m.left_at IS NULL AND (r.status = 'open'"
            "  OR (r.status = 'matched' AND NOT EXISTS (SELECT 1 FROM mentor_pairs p"
            "   WHERE p.mentee_id = r.member_id AND p.status = 'active')))",
            (community_id,),
        )
        assert pairs is not None and answers is not None and waiting is not None
        return MentoringFigures(
            active_pairs=int(pairs[0]),
            flagged_pairs=int(pairs[1]),
            waiting_requests=int(waiting[0]),
            answered_met=int(answers[0]),
            answered_not_yet=int(answers[1]),
        )
