"""Adapters' state: their own tables, their own migrations, their own short transactions.

Databases made before adapters had their own migrations (the core's 0003, 0004 and 0006 created
the Matrix and Discord tables) keep every row: migration 0019 records those tables as the
adapters' first versions.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from adapters.discord import schema as discord_schema
from adapters.discord.commands import CommandSync
from adapters.discord.conversations import Conversations
from adapters.matrix import schema as matrix_schema
from adapters.matrix.sync_state import MatrixState
from communitybot.adapter_state import AdapterSchemaError, SqliteAdapterState, check_migrations
from communitybot.bootstrap import Core, StartupFailed
from communitybot.ports import AdapterMigration
from communitybot.store.db import Database, Migration, bundled_migrations
from communitybot.store.store import Store
from tests.schema import table_names

BOT = "@bot:example.org"
APP = "1100"

BEFORE_0019 = {
    3: matrix_schema.MIGRATIONS[0].sql,
    4: discord_schema.MIGRATIONS[0].sql,
    6: discord_schema.MIGRATIONS[1].sql,
}
"""What the core's migrations 0003, 0004 and 0006 created before adapters had their own."""


def migrations_before_0019(up_to: int = 18) -> list[Migration]:
    """The core's migrations as an earlier release shipped them (adapter tables included)."""
    return [
        Migration(m.version, m.name, BEFORE_0019.get(m.version, m.sql))
        for m in bundled_migrations()
        if m.version <= up_to
    ]


async def old_database(path: Path, up_to: int = 18) -> None:
    """A database an earlier release made, with Matrix and Discord state in it."""
    db = await Database.open(path, migrations_before_0019(up_to))
    if up_to >= 3:
        await db.execute(
            "INSERT INTO matrix_state (account, key, value) VALUES (?, 'next_batch', 's42_7')",
            (BOT,),
        )
        await db.execute(
            "INSERT INTO matrix_dm_rooms (account, user_id, room_id, space_id, created_at) "
            "VALUES (?, '@ann:example.org', '!dm-ann', '!space', '2026-01-01T00:00:00+00:00')",
            (BOT,),
        )
    if up_to >= 4:
        await db.execute(
            "INSERT INTO discord_state (application_id, key, value) "
            "VALUES (?, 'commands_hash:global', 'abc')",
            (APP,),
        )
    if up_to >= 6:
        await db.execute(
            "INSERT INTO discord_fallback_threads "
            "(application_id, guild_id, user_id, thread_id, created_at) "
            "VALUES (?, '5', '7', '99', '2026-01-01T00:00:00+00:00')",
            (APP,),
        )
        await db.execute(
            "INSERT INTO discord_dm_channels "
            "(application_id, user_id, channel_id, guild_id, updated_at) "
            "VALUES (?, '7', '700', '5', '2026-01-01T00:00:00+00:00')",
            (APP,),
        )
    await db.close()


async def discord_conversations(core: Core) -> Conversations:
    state = await core.adapter_state(discord_schema.NAMESPACE, discord_schema.MIGRATIONS)
    conversations = Conversations(state)
    conversations.attach(APP)
    return conversations


async def matrix_state(core: Core) -> MatrixState:
    state = await core.adapter_state(matrix_schema.NAMESPACE, matrix_schema.MIGRATIONS)
    return MatrixState(state, BOT)


async def test_an_upgraded_database_keeps_every_matrix_and_discord_row(tmp_path: Path) -> None:
    path = tmp_path / "communitybot.db"
    await old_database(path)
    store = await Store.open(path)
    try:
        versions = await store.db.fetch_all("SELECT name, version FROM adapter_schema")
        assert {row["name"]: row["version"] for row in versions} == {"matrix": 1, "discord": 2}
        core = Core(store)
        matrix = await matrix_state(core)
        assert await matrix.next_batch() == "s42_7", "the bot resumes where it stopped"
        dm = await matrix.dm_room("@ann:example.org")
        assert dm is not None and dm.room_id == "!dm-ann"
        conversations = await discord_conversations(core)
        assert await conversations.fallback_thread("5", "7") == 99
        assert await conversations.dm_guild("700") == "5"
        state = await core.adapter_state(discord_schema.NAMESPACE, discord_schema.MIGRATIONS)
        assert await CommandSync(state, int(APP), []).stored_hash() == "abc", "no re-sync"
    finally:
        await store.close()


async def test_a_database_from_before_the_discord_threads_gets_them_from_the_adapter(
    tmp_path: Path,
) -> None:
    path = tmp_path / "communitybot.db"
    await old_database(path, up_to=5)  # 0004 ran, 0006 not yet
    store = await Store.open(path)
    try:
        core = Core(store)
        conversations = await discord_conversations(core)
        await conversations.save_fallback_thread("5", "8", 123)
        assert await (await discord_conversations(core)).fallback_thread("5", "8") == 123
        row = await store.db.fetch_one("SELECT version FROM adapter_schema WHERE name = 'discord'")
        assert row is not None and row["version"] == discord_schema.MIGRATIONS[-1].version
    finally:
        await store.close()


async def test_a_new_database_has_no_adapter_table_until_that_adapter_runs(store: Store) -> None:
    async def adapter_tables() -> set[str]:
        names = await table_names(store.db)
        return {name for name in names if name.startswith(("discord_", "matrix_"))}

    assert await adapter_tables() == set()
    await discord_conversations(Core(store))
    assert await adapter_tables() == {
        "discord_state",
        "discord_fallback_threads",
        "discord_dm_channels",
        "discord_relay_webhooks",
        "discord_relay_copies",
        "discord_calendar_events",
    }


async def test_an_adapter_write_never_rolls_back_with_another_events_transaction(
    store: Store,
) -> None:
    """The write waits for the event's unit of work and commits on its own."""
    core = Core(store)
    conversations = await discord_conversations(core)
    inside, fail = asyncio.Event(), asyncio.Event()

    async def failing_event() -> None:
        async with core.lock.hold(), store.db.transaction():  # as the Bot handles an event
            await store.db.execute(
                "INSERT INTO communities (platform, space_id, created_at) "
                "VALUES ('discord', '5', '2026-01-01T00:00:00+00:00')"
            )
            inside.set()
            await fail.wait()
            raise RuntimeError("the handler failed")

    event = asyncio.create_task(failing_event())
    await inside.wait()
    saving = asyncio.create_task(conversations.save_dm("7", "700", "5"))
    for _ in range(10):
        await asyncio.sleep(0)
    fail.set()
    with pytest.raises(RuntimeError):
        await event
    await saving
    assert await store.db.fetch_one("SELECT 1 FROM communities") is None, "the event rolled back"
    restarted = await discord_conversations(core)
    assert await restarted.dm_guild("700") == "5", "the DM mapping survived it"


def test_an_adapter_migration_outside_its_namespace_is_refused() -> None:
    with pytest.raises(AdapterSchemaError, match="touches members"):
        check_migrations("discord", [AdapterMigration(1, "ALTER TABLE members ADD x TEXT")])
    with pytest.raises(AdapterSchemaError, match="touches communities"):
        check_migrations(
            "discord",
            [AdapterMigration(1, "CREATE TABLE discord_x (id INTEGER REFERENCES communities)")],
        )
    with pytest.raises(AdapterSchemaError, match="touches matrix_state"):
        check_migrations("discord", [AdapterMigration(1, "DROP TABLE matrix_state")])
    with pytest.raises(AdapterSchemaError, match="gap"):
        check_migrations("discord", [AdapterMigration(2, "CREATE TABLE discord_x (id TEXT)")])
    check_migrations(discord_schema.NAMESPACE, discord_schema.MIGRATIONS)
    check_migrations(matrix_schema.NAMESPACE, matrix_schema.MIGRATIONS)


async def test_adapter_state_from_a_newer_release_stops_start_up_in_one_sentence(
    store: Store,
) -> None:
    await store.db.execute("INSERT INTO adapter_schema (name, version) VALUES ('matrix', 9)")
    newest = matrix_schema.MIGRATIONS[-1].version
    with pytest.raises(StartupFailed, match=rf"matrix adapter state of version 9.*up to {newest}"):
        await Core(store).adapter_state(matrix_schema.NAMESPACE, matrix_schema.MIGRATIONS)


async def test_adapter_state_is_migrated_once(store: Store) -> None:
    core = Core(store)
    first = await core.adapter_state(matrix_schema.NAMESPACE, matrix_schema.MIGRATIONS)
    await MatrixState(first, BOT).save_next_batch("s1")
    again = await SqliteAdapterState.open(
        store.db, core.lock, matrix_schema.NAMESPACE, matrix_schema.MIGRATIONS
    )
    assert await MatrixState(again, BOT).next_batch() == "s1"
    assert await again.version() == matrix_schema.MIGRATIONS[-1].version
