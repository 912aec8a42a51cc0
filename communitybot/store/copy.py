"""Copy every row of one communitybot database into another, losslessly and idempotently.

What `communitybot db copy` does when a community grows up (SQLite → PostgreSQL; the other way
and SQLite → SQLite work the same):

- The source is read in one read transaction (`store.snapshot`), never migrated: its schema
  (core and each adapter's) must be exactly this code's, or the copy is refused.
- The target is migrated first (by the caller, as `db migrate` does), then written in **one
  transaction for the whole run**: the target is never seen half-copied (members without their
  answers), a refusal anywhere leaves it exactly as it was, and the check for conflicting rows
  and the writes see the same state. Tables go in foreign-key order (parents first).
- Same ids, same text, same NULLs: each value is checked against the target column's type and
  refused (naming table, row and column) rather than converted with a loss (e.g. a NUL
  character, which PostgreSQL text cannot hold).
- Idempotent: a row whose primary key is already in the target with the same values is skipped
  (`ON CONFLICT (key) DO NOTHING` backs this up); the same key with *different* values, or the
  same row under another id (another unique constraint), refuses the whole copy, naming the
  table. Running it twice copies nothing the second time.
- PostgreSQL target: each identity column's sequence is set past the highest id (`setval`), so
  rows the bot adds afterwards get fresh ids. (SQLite moves its own counters on insert.)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from communitybot.store.db import Database, StoreError
from communitybot.store.snapshot import Snapshot, Table, quoted, read_catalogue


class CopyRefused(StoreError):
    """The copy cannot be done as asked; nothing was written to the target."""


@dataclass
class TableCopy:
    """What happened to one table."""

    name: str
    copied: int = 0
    present: int = 0
    """Rows already in the target with the same values (skipped)."""


@dataclass
class CopyReport:
    tables: list[TableCopy] = field(default_factory=list)
    sequences: list[str] = field(default_factory=list)
    """Tables whose id sequence was set past the copied ids (PostgreSQL target)."""

    @property
    def copied(self) -> int:
        return sum(t.copied for t in self.tables)

    @property
    def present(self) -> int:
        return sum(t.present for t in self.tables)


async def check_source_schema(source: Snapshot, newest: int, adapters: Mapping[str, int]) -> None:
    """Refuse a source whose core or adapter schema is not this code's (CopyRefused)."""
    version = await source.schema_version()
    if version != newest:
        if version > newest:
            raise CopyRefused(
                f"the source {source.shown} has schema version {version}, newer than this "
                f"communitybot's {newest}: copy it with the communitybot that wrote it"
            )
        raise CopyRefused(
            f"the source {source.shown} has schema version {version}, this communitybot's is "
            f"{newest}: run `communitybot db migrate --db …` on the source first (or start the "
            "bot on it once), then copy"
        )
    for name, found in sorted((await source.adapter_versions()).items()):
        expected = adapters.get(name)
        if expected is None:
            raise CopyRefused(
                f"the source {source.shown} holds tables of a {name} adapter this communitybot "
                "does not know: copy it with the communitybot that wrote it"
            )
        if found != expected:
            raise CopyRefused(
                f"the source {source.shown} holds {name} adapter tables of version {found}, this "
                f"communitybot's are version {expected}: run `communitybot db migrate --db …` on "
                "the source first, then copy"
            )


def copy_order(tables: Mapping[str, Table]) -> list[Table]:
    """Parents before children (foreign keys); alphabetical where the order is free."""
    ordered: list[Table] = []
    waiting = dict(sorted(tables.items()))
    while waiting:
        ready = [t for t in waiting.values() if not (t.parents & waiting.keys())]
        if not ready:
            raise CopyRefused(
                "the tables' foreign keys form a cycle: " + ", ".join(sorted(waiting))
            )
        for table in ready:
            ordered.append(table)
            del waiting[table.name]
    return ordered


async def copy_database(
    source: Snapshot,
    target: Database,
    *,
    progress: Callable[[TableCopy], None] = lambda table: None,
) -> CopyReport:
    """Copy every row of `source` into the (migrated) `target` in one transaction.

    The caller has checked the source's schema (`check_source_schema`). Raises CopyRefused
    (nothing written) when the two schemas differ, a value cannot be kept exactly, or the
    target holds different data under the same ids.
    """
    wanted = await source.catalogue()
    there = await read_catalogue(target.fetch_all, target.dialect)
    plan = [there[name] for name in _matching(wanted, there)]
    report = CopyReport()
    async with target.transaction():
        for table in copy_order({t.name: t for t in plan}):
            done = await _copy_table(source, target, table, wanted[table.name])
            report.tables.append(done)
            progress(done)
        counters = await source.id_counters()
        if target.dialect == "postgresql":
            report.sequences = await _sequences_past_ids(target, plan, counters)
        else:
            await _sqlite_counters(target, counters)
    return report


def _matching(wanted: Mapping[str, Table], there: Mapping[str, Table]) -> list[str]:
    """The source's tables, each present in the target with the same columns."""
    for name, table in sorted(wanted.items()):
        found = there.get(name)
        if found is None:
            raise CopyRefused(f"the target has no table {name}: is it the same communitybot?")
        if set(found.columns) != set(table.columns):
            missing = sorted(set(table.columns) ^ set(found.columns))
            raise CopyRefused(
                f"table {name} has different columns in the source and the target "
                f"({', '.join(missing)}): both must be at this communitybot's schema"
            )
        if not found.key:
            raise CopyRefused(f"table {name} has no primary key in the target: cannot copy it")
    return sorted(wanted)


async def _copy_table(source: Snapshot, target: Database, table: Table, read: Table) -> TableCopy:
    done = TableCopy(table.name)
    columns = table.columns
    names = ", ".join(quoted(c) for c in columns)
    order = ", ".join(quoted(c) for c in read.key or table.key)
    select = f"SELECT {names} FROM {quoted(table.name)} ORDER BY {order}"
    keys = [columns.index(k) for k in table.key]
    empty = await target.fetch_one(f"SELECT 1 FROM {quoted(table.name)} LIMIT 1") is None
    insert = (
        f"INSERT INTO {quoted(table.name)} ({names}) VALUES ({', '.join('?' for _ in columns)})"
        f" ON CONFLICT ({', '.join(quoted(k) for k in table.key)}) DO NOTHING"
    )
    async for batch in source.batches(select):
        rows = [_exact(table, row) for row in batch]
        new = rows if empty else await _not_there(target, table, keys, rows, done)
        if not new:
            continue
        try:
            await target.execute_many(insert, new)
        except Exception as error:
            if not _is_constraint(error):
                raise
            raise CopyRefused(
                f"table {table.name}: the target already holds some of these rows under other "
                f"ids ({_first_line(error)}); nothing was written"
            ) from error
        done.copied += len(new)
    return done


async def _not_there(
    target: Database,
    table: Table,
    keys: list[int],
    rows: list[tuple[Any, ...]],
    done: TableCopy,
) -> list[tuple[Any, ...]]:
    """The rows whose key the target lacks; a key it holds with other values refuses."""
    names = ", ".join(quoted(c) for c in table.columns)
    if len(keys) == 1:
        where = f"{quoted(table.key[0])} IN ({', '.join('?' for _ in rows)})"
    else:
        one = " AND ".join(f"{quoted(k)} = ?" for k in table.key)
        where = " OR ".join(f"({one})" for _ in rows)
    params = [row[i] for row in rows for i in keys]
    found = await target.fetch_all(
        f"SELECT {names} FROM {quoted(table.name)} WHERE {where}", params
    )
    existing = {tuple(row[i] for i in keys): tuple(row) for row in found}
    new = []
    for row in rows:
        key = tuple(row[i] for i in keys)
        held = existing.get(key)
        if held is None:
            new.append(row)
            continue
        held = _exact(table, held)
        if held != row:
            differing = [c for c, a, b in zip(table.columns, row, held, strict=True) if a != b]
            raise CopyRefused(
                f"table {table.name}: the target holds different data under the same key "
                f"({_key_text(table, key)}; {', '.join(differing)} differ): it is not a copy of "
                "this source; nothing was written (copy into an empty database)"
            )
        done.present += 1
    return new


def _exact(table: Table, row: Sequence[Any]) -> tuple[Any, ...]:
    """`row` with each value as the target column's type holds it, refused where it would
    change (lossless: no silent conversion, no truncation)."""
    out = []
    for column, kind, value in zip(table.columns, table.kinds, row, strict=True):
        out.append(_value(table, column, kind, value, row))
    return tuple(out)


def _value(table: Table, column: str, kind: str, value: Any, row: Sequence[Any]) -> Any:
    if value is None or kind == "other":
        return value
    if kind == "int" and isinstance(value, int):
        return int(value)
    if kind == "text" and isinstance(value, str):
        if "\x00" in value:
            raise _unexact(table, column, row, "text holding a NUL character")
        return value
    if kind == "real" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "blob" and isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise _unexact(table, column, row, f"a {type(value).__name__} in a {kind} column")


def _unexact(table: Table, column: str, row: Sequence[Any], what: str) -> CopyRefused:
    key = tuple(row[table.columns.index(k)] for k in table.key)
    return CopyRefused(
        f"table {table.name}, row {_key_text(table, key)}: column {column} holds {what}, which "
        "the target cannot keep exactly; nothing was written"
    )


def _key_text(table: Table, key: Sequence[Any]) -> str:
    return ", ".join(f"{name} = {value!r}" for name, value in zip(table.key, key, strict=True))


async def _sequences_past_ids(
    target: Database, tables: Sequence[Table], counters: Mapping[str, int]
) -> list[str]:
    """Set each identity column's sequence past the highest id: the next row the bot adds gets
    a fresh id (a copied row's id was given by the source, not by the sequence). Past the
    source's own counter too where it has one (SQLite AUTOINCREMENT: the outbox), so an id of
    a row deleted before the move is not handed out again either."""
    moved = []
    for table in tables:
        if table.identity is None:
            continue
        column = quoted(table.identity)
        highest = await target.fetch_one(
            f"SELECT coalesce(max({column}), 0) FROM {quoted(table.name)}"
        )
        after = max(int(highest[0]) if highest else 0, counters.get(table.name, 0)) + 1
        await target.fetch_one(
            # is_called false: the next id is exactly `after` (1 on an empty table)
            "SELECT setval(pg_get_serial_sequence(?, ?), ?, 0 = 1)",
            (quoted(table.name), table.identity, after),
        )
        moved.append(table.name)
    return moved


async def _sqlite_counters(target: Database, counters: Mapping[str, int]) -> None:
    """SQLite target: an AUTOINCREMENT table's counter past the source's (inserting ids moved it
    past the copied rows already; this keeps the ids of rows deleted before the move unused)."""
    for name, value in sorted(counters.items()):
        created = await target.fetch_one(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        )
        if created is None or "AUTOINCREMENT" not in str(created[0]).upper():
            continue  # SQLite hands out max + 1 there anyway
        if await target.fetch_one("SELECT seq FROM sqlite_sequence WHERE name = ?", (name,)):
            await target.execute(
                "UPDATE sqlite_sequence SET seq = ? WHERE name = ? AND seq < ?",
                (value, name, value),
            )
        else:
            await target.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, value)
            )


def _is_constraint(error: BaseException) -> bool:
    """A unique or foreign-key violation (SQLSTATE class 23), on either engine."""
    if isinstance(error, sqlite3.IntegrityError):
        return True
    return str(getattr(error, "sqlstate", "") or "").startswith("23")


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
