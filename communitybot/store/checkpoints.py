"""WAL checkpoints off the write path: the writer's commits never stop to copy pages.

Why: in WAL mode a commit appends its pages to the `-wal` file, and by default SQLite copies
them back into the database file (a checkpoint, with an fsync) inside whichever commit takes
the WAL past 1,000 pages. That commit, and every event waiting for the writer behind it, stalls
meanwhile: a burst of 10,000 due jobs met one or two such commits of 4–9 ms each, about 6 % of
the burst. SQLite's documentation names the way out used here: the writer checkpoints itself
only as a backstop (`BACKSTOP_PAGES`, so the WAL stays bounded whatever happens), and a
connection of its own, on its own thread, runs a PASSIVE checkpoint — one that never waits for
the writer or for readers, it copies what it can — `DELAY_S` after the first write since the
last one, or at once after `EVERY_COMMITS` commits (a long write burst stays far from the
backstop). A checkpoint ends with an fsync, which slows every disk read meanwhile, so a quiet
bot plans none and a lightly used one at most one per `DELAY_S`, about as often as SQLite's own
every 1,000 pages. A crash during one is harmless: SQLite's WAL is made for it.

Only for a database file (an in-memory database has no WAL); PostgreSQL has its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

import aiosqlite
from loguru import logger

BACKSTOP_PAGES = 10_000
"""The writer's own `wal_autocheckpoint` (about 40 MB of WAL): reached only if the
checkpoints here fall behind (readers holding old snapshots for long, a failing disk)."""
DELAY_S = 10.0
"""How long after the first write since the last checkpoint the next one runs: a burst's
commits go by first, and its pages are copied once."""
EVERY_COMMITS = 256
"""After this many commits since the last checkpoint the next one starts at once (in the
background): a sustained write burst is copied back as it goes."""


class Checkpointer:
    """Runs `PRAGMA wal_checkpoint(PASSIVE)` on its own connection, some time after writes."""

    def __init__(
        self, path: str, delay_s: float = DELAY_S, every_commits: int = EVERY_COMMITS
    ) -> None:
        self._path = path
        self._delay_s = delay_s
        self._every_commits = every_commits
        self._commits = 0
        """Commits since the last checkpoint started."""
        self._connection: aiosqlite.Connection | None = None
        self._planned: asyncio.TimerHandle | None = None
        self._running: asyncio.Task[None] | None = None
        self._closed = False
        self._warned = False
        self.done = 0
        """Checkpoints run (for tests and the curious)."""
        self.last: tuple[int, int, int] | None = None
        """The last one's answer: (1 if it could not start, WAL pages, pages copied)."""

    def wrote(self) -> None:
        """The writer committed something: plan a checkpoint `delay_s` from now unless one is
        planned already, or start it now after `every_commits` commits (cheap: called after
        every commit)."""
        if self._closed:
            return
        self._commits += 1
        if self._commits >= self._every_commits:
            self._start()
            return
        if self._planned is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._planned = loop.call_later(self._delay_s, self._start)

    def _start(self) -> None:
        if self._planned is not None:
            self._planned.cancel()
            self._planned = None  # writes from now on plan the next one
        if self._closed or (self._running is not None and not self._running.done()):
            return
        self._commits = 0
        self._running = asyncio.create_task(self._checkpoint(), name="communitybot-checkpoint")

    async def _checkpoint(self) -> None:
        try:
            await self.checkpoint()
        except (sqlite3.Error, OSError) as error:
            if not self._warned:  # the writer's backstop goes on checkpointing
                self._warned = True
                logger.warning("a WAL checkpoint of {} failed: {}", self._path, error)

    async def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint now; its answer (see `last`)."""
        if self._connection is None:
            self._connection = await aiosqlite.connect(self._path, isolation_level=None)
        rows = await self._connection.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        busy, pages, copied = next(iter(rows))
        self.last = (int(busy), int(pages), int(copied))
        self.done += 1
        return self.last

    async def close(self) -> None:
        """Plan nothing more; let a checkpoint under way finish, then close the connection."""
        self._closed = True
        if self._planned is not None:
            self._planned.cancel()
            self._planned = None
        running, self._running = self._running, None
        if running is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await running
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()
