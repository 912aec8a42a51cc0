"""The Matrix adapter's `last_heard`: seconds since the homeserver last answered a sync (the
dashboard's /readyz wants it recent). A real Synapse, as the other Matrix tests."""

from __future__ import annotations

import asyncio

from tests.matrix.conftest import World


async def test_the_bot_was_heard_at_its_last_sync(world: World) -> None:
    mod = await world.member("mod")
    world.general = await mod.create_room(f"General {world.n}")
    bot = await world.start_bot()
    first = bot.last_heard()
    assert first is not None and first < 30.0
    assert bot.synced_at is not None
    started = bot.synced_at
    bot.synced.clear()
    alice = await world.member("alice")
    await alice.join(world.general)  # something to sync
    async with asyncio.timeout(20):
        await bot.synced.wait()
    assert bot.synced_at > started  # each answered sync moves it on
