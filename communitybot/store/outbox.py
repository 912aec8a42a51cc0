"""The outbox table: actions committed but not yet delivered (see `communitybot.outbox`).

Rows are added in the caller's transaction (one statement per event or scheduler batch, however
many actions: up to `MAX_ROWS_PER_INSERT`) and
deleted by id once their batch was delivered (`done_many`: one statement per 500 ids, one
commit): the table holds only what is still owed, so it never grows beyond the actions in
flight plus those waiting for a retry.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from communitybot.events import UserRef
from communitybot.outbox_codec import TYPE_KEY
from communitybot.store.db import Database
from communitybot.store.timefmt import to_db

MAX_IDS_PER_STATEMENT = 500
"""Ids per `DELETE … IN (…)`: well under SQLite's limit on bound parameters."""
QUICK_ROWS = 8
"""An event's few rows are written without a thread hop (`Database.execute`'s `quick`)."""
MAX_ROWS_PER_INSERT = 1000
"""Rows per multi-row INSERT (3 parameters each): well under SQLite's limit of 32,766 bound
parameters (SQLite 3.32 and later; `RETURNING`, used by the job store, needs 3.35 anyway)."""


@dataclass(frozen=True)
class OutboxRow:
    id: int
    action: str
    """JSON, see `communitybot.outbox_codec`."""
    modlog_channel: str | None
    created_at: datetime
    attempts: int
    last_error: str | None = None


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, rows: Sequence[tuple[str, str | None]], now: datetime) -> list[int]:
        """Store (action JSON, modlog channel) rows in order; returns their ids, in order.

        One multi-row `INSERT … RETURNING id` (per `MAX_ROWS_PER_INSERT` rows): a scheduler
        batch of hundreds of actions is one statement, not one per row plus a look-up. The ids
        are handed out in the order of the VALUES rows (AUTOINCREMENT on SQLite, the sequence
        on PostgreSQL), while neither promises the order RETURNING lists them in: sorted, they
        pair with the rows.
        """
        ids: list[int] = []
        created = to_db(now)
        for start in range(0, len(rows), MAX_ROWS_PER_INSERT):
            chunk = rows[start : start + MAX_ROWS_PER_INSERT]
            values = ", ".join(["(?, ?, ?)"] * len(chunk))
            params: list[str | None] = []
            for action, modlog in chunk:
                params += (action, modlog, created)
            returned = await self._db.fetch_all(
                f"INSERT INTO outbox (action, modlog_channel, created_at) VALUES {values}"
                " RETURNING id",
                params,
                quick=len(chunk) <= QUICK_ROWS,
            )
            ids.extend(sorted(int(row[0]) for row in returned))
        return ids

    async def done(self, row_id: int) -> None:
        """The action was delivered (or finally refused): forget it."""
        await self.done_many([row_id])

    async def done_many(self, row_ids: Sequence[int]) -> None:
        """These actions were delivered (or finally refused): forget them, in one commit.

        Up to 500 ids are one statement (its own commit outside a transaction); more are one
        statement per 500 in one transaction. The caller holds the bot's lock, so no other
        event's transaction is open on the shared connection.
        """
        chunks = [
            list(row_ids[i : i + MAX_IDS_PER_STATEMENT])
            for i in range(0, len(row_ids), MAX_IDS_PER_STATEMENT)
        ]
        if len(chunks) == 1:
            await self._delete(chunks[0])
        elif chunks:
            async with self._db.transaction():
                for chunk in chunks:
                    await self._delete(chunk)

    async def _delete(self, row_ids: list[int]) -> None:
        marks = ", ".join("?" * len(row_ids))
        await self._db.execute(f"DELETE FROM outbox WHERE id IN ({marks})", row_ids)

    async def retry_later(self, row_id: int, error: str, retry_at: datetime) -> None:
        await self._db.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
            " WHERE id = ?",
            (error[:500], to_db(retry_at), row_id),
        )

    async def due(self, now: datetime) -> list[OutboxRow]:
        """Rows to deliver now, oldest first: never attempted by this process, or retry due."""
        rows = await self._db.fetch_all(
            "SELECT * FROM outbox WHERE next_attempt_at IS NULL OR next_attempt_at <= ?"
            " ORDER BY id",
            (to_db(now),),
        )
        return [
            OutboxRow(
                id=int(row["id"]),
                action=str(row["action"]),
                modlog_channel=row["modlog_channel"],
                created_at=datetime.fromisoformat(row["created_at"]),
                attempts=int(row["attempts"]),
                last_error=row["last_error"],
            )
            for row in rows
        ]

    async def forget(self, user: UserRef) -> int:
        """Delete every undelivered action that names `user` (to them, about them, or a group
        with them): after /forgetme nothing already queued still reaches or mentions them.

        The rows are read and searched here, not by the database's JSON functions (SQLite's
        `json_tree` has no PostgreSQL spelling): the table holds only what is still owed, and
        /forgetme is rare. A row that is not JSON names nobody we could find, and is kept.
        """
        rows = await self._db.fetch_all("SELECT id, action FROM outbox")
        naming = [int(row[0]) for row in rows if _names_user(str(row[1]), user)]
        for start in range(0, len(naming), MAX_IDS_PER_STATEMENT):
            await self._delete(naming[start : start + MAX_IDS_PER_STATEMENT])
        return len(naming)

    async def next_retry_at(self) -> datetime | None:
        """The earliest planned retry (None: no row waits for one)."""
        row = await self._db.fetch_one("SELECT min(next_attempt_at) FROM outbox")
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    async def count(self) -> int:
        row = await self._db.fetch_one("SELECT count(*) FROM outbox")
        return int(row[0]) if row else 0


def _names_user(action: str, user: UserRef) -> bool:
    """Whether the action's JSON holds a `UserRef` for this user anywhere (see outbox_codec)."""
    try:
        tree = json.loads(action)
    except ValueError:
        return False
    pending: list[Any] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if (
                node.get(TYPE_KEY) == "UserRef"
                and node.get("user_id") == user.user_id
                and node.get("platform") == user.platform
            ):
                return True
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return False
