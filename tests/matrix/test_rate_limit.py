"""429s: the bot's own sends wait `retry_after_ms` and retry a bounded number of times.

A real Synapse with a strict `rc_message` would take seconds per case to trip; a tiny aiohttp
server on 127.0.0.1 that answers the send endpoint with `M_LIMIT_EXCEEDED` is faithful (the
same HTTP the bot's matrix-nio client speaks) and instant. The bot under test is the real
`MatrixBot`, so its client configuration (the retry bound) is what is exercised.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from loguru import logger

from adapters.matrix import MatrixBot, MatrixConfig
from adapters.matrix.errors import RATE_LIMIT_RETRIES
from adapters.matrix.login import Credentials
from communitybot.ports import PlatformError
from communitybot.store.store import Store
from tests.matrix.conftest import built

BOT = "@bot:localhost"
ROOM = "!room-without-a-server-part"
WAIT_MS = 120

Start = Callable[[int], Awaitable[tuple["LimitedServer", MatrixBot]]]


@dataclass
class LimitedServer:
    """Answers the first `limited` sends with a 429, the rest with an event id."""

    limited: int
    sends: list[tuple[float, str]] = field(default_factory=list)
    url: str = ""

    async def send(self, request: web.Request) -> web.Response:
        self.sends.append((time.monotonic(), request.match_info["txn"]))
        if len(self.sends) <= self.limited:
            body = {"errcode": "M_LIMIT_EXCEEDED", "error": "Too many", "retry_after_ms": WAIT_MS}
            return web.json_response(body, status=429)
        return web.json_response({"event_id": f"$sent{len(self.sends)}"})


@pytest.fixture
async def serve(tmp_path: Path) -> AsyncIterator[Start]:
    runners: list[web.AppRunner] = []
    stores: list[Store] = []
    bots: list[MatrixBot] = []

    async def start(limited: int) -> tuple[LimitedServer, MatrixBot]:
        server = LimitedServer(limited)
        app = web.Application()
        app.router.add_put("/_matrix/client/v3/rooms/{room}/send/{type}/{txn}", server.send)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        server.url = f"http://127.0.0.1:{port}"
        store = await Store.open(tmp_path / f"bot{len(stores)}.db")
        stores.append(store)
        config = MatrixConfig(Credentials(server.url, BOT, access_token="syt_test"))
        bot = await built(config, store)
        bot.client.access_token = "syt_test"
        bots.append(bot)
        return server, bot

    yield start
    for bot in bots:
        await bot.close()
    for store in stores:
        await store.close()
    for runner in runners:
        await runner.cleanup()


async def test_a_rate_limited_send_waits_as_told_and_is_posted_once(serve: Start) -> None:
    server, bot = await serve(2)
    event_id = await bot.platform.send_content(ROOM, {"msgtype": "m.notice", "body": "hi"})
    assert event_id == "$sent3"
    times = [at for at, _ in server.sends]
    assert all(
        later - earlier >= WAIT_MS / 1000 * 0.9 for earlier, later in itertools.pairwise(times)
    )
    assert len({txn for _, txn in server.sends}) == 1  # the same transaction: never posted twice


async def test_a_send_still_limited_after_the_retries_is_logged_and_given_up(serve: Start) -> None:
    server, bot = await serve(1000)
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(str(message)), level="WARNING")
    try:
        with pytest.raises(PlatformError, match="rate-limiting"):
            await bot.platform.send_content(ROOM, {"msgtype": "m.notice", "body": "hi"})
    finally:
        logger.remove(sink)
    assert len(server.sends) == RATE_LIMIT_RETRIES + 1
    assert any("rate-limited" in line and ROOM in line for line in lines)
