"""Migrations and the database's safety rails: from empty, from the previous version, from the
future (refused, untouched), and a locked file (a friendly reply, nothing half-written)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from communitybot.events import CommunityRef, UserRef
from communitybot.store import db as db_module
from communitybot.store.db import Database, DatabaseTooNew, bundled_migrations
from communitybot.store.store import Store
from tests.conftest import COMMUNITY, Harness, user

LATEST = bundled_migrations()[-1].version


@pytest.fixture
async def store(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Store]:
    """The harness's store, but giving up on a lock after 100 ms instead of seconds."""
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 100)
    opened = await Store.open(db_path)
    yield opened
    await opened.close()


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {row[0] for row in rows}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_an_empty_file_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "new" / "bot.db"
    database = await Database.open(path)
    try:
        assert await database.schema_version() == LATEST
        journal = await database.fetch_one("PRAGMA journal_mode")
        foreign_keys = await database.fetch_one("PRAGMA foreign_keys")
        assert journal is not None and journal[0] == "wal"
        assert foreign_keys is not None and foreign_keys[0] == 1
    finally:
        await database.close()
    assert {"communities", "members", "tags", "member_tags", "onboarding_questions"} <= tables(path)


async def test_opening_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    await (await Database.open(path)).close()
    reopened = await Database.open(path)
    try:
        assert await reopened.schema_version() == LATEST
    finally:
        await reopened.close()


async def test_a_previous_version_database_is_upgraded_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    previous = bundled_migrations()[:-1]
    old = await Database.open(path, previous)
    try:
        assert await old.schema_version() == LATEST - 1
        async with old.transaction():
            community = await old.execute(
                "INSERT INTO communities (platform, space_id, created_at)"
                " VALUES ('console', 'local', '2027-01-04T12:00:00+00:00')"
            )
            await old.execute(
                "INSERT INTO members (community_id, platform, user_id, display_name, timezone,"
                " joined_at) VALUES (?, 'console', 'alice', 'Alice', 'Europe/Paris',"
                " '2027-01-04T12:00:00+00:00')",
                (community,),
            )
    finally:
        await old.close()

    store = await Store.open(path)
    try:
        assert await store.db.schema_version() == LATEST
        found = await store.communities.get(CommunityRef("console", "local"))
        assert found is not None
        alice = await store.members.get(found.id, UserRef("console", "alice"))
        assert alice is not None
        assert alice.display_name == "Alice"
        assert alice.timezone == "Europe/Paris"
        assert alice.discover_scope == "community"  # existing members: their community only
    finally:
        await store.close()


async def test_a_database_from_a_newer_version_is_refused_and_left_untouched(
    tmp_path: Path,
) -> None:
    path = tmp_path / "future.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE precious (value TEXT)")
        connection.execute("INSERT INTO precious VALUES ('keep me')")
        connection.execute(f"PRAGMA user_version = {LATEST + 40}")
    connection.close()
    before = digest(path)
    with pytest.raises(DatabaseTooNew) as refused:
        await Database.open(path)
    assert str(LATEST + 40) in str(refused.value)
    assert digest(path) == before
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal"
        assert connection.execute("SELECT value FROM precious").fetchall() == [("keep me",)]
    connection.close()


@pytest.fixture
def locked(db_path: Path, harness: Harness) -> Iterator[sqlite3.Connection]:
    """Another process's connection holding the write lock on the harness's database file."""
    connection = sqlite3.connect(db_path, isolation_level=None, timeout=0.1)
    connection.execute("BEGIN EXCLUSIVE")
    yield connection
    if connection.in_transaction:
        connection.execute("ROLLBACK")
    connection.close()


async def test_a_locked_database_gets_a_friendly_reply_and_nothing_half_written(
    harness: Harness, locked: sqlite3.Connection
) -> None:
    await harness.command("carol", "/privacy discoverable off")
    sent = harness.platform.take()
    assert len(sent) == 1
    assert sent[0].where == "reply:carol"
    assert "database is busy" in sent[0].text
    assert "nothing was changed" in sent[0].text

    await harness.join("dave")
    assert harness.platform.take() == [], "a join that could not be stored greets nobody"

    locked.execute("ROLLBACK")
    community = await harness.store.communities.get(COMMUNITY)
    if community is not None:
        assert await harness.store.members.get(community.id, user("carol")) is None
        assert await harness.store.members.get(community.id, user("dave")) is None

    await harness.command("carol", "/privacy discoverable off")
    retried = harness.platform.texts("reply:carol")
    assert retried and not any("busy" in text for text in retried)
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    carol = await harness.store.members.get(community.id, user("carol"))
    assert carol is not None and carol.discoverable is False
