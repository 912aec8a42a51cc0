"""WAL checkpoints run beside the writer, never inside one of its commits, and lose nothing.

The writer of a database file checkpoints itself only as a backstop; a connection of its own
copies the WAL back a moment after writes (`communitybot.store.checkpoints`). These tests use a
real database file.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from loguru import logger

from communitybot.store.checkpoints import BACKSTOP_PAGES, Checkpointer
from communitybot.store.db import Database

pytestmark = pytest.mark.sqlite_only


async def open_file(tmp_path: Path, delay_s: float = 0.05) -> Database:
    db = await Database.open(tmp_path / "bot.db")
    assert db.checkpoints is not None
    await db.checkpoints.close()
    db.checkpoints = Checkpointer(db.path, delay_s=delay_s)  # the same, only sooner
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    return db


async def write_rows(db: Database, count: int) -> None:
    for start in range(0, count, 100):
        async with db.transaction():
            await db.execute_many(
                "INSERT INTO t (v) VALUES (?)", [("x" * 500,) for _ in range(start, start + 100)]
            )


async def count(db: Database) -> int:
    row = await db.fetch_one("SELECT count(*) FROM t")
    assert row is not None
    return int(row[0])


async def settled(checkpoints: Checkpointer, at_least: int) -> None:
    """Wait (really, up to 10 s) until `at_least` checkpoints ran."""
    for _ in range(1000):
        if checkpoints.done >= at_least:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{checkpoints.done} checkpoint(s) ran, not {at_least}")


async def test_the_writer_checkpoints_only_at_the_backstop(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    try:
        row = await db.fetch_one("PRAGMA wal_autocheckpoint")
        assert row is not None and row[0] == BACKSTOP_PAGES
        assert db.checkpoints is not None
    finally:
        await db.close()


async def test_an_in_memory_database_has_no_checkpointer() -> None:
    db = await Database.open(":memory:")
    try:
        assert db.checkpoints is None
    finally:
        await db.close()


async def test_writes_are_copied_back_a_moment_later_beside_the_writer(tmp_path: Path) -> None:
    db = await open_file(tmp_path)
    checkpoints = db.checkpoints
    assert checkpoints is not None
    try:
        await write_rows(db, 3_000)  # about 400 pages of WAL
        await settled(checkpoints, 1)
        busy, pages, copied = checkpoints.last or (1, 0, 0)
        assert busy == 0 and pages > 100 and copied == pages
        # A burst of commits plans one checkpoint, not one per commit.
        assert checkpoints.done == 1
        # Another process reading the database file sees every row.
        with sqlite3.connect(tmp_path / "bot.db") as other:
            assert other.execute("SELECT count(*) FROM t").fetchone() == (3_000,)
    finally:
        await db.close()


async def test_a_long_write_burst_is_copied_back_as_it_goes(tmp_path: Path) -> None:
    """Every `every_commits` commits a checkpoint starts at once, without waiting for the
    delay (here a minute): the WAL of a sustained burst stays far from the backstop."""
    db = await open_file(tmp_path, delay_s=60)
    assert db.checkpoints is not None
    await db.checkpoints.close()
    db.checkpoints = checkpoints = Checkpointer(db.path, delay_s=60, every_commits=10)
    try:
        await write_rows(db, 900)  # 9 commits: only planned, a minute from now
        await asyncio.sleep(0.1)
        assert checkpoints.done == 0
        await write_rows(db, 100)  # the 10th
        await settled(checkpoints, 1)
        busy, pages, copied = checkpoints.last or (1, 0, 0)
        assert busy == 0 and copied == pages > 0
    finally:
        await db.close()


async def test_a_quiet_database_plans_no_checkpoint(tmp_path: Path) -> None:
    db = await open_file(tmp_path)
    checkpoints = db.checkpoints
    assert checkpoints is not None
    try:
        await write_rows(db, 100)
        await settled(checkpoints, 1)
        await db.fetch_all("SELECT count(*) FROM t")  # reading is not writing
        await asyncio.sleep(0.2)
        assert checkpoints.done == 1
    finally:
        await db.close()


async def test_closing_cancels_a_planned_checkpoint_and_keeps_every_row(tmp_path: Path) -> None:
    db = await open_file(tmp_path, delay_s=60)
    checkpoints = db.checkpoints
    assert checkpoints is not None
    await write_rows(db, 500)
    await db.close()  # at once, though a checkpoint was planned a minute from now
    assert checkpoints.done == 0
    reopened = await Database.open(tmp_path / "bot.db")
    try:
        assert await count(reopened) == 500
    finally:
        await reopened.close()


async def test_a_checkpoint_that_fails_is_logged_once_and_writes_go_on(tmp_path: Path) -> None:
    db = await open_file(tmp_path)
    assert db.checkpoints is not None
    await db.checkpoints.close()
    db.checkpoints = Checkpointer(str(tmp_path / "gone" / "bot.db"), delay_s=0.01)
    logged: list[str] = []
    sink = logger.add(logged.append, level="WARNING", format="{message}")
    try:
        for _ in range(3):
            await write_rows(db, 100)
            await asyncio.sleep(0.1)
        assert len([line for line in logged if "WAL checkpoint" in line]) == 1, logged
        assert await count(db) == 300
    finally:
        logger.remove(sink)
        await db.close()
