"""Notifications between the processes that share one database (issue #13).

Why it exists: on PostgreSQL several bot processes (a Discord process, a Matrix process,
workers) write the same database. Each keeps things in memory that another process's commit can
make stale (the scheduler's window of due jobs, the outbox rows it owes, the peer index, the
cached community and question rows). Polling for every one of them would cost a query per
event; PostgreSQL's LISTEN/NOTIFY tells every listening process at once, and a NOTIFY sent inside
a transaction is delivered only when (and if) that transaction commits, so nobody hears of work
that was rolled back.

Contract (the same object on both backends, `Database.notifications`):

* `await notify(channel, payload)` sends; inside a transaction on that database it is part of the
  transaction (delivered at commit, dropped at rollback), outside it is sent at once. Every
  listening process hears it, the sender included: `payload` should say what changed, and
  `origin` (this process's random id) lets a listener skip what it did itself.
* `await listen(channel, callback)` calls `callback(payload)` on the event loop for every
  notification on `channel` from now on (a callback must be quick and must not raise: schedule
  real work). Listening uses one dedicated connection per process, not a pooled one.
* `on_gap(callback)`: the listening connection was lost and is back; notifications sent in
  between were missed, so whatever a listener caches must be treated as stale (`callback()`).
* SQLite has one process per database file (`shared` is False): `notify` and `listen` do
  nothing there, because every change is already made in the one process that caches it.

Channels used (payload formats are defined by their users): `CHANNEL_JOBS`, `CHANNEL_OUTBOX`,
`CHANNEL_CHANGES`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from typing import Any, Protocol

from loguru import logger

CHANNEL_JOBS = "communitybot_jobs"
"""New or changed jobs (the scheduler's window)."""
CHANNEL_OUTBOX = "communitybot_outbox"
"""New outbox rows to deliver (the platform's leader delivers them)."""
CHANNEL_CHANGES = "communitybot_changes"
"""Committed changes that make cached rows or the peer index stale."""

MAX_PAYLOAD = 7_900
"""PostgreSQL refuses payloads of 8,000 bytes or more; callers keep theirs well under."""
RECONNECT_FIRST_S = 0.5
RECONNECT_MAX_S = 10.0

Callback = Callable[[str], None]


class Notifications(Protocol):
    """What `Database.notifications` offers on either backend (module docstring)."""

    shared: bool
    """True: other processes may write this database (PostgreSQL)."""
    origin: str
    """This process's random id, for payloads that say who sent them."""

    async def notify(self, channel: str, payload: str = "") -> None: ...

    async def listen(self, channel: str, callback: Callback) -> None: ...

    def on_gap(self, callback: Callable[[], None]) -> None: ...

    async def close(self) -> None: ...


class NoNotifications:
    """SQLite: one process per database, nothing to tell anyone."""

    shared = False

    def __init__(self) -> None:
        self.origin = secrets.token_hex(8)

    async def notify(self, channel: str, payload: str = "") -> None:
        return None

    async def listen(self, channel: str, callback: Callback) -> None:
        return None

    def on_gap(self, callback: Callable[[], None]) -> None:
        return None

    async def close(self) -> None:
        return None


class PostgresNotifications:
    """LISTEN/NOTIFY on PostgreSQL: one dedicated listening connection per process, made when
    the first `listen` is called, and made again (with `on_gap` callbacks) when it is lost."""

    shared = True

    def __init__(self, db: Any, connect: Callable[[], Any]) -> None:
        """`db`: the `PostgresDatabase` (its `execute` joins the caller's transaction);
        `connect`: coroutine function opening a new, unpooled asyncpg connection."""
        self._db = db
        self._connect = connect
        self.origin = secrets.token_hex(8)
        self._callbacks: dict[str, list[Callback]] = {}
        self._gap_callbacks: list[Callable[[], None]] = []
        self._connection: Any = None
        self._connecting = asyncio.Lock()
        self._reconnect: asyncio.Task[None] | None = None
        self._closed = False

    async def notify(self, channel: str, payload: str = "") -> None:
        if len(payload.encode()) > MAX_PAYLOAD:
            raise ValueError(f"a notification payload must stay under {MAX_PAYLOAD} bytes")
        await self._db.execute("SELECT pg_notify(?, ?)", (channel, payload))

    async def listen(self, channel: str, callback: Callback) -> None:
        first = channel not in self._callbacks
        self._callbacks.setdefault(channel, []).append(callback)
        async with self._connecting:
            if self._connection is None:
                await self._open()
            elif first:
                await self._connection.add_listener(channel, self._heard)

    def on_gap(self, callback: Callable[[], None]) -> None:
        self._gap_callbacks.append(callback)

    async def close(self) -> None:
        self._closed = True
        if self._reconnect is not None:
            self._reconnect.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)

    async def _open(self) -> None:
        connection = await self._connect()
        connection.add_termination_listener(self._lost)
        for channel in self._callbacks:
            await connection.add_listener(channel, self._heard)
        self._connection = connection

    def _heard(self, _connection: Any, _pid: int, channel: str, payload: str) -> None:
        for callback in list(self._callbacks.get(channel, ())):
            try:
                callback(payload)
            except Exception:
                logger.exception("a notification listener on {} failed", channel)

    def _lost(self, _connection: Any) -> None:
        self._connection = None
        if not self._closed and self._reconnect is None:
            self._reconnect = asyncio.get_running_loop().create_task(
                self._reconnect_loop(), name="communitybot-notifications"
            )

    async def _reconnect_loop(self) -> None:
        delay = RECONNECT_FIRST_S
        try:
            while not self._closed:
                await asyncio.sleep(delay)
                try:
                    async with self._connecting:
                        await self._open()
                except Exception as error:
                    logger.warning("notifications: cannot listen again yet ({})", error)
                    delay = min(delay * 2, RECONNECT_MAX_S)
                    continue
                logger.info("notifications: listening again; caches are refreshed")
                for callback in list(self._gap_callbacks):
                    try:
                        callback()
                    except Exception:
                        logger.exception("a notification gap listener failed")
                return
        finally:
            self._reconnect = None
