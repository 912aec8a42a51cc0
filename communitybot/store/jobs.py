"""Scheduled jobs in the database: the scheduler's source of truth, so nothing is lost on restart.

The scheduler keeps only a small window of soon-due (due time, id) pairs in memory; everything
else lives here. Scheduling is idempotent: a second `schedule` with the same key returns the
existing job instead of adding one. Finished jobs keep their row (status 'delivered', 'dropped',
'failed' or 'cancelled'), which is what stops the same effect from happening twice — for a
retention period (`delete_finished`, run daily by the scheduler) longer than any job's grace
window, after which nothing schedules that key again.

Callers run inside the caller's transaction (an event's, or the scheduler's batch), like every
repository; the `Wakeup` hears about new jobs at once (before the commit), which is harmless: the
scheduler re-reads the row, pending and due, before it runs anything.

Several processes on one PostgreSQL database (issue #13):

* The other processes' schedulers hear of new and retried jobs through a `CHANNEL_JOBS`
  notification sent in the same transaction (so only once it committed): "<origin> <id> <due>"
  for one job, "<origin> reload" for many (`JobNotice`). A cancel sends nothing: a cancelled
  job still in someone's window is simply not claimed when it comes due, as in one process.
* `claim_due` locks what it claims with `FOR UPDATE SKIP LOCKED`: a batch another process holds
  (claimed, transaction still open) is skipped instead of waited for. If that process dies, its
  connection drops, PostgreSQL rolls its transaction back and the jobs are pending again.
* A scheduler takes only the jobs of its own platform's communities (and jobs of no community):
  `JobFilter`, applied in the window and route queries, and (kinds) in the claim itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from communitybot.events import CommunityRef
from communitybot.store.db import Database
from communitybot.store.notifications import CHANNEL_JOBS
from communitybot.store.timefmt import to_db
from communitybot.wakeup import Wakeup

JobStatus = Literal["pending", "delivered", "dropped", "failed", "cancelled"]
MAX_IDS_PER_QUERY = 1000
"""Well under SQLite's bound-parameter limit (32,766), for `WHERE id IN (...)` statements: a
scheduler batch's look-up and its mark are one statement each."""


def due_to_db(moment: datetime) -> str:
    """Fixed-width ISO UTC with microseconds: text order equals time order in the index."""
    if moment.tzinfo is None:
        raise ValueError("job due times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    due_at: datetime
    payload: dict[str, Any]
    key: str
    attempts: int
    status: JobStatus
    last_error: str | None = None
    community_id: int | None = None
    """The community whose lane the job runs under (None: a job of no one community)."""


Route = tuple[int, str, int | None]
"""What the scheduler needs of a due job before it runs it: (id, kind, community id). Its kind
says whether it runs alone (long work); its community, under which lane (None: no lane).
Neither ever changes once the job is stored."""
Soon = tuple[datetime, int, str, int | None]
"""A pending job in the scheduler's window: (due time, id, kind, community id)."""


@dataclass(frozen=True)
class JobFilter:
    """Which jobs one scheduler takes (issue #13: several processes on one database).

    `platform`: only jobs of that platform's communities, plus jobs of no community (or of a
    community that is gone), which any process may run; None: every job. `skip_kinds`: kinds it
    never claims (a worker skips the kinds that need the live platform connection)."""

    platform: str | None = None
    skip_kinds: tuple[str, ...] = ()

    def where(self, alias: str = "j") -> tuple[str, list[Any]]:
        """Extra `AND …` conditions on `jobs {alias} LEFT JOIN communities c`, and their
        parameters (the community condition needs the join; the kinds one does not)."""
        sql, params = "", []
        if self.platform is not None:
            sql += " AND (c.id IS NULL OR c.platform = ?)"
            params.append(self.platform)
        sql += self.kinds_clause(alias)
        params.extend(self.skip_kinds)
        return sql, params

    def kinds_clause(self, alias: str) -> str:
        if not self.skip_kinds:
            return ""
        return f" AND {alias}.kind NOT IN ({','.join('?' * len(self.skip_kinds))})"


EVERY_JOB = JobFilter()


@dataclass(frozen=True)
class JobNotice:
    """A `CHANNEL_JOBS` notification: who sent it, and one job (id, due) or None: reload."""

    origin: str
    job_id: int | None = None
    due_at: datetime | None = None

    def payload(self) -> str:
        if self.job_id is None or self.due_at is None:
            return f"{self.origin} reload"
        return f"{self.origin} {self.job_id} {due_to_db(self.due_at)}"

    @classmethod
    def read(cls, payload: str) -> JobNotice | None:
        """The notice in `payload`, or None if it is not one (then nothing is trusted)."""
        parts = payload.split()
        try:
            if len(parts) == 2 and parts[1] == "reload":
                return cls(parts[0])
            if len(parts) == 3:
                due = datetime.fromisoformat(parts[2])
                if due.tzinfo is not None:
                    return cls(parts[0], int(parts[1]), due)
        except ValueError:
            return None
        return None


@dataclass(frozen=True)
class NewJob:
    """One job for `schedule_many` (bulk scheduling, e.g. a whole series' reminders)."""

    kind: str
    due_at: datetime
    key: str
    payload: dict[str, Any] | None = None
    community_id: int | None = None


def _job(row: Any) -> Job:
    return Job(
        id=int(row["id"]),
        kind=str(row["kind"]),
        due_at=datetime.fromisoformat(row["due_at"]),
        payload=json.loads(row["payload"]),
        key=str(row["idempotency_key"]),
        attempts=int(row["attempts"]),
        status=row["status"],
        last_error=row["last_error"],
        community_id=row["community_id"],
    )


_CLAIMED = (
    "id, kind, due_at, payload, idempotency_key, attempts - 1, 'pending', last_error, community_id"
)
"""What `claim_due` returns: `Job`'s fields in order, as they were before the claim."""


_decode = json.JSONDecoder().decode
"""`json.loads` without its per-call argument checks (a burst decodes thousands of payloads)."""


def _claimed_job(row: Any) -> Job:
    """A `_CLAIMED` row by position (a burst converts thousands: names cost a look-up each)."""
    job_id, kind, due_at, payload, key, attempts, status, last_error, community_id = row
    return Job(
        job_id,
        kind,
        datetime.fromisoformat(due_at),
        {} if payload == "{}" else _decode(payload),
        key,
        attempts,
        status,
        last_error,
        community_id,
    )


def _payload(payload: dict[str, Any] | None) -> str:
    return json.dumps(payload or {}, sort_keys=True, separators=(",", ":"))


class JobRepository:
    def __init__(self, db: Database, wakeup: Wakeup | None = None) -> None:
        """`wakeup`: told about new jobs, so a listening scheduler wakes early for an earlier
        one (`communitybot.wakeup`); a private, unheard one by default."""
        self._db = db
        self.wakeup = wakeup or Wakeup()

    async def schedule(
        self,
        kind: str,
        due_at: datetime,
        key: str,
        now: datetime,
        payload: dict[str, Any] | None = None,
        *,
        community_id: int | None = None,
    ) -> tuple[Job, bool]:
        """The job with this idempotency key, created if new; the flag says whether it was.
        `community_id`: the community whose lane it runs under (None: no one community's)."""
        inserted = await self._db.fetch_one(
            "INSERT INTO jobs (kind, due_at, payload, idempotency_key, created_at, community_id)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            (kind, due_to_db(due_at), _payload(payload), key, to_db(now), community_id),
        )
        job = await self.get(key)
        assert job is not None
        created = inserted is not None
        if created:
            self.wakeup.job_scheduled(job.id, job.due_at)
            await self._tell(job.id, job.due_at)
        return job, created

    async def schedule_many(self, jobs: Iterable[NewJob], now: datetime) -> None:
        """Schedule many jobs in one statement; existing keys are left as they are."""
        created = to_db(now)
        await self._db.execute_many(
            "INSERT INTO jobs (kind, due_at, payload, idempotency_key, created_at, community_id)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
            (
                (j.kind, due_to_db(j.due_at), _payload(j.payload), j.key, created, j.community_id)
                for j in jobs
            ),
        )
        self.wakeup.jobs_changed()
        await self._tell()

    async def _tell(self, job_id: int | None = None, due_at: datetime | None = None) -> None:
        """Tell the other processes' schedulers (at commit): one job, or None: reload."""
        notifications = self._db.notifications
        if notifications.shared:
            notice = JobNotice(notifications.origin, job_id, due_at)
            await notifications.notify(CHANNEL_JOBS, notice.payload())

    async def get(self, key: str) -> Job | None:
        row = await self._db.fetch_one("SELECT * FROM jobs WHERE idempotency_key = ?", (key,))
        return _job(row) if row else None

    async def cancel(self, key: str, now: datetime) -> bool:
        """Cancel a pending job; False if there was none (unknown, or already finished)."""
        changed = await self._db.execute(
            "UPDATE jobs SET status = 'cancelled', finished_at = ?"
            " WHERE idempotency_key = ? AND status = 'pending'",
            (to_db(now), key),
        )
        return changed > 0

    async def window(self, limit: int, only: JobFilter = EVERY_JOB) -> list[Soon]:
        """The `limit` soonest pending jobs `only` lets through, as (due time, id, kind,
        community id), in (due, id) order: with their routes, so a batch of them needs no
        look-up before it runs (`routes`)."""
        rows = await self._db.fetch_all(*self.window_statement(limit, only))
        return [
            (datetime.fromisoformat(due_at), int(job_id), kind, community_id)
            for job_id, due_at, kind, community_id in rows
        ]

    @staticmethod
    def window_statement(limit: int, only: JobFilter = EVERY_JOB) -> tuple[str, list[Any]]:
        """`window`'s query: a walk of the pending-jobs index (`jobs_pending_due`) in (due, id)
        order, each row's community looked up by its key, stopping after `limit` rows (tests
        check the plan with EXPLAIN on both engines)."""
        if only == EVERY_JOB:
            return (
                "SELECT id, due_at, kind, community_id FROM jobs WHERE status = 'pending'"
                " ORDER BY due_at, id LIMIT ?",
                [limit],
            )
        where, params = only.where()
        return (
            "SELECT j.id, j.due_at, j.kind, j.community_id"
            " FROM jobs j LEFT JOIN communities c ON c.id = j.community_id"
            f" WHERE j.status = 'pending'{where} ORDER BY j.due_at, j.id LIMIT ?",
            [*params, limit],
        )

    async def pending_by_ids(self, ids: Sequence[int]) -> list[Job]:
        """The still-pending jobs among `ids` (cancelled or finished ones are left out)."""
        found: list[Job] = []
        for start in range(0, len(ids), MAX_IDS_PER_QUERY):
            chunk = list(ids[start : start + MAX_IDS_PER_QUERY])
            marks = ",".join("?" * len(chunk))
            rows = await self._db.fetch_all(
                f"SELECT * FROM jobs WHERE status = 'pending' AND id IN ({marks})", chunk
            )
            found.extend(_job(row) for row in rows)
        return found

    async def routes(self, ids: Sequence[int], only: JobFilter = EVERY_JOB) -> list[Route]:
        """Id, kind and community id of the pending jobs among `ids` that `only` lets through,
        in (due, id) order: read before a batch takes its lanes (the claim in the transaction
        re-checks each), for jobs the scheduler heard of one by one (the window brings its
        own). A job of another platform heard of through a notification stops here."""
        found: list[Route] = []
        where, params = only.where()
        for start in range(0, len(ids), MAX_IDS_PER_QUERY):
            chunk = list(ids[start : start + MAX_IDS_PER_QUERY])
            marks = ",".join("?" * len(chunk))
            rows = await self._db.fetch_all(
                "SELECT j.id, j.kind, j.community_id FROM jobs j"
                " LEFT JOIN communities c ON c.id = j.community_id"
                f" WHERE j.status = 'pending' AND j.id IN ({marks}){where}"
                " ORDER BY j.due_at, j.id",
                (*chunk, *params),
            )
            found.extend(map(tuple, rows))
        return found

    async def community_refs(self, community_ids: Sequence[int]) -> dict[int, CommunityRef]:
        """The lanes' names of these communities (those that still exist)."""
        refs: dict[int, CommunityRef] = {}
        for start in range(0, len(community_ids), MAX_IDS_PER_QUERY):
            chunk = list(community_ids[start : start + MAX_IDS_PER_QUERY])
            marks = ",".join("?" * len(chunk))
            rows = await self._db.fetch_all(
                f"SELECT id, platform, space_id FROM communities WHERE id IN ({marks})", chunk
            )
            refs.update((row[0], CommunityRef(row[1], row[2])) for row in rows)
        return refs

    async def claim_due(
        self, ids: Sequence[int], now: datetime, only: JobFilter = EVERY_JOB
    ) -> list[Job]:
        """Mark the pending jobs among `ids` that are due by `now` delivered (counting the
        attempt) and return them as they were before: one statement per `MAX_IDS_PER_QUERY`
        ids, where a look-up and a mark after the handlers used to take two.

        Only inside the transaction that runs their handlers: a handler that fails rolls the
        marks back with everything else, so a job is 'delivered' exactly when its effect
        committed (while a handler runs, its own row already reads 'delivered'). Jobs the
        caller then decides not to run go on with `unclaim`.

        `only.skip_kinds` are never claimed (a worker's live kinds). On PostgreSQL the claim
        locks its rows with `FOR UPDATE SKIP LOCKED`: jobs another process's open batch holds
        are left out at once, never waited for (they read as pending and due: the caller can
        tell them by that, `pending_by_ids`). SQLite has one writer: the plain UPDATE.
        """
        claimed: list[Job] = []
        kinds = only.kinds_clause("jobs")
        for start in range(0, len(ids), MAX_IDS_PER_QUERY):
            chunk = list(ids[start : start + MAX_IDS_PER_QUERY])
            marks = ",".join("?" * len(chunk))
            due = f"status = 'pending' AND due_at <= ? AND id IN ({marks}){kinds}"
            if self._db.dialect == "postgresql":
                where = f"id IN (SELECT id FROM jobs WHERE {due} FOR UPDATE SKIP LOCKED)"
            else:
                where = due
            rows = await self._db.fetch_all(
                "UPDATE jobs SET status = 'delivered', finished_at = ?, attempts = attempts + 1"
                f" WHERE {where} RETURNING {_CLAIMED}",
                (to_db(now), due_to_db(now), *chunk, *only.skip_kinds),
            )
            claimed.extend(map(_claimed_job, rows))
        return claimed

    async def unclaim(self, ids: Sequence[int], status: JobStatus) -> None:
        """Jobs `claim_due` marked in this transaction were not run after all: 'dropped'
        (beyond their grace window) or 'failed' (no handler), the attempt not counted."""
        for start in range(0, len(ids), MAX_IDS_PER_QUERY):
            chunk = list(ids[start : start + MAX_IDS_PER_QUERY])
            marks = ",".join("?" * len(chunk))
            await self._db.execute(
                f"UPDATE jobs SET status = ?, attempts = attempts - 1"
                f" WHERE status = 'delivered' AND id IN ({marks})",
                (status, *chunk),
            )

    async def finish(self, ids: Sequence[int], status: JobStatus, now: datetime) -> None:
        """Mark pending jobs delivered / dropped / failed (counting the attempt that ran): one
        statement per `MAX_IDS_PER_QUERY` ids. (The scheduler itself uses `claim_due`.)"""
        attempt = 1 if status == "delivered" else 0
        for start in range(0, len(ids), MAX_IDS_PER_QUERY):
            chunk = list(ids[start : start + MAX_IDS_PER_QUERY])
            marks = ",".join("?" * len(chunk))
            await self._db.execute(
                "UPDATE jobs SET status = ?, finished_at = ?, attempts = attempts + ?"
                f" WHERE status = 'pending' AND id IN ({marks})",
                (status, to_db(now), attempt, *chunk),
            )

    async def record_failure(
        self, job_id: int, error: str, retry_at: datetime | None, now: datetime
    ) -> None:
        """Count a failed attempt: pending again at `retry_at`, or 'failed' for good if None."""
        if retry_at is None:
            await self._db.execute(
                "UPDATE jobs SET status = 'failed', attempts = attempts + 1, last_error = ?,"
                " finished_at = ? WHERE id = ? AND status = 'pending'",
                (error[:500], to_db(now), job_id),
            )
        else:
            changed = await self._db.execute(
                "UPDATE jobs SET attempts = attempts + 1, last_error = ?, due_at = ?"
                " WHERE id = ? AND status = 'pending'",
                (error[:500], due_to_db(retry_at), job_id),
            )
            if changed:
                await self._tell(job_id, retry_at)  # whoever is alive then retries it

    async def count(self, status: JobStatus = "pending") -> int:
        row = await self._db.fetch_one("SELECT count(*) FROM jobs WHERE status = ?", (status,))
        return int(row[0]) if row else 0

    async def id_span(self) -> tuple[int, int] | None:
        """The lowest and highest job id (None: no jobs), for a clean-up pass in slices."""
        row = await self._db.fetch_one("SELECT min(id), max(id) FROM jobs")
        if row is None or row[0] is None:
            return None
        return int(row[0]), int(row[1])

    async def delete_finished(self, before: datetime, first_id: int, last_id: int) -> int:
        """Delete the finished jobs with ids in [first_id, last_id] that finished before
        `before`; pending ones are never touched. Returns how many rows went.

        An id range keeps each call short (a rowid range scan, no index on finished_at needed),
        so a pass over millions of rows is many small transactions, not one long lock.
        """
        return await self._db.execute(
            "DELETE FROM jobs WHERE id BETWEEN ? AND ? AND status != 'pending'"
            " AND finished_at IS NOT NULL AND finished_at < ?",
            (first_id, last_id, to_db(before)),
        )
