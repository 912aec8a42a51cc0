"""A database read as it is: its catalogue and rows in one read transaction, never migrated.

`communitybot db copy` reads its source here and `communitybot db check` inspects a database
here. Opening a store (`open_database`) migrates it, which neither may do: a copy refuses a
source whose schema differs from the code's instead of changing it, and a check reports what
is pending instead of applying it.

One read transaction for the whole reading: on SQLite (WAL) it sees the last committed state
when it began, so a running bot's half-done writes are never read; on PostgreSQL it is a
`REPEATABLE READ, READ ONLY` transaction, one snapshot for every table.

The catalogue (tables, columns, primary keys, foreign keys, identity columns) is asked the
way each engine answers it; `read_catalogue` also reads a migrated target through the store's
`Database` (any object with `dialect` and `fetch_all`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from communitybot.logging import register_secret
from communitybot.store.db import StoreError
from communitybot.store.dialect import placeholders
from communitybot.store.urls import is_postgres, password_forms, redacted

BATCH = 500
"""Rows read (and later written) at a time: a few hundred keeps each statement's parameters
far below both engines' limits and memory flat on a million members."""

VERSION_TABLES = {"schema_version"}
"""PostgreSQL's record of the schema version (SQLite keeps it in `PRAGMA user_version`): each
database has its own, never copied."""

Fetch = Callable[[str, Sequence[Any]], Awaitable[Sequence[Any]]]


@dataclass(frozen=True)
class Table:
    """One application table as the catalogue describes it."""

    name: str
    columns: tuple[str, ...]
    kinds: tuple[str, ...]
    """Per column: "int", "text", "real", "blob" or "other" (what a value must be)."""
    key: tuple[str, ...]
    """The primary key's columns, in key order; every table of ours has one."""
    parents: frozenset[str]
    """Tables its foreign keys reference (itself excluded)."""
    identity: str | None = None
    """PostgreSQL: the column a sequence fills (`GENERATED … AS IDENTITY`), else None."""

    def kind(self, column: str) -> str:
        return self.kinds[self.columns.index(column)]


def quoted(name: str) -> str:
    """A table or column name as SQL spells it on both engines."""
    return '"' + name.replace('"', '""') + '"'


def _kind(declared: str) -> str:
    text = declared.lower()
    if "int" in text:
        return "int"
    if "char" in text or "text" in text or "clob" in text:
        return "text"
    if "real" in text or "double" in text or "float" in text or "numeric" in text:
        return "real"
    if "blob" in text or "bytea" in text:
        return "blob"
    return "other"


async def read_catalogue(fetch: Fetch, dialect: str) -> dict[str, Table]:
    """Every application table (not the engine's own, not the version record), by name."""
    if dialect == "postgresql":
        return await _postgres_catalogue(fetch)
    return await _sqlite_catalogue(fetch)


async def _sqlite_catalogue(fetch: Fetch) -> dict[str, Table]:
    rows = await fetch("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", ())
    tables: dict[str, Table] = {}
    for row in rows:
        name = str(row[0])
        if name.startswith("sqlite_"):
            continue
        columns = await fetch(f"PRAGMA table_info({quoted(name)})", ())
        keyed = sorted((int(c[5]), str(c[1])) for c in columns if int(c[5]))
        parents = await fetch(f"PRAGMA foreign_key_list({quoted(name)})", ())
        tables[name] = Table(
            name,
            tuple(str(c[1]) for c in columns),
            tuple(_kind(str(c[2] or "")) for c in columns),
            tuple(column for _, column in keyed),
            frozenset(str(p[2]) for p in parents) - {name},
        )
    return tables


async def _postgres_catalogue(fetch: Fetch) -> dict[str, Table]:
    rows = await fetch(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        " ORDER BY table_name",
        (),
    )
    tables: dict[str, Table] = {}
    for row in rows:
        name = str(row[0])
        if name in VERSION_TABLES:
            continue
        columns = await fetch(
            "SELECT column_name, data_type,"
            " pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL"
            " FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ?"
            " ORDER BY ordinal_position",
            (name,),
        )
        key = await fetch(
            "SELECT a.attname FROM pg_index i"
            " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = CAST(? AS text)::regclass AND i.indisprimary"
            " ORDER BY array_position(i.indkey::int2[], a.attnum)",
            (quoted(name),),
        )
        parents = await fetch(
            "SELECT DISTINCT CAST(confrelid::regclass AS text) FROM pg_constraint"
            " WHERE conrelid = CAST(? AS text)::regclass AND contype = 'f'",
            (quoted(name),),
        )
        identity = [str(c[0]) for c in columns if c[2]]
        tables[name] = Table(
            name,
            tuple(str(c[0]) for c in columns),
            tuple(_kind(str(c[1])) for c in columns),
            tuple(str(k[0]) for k in key),
            frozenset(str(p[0]).strip('"') for p in parents) - {name},
            identity[0] if identity else None,
        )
    return tables


class Snapshot:
    """One open read transaction on a database; `open_snapshot()` makes one, `close()` ends it."""

    dialect: str
    shown: str
    """The database as messages name it (a URL without its password, or the file's path)."""

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

    def batches(self, sql: str) -> AsyncIterator[list[tuple[Any, ...]]]:
        """The rows of `sql`, `BATCH` at a time (never all in memory)."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = await self.fetch(sql, params)
        return rows[0][0] if rows else None

    async def catalogue(self) -> dict[str, Table]:
        return await read_catalogue(self.fetch, self.dialect)

    async def schema_version(self) -> int:
        """The core schema's version (0: a database no communitybot has migrated)."""
        raise NotImplementedError

    async def adapter_versions(self) -> dict[str, int]:
        """Each adapter's schema version recorded in the database (`adapter_schema`)."""
        if "adapter_schema" not in await self.table_names():
            return {}
        rows = await self.fetch("SELECT name, version FROM adapter_schema ORDER BY name")
        return {str(r[0]): int(r[1]) for r in rows}

    async def table_names(self) -> set[str]:
        return set(await self.catalogue())

    async def server_version(self) -> str:
        raise NotImplementedError

    async def id_counters(self) -> dict[str, int]:
        """Per table, the highest id ever handed out where the engine remembers it beyond the
        rows (SQLite's AUTOINCREMENT never reuses the id of a deleted row); else empty."""
        return {}


class SqliteSnapshot(Snapshot):
    dialect = "sqlite"

    def __init__(self, connection: Any, path: str) -> None:
        self._conn = connection
        self.shown = path

    @classmethod
    async def open(cls, path: Path) -> SqliteSnapshot:
        import aiosqlite

        uri = _read_only_uri(path)
        try:
            connection = await aiosqlite.connect(uri, uri=True, isolation_level=None)
            try:
                await connection.execute("PRAGMA busy_timeout = 5000")
                # The read transaction: its first read fixes what every later one sees.
                await connection.execute("BEGIN")
                await connection.execute("SELECT count(*) FROM sqlite_master")
            except BaseException:
                await connection.close()
                raise
        except sqlite3.Error as error:
            raise StoreError(f"cannot read the database {path}: {error}") from error
        return cls(connection, str(path))

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return list(await self._conn.execute_fetchall(sql, tuple(params)))
        except sqlite3.Error as error:
            raise StoreError(f"cannot read the database {self.shown}: {error}") from error

    async def batches(self, sql: str) -> AsyncIterator[list[tuple[Any, ...]]]:
        try:
            async with self._conn.execute(sql) as cursor:
                while rows := await cursor.fetchmany(BATCH):
                    yield [tuple(row) for row in rows]
        except sqlite3.Error as error:
            raise StoreError(f"cannot read the database {self.shown}: {error}") from error

    async def schema_version(self) -> int:
        return int(await self.scalar("PRAGMA user_version") or 0)

    async def server_version(self) -> str:
        return f"SQLite {await self.scalar('SELECT sqlite_version()')}"

    async def id_counters(self) -> dict[str, int]:
        if not await self.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
        ):
            return {}
        rows = await self.fetch("SELECT name, seq FROM sqlite_sequence")
        return {str(r[0]): int(r[1]) for r in rows if r[1] is not None}

    async def integrity_problems(self) -> list[str]:
        """What `PRAGMA integrity_check` and `foreign_key_check` find (empty: all is well)."""
        found = [str(r[0]) for r in await self.fetch("PRAGMA integrity_check")]
        problems = [line for line in found if line != "ok"]
        for row in await self.fetch("PRAGMA foreign_key_check"):
            problems.append(f"row {row[1]} of {row[0]} points at a missing row of {row[2]}")
        return problems

    async def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            await self._conn.execute("ROLLBACK")
        await self._conn.close()


def _read_only_uri(path: Path) -> str:
    """SQLite's URI for opening `path` read-only; an absent file or a folder is one line
    (opening read-only never creates a file)."""
    if path.is_dir():
        raise StoreError(f"the database path {path} is a folder, not a database file")
    if not path.exists():
        raise StoreError(f"there is no database at {path}")
    return f"file:{quote(str(path.resolve()))}?mode=ro"


class PostgresSnapshot(Snapshot):
    dialect = "postgresql"

    def __init__(self, connection: Any, transaction: Any, shown: str) -> None:
        self._conn = connection
        self._transaction = transaction
        self.shown = shown

    @classmethod
    async def open(cls, url: str) -> PostgresSnapshot:
        import asyncpg

        from communitybot.store.postgres_db import _said

        for password in password_forms(url):
            register_secret(password)
        shown = redacted(url)
        try:
            connection = await asyncpg.connect(url)
        except (TimeoutError, OSError, asyncpg.PostgresError) as error:
            raise StoreError(f"cannot connect to the database {shown}: {_said(error)}") from error
        transaction = connection.transaction(isolation="repeatable_read", readonly=True)
        try:
            await transaction.start()
        except BaseException:
            await connection.close()
            raise
        return cls(connection, transaction, shown)

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        import asyncpg

        try:
            return list(await self._conn.fetch(placeholders(sql), *params))
        except asyncpg.PostgresError as error:
            raise StoreError(f"cannot read the database {self.shown}: {error}") from error

    async def batches(self, sql: str) -> AsyncIterator[list[tuple[Any, ...]]]:
        import asyncpg

        try:
            cursor = await self._conn.cursor(placeholders(sql))
            while rows := await cursor.fetch(BATCH):
                yield [tuple(row) for row in rows]
        except asyncpg.PostgresError as error:
            raise StoreError(f"cannot read the database {self.shown}: {error}") from error

    async def schema_version(self) -> int:
        if not await self.scalar("SELECT to_regclass('schema_version') IS NOT NULL"):
            return 0
        return int(await self.scalar("SELECT version FROM schema_version") or 0)

    async def server_version(self) -> str:
        return f"PostgreSQL {await self.scalar('SHOW server_version')}"

    async def id_counters(self) -> dict[str, int]:
        """Each identity sequence's last value (it may be past the highest row left)."""
        found = {}
        for table in (await self.catalogue()).values():
            if table.identity is None:
                continue
            sequence = await self.scalar(
                "SELECT pg_get_serial_sequence(?, ?)", (quoted(table.name), table.identity)
            )
            if sequence is None:
                continue
            # The name comes from the catalogue (schema-qualified, quoted where needed).
            (last, called), *_ = await self.fetch(f"SELECT last_value, is_called FROM {sequence}")
            # Not called yet: `last_value` is the next id to hand out (setval(…, false)).
            found[table.name] = int(last) if called else int(last) - 1
        return found

    async def close(self) -> None:
        try:
            await self._transaction.rollback()
        finally:
            await self._conn.close()


async def open_snapshot(target: str | Path) -> Snapshot:
    """A read transaction on the database `target` names (a PostgreSQL URL or a SQLite file);
    a problem reaching it is one StoreError line, without the URL's password."""
    if is_postgres(target):
        return await PostgresSnapshot.open(str(target))
    return await SqliteSnapshot.open(Path(target))
