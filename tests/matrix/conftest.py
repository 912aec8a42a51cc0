"""Fixtures for the Matrix tests: one Synapse per test session, a fresh bot and room per test.

Synapse is a dev dependency (`pip install -e '.[dev]'`); when it is missing these tests are
skipped with that instruction rather than failing on an import.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from adapters.matrix import MatrixBot, MatrixConfig
from adapters.matrix.login import Credentials
from communitybot.bootstrap import Core, matrix_bot
from communitybot.store.store import Store
from tests.matrix.members import Member
from tests.matrix.synapse import Account, Synapse

_names = itertools.count(1)


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    pytest.importorskip("synapse", reason="install the dev extras: pip install -e '.[dev]'")
    server = Synapse(tmp_path_factory.mktemp("synapse"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def built(config: MatrixConfig, store: Store) -> MatrixBot:
    """A Matrix bot wired the way the application wires it (`communitybot.bootstrap`)."""
    return await matrix_bot(config, Core(store))


class World:
    """One test's cast: a bot account, a moderator who owns the served room, and members."""

    def __init__(self, synapse: Synapse, directory: Path) -> None:
        self.synapse = synapse
        self.directory = directory
        self.n = next(_names)
        self.bot_account = synapse.register(f"bot{self.n}", password=f"bot-password-{self.n}")
        self.members: list[Member] = []
        self.bot: MatrixBot | None = None
        self.store: Store | None = None
        self._task: asyncio.Task[None] | None = None
        self.general = ""
        self.timeline_limit = 100
        self.encryption = False
        self.key_wait = 60.0
        self.trust = "tofu"

    @property
    def bot_id(self) -> str:
        return self.bot_account.user_id

    async def member(self, name: str, *, encrypted: bool = False) -> Member:
        account: Account = self.synapse.register(f"{name}{self.n}")
        keys = self.directory / f"{name}-keys" if encrypted else None
        member = Member(self.synapse.url, account, accept_invites_from=self.bot_id, keys=keys)
        await member.start()
        self.members.append(member)
        return member

    def config(self, rooms: list[str], moderator_rooms: list[str] | None = None) -> MatrixConfig:
        return MatrixConfig(
            credentials=Credentials(
                homeserver=self.synapse.url,
                user_id=self.bot_id,
                password=self.bot_account.password,
            ),
            rooms=rooms,
            moderator_rooms=list(moderator_rooms or []),
            sync_timeout_ms=1000,
            request_timeout=10.0,
            retry_delay=0.2,
            max_retry_delay=1.0,
            timeline_limit=self.timeline_limit,
            encryption=self.encryption,
            crypto_store=self.directory / "bot-keys",
            key_wait=self.key_wait,
            trust=self.trust,
        )

    async def start_bot(
        self, rooms: list[str] | None = None, moderator_rooms: list[str] | None = None
    ) -> MatrixBot:
        self.store = await Store.open(self.directory / "bot.db")
        self.bot = await built(self.config(rooms or [self.general], moderator_rooms), self.store)
        await self.bot.start()
        self._task = asyncio.create_task(self.bot.run())
        return self.bot

    async def stop_bot(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self.bot is not None:
            await self.bot.close()
            self.bot = None
        if self.store is not None:
            await self.store.close()
            self.store = None

    async def bot_in(self, room_id: str, within: float = 10.0) -> None:
        """Wait until the bot has joined `room_id` (it accepts invites asynchronously)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self.bot is None or room_id not in self.bot.client.rooms:
            if loop.time() > deadline:
                raise AssertionError(f"the bot did not join {room_id}")
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        await self.stop_bot()
        for member in self.members:
            await member.stop()


@pytest.fixture
async def world(synapse: Synapse, tmp_path: Path) -> AsyncIterator[World]:
    if not synapse.running:  # a test that stopped the server failed before restarting it
        synapse.start()
    cast = World(synapse, tmp_path)
    try:
        yield cast
    finally:
        await cast.close()
