"""Scheduled work as units of work (issue #12): under its community's lane, long work outside.

A job knows its community (migration 0020), so a batch holds that community's lane only: a
member of another community waits one writer turn at most, never a whole fan-out. A job whose
kind does long work (a round solve, a check-in's matching, a chat start's thread) runs alone in a
pausable unit: the work steps out of the transaction, the handler runs again with its result.
Nothing here measures time: the assertions are on order and on what happened how often.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from communitybot import units
from communitybot.bot import Bot
from communitybot.clock import FakeClock
from communitybot.context import Context
from communitybot.events import CommunityRef
from communitybot.peers.index import PeerIndex
from communitybot.registry import JOB_KINDS
from communitybot.replies import Action, Message, SendToChannel
from communitybot.rounds import runs as runs_module
from communitybot.rounds.feature import FEATURE as rounds
from communitybot.scheduler import JobKind, Scheduler
from communitybot.store.db import Database, bundled_migrations
from communitybot.store.jobs import Job, NewJob
from communitybot.store.store import Store
from tests.conftest import COMMUNITY, Harness, running_scheduler
from tests.fakes import FakePlatform
from tests.test_read_path import GUARD_S
from tests.test_units import OTHER, command_in

DAY = 24 * 3600


async def _community_id(store: Store, ref: CommunityRef) -> int:
    async with store.db.transaction():
        community, _ = await store.communities.ensure(ref, datetime.now(UTC))
    return community.id


def _sent_to(harness: Harness, where: str) -> list[str]:
    """What was sent there so far (without taking it, unlike `FakePlatform.texts`)."""
    return [s.text for s in harness.platform.sent if s.where == where]


# Lanes --------------------------------------------------------------------------------------
async def test_a_member_is_answered_while_another_community_fires_10000_jobs(
    harness: Harness,
) -> None:
    """B's 10,000 due jobs fire in batches of 256 under B's lane; A's member (and B's own)
    are answered between two batches, long before the fan-out is done."""
    fired: list[str] = []
    first = asyncio.Event()

    async def fan_out(ctx: Context, job: Job) -> list[Action]:
        fired.append(job.key)
        first.set()
        return []

    b_id = await _community_id(harness.store, OTHER)
    now = harness.clock.now()
    async with harness.store.db.transaction():
        await harness.store.jobs.schedule_many(
            (
                NewJob("fan-out", now + timedelta(minutes=1), f"f{i}", None, b_id)
                for i in range(10_000)
            ),
            now,
        )
    async with running_scheduler(harness, {"fan-out": JobKind(fan_out)}) as scheduler:
        harness.clock.advance(minutes=1)
        await asyncio.wait_for(first.wait(), GUARD_S)
        await asyncio.wait_for(harness.command("ann", "/tags add maths"), GUARD_S)
        fired_when_a_answered = len(fired)
        await asyncio.wait_for(command_in(harness.bot, OTHER, "bea", "/tags add maths"), GUARD_S)
        fired_when_b_answered = len(fired)
        await scheduler.settle(limit_s=GUARD_S)
    assert _sent_to(harness, "reply:ann") and _sent_to(harness, "reply:bea")
    if harness.store.db.dialect == "postgresql":
        # No writer turn: A's unit runs beside B's batches instead of before the next one
        # (each statement waits its turn on the event loop), still long before the end.
        assert fired_when_a_answered < 10_000
    else:
        assert fired_when_a_answered <= 3 * 256 < 10_000
    assert fired_when_b_answered <= fired_when_a_answered + 3 * 256
    assert len(fired) == len(set(fired)) == 10_000
    assert await harness.store.jobs.count("delivered") == 10_000


async def test_a_batch_holds_its_communitys_lane_and_only_that_one(harness: Harness) -> None:
    """While B's job runs, B's lane is held (a B member's events wait their turn in it) and
    A's is free; a job of no community holds no lane."""
    seen: list[tuple[str, bool, bool]] = []

    async def look(ctx: Context, job: Job) -> list[Action]:
        lanes = harness.bot.lanes
        seen.append((job.key, lanes.lane(OTHER).locked(), lanes.lane(COMMUNITY).locked()))
        return []

    b_id = await _community_id(harness.store, OTHER)
    now = harness.clock.now()
    async with harness.store.db.transaction():
        await harness.store.jobs.schedule("look", now, "in-b", now, community_id=b_id)
        await harness.store.jobs.schedule("look", now, "nowhere", now)
    async with running_scheduler(harness, {"look": JobKind(look)}):
        pass
    assert sorted(seen) == [("in-b", True, False), ("nowhere", False, False)]


# Long work steps out ----------------------------------------------------------------------------
async def test_another_community_is_answered_while_a_scheduled_round_is_solved(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The weekly round's solve runs outside the transaction: another community's member is
    answered meanwhile; a member of the round's own community waits in its lane, so the round
    is solved once on what was there, and their command comes after it."""
    harness.platform.moderators.add("mod")
    await harness.join("mod")
    for name in ("ann", "bob", "cat", "dan"):
        await harness.join(name)
        await harness.give_tags(name, "maths")
        await harness.command(name, "/rounds join")
    await harness.command("mod", "/rounds setup weekly monday 09:00")
    job = await harness.store.db.fetch_one(
        "SELECT community_id FROM jobs WHERE kind = 'rounds.run'"
    )
    assert job is not None and job[0] == await _community_id(harness.store, COMMUNITY)
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
    async with running_scheduler(harness, rounds.jobs) as scheduler:
        harness.clock.advance(seconds=7 * DAY)
        try:
            await asyncio.wait_for(started.wait(), GUARD_S)
            leaving = asyncio.create_task(harness.command("ann", "/rounds leave"))
            await asyncio.wait_for(
                command_in(harness.bot, OTHER, "bea", "/tags add maths"), GUARD_S
            )
            assert _sent_to(harness, "reply:bea"), "answered during the solve"
            assert not _sent_to(harness, "reply:ann"), "ann waits in her lane"
        finally:
            release.set()
        await asyncio.wait_for(leaving, GUARD_S)
        await scheduler.settle(limit_s=GUARD_S)
    assert solves == 1
    groups = [s.where for s in harness.platform.sent if s.where.startswith("group:")]
    assert len(groups) == 2 and any("ann" in g for g in groups)  # solved before she left
    assert _sent_to(harness, "reply:ann")


async def test_a_chat_start_opens_its_thread_once_outside_the_transaction(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chat start job runs twice (the thread is opened between the runs, with no writer
    turn held); the second run uses the saved thread: one thread, one welcome, one run row."""
    harness.platform.moderators.add("mo")
    for name in ("mo", "alice"):
        await harness.join(name)
    await harness.command(
        "mo", '/chat create engchat "Feedback" chats "weekly tuesday" 19:00 Europe/London'
    )
    (start,) = await harness.store.db.fetch_all(
        "SELECT due_at, community_id FROM jobs WHERE kind = 'chat.start'"
    )
    assert start[1] == await _community_id(harness.store, COMMUNITY)
    harness.platform.take()
    opened: list[bool] = []
    real_open = harness.platform.open_chat_thread

    async def open_thread(*args: Any) -> str:
        opened.append(harness.bot.lanes.writer.locked())
        return await real_open(*args)

    monkeypatch.setattr(harness.platform, "open_chat_thread", open_thread)
    runs: list[int] = []
    real_outside = units.Unit.outside

    async def counted(self: units.Unit, fn: Any, *args: Any) -> Any:
        runs.append(self.steps_outside)
        return await real_outside(self, fn, *args)

    monkeypatch.setattr(units.Unit, "outside", counted)
    async with running_scheduler(harness, JOB_KINDS) as scheduler:
        due = datetime.fromisoformat(start[0])
        harness.clock.advance(seconds=(due - harness.clock.now()).total_seconds())
        await scheduler.settle(limit_s=GUARD_S)
    assert runs == [0, 1], "the handler ran twice: before and after stepping out"
    assert opened == [False], "opened once, outside the writer turn"
    assert len(harness.platform.texts("#chats")) == 1
    row = await harness.store.db.fetch_one("SELECT count(*) FROM chat_runs")
    assert row is not None and row[0] == 1


class Stuck(FakePlatform):
    """Accepts nothing: every send hangs (the process dies before a delivery ends)."""

    async def send_to_channel(
        self, community: CommunityRef, channel_id: str, message: Message
    ) -> None:
        await asyncio.Event().wait()


async def test_a_crash_after_a_long_jobs_commit_delivers_its_message_after_the_restart(
    db_path: Path,
) -> None:
    """A long job stepped out, committed, then the process died before delivering: after a
    restart the outbox delivers the message once, and the job does not run again."""
    clock = FakeClock()
    outside_calls: list[str] = []

    async def prepare(name: str) -> str:
        outside_calls.append(name)
        return name.upper()

    async def long_job(ctx: Context, job: Job) -> list[Action]:
        text = await units.outside(prepare, job.key)
        await ctx.store.db.execute("INSERT INTO effects (key) VALUES (?)", (text,))
        return [SendToChannel(COMMUNITY, "general", Message(text))]

    kinds = {"long": JobKind(long_job, long=True)}
    store = await Store.open(db_path)
    await store.db.execute("CREATE TABLE effects (key TEXT NOT NULL)")
    community_id = await _community_id(store, COMMUNITY)
    async with store.db.transaction():
        await store.jobs.schedule(
            "long", clock.now(), "hello", clock.now(), community_id=community_id
        )
    stuck = Stuck()
    first = Scheduler(Bot(store, stuck, clock, PeerIndex()), kinds, sleeper=clock)
    await first.start()
    for _ in range(200):
        if await store.outbox.count() == 1 and (await store.jobs.count("delivered")) == 1:
            break
        await asyncio.sleep(0.001)
    await first.stop(grace_s=0)  # the crash: the delivery never finished
    assert stuck.texts("#general") == []
    await store.close()

    store = await Store.open(db_path)
    platform = FakePlatform()
    harness = Harness(Bot(store, platform, clock, PeerIndex()), platform, clock, store)
    async with running_scheduler(harness, kinds):
        pass
    assert platform.texts("#general") == ["HELLO"]
    assert outside_calls == ["hello"]
    effects = await store.db.fetch_one("SELECT count(*) FROM effects")
    assert effects is not None and effects[0] == 1
    assert await store.outbox.count() == 0
    await store.close()


# Migration 0020 -----------------------------------------------------------------------------------
async def test_migration_0020_gives_pending_jobs_their_community_where_the_key_tells(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    steps = bundled_migrations()
    db = await Database.open(path, [m for m in steps if m.version < 20])
    now = "2027-01-01T00:00:00+00:00"
    await db.execute(
        "INSERT INTO communities (id, platform, space_id, created_at) VALUES (7, 'fake', 's', ?)",
        (now,),
    )
    await db.execute(
        "INSERT INTO members (id, community_id, platform, user_id, joined_at)"
        " VALUES (3, 7, 'fake', 'u', ?)",
        (now,),
    )
    await db.execute(
        "INSERT INTO asks (id, community_id, member_id, problem, channel_id, remind_days,"
        " created_at) VALUES (5, 7, 3, 'p', 'c', 3, ?)",
        (now,),
    )
    for kind, key, status in (
        ("ask.reminder", "ask-reminder:5", "pending"),
        ("rounds.run", "rounds.run:7:1:2027-01-04T09:00+00:00", "pending"),
        ("chat.reminder", "chat-reminder:1:x:3:15", "pending"),
        ("ask.reminder", "ask-reminder:6", "delivered"),
    ):
        await db.execute(
            "INSERT INTO jobs (kind, due_at, idempotency_key, status, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (kind, now, key, status, now),
        )
    await db.close()

    db = await Database.open(path, steps)
    rows = await db.fetch_all("SELECT idempotency_key, community_id FROM jobs ORDER BY id")
    assert [tuple(r) for r in rows] == [
        ("ask-reminder:5", 7),
        ("rounds.run:7:1:2027-01-04T09:00+00:00", 7),
        ("chat-reminder:1:x:3:15", None),  # many and short: no lane needed
        ("ask-reminder:6", None),
    ]
    await db.close()
