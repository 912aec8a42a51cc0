"""Units of work (issue #12): a lane per community, the writer turn only while a transaction is
open, long work outside it, joins committed in groups, and the peer index dropped per community.

Core tests on the fake platform and a real SQLite file; nothing here measures time.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from communitybot import bot as bot_module
from communitybot import registry, units
from communitybot.bot import Bot
from communitybot.clock import FakeClock
from communitybot.command_parser import parse_command_line
from communitybot.context import Context
from communitybot.events import (
    CommandInvoked,
    CommunityRef,
    ConversationRef,
    MemberJoined,
    MessageReceived,
    UserRef,
)
from communitybot.mentoring import windows
from communitybot.peers import index as index_module
from communitybot.peers.community import CommunityIndex
from communitybot.peers.index import PeerIndex
from communitybot.priority_lock import Priority
from communitybot.privacy import answers
from communitybot.replies import Action, Message
from communitybot.rounds import runs as runs_module
from communitybot.store.store import Store
from tests.conftest import COMMUNITY, Harness, user
from tests.fakes import FakePlatform
from tests.mentoring_setup import mentoring_community
from tests.statements import counting_statements
from tests.test_networks import Site, invite_code
from tests.test_read_path import GUARD_S, answered, queued, write_held

OTHER = CommunityRef("fake", "community-2")


async def command_in(bot: Bot, community: CommunityRef, name: str, line: str) -> list[Action]:
    parsed = parse_command_line(line, "/", user)
    event = CommandInvoked(
        community,
        user(name),
        ConversationRef("fake", "channel", "general"),
        parsed.command.path,
        parsed.options,
    )
    return await bot.dispatch(event)


async def _community_id(store: Store, ref: CommunityRef) -> int:
    community = await store.communities.get(ref)
    assert community is not None
    return community.id


# Lanes ----------------------------------------------------------------------------------------
async def test_each_members_events_keep_their_order_in_two_communities_at_once(
    harness: Harness,
) -> None:
    """Joins and commands of two communities, all queued at once: each member's command comes
    after their own join, every join is greeted once, and the lanes are gone afterwards."""
    bot = harness.bot
    async with write_held(harness):
        joins = [
            asyncio.create_task(bot.dispatch(MemberJoined(where, user(f"{prefix}{n}"))))
            for n in range(20)
            for where, prefix in ((COMMUNITY, "a"), (OTHER, "b"))
        ]
        await queued(bot, 40)
        commands = [
            asyncio.create_task(command_in(bot, where, name, "/privacy discoverable off"))
            for where, name in ((COMMUNITY, "a7"), (OTHER, "b3"), (OTHER, "b15"))
        ]
        await asyncio.sleep(0)
    await asyncio.wait_for(asyncio.gather(*joins, *commands), GUARD_S)
    where = [sent.where for sent in harness.platform.sent]
    for where_, name in ((COMMUNITY, "a7"), (OTHER, "b3"), (OTHER, "b15")):
        assert where.index(f"dm:{name}") < where.index(f"reply:{name}"), f"{name}'s join first"
        community_id = await _community_id(harness.store, where_)
        member = await harness.store.members.get(community_id, user(name))
        assert member is not None and member.discoverable is False
    greeted = [w for w in where if w.startswith("dm:")]
    assert sorted(greeted) == sorted({f"dm:{p}{n}" for n in range(20) for p in "ab"})
    assert len(bot.lanes) == 0, "idle lanes are dropped"


async def test_another_community_is_answered_while_a_mentor_solve_runs(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mentor solve runs outside the transaction and the writer turn: while it is stuck,
    another community's member changes a setting and is answered. The round then finishes
    with the solve run once, its pair recorded and introduced once."""
    await mentoring_community(harness, "ann", "cat")
    await harness.command("ann", "/mentor offer 2 maths")
    await harness.command("cat", "/mentor request maths")
    harness.platform.take()
    started, release = asyncio.Event(), threading.Event()
    loop = asyncio.get_running_loop()
    real_solve = windows.solve
    solves = 0

    def stuck_solve(*args: Any) -> Any:
        nonlocal solves
        solves += 1
        loop.call_soon_threadsafe(started.set)
        assert release.wait(GUARD_S), "never released"
        return real_solve(*args)

    monkeypatch.setattr(windows, "solve", stuck_solve)
    match = asyncio.create_task(harness.command("mod", "/mentoring match"))
    try:
        await asyncio.wait_for(started.wait(), GUARD_S)
        await asyncio.wait_for(
            command_in(harness.bot, OTHER, "bea", "/privacy discoverable off"), GUARD_S
        )
        assert harness.platform.texts("reply:bea"), "answered during the solve"
        assert not match.done()
    finally:
        release.set()
    await asyncio.wait_for(match, GUARD_S)
    assert solves == 1, "the handler's second run reused the solve"
    cat = await harness.member("cat")
    assert len(await harness.store.mentoring.active_pairs_of(cat.id)) == 1
    groups = [s.where for s in harness.platform.sent if s.where.startswith("group:")]
    assert len(groups) == 1
    bea = await harness.store.members.get(await _community_id(harness.store, OTHER), user("bea"))
    assert bea is not None and bea.discoverable is False


async def test_another_community_is_answered_while_a_peer_round_is_solved(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`/rounds run`'s solve runs outside the transaction: another community writes during it;
    the round is then recorded and introduced once, solved once."""
    harness.platform.moderators.add("mod")
    await harness.join("mod")
    for name in ("ann", "bob", "cat", "dan"):
        await harness.join(name)
        await harness.give_tags(name, "maths")
        await harness.command(name, "/rounds join")
    harness.platform.take()
    started, release = asyncio.Event(), threading.Event()
    loop = asyncio.get_running_loop()
    real_pair_round = runs_module.pair_round
    solves = 0

    def stuck(*args: Any) -> Any:
        nonlocal solves
        solves += 1
        loop.call_soon_threadsafe(started.set)
        assert release.wait(GUARD_S), "never released"
        return real_pair_round(*args)

    monkeypatch.setattr(runs_module, "pair_round", stuck)
    run = asyncio.create_task(harness.command("mod", "/rounds run"))
    try:
        await asyncio.wait_for(started.wait(), GUARD_S)
        await asyncio.wait_for(command_in(harness.bot, OTHER, "bea", "/rounds join"), GUARD_S)
        assert harness.platform.texts("reply:bea"), "answered during the solve"
    finally:
        release.set()
    await asyncio.wait_for(run, GUARD_S)
    assert solves == 1
    groups = [s.where for s in harness.platform.sent if s.where.startswith("group:")]
    assert len(groups) == 2


def test_the_answers_that_delete_are_the_ones_privacy_acts_on() -> None:
    """The bot takes every lane of the member for exactly the answers `/forgetme` acts on."""
    for meaning in ("yes", "this", "all"):
        for language in ("en", "es", "fr"):
            assert answers.words(meaning, language) <= bot_module._FORGET_YES
    assert not answers.words("no", "es") & bot_module._FORGET_YES


async def test_a_read_only_command_is_answered_while_a_write_transaction_is_open(
    harness: Harness,
) -> None:
    await harness.join("ann")
    await harness.give_tags("ann", "maths")
    async with write_held(harness):
        assert "maths" in (await answered(harness, "ann", "/tags list")).lower()


async def test_forgetme_waits_for_every_community_of_the_member(harness: Harness) -> None:
    """The "yes" to `/forgetme` acts on the member's rows in every community: it takes each of
    their communities' lanes (in one order), so it runs only once the other lane is free."""
    bot = harness.bot
    await harness.join("ann")
    await bot.dispatch(MemberJoined(OTHER, user("ann")))
    await harness.command("ann", "/forgetme")
    assert await bot.lanes.acquire(OTHER, Priority.BULK)  # the other community is busy
    forget = asyncio.create_task(harness.say("ann", "yes"))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not forget.done(), "waits for the other community's lane"
    bot.lanes.release(OTHER)
    await asyncio.wait_for(forget, GUARD_S)
    assert not await harness.store.members.all_for_user(user("ann"))


async def test_a_network_wide_change_waits_for_every_affiliate(harness: Harness) -> None:
    """A steward's change to the network's tags writes every affiliate's copy (`Command.spans`
    "network"): it takes every affiliate's lane, so a unit of another affiliate never runs in
    the middle of it; a command of one community alone takes only its own."""
    home, other = Site(harness, COMMUNITY), Site(harness, OTHER)
    await home.setup("ann")
    await other.setup("bea")
    await home.command("ann", "/network create Makers")
    code = await invite_code(home, "ann")
    assert "now an affiliate" in await other.reply("bea", f"/network join {code}")
    bot = harness.bot
    assert await bot.lanes.acquire(OTHER, Priority.BULK)  # the other affiliate is busy
    await asyncio.wait_for(home.command("ann", "/tags create poetry"), GUARD_S)  # one lane
    change = asyncio.create_task(home.command("ann", "/network tags add robotics"))
    await asyncio.wait({change}, timeout=0.5)  # ample for a unit that need not wait
    assert not change.done(), "waits for the other affiliate's lane"
    bot.lanes.release(OTHER)
    await asyncio.wait_for(change, GUARD_S)
    other_id = (await harness.store.communities.get(OTHER)).id  # type: ignore[union-attr]
    assert await harness.store.tags.get_by_name(other_id, "robotics") is not None


# Crash between commit and delivery --------------------------------------------------------------
@asynccontextmanager
async def started(db_path: Path, clock: FakeClock) -> AsyncIterator[tuple[Bot, FakePlatform]]:
    """One run of the bot on `db_path` (a restart is the next `started`)."""
    store = await Store.open(db_path)
    platform = FakePlatform()
    try:
        yield Bot(store, platform, clock, PeerIndex()), platform
    finally:
        await store.close()


async def test_joins_committed_in_a_group_but_never_delivered_are_delivered_after_a_restart(
    db_path: Path,
) -> None:
    clock = FakeClock()
    async with started(db_path, clock) as (bot, platform):
        harness = Harness(bot, platform, clock, bot.store)
        async with write_held(harness):
            handling = [
                asyncio.create_task(bot.handle(MemberJoined(COMMUNITY, user(f"m{n}"))))
                for n in range(10)
            ]
            await queued(bot, 10)
        await asyncio.wait_for(asyncio.gather(*handling), GUARD_S)
        assert await bot.store.outbox.count() == 10
        assert not platform.sent  # the process dies here, before delivering
    async with started(db_path, clock) as (bot, platform):
        assert await bot.deliver_outbox() == 10
        assert sorted(s.where for s in platform.sent) == sorted(f"dm:m{n}" for n in range(10))
        assert await bot.deliver_outbox() == 0


class StuckPlatform(FakePlatform):
    """Its direct messages never go out: delivery hangs until the task is cancelled."""

    async def send_direct(
        self, community: CommunityRef, user: UserRef, message: Message
    ) -> ConversationRef:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_cancelled_delivery_after_the_commit_loses_nothing(db_path: Path) -> None:
    clock = FakeClock()
    store = await Store.open(db_path)
    try:
        bot = Bot(store, StuckPlatform(), clock, PeerIndex())
        dispatch = asyncio.create_task(bot.dispatch(MemberJoined(COMMUNITY, user("ann"))))
        for _ in range(200):
            if await store.outbox.count():
                break
            await asyncio.sleep(0.01)
        dispatch.cancel()
        with pytest.raises(asyncio.CancelledError):
            await dispatch
    finally:
        await store.close()
    async with started(db_path, clock) as (bot, platform):
        assert await bot.deliver_outbox() == 1
        assert [s.where for s in platform.sent] == ["dm:ann"]


# Group commit -----------------------------------------------------------------------------------
@pytest.mark.sqlite_only  # counts statements with SQLite's trace callback
async def test_a_failing_join_in_a_group_rolls_back_alone(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten joins queued at once share transactions; the one whose handler fails leaves no row
    and gets no welcome, the nine others are greeted once. That member can join again later."""
    real_on_join = registry.on_join

    async def on_join(ctx: Context) -> list[Action]:
        actions = await real_on_join(ctx)
        if ctx.member.ref.user_id == "m4":
            raise RuntimeError("m4's join breaks")
        return actions

    monkeypatch.setattr(registry, "on_join", on_join)
    bot = harness.bot
    async with counting_statements(harness.store) as statements:
        async with write_held(harness):
            joins = [
                asyncio.create_task(bot.dispatch(MemberJoined(COMMUNITY, user(f"m{n}"))))
                for n in range(10)
            ]
            await queued(bot, 10)
        await asyncio.wait_for(asyncio.gather(*joins), GUARD_S)
    transactions = [s for s in statements if s.startswith("BEGIN")]
    assert len(transactions) < 10, "joins shared transactions"
    where = sorted(s.where for s in harness.platform.take())
    assert where == sorted(f"dm:m{n}" for n in range(10) if n != 4)
    assert await harness.find_member("m4") is None
    for n in (3, 5):
        assert await harness.find_member(f"m{n}") is not None
    monkeypatch.setattr(registry, "on_join", real_on_join)
    await harness.join("m4")
    assert [s.where for s in harness.platform.take()] == ["dm:m4"]


async def test_joins_committed_together_are_greeted_in_the_order_they_joined(
    harness: Harness,
) -> None:
    bot = harness.bot
    async with write_held(harness):
        joins = [
            asyncio.create_task(bot.dispatch(MemberJoined(COMMUNITY, user(f"m{n}"))))
            for n in range(40)
        ]
        await queued(bot, 40)
    await asyncio.wait_for(asyncio.gather(*joins), GUARD_S)
    assert [s.where for s in harness.platform.take()] == [f"dm:m{n}" for n in range(40)]


@pytest.mark.sqlite_only  # emulates SQLite's own rollback on a full disk
async def test_a_group_whose_transaction_is_lost_handles_each_join_alone(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If SQLite drops the group's whole transaction (as on "disk full"), every join of the
    group runs again on its own: each greeted exactly once, the broken one not at all."""
    real_on_join = registry.on_join

    async def on_join(ctx: Context) -> list[Action]:
        actions = await real_on_join(ctx)
        if ctx.member.ref.user_id == "m2":
            await ctx.store.db._conn.execute("ROLLBACK")  # what SQLite does on a full disk
            raise RuntimeError("m2's join loses the transaction")
        return actions

    monkeypatch.setattr(registry, "on_join", on_join)
    bot = harness.bot
    logged: list[str] = []
    sink = logger.add(logged.append, level="WARNING", format="{message}")
    try:
        async with write_held(harness):
            joins = [
                asyncio.create_task(bot.dispatch(MemberJoined(COMMUNITY, user(f"m{n}"))))
                for n in range(6)
            ]
            await queued(bot, 6)
        await asyncio.wait_for(asyncio.gather(*joins), GUARD_S)
    finally:
        logger.remove(sink)
    assert any("handling each alone" in line for line in logged)
    where = sorted(s.where for s in harness.platform.take())
    assert where == sorted(f"dm:m{n}" for n in range(6) if n != 2)
    assert await harness.find_member("m2") is None
    assert await harness.store.outbox.count() == 0
    assert len(bot.lanes) == 0


async def test_a_group_of_joins_keeps_a_members_command_after_their_join(
    harness: Harness,
) -> None:
    """A command from a member whose join is queued goes first with that join, before the
    group commit of the other joins (its member is waiting)."""
    bot = harness.bot
    async with write_held(harness):
        joins = [
            asyncio.create_task(bot.dispatch(MemberJoined(COMMUNITY, user(f"m{n}"))))
            for n in range(30)
        ]
        await queued(bot, 30)
        command = asyncio.create_task(harness.command("m20", "/privacy discoverable off"))
        await asyncio.sleep(0)
    await asyncio.wait_for(asyncio.gather(*joins, command), GUARD_S)
    where = [s.where for s in harness.platform.sent]
    assert where.index("dm:m20") < where.index("reply:m20")
    assert (await harness.member("m20")).discoverable is False


# The peer index ------------------------------------------------------------------------------
async def test_a_failed_unit_drops_only_its_own_communitys_peer_index(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = harness.bot
    for where, name in ((COMMUNITY, "ann"), (OTHER, "bob")):
        await bot.dispatch(MemberJoined(where, user(name)))
        await command_in(bot, where, name, "/tags add maths")
        await command_in(bot, where, name, "/peers")
    here = await _community_id(harness.store, COMMUNITY)
    there = await _community_id(harness.store, OTHER)
    assert bot.peers.is_loaded(here) and bot.peers.is_loaded(there)

    async def broken(*args: Any) -> None:
        raise RuntimeError("fails after the handler mirrored its change")

    await harness.store.tags.ensure_tag(here, "physics", "topic", harness.clock.now())
    monkeypatch.setattr("communitybot.typed_choices.remember", broken)
    harness.platform.take()
    await harness.command("ann", "/tags add physics")
    assert "went wrong" in harness.platform.texts("reply:ann")[0]
    assert not bot.peers.is_loaded(here), "its community is reloaded from the store"
    assert bot.peers.is_loaded(there), "the other community keeps its index"
    assert "physics" not in await harness.tag_names("ann")


async def test_a_write_handler_loads_a_cold_peer_index_outside_its_transaction(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newcomer's first `/peers` goes down the write path (their row is created); the
    community's index is then loaded through the read connection, not inside the write."""
    await harness.join("ann")
    await harness.give_tags("ann", "maths")
    harness.bot.peers.invalidate_all()
    loads: list[bool] = []
    real_load = index_module.load_community

    async def load(store: Store, community_id: int) -> CommunityIndex:
        loads.append(store.db.read_only)
        return await real_load(store, community_id)

    monkeypatch.setattr(index_module, "load_community", load)
    text = await answered(harness, "newcomer", "/peers maths")
    assert "Ann" in text
    assert loads == [True], "one load, on the read connection"


async def test_long_work_runs_in_place_where_the_unit_cannot_step_out(harness: Harness) -> None:
    """Scheduled work is not run twice unless it says so: there `outside` simply runs."""
    ran: list[str] = []

    async def long_work(name: str) -> str:
        ran.append(name)
        return name.upper()

    async def work() -> list[Action]:
        assert await units.outside(long_work, "job") == "JOB"
        return []

    await harness.bot.run_scheduled(work)
    assert ran == ["job"]
    runs = 0

    async def rerunnable() -> list[Action]:
        nonlocal runs
        runs += 1
        assert await units.outside(long_work, "again") == "AGAIN"
        return []

    await harness.bot.run_scheduled(rerunnable, pausable=True)
    assert ran == ["job", "again"] and runs == 2


def test_a_translated_yes_to_forgetme_takes_the_persons_lanes_too() -> None:
    """A Spanish reader's "¡Sí!" deletes, so it acts for the person like "yes" does."""
    for typed, spans in (("¡Sí!", "person"), ("tout", "person"), ("no", "community")):
        event = MessageReceived(COMMUNITY, user("ann"), ConversationRef("fake", "dm", "ann"), typed)
        assert bot_module._spans(event) == spans
