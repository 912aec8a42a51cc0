"""Two Discord replicas (real processes) on one PostgreSQL database, against the loopback double:
exactly one holds the gateway connection and answers; when it is killed the other takes over.

Each replica is `python -m tests.discord.replica PORT` (the real `communitybot run --adapter
discord`, pointed at the double this test runs on 127.0.0.1). No timing is asserted: the waits
are generous so a loaded machine only makes the test slower.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from communitybot.app import EXIT_OK
from tests.conftest import fresh_postgres_database
from tests.discord.gateway_double import MOD_ROLE, DiscordDouble
from tests.discord.helpers import BOB, MOD, callback_data, slash
from tests.postgres_server import PostgresServer
from tests.replicas import Replica, replica_env

pytestmark = pytest.mark.postgres

LEADING = "leading discord"
STANDBY = "another process leads discord: waiting as a standby"
READY = "Discord bot ready"


class CountingDouble(DiscordDouble):
    """The double, also counting IDENTIFYs: how many processes logged in to the gateway."""

    identifies = 0

    async def _identify(self, socket: web.WebSocketResponse, identify: dict[str, Any]) -> None:
        self.identifies += 1
        await super()._identify(socket, identify)


@pytest.fixture
async def double() -> AsyncIterator[CountingDouble]:
    started = CountingDouble()
    await started.start()
    started.add_user(BOB, "bob")
    started.add_user(MOD, "mod", roles=[MOD_ROLE])
    try:
        yield started
    finally:
        await started.stop()


def discord_replica(name: str, double: DiscordDouble, url: str, cwd: Path) -> Replica:
    env = replica_env(
        {"COMMUNITYBOT_DATABASE_URL": url, "COMMUNITYBOT_DISCORD__TOKEN": double.valid_token}
    )
    return Replica(name, "tests.discord.replica", [str(double.port)], env, cwd)


async def _help_answered_once(double: DiscordDouble) -> str:
    asked = await double.interact(BOB, 2, slash("help"))
    await double.wait_for("POST", f"/interactions/{asked}/", within=30)
    assert "What I can do" in callback_data(double, asked)["data"]["content"]
    return asked


async def _either_says(replicas: list[Replica], text: str) -> None:
    waits = [asyncio.create_task(replica.wait_line(text)) for replica in replicas]
    try:
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        await next(iter(done))
    finally:
        for wait in waits:
            wait.cancel()


async def test_one_replica_answers_and_the_other_takes_over_when_it_is_killed(
    double: CountingDouble, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    async with fresh_postgres_database(postgres_server) as url:
        replicas = [discord_replica(name, double, url, tmp_path) for name in ("a", "b")]
        try:
            for replica in replicas:  # started together, on a database they both migrate
                await replica.start()
            await _either_says(replicas, LEADING)
            first, second = sorted(replicas, key=lambda replica: not replica.said(LEADING))
            await second.wait_line(STANDBY)
            await first.wait_line(READY)

            asked = [await _help_answered_once(double), await _help_answered_once(double)]
            assert double.identifies == 1, "only the leader logged in to the gateway"
            assert not second.said(LEADING)

            first.signal(signal.SIGKILL)
            await first.wait()
            await second.wait_line(LEADING)
            await second.wait_line(READY)
            asked.append(await _help_answered_once(double))
            assert double.identifies == 2

            second.signal(signal.SIGTERM)
            assert await second.wait() == EXIT_OK
            for interaction in asked:  # every interaction was answered exactly once
                assert len(double.rest("POST", f"/interactions/{interaction}/")) == 1
        finally:
            for replica in replicas:
                await replica.stop()
