"""Pending confirmations: a dangerous request (e.g. `/forgetme`) waiting for the member's "yes".

Kept in the database rather than in memory so that a restart between the question and the answer
neither loses the request nor, worse, lets a stale "yes" act on it: each row carries its own
expiry and callers compare it with their clock. One pending confirmation per member (the primary
key): asking again replaces the previous one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from communitybot.store.db import Database
from communitybot.store.timefmt import from_db, to_db


@dataclass(frozen=True)
class PendingConfirmation:
    member_id: int
    kind: str
    expires_at: datetime

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def export(self) -> dict[str, Any]:
        """The JSON-ready form used by the member's data export."""
        return {"kind": self.kind, "expires_at": to_db(self.expires_at)}


class ConfirmationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, member_id: int, kind: str, expires_at: datetime) -> PendingConfirmation:
        """Record (or replace) the member's pending confirmation."""
        await self._db.execute(
            "INSERT INTO pending_confirmations (member_id, kind, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT (member_id) DO UPDATE SET kind = excluded.kind,"
            " expires_at = excluded.expires_at",
            (member_id, kind, to_db(expires_at)),
        )
        return PendingConfirmation(member_id, kind, expires_at)

    async def get(self, member_id: int) -> PendingConfirmation | None:
        """The member's pending confirmation, expired or not (callers decide what expiry means)."""
        row = await self._db.fetch_one(
            "SELECT member_id, kind, expires_at FROM pending_confirmations WHERE member_id = ?",
            (member_id,),
        )
        if row is None:
            return None
        expires_at = from_db(row["expires_at"])
        assert expires_at is not None
        return PendingConfirmation(int(row["member_id"]), str(row["kind"]), expires_at)

    async def clear(self, member_id: int) -> None:
        await self._db.execute(
            "DELETE FROM pending_confirmations WHERE member_id = ?", (member_id,)
        )
