"""How the bot reaches someone privately is personal data: in /mydata, gone after /forgetme.

The adapters hold it (their own tables) and declare it through their state port; the core asks
whatever is declared (`Store.adapter_data`) and never names an adapter table.
"""

from __future__ import annotations

import json
from typing import Any

from adapters.discord import schema as discord_schema
from adapters.discord.conversations import Conversations
from communitybot.adapter_state import SqliteAdapterState
from communitybot.bootstrap import Core
from communitybot.events import UserRef
from communitybot.ports import AdapterMigration, UserRows
from communitybot.store.store import Store
from tests.adapter_states import matrix_state
from tests.conftest import Harness, user

ALICE = UserRef("matrix", "@alice:example.org")
BOB = UserRef("matrix", "@bob:example.org")


async def test_matrix_dm_rooms_are_exported_and_forgotten_per_user(store: Store) -> None:
    state = await matrix_state(store, "@bot:example.org")
    await state.save_dm_room(ALICE.user_id, "!alice-dm", "!space")
    await state.save_dm_room(BOB.user_id, "!bob-dm", "!space")

    exported = await store.adapter_data.export(ALICE)
    assert [row["room_id"] for row in exported["matrix_dm_rooms"]] == ["!alice-dm"]

    assert await store.adapter_data.forget(ALICE) == 1
    assert await store.adapter_data.export(ALICE) == {}
    assert await state.dm_room(ALICE.user_id) is None
    assert (await store.adapter_data.export(BOB))["matrix_dm_rooms"][0]["room_id"] == "!bob-dm"


async def test_other_platforms_rows_are_never_touched(store: Store) -> None:
    state = await matrix_state(store, "@bot:example.org")
    await state.save_dm_room(ALICE.user_id, "!alice-dm", "!space")
    same_id_on_discord = UserRef("discord", ALICE.user_id)
    assert await store.adapter_data.forget(same_id_on_discord) == 0
    assert await store.adapter_data.export(ALICE) != {}


async def test_an_adapter_that_never_ran_here_has_nothing_to_export(store: Store) -> None:
    """Nothing declared (no adapter built on this database): nothing to show or delete."""
    assert await store.adapter_data.export(ALICE) == {}
    assert await store.adapter_data.forget(ALICE) == 0


async def test_discord_dm_channels_and_fallback_threads_are_declared(store: Store) -> None:
    state = await Core(store).adapter_state(discord_schema.NAMESPACE, discord_schema.MIGRATIONS)
    conversations = Conversations(state)
    conversations.attach(42)
    await conversations.save_dm("7", "700", "5")
    await conversations.save_fallback_thread("5", "7", 99)
    await conversations.save_dm("8", "800", "5")
    member = UserRef("discord", "7")

    exported = await store.adapter_data.export(member)
    assert list(exported) == ["discord_dm_channels", "discord_fallback_threads"]
    assert exported["discord_dm_channels"][0]["channel_id"] == "700"
    assert exported["discord_fallback_threads"][0]["thread_id"] == "99"

    assert await store.adapter_data.forget(member) == 2
    assert await store.adapter_data.export(member) == {}
    # The adapter's memory forgets too: the next message does not reuse the old thread.
    assert await conversations.fallback_thread("5", "7") is None
    assert await conversations.dm_guild("700") is None
    assert await conversations.dm_guild("800") == "5"


# Through the bot: a member of the fake platform, with an adapter that keeps a DM room ----------

FAKE_MIGRATIONS = (
    AdapterMigration(
        1,
        "CREATE TABLE fake_dm_rooms (user_id TEXT NOT NULL PRIMARY KEY, room_id TEXT NOT NULL)",
    ),
)


class FakeDmRooms:
    """A fake adapter's DM rooms, on its own real tables, declared like the real adapters'."""

    def __init__(self, state: SqliteAdapterState, *, broken: bool = False) -> None:
        self.state = state
        self.broken = broken
        state.declare_personal_data(self)

    async def export_user(self, user: UserRef) -> UserRows:
        rows = await self.state.fetch_all(
            "SELECT * FROM fake_dm_rooms WHERE user_id = ?", (user.user_id,)
        )
        return {"fake_dm_rooms": [dict(row) for row in rows]} if rows else {}

    async def forget_user(self, user: UserRef) -> int:
        if self.broken:
            raise OSError("disk I/O error")
        return await self.state.write(
            "DELETE FROM fake_dm_rooms WHERE user_id = ?", (user.user_id,)
        )


async def _fake_adapter(harness: Harness, *, broken: bool = False) -> FakeDmRooms:
    state = await SqliteAdapterState.open(
        harness.store.db,
        harness.bot.lanes.writer,
        "fake",
        FAKE_MIGRATIONS,
        harness.store.adapter_data,
    )
    rooms = FakeDmRooms(state, broken=broken)
    await state.write("INSERT INTO fake_dm_rooms VALUES (?, ?)", (user("alice").user_id, "!a"))
    return rooms


async def _mydata(harness: Harness) -> dict[str, Any]:
    harness.platform.take()
    await harness.command("alice", "/mydata")
    (file,) = harness.platform.attachments("reply:alice")
    data: dict[str, Any] = json.loads(file.content)
    return data


async def test_mydata_shows_and_forgetme_deletes_the_adapters_rows(harness: Harness) -> None:
    rooms = await _fake_adapter(harness)
    await harness.join("alice")
    data = await _mydata(harness)
    assert data["private_conversations"] == {
        "fake_dm_rooms": [{"user_id": user("alice").user_id, "room_id": "!a"}]
    }

    await harness.command("alice", "/forgetme")
    harness.platform.take()
    await harness.say("alice", "yes")
    assert "everything is deleted" in harness.platform.texts("reply:alice")[0]
    assert await harness.find_member("alice") is None
    assert await rooms.export_user(user("alice")) == {}


async def test_a_failing_adapter_forget_deletes_nothing_and_says_so(harness: Harness) -> None:
    """The adapters go first: one failing leaves the member's profile whole, told so, and a
    second yes (the adapter working again) deletes everything."""
    rooms = await _fake_adapter(harness, broken=True)
    await harness.join("alice")
    await harness.command("alice", "/profile edit role coach")
    await harness.command("alice", "/forgetme")
    harness.platform.take()
    await harness.say("alice", "yes")
    (text,) = harness.platform.texts("reply:alice")
    assert "still here" in text and "yes" in text
    member = await harness.find_member("alice")
    assert member is not None and member.role == "coach"
    assert await rooms.export_user(user("alice")) != {}

    rooms.broken = False
    harness.platform.take()
    await harness.say("alice", "yes")
    assert "everything is deleted" in harness.platform.texts("reply:alice")[0]
    assert await harness.find_member("alice") is None
    assert await rooms.export_user(user("alice")) == {}
