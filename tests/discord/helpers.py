"""Helpers shared by the Discord tests: a bot connected to the double, and payload builders."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from adapters.discord import DiscordBot, DiscordConfig
from communitybot.bootstrap import Core, discord_bot
from communitybot.clock import Clock, FakeClock
from communitybot.store.store import Store
from tests.discord.gateway_double import APP_ID, DiscordDouble

ALICE = "960000000000000001"
BOB = "960000000000000002"
MOD = "960000000000000003"


@contextlib.asynccontextmanager
async def connected(
    double: DiscordDouble,
    db: Path,
    *,
    dm_interval: float = 0,
    prepare: Callable[[DiscordBot], None] | None = None,
) -> AsyncIterator[DiscordBot]:
    """A started bot (fresh client, same database file) connected to the double.

    `prepare` runs on the bot before it starts (e.g. to give its platform a test pacer).
    """
    store = await Store.open(db)
    bot = await built(
        DiscordConfig(token=double.valid_token, guild_ready_timeout=0.05, dm_interval=dm_interval),
        store,
    )
    if prepare is not None:
        prepare(bot)
    await bot.start()
    task = asyncio.create_task(bot.run())
    try:
        async with asyncio.timeout(5):
            await bot.ready.wait()
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        await store.close()


async def built(config: DiscordConfig, store: Store, clock: Clock | None = None) -> DiscordBot:
    """A Discord bot wired the way the application wires it (`communitybot.bootstrap`)."""
    return await discord_bot(config, Core(store, clock=clock or FakeClock()))


def components_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in body.get("components", []) for c in row["components"]]


def callback_data(double: DiscordDouble, interaction_id: str) -> dict[str, Any]:
    [call] = double.rest("POST", f"/interactions/{interaction_id}/")
    return dict(call.body)


async def answer(double: DiscordDouble, interaction_id: str) -> dict[str, Any]:
    await double.wait_for("POST", f"/interactions/{interaction_id}/")
    return callback_data(double, interaction_id)


async def whole_help(double: DiscordDouble, user: str, locale: str) -> str:
    """The whole of `/help` (longer than one Discord message: its answer, then follow-ups),
    once its last part, the one pointing to `/help <command>`, was delivered (a test that
    stops at the first part leaves the rest being sent while the bot shuts down)."""
    asked = await double.interact(user, 2, slash("help"), locale=locale)
    first = (await answer(double, asked))["data"]["content"]
    follow_ups = f"/webhooks/{APP_ID}/token-{asked}"

    def whole() -> str:
        return "\n".join(
            [first, *(str(c.body["content"]) for c in double.rest("POST", follow_ups))]
        )

    await double.wait_until(lambda: "`/help <" in whole())
    return whole()


def slash(name: str, *options: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": "1", "name": name, "type": 1, "options": list(options), **extra}


def sub(name: str, *options: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "name": name, "options": list(options)}


def pick(key: str, *values: str) -> dict[str, Any]:
    """A select menu choice on the onboarding question `key`."""
    return {"custom_id": f"onboarding:{key}", "component_type": 3, "values": list(values)}
