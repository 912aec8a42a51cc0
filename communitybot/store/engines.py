"""Which engine a database target names: a PostgreSQL URL or a SQLite file.

Apart from both backends (`store/db.py`, `store/postgres_db.py`), so neither imports the other
to choose: the PostgreSQL one builds on the SQLite one's errors and migrations, never the other
way round.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from communitybot.store.db import Database
from communitybot.store.urls import is_postgres


async def open_database(target: str | Path, *, pool_size: int | None = None) -> Database:
    """The database `target` names: a PostgreSQL URL (asyncpg, imported only then) or a
    SQLite file. Both have the interface the repositories use (`PostgresDatabase` says how
    its answers differ); the type says `Database` so the repositories name one class."""
    if is_postgres(target):
        from communitybot.store.postgres_db import PostgresDatabase

        size = pool_size or PostgresDatabase.DEFAULT_POOL_SIZE
        return cast(Database, await PostgresDatabase.open(str(target), max_size=size))
    return await Database.open(target)
