"""The `AdapterState` port on the store's database: each adapter's own tables, own migrations.

Why it looks like this:

* One database file, one backup: adapter state lives beside the core's, but in tables named
  after the adapter (`discord_…`, `matrix_…`), created by the adapter's own migration list
  (`AdapterMigration`s the adapter declares) and counted in `adapter_schema` (name, version),
  not in the core's `PRAGMA user_version`. The core's migrations never create an adapter table,
  and an adapter's migrations may create nothing outside its namespace (checked here).
* Writes go through the store's writer connection, each in its own short transaction, taken in
  turn with the core's units of work (the Bot's write lock). A write used to be a bare statement
  on the shared connection that could land inside another event's open transaction and roll
  back with it. A second connection was tried once and lost: the core's back-to-back
  transactions starved it past the busy timeout during a burst of joins. The lock is taken as
  interactive work (a member is usually waiting on a DM that needs it), so a burst of bulk work
  delays it by one unit at most. On PostgreSQL every transaction has its own pooled
  connection, so there is no turn to take (`communitybot.units.writer_turn`).
* Reads go to the writer connection too, without the lock: the adapter's tables hold only what
  the adapter committed, so nothing half-done is ever seen.
* Personal data (a member's DM room, DM channel, fallback thread) is declared by the part of the
  adapter that keeps it (`declare_personal_data`) into the database's registry
  (`communitybot.personal_data`), which `/mydata` and `/forgetme` ask: the core never names an
  adapter table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from communitybot.personal_data import AdapterPersonalData
from communitybot.ports import AdapterMigration, PersonalData
from communitybot.priority_lock import Priority, PriorityLock
from communitybot.store.db import Database, StoreError
from communitybot.units import writer_turn

MIGRATION_LOCK = 0x636F6D6D
"""PostgreSQL: the advisory lock key `store.postgres_db` migrates under (not imported from
there: that module needs asyncpg, which the SQLite path never loads)."""
NAMED = re.compile(
    r"\b(?:CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX|VIEW|TRIGGER)(?:\s+IF\s+NOT\s+EXISTS)?"
    r"|ALTER\s+TABLE|RENAME\s+TO|DROP\s+(?:TABLE|INDEX|VIEW|TRIGGER)(?:\s+IF\s+EXISTS)?"
    r"|INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?!\s+SET\b)|DELETE\s+FROM|REFERENCES"
    r"|ON(?!\s+(?:CONFLICT|DELETE|UPDATE)\b))"
    r"\s+[\"`\[]?(\w+)",
    re.IGNORECASE,
)
"""Names a migration creates, alters, drops or indexes."""


class AdapterSchemaError(StoreError):
    """An adapter's migrations are malformed or the database is newer than the adapter."""


def check_migrations(namespace: str, migrations: Sequence[AdapterMigration]) -> None:
    """Refuse gaps and names outside `<namespace>_`; raises AdapterSchemaError."""
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise AdapterSchemaError(
                f"the {namespace} adapter's migrations have a gap before version {expected}"
            )
        for name in NAMED.findall(_without_comments(migration.sql)):
            if not name.lower().startswith(f"{namespace}_"):
                raise AdapterSchemaError(
                    f"the {namespace} adapter's migration {migration.version} touches {name}, "
                    f"outside its namespace ({namespace}_…)"
                )


class SqliteAdapterState:
    """`AdapterState` for one adapter (`namespace`) on the store's database; use `open()`."""

    def __init__(
        self,
        db: Database,
        turns: PriorityLock,
        namespace: str,
        personal: AdapterPersonalData | None = None,
    ) -> None:
        """`personal`: the database's registry of personal data (`Store.adapter_data`); None
        keeps declarations to this state (nobody asks them)."""
        self._db = db
        self._turns = writer_turn(db, turns)
        """SQLite: the Bot's writer turn. PostgreSQL: a turn that never waits (each write has
        its own pooled connection and transaction; `communitybot.units.writer_turn`)."""
        self.namespace = namespace
        self._personal = personal if personal is not None else AdapterPersonalData()

    @classmethod
    async def open(
        cls,
        db: Database,
        turns: PriorityLock,
        namespace: str,
        migrations: Sequence[AdapterMigration],
        personal: AdapterPersonalData | None = None,
    ) -> SqliteAdapterState:
        """The adapter's state, its tables migrated to the newest version it declares."""
        check_migrations(namespace, migrations)
        state = cls(db, turns, namespace, personal)
        await state._migrate(migrations)
        return state

    async def version(self) -> int:
        row = await self._db.fetch_one(
            "SELECT version FROM adapter_schema WHERE name = ?", (self.namespace,)
        )
        return int(row["version"]) if row else 0

    async def _migrate(self, migrations: Sequence[AdapterMigration]) -> None:
        newest = migrations[-1].version if migrations else 0
        current = await self.version()
        if current > newest:
            raise AdapterSchemaError(
                f"the database {self._db.path} holds {self.namespace} adapter state of version "
                f"{current}, but this communitybot only knows up to {newest}: upgrade "
                "communitybot or use another database file"
            )
        for migration in migrations:
            if migration.version <= current:
                continue
            async with self._turns.hold(), self._db.transaction():
                if self._db.dialect == "postgresql":
                    # Replicas starting together on one database: one migrates, the others
                    # then find the new version (the core's migration lock, same key).
                    await self._db.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
                    if await self.version() >= migration.version:
                        continue
                for statement in self._db.migration_statements(migration.sql):
                    await self._db.execute(statement)
                await self._db.execute(
                    "INSERT INTO adapter_schema (name, version) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET version = excluded.version",
                    (self.namespace, migration.version),
                )

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Mapping[str, Any] | None:
        row = await self._db.fetch_one(sql, params)
        return dict(row) if row is not None else None

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Mapping[str, Any]]:
        return [dict(row) for row in await self._db.fetch_all(sql, params)]

    async def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._turns.hold(Priority.INTERACTIVE), self._db.transaction():
            return await self._db.execute(sql, params)

    def declare_personal_data(self, holder: PersonalData) -> None:
        self._personal.declare(self.namespace, holder)


def _without_comments(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
