"""What the schema and the write counters look like, asked the same way on either backend.

Tests only: the store itself never reads the catalogue (SQLite's `sqlite_master`/`PRAGMA`,
PostgreSQL's `information_schema`/`pg_*`), so these stay out of `communitybot/store`.
"""

from __future__ import annotations

from typing import Any


async def table_names(db: Any) -> set[str]:
    """The application's tables (not the engine's own)."""
    if db.dialect == "postgresql":
        sql = (
            "SELECT table_name AS name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    return {str(row["name"]) for row in await db.fetch_all(sql)}


async def columns_referencing(db: Any, target: str) -> list[tuple[str, str]]:
    """(table, column) of every foreign key that points at `target`."""
    if db.dialect == "postgresql":
        rows = await db.fetch_all(
            "SELECT k.table_name, k.column_name"
            " FROM information_schema.referential_constraints r"
            " JOIN information_schema.key_column_usage k"
            "   ON k.constraint_schema = r.constraint_schema"
            "  AND k.constraint_name = r.constraint_name"
            " JOIN information_schema.table_constraints t"
            "   ON t.constraint_schema = r.unique_constraint_schema"
            "  AND t.constraint_name = r.unique_constraint_name"
            " WHERE t.table_name = ? AND k.table_schema = current_schema()"
            " ORDER BY k.table_name, k.column_name",
            (target,),
        )
        return [(str(row[0]), str(row[1])) for row in rows]
    found: list[tuple[str, str]] = []
    for table in sorted(await table_names(db)):
        for key in await db.fetch_all(f"PRAGMA foreign_key_list({table})"):
            if key["table"] == target:
                found.append((table, str(key["from"])))
    return found


async def writes_so_far(db: Any) -> int:
    """A number that grows with every committed write and with nothing else.

    SQLite: the connection's `total_changes()` (rows changed). PostgreSQL: the next transaction
    id of the (throwaway, test-only) server: only a transaction that writes is given one.
    """
    if db.dialect == "postgresql":
        row = await db.fetch_one("SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS n")
    else:
        row = await db.fetch_one("SELECT total_changes() AS n")
    assert row is not None
    return int(row["n"])
