"""The leader lock: one process per platform holds the gateway/sync connection (issue #13).

Why it exists: on PostgreSQL several replicas of `communitybot run --adapter discord` (or
`matrix`) may run against one database so that one can take over when another dies. Two of them
connected at once would both answer every interaction and every command. So before logging in to
a platform a process takes that platform's lock; while another process holds it, it waits as a
standby (it does nothing else: no gateway, no sync, no scheduler, no outbox).

How: a session-level `pg_try_advisory_lock(LEADER_NAMESPACE, <platform code>)` on a dedicated
connection (`PostgresDatabase.connect()`, outside the pool) that stays open for the process's
life. PostgreSQL releases the lock the moment that session ends, however the process died
(SIGKILL, a crash, a lost machine once the server notices), so a standby polling every
`POLL_INTERVAL_S` takes over within about a second of the server noticing.

Losing the lock connection (database restart, network) means another process may soon hold
the lock: the leader must stop answering at once. `lost` is set then (by asyncpg's termination
callback, or by the health check that runs on the lock connection every poll interval); the
bootstrap stops the platform and the scheduler and the process exits with `EXIT_LEADER_LOST`
and one log line. A supervisor (Docker's `restart: unless-stopped`, systemd's
`Restart=on-failure`) starts it again, and it waits as a standby like any other replica.
In a network split the order is safe: the leader gives up after at most `POLL_INTERVAL_S` +
`CHECK_TIMEOUT_S` without an answer, while the server frees the lock only after its keepalives
(`SERVER_KEEPALIVES`) have gone unanswered for longer.

Session locks need a real session: point COMMUNITYBOT_DATABASE_URL at PostgreSQL itself or at a
pooler in session mode (PgBouncer's transaction mode would hand the lock's session to others).

SQLite has one process per database file: there the lock is a no-op, taken at once, never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from datetime import timedelta
from types import TracebackType
from typing import Any

from loguru import logger

POLL_INTERVAL_S = 1.0
"""How often a standby asks for the lock, and how often the leader checks its lock connection."""
CHECK_TIMEOUT_S = 5.0
"""A health check on the lock connection that takes longer than this counts as a lost lock."""
LEADER_NAMESPACE = 0x6C656164  # "lead": the first key of the two-key advisory lock form
SERVER_KEEPALIVES = {
    "tcp_keepalives_idle": 10,
    "tcp_keepalives_interval": 3,
    "tcp_keepalives_count": 3,
}
"""Set on the lock's own session: if the leader's machine vanishes without closing its socket
(power loss, a network split), the server notices within about 20 s, ends the session and frees
the lock, instead of after the operating system's default of two hours. (Ignored on a Unix
socket, where the kernel always knows.)"""
PLATFORM_CODES = {"console": 1, "discord": 2, "matrix": 3}
"""The second key, one per platform (any other name: a stable hash of it)."""


# Timeouts use `asyncio.timeout`, not `asyncio.wait_for`: on Python 3.11, `wait_for` can swallow
# a cancellation that arrives as the awaited query finishes, and a standby told to stop (SIGTERM)
# would then go on polling for the lock for ever.


class LeaderLost(Exception):
    """The leader's lock connection ended: stop serving now (the message is one line)."""


def platform_code(platform: str) -> int:
    """The fixed second key of `platform`'s leader lock (a signed 32-bit integer)."""
    known = PLATFORM_CODES.get(platform)
    return known if known is not None else zlib.crc32(platform.encode()) & 0x7FFFFFFF


class LeaderLock:
    """`platform`'s leader lock on the database `db` (use `async with`, or acquire/release).

    `acquire()` returns once this process leads (at once on SQLite); `lost` is set if the lock
    connection ends afterwards; `release()` closes the connection, which frees the lock.
    """

    def __init__(
        self,
        db: Any,
        platform: str,
        *,
        poll_interval: float = POLL_INTERVAL_S,
        check_timeout: float = CHECK_TIMEOUT_S,
    ) -> None:
        self.platform = platform
        self.shared = getattr(db, "dialect", "sqlite") == "postgresql"
        """False on SQLite: one process per file, nothing to lock."""
        self.poll_interval = poll_interval
        self.check_timeout = check_timeout
        self.lost = asyncio.Event()
        self.refusals = 0
        """How many times another process held the lock when asked (tests wait on it)."""
        self._db = db
        self._connection: Any = None
        self._watch: asyncio.Task[None] | None = None
        self._why = ""

    async def __aenter__(self) -> LeaderLock:
        await self.acquire()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.release()

    @property
    def takeover_grace(self) -> timedelta:
        """How long a leader whose lock connection failed may still be serving: it notices
        within a poll interval plus a health check's timeout. Once this has passed after taking
        the lock, what the previous leader held (its outbox claims) may be taken over."""
        return timedelta(seconds=self.poll_interval + self.check_timeout)

    @property
    def why_lost(self) -> str:
        """One line: why and what happened (only meaningful once `lost` is set)."""
        return (
            f"lost the {self.platform} leader lock ({self._why or 'connection closed'}): "
            "stopped serving, since another process may lead now; start this process again "
            "to wait as a standby"
        )

    async def acquire(self) -> None:
        """Wait until this process holds the lock (cancel to give up, e.g. on SIGTERM)."""
        if not self.shared:
            return
        try:
            await self._wait_for_lock()
        except BaseException:  # cancelled (SIGTERM): `async with` will not call release()
            await self._drop_connection()
            raise
        logger.info("leading {}", self.platform)
        self._watch = asyncio.create_task(self._check(), name=f"leader-lock-{self.platform}")

    async def _wait_for_lock(self) -> None:
        announced = unreachable = False
        while True:
            try:
                if await self._try():
                    return
            except _connection_errors() as error:
                await self._drop_connection()
                if not unreachable:
                    logger.warning(
                        "cannot ask the database for the {} leader lock ({}); retrying",
                        self.platform,
                        type(error).__name__,
                    )
                unreachable = True
            else:
                unreachable = False
                self.refusals += 1
                if not announced:
                    logger.info("another process leads {}: waiting as a standby", self.platform)
                    announced = True
            await asyncio.sleep(self.poll_interval)

    async def _try(self) -> bool:
        if self._connection is None or self._connection.is_closed():
            async with asyncio.timeout(self.check_timeout):
                self._connection = await self._db.connect()
            for setting, value in SERVER_KEEPALIVES.items():
                async with asyncio.timeout(self.check_timeout):
                    await self._connection.execute(f"SET {setting} = {value}")
        async with asyncio.timeout(self.check_timeout):
            taken = await self._connection.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)",
                LEADER_NAMESPACE,
                platform_code(self.platform),
            )
        if taken:
            self._connection.add_termination_listener(self._terminated)
        return bool(taken)

    def _terminated(self, connection: Any) -> None:
        self._mark_lost("the database connection closed")

    def _mark_lost(self, why: str) -> None:
        if not self.lost.is_set():
            self._why = why
            self.lost.set()

    async def _check(self) -> None:
        """Ask the lock connection for a sign of life every poll interval: a connection that
        died silently (a network gone quiet) is noticed without waiting for TCP."""
        while not self.lost.is_set():
            await asyncio.sleep(self.poll_interval)
            try:
                async with asyncio.timeout(self.check_timeout):
                    await self._connection.fetchval("SELECT 1")
            except TimeoutError:
                self._mark_lost(f"the database did not answer within {self.check_timeout:g} s")
            except _connection_errors() as error:
                self._mark_lost(f"the database connection failed: {type(error).__name__}")

    async def wait_lost(self) -> None:
        """Return once the lock is lost (never on SQLite)."""
        await self.lost.wait()

    async def release(self) -> None:
        """Stop checking and close the lock connection (the server frees the lock with it)."""
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        await self._drop_connection()

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        with contextlib.suppress(Exception):
            connection.remove_termination_listener(self._terminated)
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self.check_timeout):
                await connection.close()
        if not connection.is_closed():
            connection.terminate()


def _connection_errors() -> tuple[type[Exception], ...]:
    """What a lock connection's failure raises: the network's, the server's and asyncpg's own
    (a connection that is gone). asyncpg is imported only here: SQLite never needs it."""
    import asyncpg

    return (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
