"""The outbox table: actions committed but not yet delivered (see `communitybot.outbox`).

Rows are added in the caller's transaction (one statement per event or scheduler batch, however
many actions: up to `MAX_ROWS_PER_INSERT`) and
deleted by id once their batch was delivered (`done_many`: one statement per 500 ids, one
commit): the table holds only what is still owed, so it never grows beyond the actions in
flight plus those waiting for a retry.

Each row names the platform whose process delivers it (NULL: any, rows from before migration
0022) and who holds it (`claimed_by`, a process's `Notifications.origin`) until when
(`claimed_until`). `claim_due` hands a process the due rows of its platform that nobody holds
or whose claim ran out; on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so two processes claiming
at the same moment never take the same row and never wait for each other.
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
"""Rows per multi-row INSERT (6 parameters each): well under SQLite's limit of 32,766 bound
parameters (SQLite 3.32 and later; `RETURNING`, used by the job store, needs 3.35 anyway) and
PostgreSQL's of 32,767."""
COLUMNS = "id, action, modlog_channel, created_at, attempts, last_error"
"""What an `OutboxRow` is read from."""


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

    async def add(
        self,
        rows: Sequence[tuple[str, str | None]],
        now: datetime,
        *,
        platform: str | None = None,
        claimed_by: str | None = None,
        claimed_until: datetime | None = None,
    ) -> list[int]:
        """Store (action JSON, modlog channel) rows in order; returns their ids, in order.

        `platform`: whose process delivers them (None: any). `claimed_by`/`claimed_until`: the
        process that will deliver them itself holds them already (None: unclaimed, for
        `claim_due`).

        One multi-row `INSERT … RETURNING id` (per `MAX_ROWS_PER_INSERT` rows): a scheduler
        batch of hundreds of actions is one statement, not one per row plus a look-up. The ids
        are handed out in the order of the VALUES rows (AUTOINCREMENT on SQLite, the sequence
        on PostgreSQL), while neither promises the order RETURNING lists them in: sorted, they
        pair with the rows.
        """
        ids: list[int] = []
        created = to_db(now)
        until = None if claimed_until is None else to_db(claimed_until)
        for start in range(0, len(rows), MAX_ROWS_PER_INSERT):
            chunk = rows[start : start + MAX_ROWS_PER_INSERT]
            values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(chunk))
            params: list[str | None] = []
            for action, modlog in chunk:
                params += (action, modlog, created, platform, claimed_by, until)
            returned = await self._db.fetch_all(
                "INSERT INTO outbox (action, modlog_channel, created_at, platform, claimed_by,"
                f" claimed_until) VALUES {values} RETURNING id",
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

    async def retry_later(self, row_id: int, error: str, retry_at: datetime, owner: str) -> bool:
        """The delivery failed: count the attempt and let go of the row until `retry_at` (then
        any process of its platform may claim it). Only while `owner` still holds it: False if
        it no longer does (the row was deleted or taken over meanwhile)."""
        return (
            await self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
                " claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?",
                (error[:500], to_db(retry_at), row_id, owner),
            )
            > 0
        )

    async def claim_due(
        self,
        platform: str,
        now: datetime,
        owner: str,
        until: datetime,
        *,
        limit: int,
        take_others: bool = False,
    ) -> list[OutboxRow]:
        """Claim for `owner` until `until` up to `limit` rows due now, oldest first: of
        `platform` (or of none), not waiting for a retry, and held by nobody or by a claim that
        ran out. `take_others`: a claim of another owner counts as run out (SQLite: one process
        per database, so another owner is a previous run of it; PostgreSQL: only rows of
        `platform` itself, whose previous leader is gone — see `Outbox.adopt_orphans`).

        One statement (its own transaction). On PostgreSQL the rows are picked `FOR UPDATE SKIP
        LOCKED`: a row another process is claiming at this moment is skipped, not waited for,
        and the claim is checked again on the row's newest version, so no row is claimed twice.
        """
        held = "claimed_by IS NULL OR claimed_until <= ?"
        params: list[object] = [owner, to_db(until), platform, to_db(now), to_db(now)]
        if take_others and self._db.dialect == "postgresql":
            held += " OR (claimed_by <> ? AND platform = ?)"
            params += [owner, platform]
        elif take_others:
            held += " OR claimed_by <> ?"
            params.append(owner)
        params.append(limit)
        lock = " FOR UPDATE SKIP LOCKED" if self._db.dialect == "postgresql" else ""
        rows = await self._db.fetch_all(
            "UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id IN ("
            " SELECT id FROM outbox WHERE (platform = ? OR platform IS NULL)"
            " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
            f" AND ({held}) ORDER BY id LIMIT ?{lock}) RETURNING {COLUMNS}",
            params,
        )
        return sorted((_row(row) for row in rows), key=lambda row: row.id)

    async def renew(self, row_ids: Sequence[int], owner: str, until: datetime) -> set[int]:
        """Extend `owner`'s claims on these rows to `until`; returns the ids it still held
        (a row deleted meanwhile, or taken over after its claim ran out, is not among them)."""
        kept: set[int] = set()
        for start in range(0, len(row_ids), MAX_IDS_PER_STATEMENT):
            chunk = list(row_ids[start : start + MAX_IDS_PER_STATEMENT])
            marks = ", ".join("?" * len(chunk))
            rows = await self._db.fetch_all(
                "UPDATE outbox SET claimed_until = ?"
                f" WHERE claimed_by = ? AND id IN ({marks}) RETURNING id",
                [to_db(until), owner, *chunk],
            )
            kept.update(int(row[0]) for row in rows)
        return kept

    async def due(self, now: datetime) -> list[OutboxRow]:
        """Rows due now, oldest first, whoever holds them and whatever their platform (a plain
        read: delivery claims with `claim_due`)."""
        rows = await self._db.fetch_all(
            f"SELECT {COLUMNS} FROM outbox WHERE next_attempt_at IS NULL OR next_attempt_at <= ?"
            " ORDER BY id",
            (to_db(now),),
        )
        return [_row(row) for row in rows]

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

    async def next_due_at(self, platform: str) -> datetime | None:
        """When a row of `platform` (or of none) that waits next comes due: its planned retry,
        or, for a row someone holds, the end of that claim (None: no row waits for either).
        Unclaimed rows without a planned retry are due already; they are not counted."""
        row = await self._db.fetch_one(
            "SELECT min(CASE WHEN claimed_by IS NULL THEN next_attempt_at ELSE claimed_until END)"
            " FROM outbox WHERE platform = ? OR platform IS NULL",
            (platform,),
        )
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    async def count(self) -> int:
        row = await self._db.fetch_one("SELECT count(*) FROM outbox")
        return int(row[0]) if row else 0


def _row(row: Any) -> OutboxRow:
    return OutboxRow(
        id=int(row["id"]),
        action=str(row["action"]),
        modlog_channel=row["modlog_channel"],
        created_at=datetime.fromisoformat(row["created_at"]),
        attempts=int(row["attempts"]),
        last_error=row["last_error"],
    )


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
