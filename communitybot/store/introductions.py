"""Introductions members asked for across a network (`introduce`): what limits them and what
`mydata` shows. Callers run inside the command's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from communitybot.store.db import Database
from communitybot.store.timefmt import to_db


class IntroductionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, member_id: int, target_id: int, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO peer_introductions (member_id, target_id, created_at) VALUES (?, ?, ?)",
            (member_id, target_id, to_db(now)),
        )

    async def count_since(self, member_ids: Sequence[int], since: datetime) -> int:
        """Introductions these memberships (one person's) asked for since `since`."""
        if not member_ids:
            return 0
        marks = ",".join("?" * len(member_ids))
        row = await self._db.fetch_one(
            f"SELECT COUNT(*) AS n FROM peer_introductions WHERE member_id IN ({marks})"
            " AND created_at >= ?",
            (*member_ids, to_db(since)),
        )
        return int(row["n"]) if row else 0

    async def last_between(self, member_ids: Sequence[int], target_id: int) -> str | None:
        """When one of these memberships last asked to meet `target_id` (None: never)."""
        if not member_ids:
            return None
        marks = ",".join("?" * len(member_ids))
        row = await self._db.fetch_one(
            f"SELECT MAX(created_at) AS at FROM peer_introductions WHERE member_id IN ({marks})"
            " AND target_id = ?",
            (*member_ids, target_id),
        )
        return None if row is None or row["at"] is None else str(row["at"])

    async def export_for_member(self, member_id: int) -> list[dict[str, Any]]:
        """The introductions this membership asked for (whom: their member number), for
        `mydata`; being asked about is not the asker's data to show."""
        rows = await self._db.fetch_all(
            "SELECT target_id, created_at FROM peer_introductions WHERE member_id = ?"
            " ORDER BY created_at, id",
            (member_id,),
        )
        return [{"member": int(r["target_id"]), "asked_at": r["created_at"]} for r in rows]
