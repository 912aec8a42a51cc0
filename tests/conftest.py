"""Shared fixtures: a real store (SQLite in a temp dir, and PostgreSQL on a throwaway server),
a recording platform, a fake clock.

`store` runs each test that uses it on both backends (`[sqlite]`, `[postgres]`). Skip the
PostgreSQL runs with `-m "not postgres"` or COMMUNITYBOT_TEST_POSTGRES=0; CI runs both. A test
of a SQLite-only mechanism (the `quick` fast path, page limits) is marked `sqlite_only`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from communitybot.bot import Bot
from communitybot.clock import FakeClock
from communitybot.command_parser import parse_command_line
from communitybot.events import (
    ChannelMessage,
    ChoicePicked,
    CommandInvoked,
    CommunityRef,
    ConversationRef,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    UserRef,
)
from communitybot.models import Member
from communitybot.peers.index import PeerIndex
from communitybot.rate_limits import RateLimiter
from communitybot.replies import Action, Attachment
from communitybot.scheduler import JobKind, Scheduler
from communitybot.store.store import Store
from tests.database_factory import DatabaseFactory
from tests.fakes import FakePlatform
from tests.postgres_server import PostgresServer, postgres_bin

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
        self._posted = 0

    async def join(self, name: str) -> list[Action]:
        return await self.bot.dispatch(MemberJoined(COMMUNITY, user(name)))

    async def leave(self, name: str) -> list[Action]:
        return await self.bot.dispatch(MemberLeft(COMMUNITY, user(name)))

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

    async def pick(self, name: str, custom_id: str, *values: str) -> list[Action]:
        """Press a button / choose from a select the bot sent (Discord components)."""
        event = ChoicePicked(
            COMMUNITY, user(name), ConversationRef("fake", "dm", name), custom_id, values
        )
        return await self.bot.dispatch(event)

    async def post(
        self,
        name: str,
        channel: str,
        text: str,
        *,
        message_id: str | None = None,
        reply_to: str | None = None,
        mentions: tuple[str, ...] = (),
        parent: str | None = None,
    ) -> list[Action]:
        """A member's message in a channel or thread (what a running chat listens to)."""
        self._posted += 1
        kind = "thread" if parent else "channel"
        event = ChannelMessage(
            COMMUNITY,
            user(name),
            ConversationRef("fake", kind, channel),
            text,
            message_id or f"m{self._posted}",
            parent_channel_id=parent,
            reply_to_user_id=reply_to,
            mentioned_user_ids=mentions,
        )
        return await self.bot.dispatch(event)

    async def reply_text(self, name: str, line: str) -> str:
        """Run a command and return the one reply its author saw (earlier output is dropped)."""
        self.platform.take()
        await self.command(name, line)
        (text,) = self.platform.texts(f"reply:{name}")
        return text

    async def reply_file(self, name: str, line: str) -> Attachment:
        """Run a command and return the file attached to the one reply its author saw."""
        self.platform.take()
        await self.command(name, line)
        (file,) = self.platform.attachments(f"reply:{name}")
        return file

    async def find_member(self, name: str) -> Member | None:
        community = await self.store.communities.get(COMMUNITY)
        assert community is not None
        return await self.store.members.get(community.id, user(name))

    async def member(self, name: str) -> Member:
        found = await self.find_member(name)
        assert found is not None
        return found

    async def tag_names(self, name: str) -> set[str]:
        member = await self.member(name)
        return {tag.name for tag in await self.store.tags.tags_of_member(member.id)}

    async def give_tags(self, name: str, *tags: str) -> None:
        """Arrange tags directly in the store (the tag commands are tested elsewhere)."""
        member = await self.member(name)
        now = self.clock.now()
        tag_ids = [
            (await self.store.tags.ensure_tag(member.community_id, tag, "topic", now)).id
            for tag in tags
        ]
        await self.store.tags.add_member_tags(member.id, tag_ids, "self", now)
        await self.bot.peers.refresh_member(self.store, member.community_id, member.id)


@asynccontextmanager
async def running_scheduler(
    harness: Harness, kinds: Mapping[str, JobKind]
) -> AsyncIterator[Scheduler]:
    """A real Scheduler on the harness bot, sleeping on the fake clock, settled and running."""
    running = Scheduler(harness.bot, kinds, sleeper=harness.clock)
    async with running.running():
        await running.settle()
        yield running


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "communitybot.db"


TEMPLATE = "communitybot_template"
_factory: DatabaseFactory | None = None
"""The session's maker of template copies (while `postgres_server` is up)."""


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the session, with a migrated template database;
    each test's database is a copy, made ahead on a thread (`tests.database_factory`)."""
    global _factory
    if os.environ.get("COMMUNITYBOT_TEST_POSTGRES", "1") == "0":
        pytest.skip("PostgreSQL runs are off (COMMUNITYBOT_TEST_POSTGRES=0)")
    found = postgres_bin()
    if found is None:
        pytest.skip("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb)")
    server = PostgresServer(found)
    try:
        server.start()
        # First asked for inside a test's running loop: the template is made on a thread.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _make_template(server)).result()
        _factory = DatabaseFactory(server, TEMPLATE)
        _factory.start()
        yield server
    finally:
        if _factory is not None:
            _factory.stop()
            _factory = None
        server.stop()


async def _make_template(server: PostgresServer) -> None:
    import asyncpg

    from communitybot.store.postgres_db import PostgresDatabase

    admin = await asyncpg.connect(server.url())
    try:
        await admin.execute(f"CREATE DATABASE {TEMPLATE}")
    finally:
        await admin.close()
    db = await PostgresDatabase.open(server.url(TEMPLATE))
    await db.close()


@asynccontextmanager
async def fresh_postgres_database(server: PostgresServer) -> AsyncIterator[str]:
    """The URL of a new database copied from the migrated template, dropped afterwards."""
    assert _factory is not None, "ask for the postgres_server fixture first"
    name = await asyncio.to_thread(_factory.take)
    try:
        yield server.url(name)
    finally:
        _factory.discard(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store_target(request: pytest.FixtureRequest, db_path: Path) -> AsyncIterator[Path | str]:
    """Where the test's store lives: the SQLite file, or a fresh PostgreSQL database's URL.
    A test that restarts the bot reopens this same target (`Store.open(store_target)`)."""
    if request.param == "sqlite":
        yield db_path
        return
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("tests a SQLite-only mechanism")
    server = request.getfixturevalue("postgres_server")
    async with fresh_postgres_database(server) as url:
        yield url


@pytest.fixture
async def store(store_target: Path | str) -> AsyncIterator[Store]:
    opened = await Store.open(store_target)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def harness(store: Store, platform: FakePlatform, clock: FakeClock) -> Harness:
    # Rate limits off: on a clock that only moves when told, every scenario would be a burst.
    # tests/test_rate_limits.py (and the fuzz tests) run with them on.
    limits = RateLimiter(store, platform, clock, enabled=False)
    bot = Bot(store, platform, clock, PeerIndex(), prefix="/", limits=limits)
    return Harness(bot, platform, clock, store)
