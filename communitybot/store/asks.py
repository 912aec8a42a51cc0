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
    network_shared: bool = False
    """Shared with every affiliate of the community's network (`ask … scope=network`)."""

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
        network_shared=bool(row["network_shared"]),
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
        *,
        network_shared: bool = False,
    ) -> Ask:
        row = await self._db.fetch_one(
            "INSERT INTO asks (community_id, member_id, problem, channel_id, remind_days,"
            " created_at, network_shared) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                community_id,
                member_id,
                problem,
                channel_id,
                remind_days,
                to_db(now),
                int(network_shared),
            ),
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

    async def find_shared(self, network_id: int, ask_id: int) -> Ask | None:
        """The ask with this number if it was shared with this network and its community is
        still one of the network's affiliates."""
        row = await self._db.fetch_one(
            "SELECT a.* FROM asks a JOIN network_affiliates n ON n.community_id = a.community_id"
            " WHERE a.id = ? AND a.network_shared = 1 AND n.network_id = ?",
            (ask_id, network_id),
        )
        return _ask(row) if row else None

    async def open_shared(self, network_id: int, other_than: int, limit: int) -> list[Ask]:
        """Unresolved asks the network's other affiliates shared with it, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT a.* FROM asks a JOIN network_affiliates n ON n.community_id = a.community_id"
            " WHERE n.network_id = ? AND a.community_id <> ? AND a.network_shared = 1"
            " AND a.resolved_at IS NULL ORDER BY a.id LIMIT ?",
            (network_id, other_than, limit),
        )
        return [_ask(r) for r in rows]

    async def open_shared_count(self, network_id: int) -> int:
        """Unresolved asks shared with the whole network, for `network stats`."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) AS n FROM asks a JOIN network_affiliates n"
            " ON n.community_id = a.community_id WHERE n.network_id = ?"
            " AND a.network_shared = 1 AND a.resolved_at IS NULL",
            (network_id,),
        )
        return int(row["n"]) if row else 0

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
        """Followers still in their community, in the order they followed: of the ask's own
        community, and of the affiliates its network has now (a network ask's followers may be
        anywhere in the network; an affiliate that left hears no more of it)."""
        rows = await self._db.fetch_all(
            "SELECT f.member_id FROM ask_followers f JOIN members m ON m.id = f.member_id"
            " JOIN asks a ON a.id = f.ask_id"
            " WHERE f.ask_id = ? AND m.left_at IS NULL AND (m.community_id = a.community_id"
            " OR m.community_id IN (SELECT o.community_id FROM network_affiliates o"
            " JOIN network_affiliates h ON h.network_id = o.network_id"
            " WHERE h.community_id = a.community_id))"
            " ORDER BY f.created_at, f.member_id",
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
                    "shared_with_network": bool(r["network_shared"]),
                }
                for r in asks
            ],
            "following": [{"number": r["ask_id"], "followed_at": r["created_at"]} for r in follows],
        }
