"""A cold peer-index load in one community holds up no other community (issue #12).

The load of a read-only `/peers` reads on a connection of its own in a worker thread: the read
connection every read-only command shares never runs the load's aggregates, and the index it
builds is the one the writer's connection would build. No timing is asserted: a guard timeout
turns "would wait for the load" into a failure.
"""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from communitybot.events import CommandInvoked, CommunityRef, ConversationRef, UserRef
from communitybot.peers import loader
from communitybot.peers.community import CommunityIndex
from communitybot.peers.loader import load_community
from tests.conftest import Harness
from tests.test_peer_index import World

GUARD_S = 20
OTHER = CommunityRef("fake", "other")


def _help_in_other_community() -> CommandInvoked:
    return CommandInvoked(
        OTHER, UserRef("fake", "zoe", "Zoe"), ConversationRef("fake", "channel", "x"), ("help",)
    )


def _as_plain(ix: CommunityIndex) -> dict[str, object]:
    """Everything a search reads, with time-zone codes turned back into names."""
    return {
        "tags": list(ix.tag_ids),
        "postings": [p.view.tolist() for p in ix.postings],
        "df": list(ix.df),
        "members": ix.slot_member.view.tolist(),
        "zones": [ix.tz_names[code] for code in ix.slot_tz.view.tolist()],
        "visible": ix.visible.view.tolist(),
        "tag_ptr": ix.tag_ptr.tolist(),
        "tag_data": ix.tag_data.tolist(),
        "live": ix.live,
    }


@pytest.mark.sqlite_only  # the load's own connection is SQLite's
@pytest.mark.parametrize("seed", [4, 5])
async def test_a_load_on_its_own_connection_equals_the_writers(harness: Harness, seed: int) -> None:
    world = World(harness.store, seed)
    await world.setup(n_tags=25, n_members=300)
    for _ in range(150):
        await world.random_change()
    reader = harness.store.reader
    assert reader is not None
    beside = await load_community(reader, world.community_id)
    through_writer = await load_community(harness.store, world.community_id)
    assert _as_plain(beside) == _as_plain(through_writer)
    assert beside.live > 200


def test_long_id_lists_are_parsed_in_slices_to_the_same_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = np.random.default_rng(3).integers(1, 10**12, size=5000)
    text = ",".join(str(i) for i in ids)
    monkeypatch.setattr(loader, "PARSE_SLICE_CHARS", 37)
    assert loader._ids(text).tolist() == ids.tolist()
    assert loader._ids("").tolist() == []
    assert loader._ids("42").tolist() == [42]


@pytest.mark.sqlite_only  # traces SQLite's read connection
async def test_the_shared_read_connection_never_runs_a_load(harness: Harness) -> None:
    """Every read-only command of every community shares the read connection: before, a cold
    load of a big community ran its aggregates there and every `/help` elsewhere queued
    behind them for seconds."""
    await harness.join("ann")
    await harness.join("bob")
    await harness.give_tags("ann", "maths")
    await harness.give_tags("bob", "maths")
    harness.bot.peers.invalidate_all()
    reader = harness.store.reader
    assert reader is not None
    seen: list[str] = []
    connection = reader.db._conn
    await connection.set_trace_callback(seen.append)
    try:
        text = await harness.reply_text("ann", "/peers")
    finally:
        await connection.set_trace_callback(None)
    assert "Bob" in text
    assert seen, "the command ran on the read connection"
    assert not [sql for sql in seen if "group_concat" in sql]


async def test_another_communitys_help_is_answered_while_a_load_is_under_way(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await harness.join("ann")
    await harness.join("bob")
    await harness.give_tags("ann", "maths")
    await harness.give_tags("bob", "maths")
    await harness.bot.dispatch(_help_in_other_community())  # Zoe and her community exist now
    harness.bot.peers.invalidate_all()
    harness.platform.take()
    building, release = threading.Event(), threading.Event()
    real_build = loader._build

    def held_build(*args: object) -> CommunityIndex:
        building.set()
        release.wait(GUARD_S)
        return real_build(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "_build", held_build)
    peers = asyncio.create_task(harness.command("ann", "/peers"))
    try:
        assert await asyncio.to_thread(building.wait, GUARD_S)
        await asyncio.wait_for(harness.bot.dispatch(_help_in_other_community()), GUARD_S)
        assert not peers.done(), "the load is still held"
        assert "/peers" in harness.platform.texts("reply:zoe")[0]
    finally:
        release.set()
        await asyncio.wait_for(peers, GUARD_S)
    assert "Bob" in harness.platform.texts("reply:ann")[0]
