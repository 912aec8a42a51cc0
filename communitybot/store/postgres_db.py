"""The PostgreSQL database (asyncpg): the same interface the repositories use on SQLite.

Imported only when `COMMUNITYBOT_DATABASE_URL` names PostgreSQL, so the embedded SQLite path
(and `make run`) never needs asyncpg. Differences the repositories may notice:

- `execute` returns the row count, also for INSERT (SQLite returns its lastrowid there); new
  ids come from `INSERT … RETURNING id`, which both engines answer.
- `transaction()` takes one pooled connection for its whole length; statements outside a
  transaction each take one briefly (autocommit). `quick=` is accepted and ignored (there is no
  thread hop to save).
- `reader` runs each read in a read-only transaction on the same pool: a write there fails
  with StoreReadOnly, as SQLite's `query_only` connection does.
- The schema version lives in a one-row `schema_version` table (SQLite: `PRAGMA user_version`).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from communitybot.logging import register_secret
from communitybot.store.db import (
    DatabaseTooNew,
    Migration,
    StoreBusy,
    StoreError,
    StoreFull,
    StoreReadOnly,
    bundled_migrations,
)
from communitybot.store.dialect import migration_statements, placeholders
from communitybot.store.notifications import Notifications, PostgresNotifications
from communitybot.store.urls import password_forms, redacted

MIGRATION_LOCK = 0x636F6D6D  # advisory lock key: one process migrates at a time
IDLE_IN_TRANSACTION_TIMEOUT = "60s"
"""A pooled connection idle this long inside a transaction is ended by the server, rolling it
back: a hung process cannot hold claimed jobs (row locks) forever (`store.jobs`)."""
BUSY_STATES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available


def _translated(error: Exception, where: str) -> Exception:
    """The StoreError a user can be told about for a PostgreSQL error, or `error` itself."""
    state = getattr(error, "sqlstate", None)
    if state == "53100":
        return StoreFull(f"the disk of the database server is full: cannot write {where}")
    if state == "25006":
        return StoreReadOnly(f"the database {where} cannot be written here ({error})")
    if state in BUSY_STATES:
        return StoreBusy("the database is busy")
    return error


@dataclass
class _Transaction:
    """The connection a transaction holds; `lock` keeps tasks sharing it to one statement."""

    db: PostgresDatabase
    connection: Any
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    savepoints: int = 0


_current: contextvars.ContextVar[_Transaction | None] = contextvars.ContextVar(
    "communitybot_pg_transaction", default=None
)


class PostgresDatabase:
    """A pool of asyncpg connections with the SQLite `Database`'s interface; use `open()`."""

    dialect = "postgresql"
    DEFAULT_POOL_SIZE = 20
    """Connections at most (`COMMUNITYBOT_DATABASE_POOL_SIZE`). Each open unit of work holds one
    for its transaction (units of different communities run in parallel), reads outside a
    transaction take one briefly; when all are busy a unit waits for one, it never fails."""

    def __init__(
        self, pool: Any, where: str, *, read_only: bool = False, url: str | None = None
    ) -> None:
        self._pool = pool
        self.path = where
        """The URL without its password: what messages name (SQLite: the file's path)."""
        self.read_only = read_only
        self.reader: PostgresDatabase | None = None
        self._url = url
        self.notifications: Notifications = PostgresNotifications(self, self.connect)
        """LISTEN/NOTIFY between the processes sharing this database (`store.notifications`)."""

    async def connect(self) -> Any:
        """A new asyncpg connection of its own, outside the pool: for what holds one for a
        long time (the notification listener, a leader lock). The caller closes it."""
        if self._url is None:
            raise RuntimeError("this database was opened without a URL to connect to")
        return await asyncpg.connect(self._url)

    @classmethod
    async def open(
        cls,
        url: str,
        migrations: Iterable[Migration] | None = None,
        *,
        max_size: int = DEFAULT_POOL_SIZE,
    ) -> PostgresDatabase:
        """Connect, refuse a newer schema, migrate; a connection problem is one StoreError."""
        for password in password_forms(url):
            register_secret(password)
        where = redacted(url)
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=max_size,
                server_settings={
                    "idle_in_transaction_session_timeout": IDLE_IN_TRANSACTION_TIMEOUT
                },
            )
        except (TimeoutError, OSError, asyncpg.PostgresError) as error:
            raise StoreError(f"cannot connect to the database {where}: {_said(error)}") from error
        db = cls(pool, where, url=url)
        steps = list(migrations) if migrations is not None else bundled_migrations()
        try:
            await db.migrate(steps)
        except BaseException:
            await pool.close()
            raise
        db.reader = cls(pool, where, read_only=True)
        db.reader.notifications = db.notifications
        return db

    def migration_statements(self, sql: str) -> list[str]:
        """A migration file's statements as PostgreSQL spells them (`dialect.DDL_RULES`); the
        adapters' migrations (`communitybot.adapter_state`) go through it too."""
        return migration_statements(sql)

    async def schema_version(self) -> int:
        if not await self._has_version_table():
            return 0
        row = await self.fetch_one("SELECT version FROM schema_version")
        return int(row[0]) if row else 0

    async def _has_version_table(self) -> bool:
        row = await self.fetch_one("SELECT to_regclass('schema_version') IS NOT NULL")
        return bool(row and row[0])

    async def _refuse_newer(self, newest: int) -> None:
        current = await self.schema_version()
        if current > newest:
            raise DatabaseTooNew(
                f"the database {self.path} has schema version {current}, but this communitybot "
                f"only knows up to {newest}: upgrade communitybot or use another database"
            )

    async def migrate(self, migrations: list[Migration]) -> None:
        """Each migration in its own transaction, under an advisory lock (one migrator)."""
        newest = migrations[-1].version if migrations else 0
        await self._refuse_newer(newest)
        async with self.transaction():
            await self.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            await self.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
            )
            if await self.fetch_one("SELECT version FROM schema_version") is None:
                await self.execute("INSERT INTO schema_version (version) VALUES (0)")
        for migration in migrations:
            async with self.transaction():
                await self.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
                current = await self.schema_version()
                if current > newest:
                    await self._refuse_newer(newest)
                if migration.version <= current:
                    continue
                for statement in self.migration_statements(migration.sql):
                    await self.execute(statement)
                await self.execute("UPDATE schema_version SET version = ?", (migration.version,))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """One pooled connection for the whole transaction; nested use joins the outer one."""
        current = _current.get()
        if current is not None and current.db is self:
            yield
            return
        async with self._pool.acquire() as connection:
            state = _Transaction(self, connection)
            outer = connection.transaction(readonly=self.read_only)
            try:
                await outer.start()
            except asyncpg.PostgresError as error:
                raise _raised(self._error(error), error) from error
            token = _current.set(state)
            try:
                yield
            except BaseException:
                _current.reset(token)
                # A statement another task started may still run on this connection.
                async with state.lock:
                    await outer.rollback()
                raise
            _current.reset(token)
            async with state.lock:
                try:
                    await outer.commit()
                except asyncpg.PostgresError as error:
                    raise _raised(self._error(error), error) from error

    @property
    def in_transaction(self) -> bool:
        current = _current.get()
        return current is not None and current.db is self

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """Inside `transaction()`: a part that an error undoes alone (a nested transaction)."""
        current = _current.get()
        if current is None or current.db is not self:
            raise RuntimeError("a savepoint needs an open transaction")
        current.savepoints += 1
        name = f"part{current.savepoints}"
        try:
            await self.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                async with current.lock:
                    await current.connection.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    await current.connection.execute(f"RELEASE SAVEPOINT {name}")
                raise
            await self.execute(f"RELEASE SAVEPOINT {name}")
        finally:
            current.savepoints -= 1

    def _error(self, error: Exception) -> Exception:
        return _translated(error, self.path)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        """The transaction's connection (one statement at a time), or a pooled one."""
        current = _current.get()
        if current is not None and current.db is self:
            async with current.lock:
                yield current.connection
            return
        async with self._pool.acquire() as connection:
            if self.read_only:
                async with connection.transaction(readonly=True):
                    yield connection
            else:
                yield connection

    async def execute(self, sql: str, params: Iterable[Any] = (), *, quick: bool = False) -> int:
        """Run one statement; returns the row count (for INSERT too: use RETURNING for ids)."""
        try:
            async with self._connection() as connection:
                status = await connection.execute(placeholders(sql), *params)
        except asyncpg.PostgresError as error:
            raise _raised(self._error(error), error) from error
        last = status.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0

    async def execute_many(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        try:
            async with self._connection() as connection:
                await connection.executemany(placeholders(sql), [tuple(r) for r in rows])
        except asyncpg.PostgresError as error:
            raise _raised(self._error(error), error) from error

    async def fetch_all(
        self, sql: str, params: Iterable[Any] = (), *, quick: bool = False
    ) -> list[Any]:
        """Rows that index by name and by position, like aiosqlite's."""
        try:
            async with self._connection() as connection:
                rows: Sequence[Any] = await connection.fetch(placeholders(sql), *params)
        except asyncpg.PostgresError as error:
            raise _raised(self._error(error), error) from error
        return list(rows)

    async def fetch_one(
        self, sql: str, params: Iterable[Any] = (), *, quick: bool = False
    ) -> Any | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def close(self) -> None:
        """Close the pool (the reader shares it)."""
        if not self.read_only:
            self.reader = None
            await self.notifications.close()
            await self._pool.close()


def _raised(translated: Exception, error: Exception) -> Exception:
    return translated if translated is not error else error


def _said(error: BaseException) -> str:
    """One line for a connection error (asyncpg's messages never hold the password)."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
