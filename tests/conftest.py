"""Shared fixtures: a real SQLite store in a temp dir, a recording platform, a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from communitybot.bot import Bot
from communitybot.clock import FakeClock
from communitybot.command_parser import parse_command_line
from communitybot.events import (
    CommandInvoked,
    CommunityRef,
    ConversationRef,
    MemberJoined,
    MessageReceived,
    UserRef,
)
from communitybot.peers.index import PeerIndex
from communitybot.replies import Action
from communitybot.store.store import Store
from tests.fakes import FakePlatform

COMMUNITY = CommunityRef("fake", "community-1")


def user(name: str) -> UserRef:
    return UserRef("fake", name, name.capitalize())


class Harness:
    """Drive the real Bot the way an adapter would, with typed lines."""

    def __init__(self, bot: Bot, platform: FakePlatform, clock: FakeClock, store: Store) -> None:
        self.bot = bot
        self.platform = platform
        self.clock = clock
        self.store = store

    async def join(self, name: str) -> list[Action]:
        return await self.bot.dispatch(MemberJoined(COMMUNITY, user(name)))

    async def command(self, name: str, line: str) -> list[Action]:
        parsed = parse_command_line(line, "/", lambda raw: user(raw))
        event = CommandInvoked(
            COMMUNITY,
            user(name),
            ConversationRef("fake", "channel", "general"),
            parsed.command.path,
            parsed.options,
        )
        return await self.bot.dispatch(event)

    async def say(self, name: str, text: str) -> list[Action]:
        event = MessageReceived(COMMUNITY, user(name), ConversationRef("fake", "dm", name), text)
        return await self.bot.dispatch(event)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "communitybot.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(db_path)
    yield opened
    await opened.close()


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def harness(store: Store, platform: FakePlatform, clock: FakeClock) -> Harness:
    bot = Bot(store, platform, clock, PeerIndex(), prefix="/")
    return Harness(bot, platform, clock, store)
