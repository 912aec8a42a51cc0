"""`communitybot db copy`: a community grows up, SQLite → PostgreSQL, and nothing changes for it.

The SQLite database is built once through the real bot (two communities, members with
onboarding answers, tags, a mentoring pair, a chat with its pending jobs, asks and a follow,
outbox rows, the Discord and the Matrix adapters' state rows, unicode and NULLs). After the
copy, a bot on the PostgreSQL copy answers `/mydata` for every member and `/stats` for every
community exactly as the bot on the SQLite file did.
"""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import sqlite3
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.discord import schema as discord_schema
from adapters.matrix import schema as matrix_schema
from communitybot import dbcli
from communitybot.bootstrap import Core
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
from communitybot.rate_limits import RateLimiter
from communitybot.store.copy import CopyRefused
from communitybot.store.db import Database, bundled_migrations
from communitybot.store.store import Store
from tests.conftest import fresh_postgres_database
from tests.fakes import FakePlatform
from tests.postgres_server import PostgresServer
from tests.schema import table_names

pytestmark = pytest.mark.postgres

COMMUNITIES = (CommunityRef("fake", "staffroom"), CommunityRef("fake", "sala-de-profes"))
PEOPLE = {
    "mod": "Mo Moderator",
    "alice": "Zoë Ünïcode 🌱",
    "bob": "Bob O'Brien",
    "cat": "猫 Cat",
    "dan": "Dan (never answers)",
}
CREATE = (
    '/chat create engchat "Feedback que funciona ✨" chats "weekly tuesday" 19:00 Europe/London'
)


class Driver:
    """The real Bot driven the way an adapter would, in one community."""

    def __init__(self, bot: Bot, platform: FakePlatform, community: CommunityRef) -> None:
        self.bot = bot
        self.platform = platform
        self.community = community

    def user(self, name: str) -> UserRef:
        return UserRef("fake", name, PEOPLE.get(name, name.capitalize()))

    async def join(self, name: str) -> None:
        await self.bot.dispatch(MemberJoined(self.community, self.user(name)))

    async def say(self, name: str, text: str) -> None:
        conversation = ConversationRef("fake", "dm", name)
        await self.bot.dispatch(
            MessageReceived(self.community, self.user(name), conversation, text)
        )

    async def command(self, name: str, line: str) -> None:
        parsed = parse_command_line(line, "/", self.user)
        conversation = ConversationRef("fake", "channel", "general")
        event = CommandInvoked(
            self.community, self.user(name), conversation, parsed.command.path, parsed.options
        )
        await self.bot.dispatch(event)

    async def reply(self, name: str, line: str) -> str:
        """The one reply `name` saw: its text, or the attached file's content."""
        self.platform.take()
        await self.command(name, line)
        (sent,) = [s for s in self.platform.take() if s.where == f"reply:{name}"]
        file = sent.message.attachment
        return file.content.decode() if file is not None else sent.text


def bot_on(store: Store, clock: FakeClock) -> tuple[Bot, FakePlatform]:
    platform = FakePlatform()
    platform.moderators.add("mod")
    limits = RateLimiter(store, platform, clock, enabled=False)
    return Bot(store, platform, clock, PeerIndex(), prefix="/", limits=limits), platform


async def answers(store: Store, clock: FakeClock) -> dict[str, str]:
    """What members and moderators see: `/mydata` of every member, `/stats` of every community."""
    bot, platform = bot_on(store, clock)
    seen = {}
    for community in COMMUNITIES:
        driver = Driver(bot, platform, community)
        for name in PEOPLE:
            seen[f"{community.space_id} {name} /mydata"] = await driver.reply(name, "/mydata")
        seen[f"{community.space_id} /stats"] = await driver.reply("mod", "/stats")
    return seen


async def build_world(path: Path, clock: FakeClock) -> None:
    store = await Store.open(path)
    try:
        bot, platform = bot_on(store, clock)
        for community in COMMUNITIES:
            driver = Driver(bot, platform, community)
            for name in PEOPLE:
                await driver.join(name)
            await driver.command(
                "mod", "/setup welcome_channel=welcome introductions_channel=intros"
            )
            for name, text in (("alice", "1"), ("alice", "1, 2"), ("bob", "2")):
                await driver.say(name, text)
            community_row = await store.communities.get(community)
            assert community_row is not None
            now = clock.now()
            for name, tags in (("mod", ("maths", "science")), ("alice", ("maths", "éducation"))):
                member = await store.members.get(community_row.id, driver.user(name))
                assert member is not None
                ids = [
                    (await store.tags.ensure_tag(community_row.id, tag, "topic", now)).id
                    for tag in tags
                ]
                await store.tags.add_member_tags(member.id, ids, "self", now)
            await driver.command("alice", "/mentor offer 2 maths")
            await driver.command("cat", "/mentor request maths")
            await driver.command("mod", "/mentoring match")
            await driver.command("mod", CREATE)
            await driver.command("alice", "/chat subscribe engchat")
            await driver.command("bob", "/ask How do I get quiet students talking? 🤔")
            await driver.command("alice", "/follow 1")
            clock.advance(seconds=61)
        # A network of both communities: an invite used, one still open, a wrong code tried.
        first, second = (Driver(bot, platform, community) for community in COMMUNITIES)
        await first.command("mod", "/network create Réseau des profs 🌍")
        (code,) = re.findall(r"`(\w{4}-\w{4})`", await first.reply("mod", "/network invite"))
        await first.command("mod", "/network invite")
        await second.command("mod", "/network join AAAA-AAAA")
        assert "now an affiliate" in await second.reply("mod", f"/network join {code}")
        assert "now a steward" in await second.reply("mod", "/network stewards add alice")
        await store.outbox.add(
            [('{"kind": "ünïcode ✉"}', None), ('{"kind": "x"}', "modlog")], clock.now()
        )
        core = Core(store)
        discord = await core.adapter_state(discord_schema.NAMESPACE, discord_schema.MIGRATIONS)
        await discord.write(
            "INSERT INTO discord_state (application_id, key, value) VALUES (?, ?, ?)",
            ("app-1", "catalogue_hash", "héllo"),
        )
        await discord.write(
            "INSERT INTO discord_dm_channels (application_id, user_id, channel_id, guild_id,"
            " updated_at) VALUES (?, ?, ?, ?, ?)",
            ("app-1", "alice", "dm-9", "staffroom", clock.now().isoformat()),
        )
        matrix = await core.adapter_state(matrix_schema.NAMESPACE, matrix_schema.MIGRATIONS)
        await matrix.write(
            "INSERT INTO matrix_state (account, key, value) VALUES (?, ?, ?)",
            ("@bot:example.org", "next_batch", "s72594_4483_1934"),
        )
    finally:
        await store.close()


@dataclass
class World:
    path: Path
    seen: dict[str, str]
    counts: dict[str, int]
    clock_at: FakeClock


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        names = [
            r[0]
            for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not r[0].startswith("sqlite_")
        ]
        return {n: connection.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The SQLite world, built once, and what its bot answered (read from a copy of the file,
    so the built file stays as the bot left it)."""
    folder = tmp_path_factory.mktemp("world")
    path = folder / "communitybot.db"
    clock = FakeClock()

    async def build() -> dict[str, str]:
        await build_world(path, clock)
        probe = folder / "probe.db"
        shutil.copy(path, probe)
        store = await Store.open(probe)
        try:
            return await answers(store, clock)
        finally:
            await store.close()

    with ThreadPoolExecutor(1) as pool:
        seen = pool.submit(asyncio.run, build()).result()
    return World(path, seen, _counts(path), clock)


@pytest.fixture
def source(world: World, tmp_path: Path) -> Path:
    """This test's own copy of the SQLite world."""
    path = tmp_path / "old.db"
    shutil.copy(world.path, path)
    return path


@pytest.fixture
async def target(postgres_server: PostgresServer) -> AsyncIterator[str]:
    async with fresh_postgres_database(postgres_server) as url:
        yield url


async def copy(source: Path | str, target: Path | str) -> str:
    out = io.StringIO()
    assert await dbcli.copy(source, target, out) == 0
    return out.getvalue()


async def pg_counts(url: str) -> dict[str, int]:
    store = await Store.open(url)
    try:
        names = await table_names(store.db)
        counts = {}
        for name in names - {"schema_version"}:
            row = await store.db.fetch_one(f'SELECT count(*) FROM "{name}"')
            counts[name] = int(row[0])
        return counts
    finally:
        await store.close()


async def test_every_member_sees_the_same_mydata_and_every_community_the_same_stats(
    world: World, source: Path, target: str
) -> None:
    said = await copy(source, target)
    assert "members: 10 copied, 0 already there" in said
    assert "Done:" in said and "committed" in said
    assert {k: v for k, v in (await pg_counts(target)).items() if v} == {
        k: v for k, v in world.counts.items() if v
    }
    store = await Store.open(target)
    try:
        seen = await answers(store, world.clock_at)
    finally:
        await store.close()
    assert len(seen) == len(COMMUNITIES) * (len(PEOPLE) + 1)
    for key, expected in world.seen.items():
        assert seen[key] == expected, key
    assert "Zoë Ünïcode 🌱" in seen["staffroom alice /mydata"]
    assert "Maths" in seen["staffroom alice /mydata"]
    assert (
        "Feedback que funciona ✨" in seen["staffroom /stats"]
        or "1 series" in seen["staffroom /stats"]
    )


async def test_copying_again_copies_nothing_twice_and_says_so(
    world: World, source: Path, target: str
) -> None:
    await copy(source, target)
    again = await copy(source, target)
    assert "Nothing to copy: all" in again
    assert "members: 0 copied, 10 already there" in again
    assert {k: v for k, v in (await pg_counts(target)).items() if v} == {
        k: v for k, v in world.counts.items() if v
    }


async def test_a_target_holding_other_data_under_the_same_ids_is_refused_and_left_alone(
    world: World, source: Path, target: str, tmp_path: Path
) -> None:
    clock = FakeClock()
    store = await Store.open(target)
    try:
        bot, platform = bot_on(store, clock)
        driver = Driver(bot, platform, CommunityRef("fake", "another-school"))
        await driver.join("dan")
    finally:
        await store.close()
    await dbcli.migrate(target, io.StringIO())  # the copy migrates first: data rows must stay
    before = await pg_counts(target)
    with pytest.raises(CopyRefused, match="table communities: the target holds different data"):
        await dbcli.copy(source, target, io.StringIO())
    assert await pg_counts(target) == before


async def test_rows_added_after_the_copy_get_fresh_ids(
    world: World, source: Path, target: str
) -> None:
    said = await copy(source, target)
    assert "Id sequences set past the copied ids" in said
    store = await Store.open(target)
    try:
        # The outbox's ids are never reused (AUTOINCREMENT): past the highest ever given out.
        with sqlite3.connect(source) as connection:
            (given,) = connection.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'"
            ).fetchone()
        assert given > world.counts["outbox"]  # delivered rows were deleted in the world
        (outbox_id,) = await store.outbox.add([("{}", None)], world.clock_at.now())
        assert outbox_id == given + 1
        bot, platform = bot_on(store, world.clock_at)
        driver = Driver(bot, platform, COMMUNITIES[0])
        await driver.join("erin")
        community = await store.communities.get(COMMUNITIES[0])
        assert community is not None
        erin = await store.members.get(community.id, driver.user("erin"))
        assert erin is not None and erin.id == world.counts["members"] + 1
        await driver.command("erin", "/ask A new question after the move")
        row = await store.db.fetch_one("SELECT max(id) FROM asks")
        assert row is not None and int(row[0]) == world.counts["asks"] + 1
    finally:
        await store.close()


async def test_postgresql_back_to_sqlite_keeps_every_row(
    world: World, source: Path, target: str, tmp_path: Path
) -> None:
    await copy(source, target)
    back = tmp_path / "back.db"
    said = await copy(target, dbcli.parse_target(f"sqlite:///{back}", "--to"))
    assert "Done:" in said and "Id sequences" not in said
    assert _counts(back) == world.counts
    # The outbox's counter (AUTOINCREMENT) came along too: no id of a deleted row comes back.
    with sqlite3.connect(source) as before, sqlite3.connect(back) as after:
        query = "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'"
        assert after.execute(query).fetchone() == before.execute(query).fetchone()
    tables = set(world.counts)
    with sqlite3.connect(source) as before, sqlite3.connect(back) as after:
        for name in sorted(tables):
            query = f'SELECT * FROM "{name}" ORDER BY 1, 2'
            assert before.execute(query).fetchall() == after.execute(query).fetchall(), name


async def test_a_source_behind_the_code_is_refused_with_what_to_do(
    tmp_path: Path, target: str
) -> None:
    old = tmp_path / "old.db"
    db = await Database.open(old, bundled_migrations()[:19])
    await db.close()
    with pytest.raises(CopyRefused, match=r"schema version 19.*db migrate"):
        await dbcli.copy(old, target, io.StringIO())


async def test_text_postgresql_cannot_hold_is_refused_naming_the_row(
    world: World, source: Path, target: str
) -> None:
    with sqlite3.connect(source) as connection:
        connection.execute("UPDATE members SET display_name = ? WHERE id = 3", ("nul\x00byte",))
    with pytest.raises(CopyRefused, match=r"table members, row id = 3: column display_name"):
        await dbcli.copy(source, target, io.StringIO())
    assert (await pg_counts(target)).get("members", 0) == 0


async def test_the_same_row_under_another_id_in_the_target_is_refused(
    world: World, source: Path, target: str
) -> None:
    """Same community (platform, space) but another id: copying would split it in two."""
    with sqlite3.connect(source) as connection:
        connection.row_factory = sqlite3.Row
        row = dict(connection.execute("SELECT * FROM communities WHERE id = 1").fetchone())
    row["id"] = 99
    store = await Store.open(target)
    try:
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        await store.db.execute(
            f"INSERT INTO communities ({names}) VALUES ({marks})", list(row.values())
        )
    finally:
        await store.close()
    await dbcli.migrate(target, io.StringIO())
    before = await pg_counts(target)
    with pytest.raises(CopyRefused, match="table communities: the target already holds"):
        await dbcli.copy(source, target, io.StringIO())
    assert await pg_counts(target) == before


async def test_a_running_bot_s_unfinished_write_is_not_copied(
    world: World, source: Path, target: str
) -> None:
    """The source is read in one read transaction: a write still open when the copy begins
    (a bot mid-event) is not copied, half or whole."""
    writer = sqlite3.connect(source, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "INSERT INTO members (id, community_id, platform, user_id, joined_at)"
            " VALUES (500, 1, 'fake', 'mid-join', '2027-01-01T00:00:00+00:00')"
        )
        said = await copy(source, target)
        writer.execute("COMMIT")
    finally:
        writer.close()
    assert "members: 10 copied" in said
    assert (await pg_counts(target))["members"] == world.counts["members"]
