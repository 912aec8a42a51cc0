"""Notifications between processes sharing one PostgreSQL database (`store.notifications`):
two separately opened databases stand for two processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from communitybot.store.db import Database
from communitybot.store.notifications import CHANNEL_CHANGES
from communitybot.store.postgres_db import PostgresDatabase
from tests.conftest import fresh_postgres_database
from tests.postgres_server import PostgresServer

pytestmark = pytest.mark.postgres


@pytest.fixture
async def url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    async with fresh_postgres_database(postgres_server) as fresh:
        yield fresh


async def _heard(seen: list[str], count: int) -> None:
    for _ in range(400):
        if len(seen) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"heard {seen}, wanted {count}")


async def test_a_notification_reaches_the_other_process_only_when_its_transaction_commits(
    url: str,
) -> None:
    sender = await PostgresDatabase.open(url)
    listener = await PostgresDatabase.open(url)
    try:
        seen: list[str] = []
        await listener.notifications.listen(CHANNEL_CHANGES, seen.append)
        with pytest.raises(RuntimeError):
            async with sender.transaction():
                await sender.notifications.notify(CHANNEL_CHANGES, "rolled back")
                raise RuntimeError("undo")
        async with sender.transaction():
            await sender.notifications.notify(CHANNEL_CHANGES, "committed")
            await asyncio.sleep(0.05)
            assert seen == []  # not before the commit
        await sender.notifications.notify(CHANNEL_CHANGES, "on its own")
        await _heard(seen, 2)
        assert seen == ["committed", "on its own"]
    finally:
        await sender.close()
        await listener.close()


async def test_a_lost_listening_connection_comes_back_and_says_what_may_have_been_missed(
    url: str,
) -> None:
    sender = await PostgresDatabase.open(url)
    listener = await PostgresDatabase.open(url)
    try:
        seen: list[str] = []
        gaps: list[str] = []
        await listener.notifications.listen(CHANNEL_CHANGES, seen.append)
        listener.notifications.on_gap(lambda: gaps.append("gap"))
        admin = await asyncpg.connect(url)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
            )
        finally:
            await admin.close()
        await _heard(gaps, 1)
        await sender.notifications.notify(CHANNEL_CHANGES, "after the gap")
        await _heard(seen, 1)
        assert seen == ["after the gap"]
    finally:
        await sender.close()
        await listener.close()


async def test_sqlite_has_nobody_else_to_tell(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    try:
        assert db.notifications.shared is False
        await db.notifications.notify(CHANNEL_CHANGES, "nobody hears this")
        await db.notifications.listen(CHANNEL_CHANGES, lambda _payload: None)
    finally:
        await db.close()
