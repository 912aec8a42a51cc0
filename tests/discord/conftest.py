"""Fixtures of the Discord tests: the loopback double (with two members) and a bot on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.discord import DiscordBot
from tests.discord.gateway_double import MOD_ROLE, DiscordDouble, running_double
from tests.discord.helpers import BOB, MOD, connected


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    async with running_double() as started:
        started.add_user(BOB, "bob")
        started.add_user(MOD, "mod", roles=[MOD_ROLE])
        yield started


@pytest.fixture
async def bot(double: DiscordDouble, tmp_path: Path) -> AsyncIterator[DiscordBot]:
    async with connected(double, tmp_path / "bot.db") as started:
        yield started
