"""Count the SQL statements the core runs, for tests that guard the cost of the hot path.

SQLite's trace callback sees every statement the connection runs (BEGIN and COMMIT included,
each row of an `executemany`). sqlite3 connections are bound to the thread that opened them,
so the callback is set through aiosqlite's own `set_trace_callback`, which runs it there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from communitybot.store.store import Store


@asynccontextmanager
async def counting_statements(store: Store) -> AsyncIterator[list[str]]:
    """The statements run on `store`'s connection while the block runs, in order."""
    seen: list[str] = []
    connection = store.db._conn  # the aiosqlite connection behind the Database
    await connection.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        await connection.set_trace_callback(None)
