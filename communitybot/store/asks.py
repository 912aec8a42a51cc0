"""Problems of practice and their followers: what `/ask`, `/follow`, `/resolve` and the reminder
job read and write. Callers run inside the event's (or the scheduler batch's) transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from communitybot.store.db import Database
from communitybot.store.timefmt import from_db, to_db


@dataclass(frozen=True)
class Ask:
    id: int
    community_id: int
    member_id: int
    problem: str
    channel_id: str
    remind_days: int
    created_at: datetime
    outcome: str | None
    resolved_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


def _ask(row: Any) -> Ask:
    created = from_db(row["created_at"])
    assert created is not None
    return Ask(
        id=row["id"],
        community_id=row["community_id"],
        member_id=row["member_id"],
        problem=row["problem"],
        channel_id=row["channel_id"],
        remind_days=int(row["remind_days"]),
        created_at=created,
        outcome=row["outcome"],
        resolved_at=from_db(row["resolved_at"]),
    )


class AskRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        community_id: int,
        member_id: int,
        problem: str,
        channel_id: str,
        remind_days: int,
        now: datetime,
    ) -> Ask:
        row = await self._db.fetch_one(
            "INSERT INTO asks (community_id, member_id, problem, channel_id, remind_days,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (community_id, member_id, problem, channel_id, remind_days, to_db(now)),
        )
        assert row is not None
        created = await self.get(int(row["id"]))
        assert created is not None
        return created

    async def get(self, ask_id: int) -> Ask | None:
        row = await self._db.fetch_one("SELECT * FROM asks WHERE id = ?", (ask_id,))
        return _ask(row) if row else None

    async def find(self, community_id: int, ask_id: int) -> Ask | None:
        """The ask with this number in this community (numbers are not shared across them)."""
        row = await self._db.fetch_one(
            "SELECT * FROM asks WHERE id = ? AND community_id = ?", (ask_id, community_id)
        )
        return _ask(row) if row else None

    async def highest(self, community_id: int) -> int | None:
        """The highest ask number in this community (None before the first ask)."""
        row = await self._db.fetch_one(
            "SELECT MAX(id) AS n FROM asks WHERE community_id = ?", (community_id,)
        )
        return None if row is None or row["n"] is None else int(row["n"])

    async def open_asks(self, community_id: int, limit: int) -> list[Ask]:
        """Unresolved asks, oldest first (they have waited longest for help)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM asks WHERE community_id = ? AND resolved_at IS NULL ORDER BY id LIMIT ?",
            (community_id, limit),
        )
        return [_ask(r) for r in rows]

    async def open_count(self, community_id: int) -> int:
        row = await self._db.fetch_one(
            "SELECT COUNT(*) AS n FROM asks WHERE community_id = ? AND resolved_at IS NULL",
            (community_id,),
        )
        return int(row["n"]) if row else 0

    async def resolve(self, ask_id: int, outcome: str, now: datetime) -> None:
        await self._db.execute(
            "UPDATE asks SET outcome = ?, resolved_at = ? WHERE id = ?",
            (outcome, to_db(now), ask_id),
        )

    async def follow(self, ask_id: int, member_id: int, now: datetime) -> bool:
        """Start following; False if the member already followed it."""
        row = await self._db.fetch_one(
            "INSERT INTO ask_followers (ask_id, member_id, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (ask_id, member_id) DO NOTHING RETURNING ask_id",
            (ask_id, member_id, to_db(now)),
        )
        return row is not None

    async def follower_ids(self, ask_id: int) -> list[int]:
        """Followers still in the community, in the order they followed."""
        rows = await self._db.fetch_all(
            "SELECT f.member_id FROM ask_followers f JOIN members m ON m.id = f.member_id"
            " WHERE f.ask_id = ? AND m.left_at IS NULL ORDER BY f.created_at, f.member_id",
            (ask_id,),
        )
        return [int(r["member_id"]) for r in rows]

    async def follower_count(self, ask_id: int) -> int:
        row = await self._db.fetch_one(
            "SELECT COUNT(*) AS n FROM ask_followers WHERE ask_id = ?", (ask_id,)
        )
        return int(row["n"]) if row else 0

    async def export_for_member(self, member_id: int) -> dict[str, Any]:
        """The member's asks and the asks they follow, for `/mydata`."""
        asks = await self._db.fetch_all(
            "SELECT * FROM asks WHERE member_id = ? ORDER BY id", (member_id,)
        )
        follows = await self._db.fetch_all(
            "SELECT ask_id, created_at FROM ask_followers WHERE member_id = ? ORDER BY ask_id",
            (member_id,),
        )
        return {
            "asked": [
                {
                    "number": r["id"],
                    "problem": r["problem"],
                    "remind_after_days": r["remind_days"],
                    "asked_at": r["created_at"],
                    "outcome": r["outcome"],
                    "resolved_at": r["resolved_at"],
                }
                for r in asks
            ],
            "following": [{"number": r["ask_id"], "followed_at": r["created_at"]} for r in follows],
        }
