"""No member waits behind a burst: read-only commands beside the write path, members first.

Each test holds the write path somewhere (a transaction left open by scheduled work, or joins
queued at the lock) and looks at what members get meanwhile. A guard timeout turns "would wait
forever" into a failure; nothing here measures how fast anything is.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from benchmarks import burst
from communitybot import registry
from communitybot.bot import Bot
from communitybot.commands import CATALOGUE
from communitybot.context import Context
from communitybot.events import CommandInvoked, CommunityRef, ConversationRef, MemberJoined
from communitybot.peers import index as index_module
from communitybot.peers.community import CommunityIndex
from communitybot.peers.index import PeerIndex
from communitybot.peers.loader import load_community
from communitybot.replies import Action, Message, SendToChannel, reply
from communitybot.store.store import Store
from tests.conftest import COMMUNITY, Harness, user

GUARD_S = 20
"""Only against hanging: a command waiting for the held write path would wait forever."""


HELD_ON_POSTGRES = (COMMUNITY, CommunityRef("fake", "community-2"))
"""The communities whose lanes `write_held` holds on PostgreSQL (every test community)."""

Inside = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]


@asynccontextmanager
async def write_held(harness: Harness) -> AsyncIterator[Inside]:
    """Scheduled work that holds the write lock, its transaction open, until the block ends.

    It yields `inside`: `await inside(lambda: store.x.write(...))` runs a store call in that
    open transaction (on either backend), so it commits only when the block ends.

    PostgreSQL has no global writer turn (units of different communities run in parallel), so
    there the work holds the lanes of the tests' communities instead: their events wait in
    those lanes, as they wait for the writer turn on SQLite.
    """
    entered = asyncio.Event()
    calls: asyncio.Queue[tuple[Callable[[], Awaitable[Any]], asyncio.Future[Any]] | None] = (
        asyncio.Queue()
    )

    async def work() -> list[Action]:
        entered.set()
        while (call := await calls.get()) is not None:
            step, result = call
            try:
                result.set_result(await step())
            except Exception as error:  # handed to the test that asked
                result.set_exception(error)
        return []

    async def inside(step: Callable[[], Awaitable[Any]]) -> Any:
        result: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        calls.put_nowait((step, result))
        return await asyncio.wait_for(result, GUARD_S)

    held = HELD_ON_POSTGRES if harness.store.db.dialect == "postgresql" else ()
    task = asyncio.create_task(harness.bot.run_scheduled(work, communities=held))
    await asyncio.wait_for(entered.wait(), GUARD_S)
    try:
        yield inside
    finally:
        calls.put_nowait(None)
        await asyncio.wait_for(task, GUARD_S)


async def queued(bot: Bot, count: int) -> None:
    """Let the dispatched events reach the write lock (each needs a step or two)."""
    for _ in range(10):
        if bot._lock.waiting() >= count:
            return
        await asyncio.sleep(0)
    assert bot._lock.waiting() >= count


def errors_logged() -> tuple[list[str], int]:
    seen: list[str] = []
    return seen, logger.add(lambda m: seen.append(str(m)), level="ERROR", format="{message}")


async def answered(harness: Harness, name: str, line: str) -> str:
    """The one reply `name` gets for `line`, failing (not hanging) if it never comes."""
    harness.platform.take()
    await asyncio.wait_for(harness.command(name, line), GUARD_S)
    (text,) = harness.platform.texts(f"reply:{name}")
    return text


@pytest.fixture
async def community(harness: Harness) -> Harness:
    """Ann and Bob share maths; a moderator set the channels up (so /stats writes nothing)."""
    harness.platform.moderators.add("mod")
    for line in (
        "/setup welcome_channel=welcome introductions_channel=intros modlog_channel=modlog",
        "/tags create maths",
        "/tags create science",
    ):
        await harness.command("mod", line)
    for name in ("ann", "bob"):
        await harness.join(name)
        await harness.command(name, "/tags add maths")
    harness.platform.take()
    return harness


async def test_a_read_only_command_is_answered_while_a_write_transaction_is_open(
    community: Harness,
) -> None:
    """Before: `/peers` waited for the lock the open transaction held (here: for ever)."""
    async with write_held(community) as inside:
        ann = await community.member("ann")
        await inside(lambda: community.store.members.update(ann.id, role="head of maths"))
        text = await answered(community, "bob", "/peers")
        assert "Ann" in text and "maths" in text
        profile = await answered(community, "ann", "/profile show")
        assert "head of maths" not in profile, "a read sees only what is committed"
    assert "head of maths" in await answered(community, "ann", "/profile show")


async def test_every_read_only_command_answers_beside_the_write_path(
    community: Harness,
) -> None:
    """Each command marked read_only, with its examples, as a member and as a moderator: all
    answered while the write path is held, none fell back (no error logged)."""
    seen, sink = errors_logged()
    try:
        async with write_held(community):
            for command in (c for c in CATALOGUE if c.read_only):
                for example in command.examples:
                    for name in ("ann", "mod"):
                        text = await answered(community, name, "/" + example)
                        assert text, f"/{example} as {name}"
    finally:
        logger.remove(sink)
    assert seen == []


async def test_a_command_queued_behind_2000_joins_goes_first(community: Harness) -> None:
    """Before: the command's answer came after all 2,000 welcomes (one FIFO lock)."""
    bot = community.bot
    async with write_held(community):
        joins = [
            asyncio.create_task(bot.dispatch(MemberJoined(COMMUNITY, user(f"new{n}"))))
            for n in range(2000)
        ]
        await queued(bot, 2000)
        writes = asyncio.create_task(community.command("ann", "/privacy discoverable off"))
        await asyncio.wait_for(community.command("bob", "/peers"), GUARD_S)
        assert community.platform.texts("reply:bob"), "answered beside the queued joins"
    await asyncio.wait_for(asyncio.gather(writes, *joins), GUARD_S * 3)
    where = [sent.where for sent in community.platform.sent]
    welcomes_before = [w for w in where[: where.index("reply:ann")] if w.startswith("dm:new")]
    assert welcomes_before == []
    assert len({w for w in where if w.startswith("dm:new")}) == 2000, "every join greeted"
    assert (await community.member("ann")).discoverable is False


async def test_a_members_join_is_handled_before_their_own_command(harness: Harness) -> None:
    """Under concurrency, each member's commands come after their own join (promoted with them),
    and before the other members' joins."""
    bot = harness.bot
    async with write_held(harness):
        joins = [
            asyncio.create_task(bot.dispatch(MemberJoined(COMMUNITY, user(f"m{n}"))))
            for n in range(50)
        ]
        await queued(bot, 50)
        commands = [
            asyncio.create_task(harness.command(f"m{n}", line))
            for n in (40, 10, 25)
            for line in ("/profile show", "/privacy discoverable off")
        ]
        await asyncio.sleep(0)
    await asyncio.wait_for(asyncio.gather(*joins, *commands), GUARD_S)
    where = [sent.where for sent in harness.platform.sent]
    for n in (40, 10, 25):
        welcome = where.index(f"dm:m{n}")
        assert welcome < where.index(f"reply:m{n}"), f"m{n}'s join before their command"
        assert (await harness.member(f"m{n}")).discoverable is False
    last_reply = max(i for i, w in enumerate(where) if w.startswith("reply:"))
    greeted_first = {w for w in where[:last_reply] if w.startswith("dm:")}
    assert greeted_first == {"dm:m40", "dm:m10", "dm:m25"}, "the others' joins wait"
    assert {w for w in where if w.startswith("dm:")} == {f"dm:m{n}" for n in range(50)}


async def test_a_read_only_command_from_someone_new_still_works(harness: Harness) -> None:
    """Unknown member (and community): the write path runs, creating them as before."""
    text = await answered(harness, "newcomer", "/help")
    assert "What I can do" in text
    assert await harness.find_member("newcomer") is not None


async def test_a_member_who_left_and_types_a_read_only_command_is_back(
    community: Harness,
) -> None:
    await community.leave("bob")
    assert "What I can do" in await answered(community, "bob", "/help")
    assert (await community.member("bob")).left_at is None


async def test_a_read_only_handler_that_writes_is_handled_on_the_write_path(
    community: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read connection cannot write: such a bug costs a log line, not the member's action."""

    async def writes(ctx: Context, options: dict[str, Any]) -> list[Action]:
        await ctx.store.members.update(ctx.member.id, role="written")
        return reply("done")

    monkeypatch.setitem(registry.COMMANDS, ("asks",), writes)
    seen, sink = errors_logged()
    try:
        assert await answered(community, "ann", "/asks") == "done"
    finally:
        logger.remove(sink)
    assert (await community.member("ann")).role == "written"
    assert any("handling it on the write path" in line for line in seen)


async def test_a_read_only_handler_that_posts_is_handled_once_on_the_write_path(
    community: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def posts(ctx: Context, options: dict[str, Any]) -> list[Action]:
        return [*reply("posted"), SendToChannel(ctx.community.ref, "general", Message("hello"))]

    monkeypatch.setitem(registry.COMMANDS, ("asks",), posts)
    seen, sink = errors_logged()
    community.platform.take()
    try:
        await asyncio.wait_for(community.command("ann", "/asks"), GUARD_S)
    finally:
        logger.remove(sink)
    sent = [(s.where, s.text) for s in community.platform.take()]
    assert sent == [("reply:ann", "posted"), ("#general", "hello")], "once each"
    assert any("more than replies" in line for line in seen)


async def test_a_cold_peers_load_beside_an_open_write_keeps_no_stale_index(
    community: Harness,
) -> None:
    """Bob gains a tag in a transaction still open while Ann's `/peers science` loads the
    index through the read connection (without it: not committed). Once the transaction
    commits, Bob is found: the index kept from that load must not stay without him."""
    bot, store = community.bot, community.store
    ann, bob = await community.member("ann"), await community.member("bob")
    await community.command("ann", "/tags add science")
    bot.peers.invalidate_all()
    science = next(t for t in await store.tags.all(ann.community_id) if t.name == "science")
    async with write_held(community) as inside:  # its write unit is open: as a handler's
        now = community.clock.now()
        await inside(lambda: store.tags.add_member_tags(bob.id, [science.id], "self", now))
        await inside(lambda: bot.peers.refresh_member(store, bob.community_id, bob.id))
        text = await answered(community, "ann", "/peers science")
        assert "Bob" not in text, "not committed yet"
    assert "Bob" in await answered(community, "ann", "/peers science")


async def test_a_read_connection_load_catches_up_with_what_committed_meanwhile(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load that read the store before Bob's tag was committed, and finished after, re-reads
    Bob and is kept: the next search finds him without loading again."""
    now = datetime(2026, 1, 5, 12, tzinfo=UTC)
    reader = store.reader
    assert reader is not None
    community, _ = await store.communities.ensure(COMMUNITY, now)
    tag = await store.tags.ensure_tag(community.id, "maths", "topic", now)
    ann, _ = await store.members.ensure(community.id, user("ann"), now)
    bob, _ = await store.members.ensure(community.id, user("bob"), now)
    await store.tags.add_member_tags(ann.id, [tag.id], "self", now)
    read, finish = asyncio.Event(), asyncio.Event()
    loads = 0

    async def slow_load(source: Store, community_id: int) -> CommunityIndex:
        nonlocal loads
        loads += 1
        loaded = await load_community(source, community_id)
        read.set()
        await finish.wait()
        return loaded

    monkeypatch.setattr(index_module, "load_community", slow_load)
    index = PeerIndex()
    loading = asyncio.create_task(index.ensure_loaded(reader, community.id))
    await asyncio.wait_for(read.wait(), GUARD_S)  # it read the store: Bob has no tag yet
    async with index.write_unit(store), store.db.transaction():
        await store.tags.add_member_tags(bob.id, [tag.id], "self", now)
        await index.refresh_member(store, community.id, bob.id)
    finish.set()
    await loading
    hits = await index.search(reader, community.id, [tag.id], ann.id, None)
    assert [hit.member_id for hit in hits] == [bob.id]
    assert loads == 1 and index.is_loaded(community.id)


async def test_an_in_memory_database_has_no_reader_and_everything_still_works() -> None:
    store = await Store.open(":memory:")
    try:
        assert store.reader is None
    finally:
        await store.close()


async def test_the_event_a_read_only_command_gets_is_the_one_sent(community: Harness) -> None:
    """Replies of the read path go to the member who asked, privately, like any reply."""
    event = CommandInvoked(
        COMMUNITY, user("bob"), ConversationRef("fake", "channel", "general"), ("peers",)
    )
    community.platform.take()
    await community.bot.dispatch(event)
    (sent,) = community.platform.take()
    assert sent.where == "reply:bob" and sent.ephemeral


@pytest.mark.parametrize("previous", [False, True], ids=["now", "before-12"])
async def test_the_burst_benchmark_greets_every_join_once(tmp_path: Path, previous: bool) -> None:
    """`python -m benchmarks.burst` in small: commands during a burst of joins, none lost."""
    figures = await burst.one_run(tmp_path, joins=60, commands=3, members=6, previous=previous)
    assert figures.greeted_once
    assert [len(figures.waits[line]) for line in ("/peers", "/help")] == [3, 3]
