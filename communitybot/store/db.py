"""The SQLite connection: pragmas, numbered migrations, transactions, and 'database busy'.

Migrations are the numbered `.sql` files in `migrations/`; `PRAGMA user_version` records the
last one applied. Each runs in its own transaction, so a failed step leaves the previous version
intact. A database written by a newer communitybot is refused rather than damaged.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite
from loguru import logger

from communitybot.file_modes import create_private, make_private_dirs, tighten
from communitybot.store.checkpoints import BACKSTOP_PAGES, Checkpointer
from communitybot.store.dialect import split_statements
from communitybot.store.notifications import NoNotifications, Notifications

BUSY_TIMEOUT_MS = 5000


class StoreError(Exception):
    """A storage problem the user can be told about in one sentence."""


class StoreBusy(StoreError):
    """The database stayed locked past the busy timeout; nothing was changed."""


class DatabaseTooNew(StoreError):
    """The file was written by a newer version of communitybot."""


class StoreFull(StoreError):
    """SQLite could not write: the disk (or the database's size limit) is full; nothing changed."""


class StoreReadOnly(StoreError):
    """The database file, or its folder, cannot be written; nothing changed."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migrations shipped with this package, in order."""
    folder = resources.files("communitybot.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise RuntimeError(f"migration numbering has a gap before {migration.name}")
    return found


def _is_locked(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _translated(error: sqlite3.Error, path: str) -> Exception:
    """The StoreError a user can be told about for `error`, or `error` itself.

    Full disk and read-only files are said plainly, with the file: a bare "database or disk
    is full" deep in a traceback is easy to miss, and a generic apology hides what to fix.
    """
    code = getattr(error, "sqlite_errorcode", None)
    text = str(error).lower()
    if code == sqlite3.SQLITE_FULL or "database or disk is full" in text:
        return StoreFull(f"the disk is full: cannot write the database {path} ({error})")
    if (code is not None and code & 0xFF == sqlite3.SQLITE_READONLY) or "readonly" in text:
        return StoreReadOnly(
            f"the database {path} is read-only ({error}): the bot needs write access to the file "
            "and to its folder (for the -wal and -shm files)"
        )
    if code is not None and code & 0xFF == sqlite3.SQLITE_CANTOPEN:
        return StoreReadOnly(
            f"cannot open the database {path} ({error}): the bot needs to read and write the "
            "file and to create files next to it (-wal, -shm) in its folder"
        )
    if isinstance(error, sqlite3.OperationalError) and _is_locked(error):
        return StoreBusy("the database is busy")
    return error


class Database:
    """One aiosqlite connection with the project's pragmas; use `Database.open()`.

    A database opened from a file also has a `reader`: a second connection that cannot write
    (`PRAGMA query_only`), for read-only commands. In WAL mode it reads the last committed state
    while the writer's transaction is open, so those commands never wait for the write path.
    An in-memory database has no reader (a second connection would see another database).
    """

    dialect = "sqlite"

    def __init__(
        self, connection: aiosqlite.Connection, path: str, *, read_only: bool = False
    ) -> None:
        self._conn = connection
        self.path = path
        self._in_transaction = False
        self._savepoints = 0
        self._in_flight = 0
        """Statements handed to aiosqlite's thread and not finished yet (see `_here`)."""
        self._submitted = 0
        self._finished_upto = 0
        self._unsure_upto = 0
        """A call cancelled while its statement was queued: until a later one has finished,
        that statement may still be running on aiosqlite's thread."""
        self.read_only = read_only
        """A reader: every write statement fails (SQLite refuses it, nothing is changed)."""
        self.reader: Database | None = None
        self.notifications: Notifications = NoNotifications()
        """One process per SQLite file: nobody else to tell (`store.notifications`)."""
        self.checkpoints: Checkpointer | None = None
        """The writer of a database file: copies the WAL back some time after writes, on its
        own connection (`store.checkpoints`), so commits never stop for it."""

    @classmethod
    async def open(
        cls, path: str | Path, migrations: Iterable[Migration] | None = None
    ) -> Database:
        """Open (creating if needed) and migrate to the newest schema this code knows."""
        path = str(path)
        if path != ":memory:":
            _refuse_folder(Path(path))
            _private_database(Path(path))
        # check_same_thread off: `quick` statements run on the event loop's thread while
        # aiosqlite's own thread is idle (`_here`): never both at once.
        pending = aiosqlite.connect(path, isolation_level=None, check_same_thread=False)
        try:
            connection = await pending
        except sqlite3.Error as error:
            await _stopped(pending)
            translated = _translated(error, path)
            if isinstance(translated, StoreError):
                raise translated from error
            raise StoreError(f"cannot open the database {path}: {error}") from error
        connection.row_factory = aiosqlite.Row
        db = cls(connection, path)
        steps = list(migrations) if migrations is not None else bundled_migrations()
        try:
            await db._configure()
            # Refuse a newer database before anything (even the journal mode) touches the file.
            await db._refuse_newer(steps[-1].version if steps else 0)
            await db._conn.execute("PRAGMA journal_mode = WAL")
            await db.migrate(steps)
            if path != ":memory:":
                db.reader = await cls._open_reader(path)
                await db._conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")
                db.checkpoints = Checkpointer(path)
        except sqlite3.Error as error:
            await connection.close()
            translated = _translated(error, path)
            if translated is error:
                raise
            raise translated from error
        except BaseException:
            await connection.close()
            raise
        return db

    @classmethod
    async def _open_reader(cls, path: str) -> Database | None:
        """The read connection beside the writer; None (with a warning) if it cannot be had:
        read-only commands then take the write path, as everything else does."""
        pending = aiosqlite.connect(path, isolation_level=None)
        try:
            connection = await pending
        except sqlite3.Error as error:
            await _stopped(pending)
            logger.warning("no read connection to {} ({}): reads take the write path", path, error)
            return None
        connection.row_factory = aiosqlite.Row
        reader = cls(connection, path, read_only=True)
        try:
            await reader._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await reader._conn.execute("PRAGMA query_only = ON")
        except sqlite3.Error as error:
            await connection.close()
            logger.warning("no read connection to {} ({}): reads take the write path", path, error)
            return None
        return reader

    async def _configure(self) -> None:
        await self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await self._conn.execute("PRAGMA foreign_keys = ON")
        await self._conn.execute("PRAGMA synchronous = NORMAL")

    def migration_statements(self, sql: str) -> list[str]:
        """A migration file's statements as this engine runs them (here: as written)."""
        return split_statements(sql)

    async def schema_version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def _refuse_newer(self, newest: int) -> None:
        current = await self.schema_version()
        if current > newest:
            raise DatabaseTooNew(
                f"the database {self.path} has schema version {current}, but this communitybot "
                f"only knows up to {newest}: upgrade communitybot or use another database file"
            )

    async def migrate(self, migrations: list[Migration]) -> None:
        await self._refuse_newer(migrations[-1].version if migrations else 0)
        current = await self.schema_version()
        for migration in migrations:
            if migration.version <= current:
                continue
            async with self.transaction():
                for statement in split_statements(migration.sql):
                    await self._conn.execute(statement)
                await self._conn.execute(f"PRAGMA user_version = {migration.version}")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any error; nested use joins the outer one."""
        if self._in_transaction:
            yield
            return
        try:
            await self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise self._error(error) from error
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._in_transaction = False
            await self._rollback()
            raise
        self._in_transaction = False
        try:
            await self._conn.execute("COMMIT")
        except sqlite3.Error as error:
            await self._rollback()
            raise self._error(error) from error
        self._wrote()

    def _wrote(self) -> None:
        """A commit (or a statement outside a transaction, which commits itself) happened."""
        if self.checkpoints is not None and not self._in_transaction:
            self.checkpoints.wrote()

    @property
    def in_transaction(self) -> bool:
        """A transaction is open on the connection (False after SQLite rolled one back itself,
        as it does on "disk full")."""
        return self._in_transaction and self._conn.in_transaction

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """Inside `transaction()`: a part that an error undoes alone (SAVEPOINT … RELEASE, or
        ROLLBACK TO it); the Bot's group commit of joins runs each join in one."""
        if not self._in_transaction:
            raise RuntimeError("a savepoint needs an open transaction")
        self._savepoints += 1
        name = f"part{self._savepoints}"
        try:
            await self.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                if self._conn.in_transaction:
                    async with self._hop():
                        await self._conn.execute(f"ROLLBACK TO {name}")
                        await self._conn.execute(f"RELEASE {name}")
                raise
            await self.execute(f"RELEASE {name}")
        finally:
            self._savepoints -= 1

    async def _rollback(self) -> None:
        """Roll back what is still open: after "disk full" SQLite has already rolled back
        itself, and a second ROLLBACK ("no transaction is active") would hide the real error."""
        if self._conn.in_transaction:
            await self._conn.execute("ROLLBACK")

    def _error(self, error: sqlite3.Error) -> Exception:
        translated = _translated(error, self.path)
        return translated if translated is not error else error

    def _here(self, quick: bool) -> sqlite3.Connection | None:
        """The raw connection, when a `quick` statement may run right here on the event loop.

        A thread hop costs more than a one-row INSERT itself, and a join makes three of them.
        Only inside a write transaction (the lock is held, SQLite cannot answer "busy") and only
        while aiosqlite's thread has nothing to do (every statement handed to it has finished),
        so the two never use the connection at once and statements keep their order. Callers
        mark only statements that touch a row or a few (by key): they take microseconds.
        """
        if (
            not quick
            or not self._in_transaction
            or self._in_flight
            or self._finished_upto < self._unsure_upto
        ):
            return None
        return self._conn._conn  # aiosqlite's sqlite3 connection (check_same_thread off)

    @asynccontextmanager
    async def _hop(self) -> AsyncIterator[None]:
        """Count a statement handed to aiosqlite's thread (see `_here`)."""
        self._submitted += 1
        number = self._submitted
        self._in_flight += 1
        try:
            yield
        except asyncio.CancelledError:
            self._unsure_upto = max(self._unsure_upto, number)
            raise
        finally:
            self._in_flight -= 1
        self._finished_upto = max(self._finished_upto, number)

    async def execute(self, sql: str, params: Iterable[Any] = (), *, quick: bool = False) -> int:
        """Run one statement; returns lastrowid (for INSERT) or rowcount otherwise.

        One hop to aiosqlite's thread (each costs tens of microseconds, more under load): the
        cursor is not closed with a second hop, as a statement that ran to its end has already
        been reset, and the cursor goes with its last reference. `quick`: may run without a
        hop (`_here`).
        """
        try:
            here = self._here(quick)
            if here is not None:
                cursor: Any = here.execute(sql, tuple(params))
            else:
                async with self._hop():
                    cursor = await self._conn.execute(sql, tuple(params))
        except sqlite3.Error as error:
            translated = self._error(error)
            if translated is error:
                raise
            raise translated from error
        self._wrote()
        result = cursor.lastrowid if sql.lstrip()[:6].upper() == "INSERT" else cursor.rowcount
        return int(result or 0)

    async def execute_many(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        try:
            async with self._hop():
                await self._conn.executemany(sql, [tuple(r) for r in rows])
        except sqlite3.Error as error:
            translated = self._error(error)
            if translated is error:
                raise
            raise translated from error
        self._wrote()

    async def fetch_all(
        self, sql: str, params: Iterable[Any] = (), *, quick: bool = False
    ) -> list[aiosqlite.Row]:
        """Run a query and return its rows: one hop to aiosqlite's thread, not three (execute,
        fetch, close). `quick`: may run without a hop (`_here`)."""
        try:
            here = self._here(quick)
            if here is not None:
                return list(here.execute(sql, tuple(params)).fetchall())
            async with self._hop():
                return list(await self._conn.execute_fetchall(sql, tuple(params)))
        except sqlite3.Error as error:
            translated = self._error(error)
            if translated is error:
                raise
            raise translated from error

    async def fetch_one(
        self, sql: str, params: Iterable[Any] = (), *, quick: bool = False
    ) -> aiosqlite.Row | None:
        rows = await self.fetch_all(sql, params, quick=quick)
        return rows[0] if rows else None

    async def close(self) -> None:
        if self.reader is not None:
            await self.reader.close()
            self.reader = None
        if self.checkpoints is not None:
            await self.checkpoints.close()
            self.checkpoints = None
        await self._conn.close()


def _refuse_folder(path: Path) -> None:
    """A database path that is itself a folder is said in one line."""
    if path.is_dir():
        raise StoreError(
            f"the database path {path} is a folder: give a file inside it, e.g. "
            f"{path / 'communitybot.db'}"
        )


async def _stopped(pending: aiosqlite.Connection) -> None:
    """Wait for a failed connection's worker thread to finish.

    aiosqlite stops the thread when connecting fails but does not wait for it; if the event
    loop closes first (start-up gives up at once), the thread prints two tracebacks.
    """
    thread = getattr(pending, "_thread", None)
    if thread is not None and thread.is_alive():
        await asyncio.to_thread(thread.join, 5)


def _private_database(path: Path) -> None:
    """Make sure the database and its `-wal`/`-shm` files are readable by the bot's user only.

    A new database is created 0600 (in 0700 folders made for it) before SQLite opens it;
    SQLite then gives `-wal` and `-shm` the same mode. An existing file that others could read
    is tightened, with one log line saying so.
    """
    try:
        make_private_dirs(path.parent)
        if create_private(path):
            return
    except PermissionError as error:
        raise StoreReadOnly(
            f"cannot create the database {path} ({error.strerror}): its folder is read-only for "
            "the bot's user, which must create the file and create files next to it (-wal, -shm)"
        ) from error
    if not os.access(path, os.R_OK | os.W_OK):
        raise StoreReadOnly(
            f"the database {path} is read-only for the bot's user: it needs to read and write "
            "the file and to create files next to it (-wal, -shm) in its folder"
        )
    tightened = []
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            old = tighten(file)
        except OSError as error:
            logger.warning("cannot make {} owner-only: {}", file, error.strerror or error)
            continue
        if old is not None:
            tightened.append(f"{file.name} (was {old:o})")
    if tightened:
        logger.warning(
            "the database {} was readable by other users; made owner-only (600): {}",
            path,
            ", ".join(tightened),
        )
