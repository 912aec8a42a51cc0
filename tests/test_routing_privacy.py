"""How the bot reaches someone privately is personal data: in /mydata, gone after /forgetme."""

from __future__ import annotations

from communitybot.events import UserRef
from communitybot.store.store import Store
from tests.adapter_states import matrix_tables

ALICE = UserRef("matrix", "@alice:example.org")
BOB = UserRef("matrix", "@bob:example.org")


async def _dm_room(store: Store, user: UserRef, room: str) -> None:
    await (await matrix_tables(store)).write(
        "INSERT INTO matrix_dm_rooms (account, user_id, room_id, space_id, created_at)"
        " VALUES ('@bot:example.org', ?, ?, '!space', '2027-01-01T00:00:00+00:00')",
        (user.user_id, room),
    )


async def test_routing_rows_are_exported_and_forgotten_per_user(store: Store) -> None:
    await _dm_room(store, ALICE, "!alice-dm")
    await _dm_room(store, BOB, "!bob-dm")

    exported = await store.routing.export(ALICE)
    assert [row["room_id"] for row in exported["matrix_dm_rooms"]] == ["!alice-dm"]

    assert await store.routing.forget(ALICE) == 1
    assert await store.routing.export(ALICE) == {}
    assert (await store.routing.export(BOB))["matrix_dm_rooms"][0]["room_id"] == "!bob-dm"


async def test_other_platforms_tables_are_never_touched(store: Store) -> None:
    await _dm_room(store, ALICE, "!alice-dm")
    same_id_on_discord = UserRef("discord", ALICE.user_id)
    assert await store.routing.forget(same_id_on_discord) == 0
    assert await store.routing.export(ALICE) != {}


async def test_a_platform_whose_adapter_never_ran_here_has_nothing_to_export(store: Store) -> None:
    """A database the Matrix adapter never used has no Matrix tables: nothing to show or delete."""
    assert await store.routing.export(ALICE) == {}
    assert await store.routing.forget(ALICE) == 0
