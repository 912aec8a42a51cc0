"""The outbox marks delivered rows in batches (issue 12): one DELETE per batch (per 500 rows, in
one commit) instead of one commit per row, with the guarantees of tests/test_outbox.py intact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from communitybot.bot import Bot
from communitybot.clock import FakeClock
from communitybot.events import CommunityRef
from communitybot.outbox import request_key
from communitybot.peers.index import PeerIndex
from communitybot.replies import Action, Message, SendToChannel
from communitybot.store.store import Store
from tests.conftest import COMMUNITY, Harness
from tests.statements import counting_statements
from tests.test_outbox import DyingPlatform, ProcessDied


def _posts(count: int) -> list[Action]:
    return [SendToChannel(COMMUNITY, "general", Message(f"post {i}")) for i in range(count)]


async def _scheduled(bot: Bot, actions: list[Action]) -> None:
    async def work() -> list[Action]:
        return actions

    await bot.run_scheduled(work)


def _deletes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.startswith("DELETE FROM outbox")]


@pytest.mark.sqlite_only  # counts statements with SQLite's trace callback
async def test_a_delivered_batch_is_marked_in_one_statement(harness: Harness) -> None:
    await harness.join("mod")
    harness.platform.take()
    async with counting_statements(harness.store) as statements:
        await _scheduled(harness.bot, _posts(3))
    assert len(_deletes(statements)) == 1
    assert harness.platform.texts("#general") == ["post 0", "post 1", "post 2"]
    assert await harness.store.outbox.count() == 0


@pytest.mark.sqlite_only  # counts statements with SQLite's trace callback
async def test_a_large_batch_is_marked_500_rows_a_statement_in_one_commit(
    harness: Harness,
) -> None:
    await harness.join("mod")
    harness.platform.take()
    async with counting_statements(harness.store) as statements:
        await _scheduled(harness.bot, _posts(1200))
    assert [s.split()[0] for s in statements[-5:]] == [
        "BEGIN",
        "DELETE",
        "DELETE",
        "DELETE",
        "COMMIT",
    ]
    assert len(harness.platform.texts("#general")) == 1200
    assert await harness.store.outbox.count() == 0


@dataclass
class KeyedPlatform(DyingPlatform):
    """Notes the request key of each channel post (what Matrix and Discord use to dedupe)."""

    keys: list[tuple[str, str | None]] = field(default_factory=list)

    async def send_to_channel(
        self, community: CommunityRef, channel_id: str, message: Message
    ) -> None:
        await super().send_to_channel(community, channel_id, message)
        self.keys.append((message.text, request_key()))


async def test_a_crash_mid_batch_loses_nothing_and_repeats_carry_the_rows_keys(
    db_path: Path,
) -> None:
    """Posts delivered before the crash but not yet marked go again after the restart, under
    the same request keys, so Matrix (transaction ids) and Discord (nonces) post them once."""
    clock = FakeClock()
    store = await Store.open(db_path)
    first = KeyedPlatform(sends_left=2)
    try:
        with pytest.raises(ProcessDied):
            await _scheduled(Bot(store, first, clock, PeerIndex()), _posts(3))
    finally:
        await store.close()
    assert [text for text, _ in first.keys] == ["post 0", "post 1"]

    store = await Store.open(db_path)
    again = KeyedPlatform()
    try:
        assert await Bot(store, again, clock, PeerIndex()).deliver_outbox() == 3
        assert await store.outbox.count() == 0
    finally:
        await store.close()
    assert [text for text, _ in again.keys] == ["post 0", "post 1", "post 2"]
    assert again.keys[:2] == first.keys  # the platform recognises these two
