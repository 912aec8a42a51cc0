"""Quick statements (a join's one-row INSERTs) skip aiosqlite's thread hop, and lose nothing.

They run on the event loop's thread only inside a write transaction and only while aiosqlite's
thread is idle, so they roll back with their transaction and never overtake a statement that
was handed to that thread first.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from communitybot.store.store import Store

SLOW_COUNT = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)"
    " SELECT count(*) FROM n"
)

# The `quick` path skips aiosqlite's thread hop: SQLite only.
pytestmark = pytest.mark.sqlite_only


@pytest.fixture
async def table(store: Store) -> Store:
    await store.db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    return store


async def values(store: Store) -> list[str]:
    return [row[0] for row in await store.db.fetch_all("SELECT v FROM t ORDER BY id")]


async def test_a_quick_insert_runs_without_a_hop_and_commits_with_its_transaction(
    table: Store,
) -> None:
    seen: list[str] = []
    connection = table.db._conn
    await connection.set_trace_callback(lambda sql: seen.append(threading.current_thread().name))
    async with table.db.transaction():
        await table.db.execute("INSERT INTO t (v) VALUES ('a')", quick=True)
        row = await table.db.fetch_one("INSERT INTO t (v) VALUES ('b') RETURNING id", quick=True)
        assert row is not None and row[0] == 2
    await connection.set_trace_callback(None)
    assert await values(table) == ["a", "b"]
    assert seen.count(threading.main_thread().name) == 2, seen


async def test_a_quick_insert_rolls_back_with_its_transaction(table: Store) -> None:
    with pytest.raises(RuntimeError):
        async with table.db.transaction():
            await table.db.execute("INSERT INTO t (v) VALUES ('gone')", quick=True)
            raise RuntimeError("the handler failed")
    assert await values(table) == []


async def test_outside_a_transaction_quick_still_takes_the_hop(table: Store) -> None:
    assert table.db._here(quick=True) is None
    await table.db.execute("INSERT INTO t (v) VALUES ('x')", quick=True)
    assert await values(table) == ["x"]


async def test_a_quick_statement_waits_for_one_already_handed_to_the_thread(
    table: Store,
) -> None:
    async with table.db.transaction():
        slow = asyncio.create_task(table.db.fetch_all(SLOW_COUNT))
        await asyncio.sleep(0)  # handed over, still running
        assert not slow.done()
        assert table.db._here(quick=True) is None  # so this one queues behind it
        await table.db.execute("INSERT INTO t (v) VALUES ('after')", quick=True)
        assert (await slow)[0][0] == 300000
        assert table.db._here(quick=True) is not None
    assert await values(table) == ["after"]


async def test_after_a_cancelled_statement_quick_waits_for_the_next_hop(table: Store) -> None:
    async with table.db.transaction():
        slow = asyncio.create_task(table.db.fetch_all(SLOW_COUNT))
        await asyncio.sleep(0)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        assert table.db._here(quick=True) is None  # it may still be running over there
        await table.db.execute("INSERT INTO t (v) VALUES ('queued')", quick=True)
        assert table.db._here(quick=True) is not None  # that hop finished after it
    assert await values(table) == ["queued"]
