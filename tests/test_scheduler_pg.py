"""The scheduler when several processes share one database (issue #13).

Two `Store`s opened on one PostgreSQL database stand for two processes (two connection pools,
two notification listeners, two origins). On the fake clock, so a job that fires without the
clock moving was woken by what the test says (a notification), not by time.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from communitybot import bootstrap
from communitybot.bot import Bot
from communitybot.clock import FakeClock, SystemClock
from communitybot.context import Context
from communitybot.events import CommunityRef
from communitybot.peers.index import PeerIndex
from communitybot.rate_limits import RateLimiter
from communitybot.registry import JOB_KINDS
from communitybot.replies import Action, Message, SendToChannel
from communitybot.scheduler import (
    BUSY_COMMUNITY_PAUSE,
    HELD_RELOAD,
    REFRESH_EVERY,
    JobKind,
    Scheduler,
)
from communitybot.store.jobs import Job, JobFilter, NewJob
from communitybot.store.notifications import PostgresNotifications
from communitybot.store.store import Store
from communitybot.units import lock_communities
from tests.conftest import COMMUNITY, Harness, fresh_postgres_database
from tests.fakes import FakePlatform
from tests.postgres_server import PostgresServer
from tests.test_console import clean_env
from tests.test_read_path import GUARD_S

ELSEWHERE = CommunityRef("console", "community-elsewhere")


class Ran:
    """Job handlers that record what ran (the effect is the outbox row of their message)."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    async def post(self, ctx: Context, job: Job) -> list[Action]:
        self.keys.append(job.key)
        return [SendToChannel(COMMUNITY, "general", Message(job.key))]

    def kinds(self) -> dict[str, JobKind]:
        return {"post": JobKind(self.post), "opens": JobKind(self.post, live=True)}


def bot_on(store: Store, clock: FakeClock) -> Bot:
    """A process's bot on the fake platform (rate limits off: the clock stands still)."""
    platform = FakePlatform()
    limits = RateLimiter(store, platform, clock, enabled=False)
    return Bot(store, platform, clock, PeerIndex(), limits=limits)


@pytest.fixture
async def url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    async with fresh_postgres_database(postgres_server) as fresh:
        yield fresh


@pytest.fixture
async def two(url: str) -> AsyncIterator[tuple[Store, Store]]:
    """Two processes' stores on one PostgreSQL database."""
    first, second = await Store.open(url), await Store.open(url)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def eventually(check: Callable[[], bool], what: str) -> None:
    """Wait (really) until `check()` is true: notifications travel through the server."""
    deadline = time.monotonic() + GUARD_S
    while not check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.01)


async def schedule(
    store: Store,
    clock: FakeClock,
    key: str,
    minutes: float = 0,
    *,
    kind: str = "post",
    community_id: int | None = None,
) -> Job:
    async with store.db.transaction():
        job, _ = await store.jobs.schedule(
            kind,
            clock.now() + timedelta(minutes=minutes),
            key,
            clock.now(),
            community_id=community_id,
        )
    return job


class _Rollback(Exception):
    pass


@contextlib.asynccontextmanager
async def held(store: Store, ids: list[int], clock: FakeClock) -> AsyncIterator[list[Job]]:
    """Another process's batch: its claim of `ids` held open in a transaction, rolled back
    (as when that process dies) when the block ends."""
    claimed: list[Job] = []
    ready, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        with contextlib.suppress(_Rollback):
            async with store.db.transaction():
                claimed.extend(await store.jobs.claim_due(ids, clock.now()))
                ready.set()
                await release.wait()
                raise _Rollback

    task = asyncio.create_task(hold())
    await asyncio.wait_for(ready.wait(), GUARD_S)
    try:
        yield claimed
    finally:
        release.set()
        await task


@pytest.mark.postgres
async def test_a_claim_skips_the_jobs_another_process_holds_without_waiting(
    two: tuple[Store, Store],
) -> None:
    first, second = two
    clock = FakeClock()
    jobs = [await schedule(first, clock, f"job-{n}") for n in range(4)]
    ids = [job.id for job in jobs]
    async with held(first, ids[:2], clock) as theirs:
        assert {job.id for job in theirs} == set(ids[:2])
        async with second.db.transaction():
            mine = await asyncio.wait_for(second.jobs.claim_due(ids, clock.now()), GUARD_S)
        assert {job.id for job in mine} == set(ids[2:])
        # What the claim skipped still reads pending and due: how a scheduler tells "held".
        assert {job.id for job in await second.jobs.pending_by_ids(ids)} == set(ids[:2])
    # That process died: its claims were rolled back, and the jobs are there to take.
    async with second.db.transaction():
        taken = await asyncio.wait_for(second.jobs.claim_due(ids, clock.now()), GUARD_S)
    assert {job.id for job in taken} == set(ids[:2])
    for job in jobs:
        stored = await second.jobs.get(job.key)
        assert stored is not None and (stored.status, stored.attempts) == ("delivered", 1)


@pytest.mark.postgres
async def test_jobs_another_process_schedules_are_heard_and_fired(
    two: tuple[Store, Store],
) -> None:
    first, second = two
    clock, ran = FakeClock(), Ran()
    scheduler = Scheduler(bot_on(first, clock), ran.kinds(), sleeper=clock)
    async with scheduler.running():
        await scheduler.settle()
        await schedule(second, clock, "due-now")
        await eventually(lambda: ran.keys == ["due-now"], "a job due now was not heard")

        await schedule(second, clock, "in-ten-minutes", minutes=10)
        await eventually(lambda: scheduler.in_memory == 1, "a later job was not heard")
        await scheduler.settle()
        assert ran.keys == ["due-now"]
        clock.advance(minutes=10)
        await eventually(lambda: ran.keys[-1:] == ["in-ten-minutes"], "the later job")

        async with second.db.transaction():  # many at once: heard as "reload"
            await second.jobs.schedule_many(
                [NewJob("post", clock.now(), f"bulk-{n}") for n in range(3)], clock.now()
            )
        await eventually(lambda: len(ran.keys) == 5, "jobs scheduled in bulk were not heard")
    assert sorted(ran.keys[2:]) == ["bulk-0", "bulk-1", "bulk-2"]


@pytest.mark.postgres
async def test_jobs_another_process_held_run_here_once_it_rolled_back(
    two: tuple[Store, Store],
) -> None:
    first, second = two
    clock, ran = FakeClock(), Ran()
    jobs = [await schedule(second, clock, f"job-{n}") for n in range(3)]
    scheduler = Scheduler(bot_on(first, clock), ran.kinds(), sleeper=clock)
    async with scheduler.running():
        async with held(second, [jobs[0].id], clock):
            await scheduler.settle()
            assert ran.keys == ["job-1", "job-2"]  # the held one skipped, not waited for
        # That process died (rolled back). No notification tells of a rollback: the loop
        # reloads its window soon after a batch that skipped anything.
        clock.advance(seconds=HELD_RELOAD.total_seconds())
        await eventually(lambda: len(ran.keys) == 3, "the lost claim was not taken over")
    assert ran.keys == ["job-1", "job-2", "job-0"]
    stored = await first.jobs.get("job-0")
    assert stored is not None and (stored.status, stored.attempts) == ("delivered", 1)


@pytest.mark.postgres
async def test_a_batch_whose_community_another_process_holds_waits_while_others_run(
    two: tuple[Store, Store],
) -> None:
    """Two workers over the same due jobs take turns on different communities instead of
    queueing behind each other on one (`units.CommunityBusy`); nothing runs out of order."""
    first, second = two
    clock, ran = FakeClock(), Ran()
    other = CommunityRef(COMMUNITY.platform, "community-b")
    async with second.db.transaction():
        busy, _ = await second.communities.ensure(COMMUNITY, clock.now())
        free, _ = await second.communities.ensure(other, clock.now())
    await schedule(second, clock, "busy-community", community_id=busy.id)
    await schedule(second, clock, "free-community", community_id=free.id)
    holding, release = asyncio.Event(), asyncio.Event()

    async def other_process_unit() -> None:
        async with first.db.transaction():
            await lock_communities(first.db, [COMMUNITY])
            holding.set()
            await release.wait()

    unit = asyncio.create_task(other_process_unit())
    await asyncio.wait_for(holding.wait(), GUARD_S)
    scheduler = Scheduler(bot_on(second, clock), ran.kinds(), sleeper=clock)
    try:
        async with scheduler.running():
            await asyncio.wait_for(scheduler.settle(), GUARD_S)  # never blocked on the lock
            assert ran.keys == ["free-community"]
            release.set()
            await unit
            clock.advance(seconds=BUSY_COMMUNITY_PAUSE.total_seconds())
            await scheduler.settle()
            assert ran.keys == ["free-community", "busy-community"]
    finally:
        release.set()
        await unit
    stored = await first.jobs.get("busy-community")
    assert stored is not None and (stored.status, stored.attempts) == ("delivered", 1)


async def test_a_scheduler_takes_only_its_own_platforms_jobs(
    harness: Harness, store: Store
) -> None:
    clock, ran = harness.clock, Ran()
    async with store.db.transaction():
        mine, _ = await store.communities.ensure(COMMUNITY, clock.now())
        theirs, _ = await store.communities.ensure(ELSEWHERE, clock.now())
    await schedule(store, clock, "fake-community", community_id=mine.id)
    await schedule(store, clock, "console-community", community_id=theirs.id)
    await schedule(store, clock, "no-community")
    await schedule(store, clock, "gone-community", community_id=theirs.id + 1000)
    scheduler = Scheduler(harness.bot, ran.kinds(), sleeper=clock)
    async with scheduler.running():
        await scheduler.settle()
    assert sorted(ran.keys) == ["fake-community", "gone-community", "no-community"]
    left = await store.jobs.get("console-community")
    assert left is not None and left.status == "pending"


async def test_a_worker_never_claims_a_kind_that_needs_the_live_platform(
    harness: Harness, store: Store
) -> None:
    clock, ran = harness.clock, Ran()
    live = await schedule(store, clock, "opens-a-thread", kind="opens")
    await schedule(store, clock, "returns-a-message")
    worker = Scheduler(harness.bot, ran.kinds(), sleeper=clock, live=False)
    async with worker.running():
        await worker.settle()
    assert ran.keys == ["returns-a-message"]
    async with store.db.transaction():
        assert await store.jobs.claim_due([live.id], clock.now(), JobFilter(None, ("opens",))) == []
    # The platform's own process runs it.
    async with Scheduler(harness.bot, ran.kinds(), sleeper=clock).running() as bot_side:
        await bot_side.settle()
    assert ran.keys == ["returns-a-message", "opens-a-thread"]


def test_the_live_kinds_are_those_whose_handlers_call_the_platform() -> None:
    assert {name for name, kind in JOB_KINDS.items() if kind.live} == {"chat.start", "chat.leg"}


async def test_a_worker_opens_its_database_with_the_configured_pool_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`COMMUNITYBOT_DATABASE_POOL_SIZE` holds for every process kind, not only `run`."""
    from communitybot import app, worker
    from communitybot.settings import Settings

    opened: list[int | None] = []

    async def open_store(target: object, *, pool_size: int | None = None) -> Any:
        opened.append(pool_size)

        class Closing:
            async def close(self) -> None:
                pass

        return Closing()

    async def serve_worker(*args: object) -> int:
        return 0

    monkeypatch.setattr(app.bootstrap, "open_store", open_store)
    monkeypatch.setattr(worker.bootstrap, "serve_worker", serve_worker)
    settings = Settings(database_url="postgresql://bot:pw@127.0.0.1:1/bot", database_pool_size=7)
    assert await worker.run_worker(settings, stdout=io.StringIO()) == 0
    assert opened == [7]


def test_a_worker_on_sqlite_is_refused_with_one_line(tmp_path: Path) -> None:
    database = tmp_path / "bot.db"
    done = subprocess.run(
        [sys.executable, "-m", "communitybot", "worker", "--db", str(database)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=clean_env(),
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("communitybot: a worker needs a PostgreSQL database")
    assert str(database) in done.stderr
    assert not database.exists()  # refused before anything was opened or created


async def test_the_window_query_walks_the_pending_jobs_index(store: Store) -> None:
    """A worker's window (its platform, no live kinds) is read in index order and stops at its
    limit: no sort of every pending job, however many there are."""
    now = FakeClock().now()
    async with store.db.transaction():
        ids = []
        for n, platform in enumerate(("console", "discord", "matrix")):
            community, _ = await store.communities.ensure(CommunityRef(platform, f"s{n}"), now)
            ids.append(community.id)
        await store.jobs.schedule_many(
            (
                NewJob("post", now + timedelta(seconds=n), f"job-{n}", None, ids[n % 3])
                for n in range(20_000)
            ),
            now,
        )
    sql, params = store.jobs.window_statement(1024, JobFilter("console", ("chat.start",)))
    if store.db.dialect == "postgresql":
        await store.db.execute("ANALYZE")
        plan = "\n".join(row[0] for row in await store.db.fetch_all(f"EXPLAIN {sql}", params))
        assert "Index Scan using jobs_pending_due" in plan and "Sort" not in plan, plan
    else:
        rows = await store.db.fetch_all(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = "\n".join(str(row[3]) for row in rows)
        assert "USING INDEX jobs_pending_due" in plan and "TEMP B-TREE" not in plan, plan
    assert len(await store.jobs.window(1024, JobFilter("console", ("chat.start",)))) == 1024


def test_a_processs_own_start_offset_keeps_the_order_that_matters(harness: Harness) -> None:
    """Racing processes start a batch at different communities (`Scheduler._spread`), but a
    community's units keep their order and a unit of no community stays between its
    neighbours, whatever the offset."""
    scheduler = Scheduler(harness.bot, {})
    units = [
        ([1], 7, False),
        ([2], 8, True),
        ([3], 7, True),
        ([4], None, False),
        ([5], 9, False),
        ([6], 8, False),
        ([7], 9, True),
    ]
    seen = set()
    for rotation in range(6):
        scheduler._rotation = rotation
        spread = scheduler._spread(units)
        seen.add(tuple(unit[0][0] for unit in spread))
        assert sorted(spread) == sorted(units)
        assert spread[3] == ([4], None, False)
        for community in (7, 8, 9):
            mine = [unit for unit in units if unit[1] == community]
            assert [unit for unit in spread if unit[1] == community] == mine
    assert len(seen) > 1  # the offsets do start elsewhere


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("adapter", "space", "options"),
    [
        ("discord", "1234", {"discord": {"token": "MTk4NjIy.Gq1x2y.never-used-by-a-worker"}}),
        (
            "matrix",
            "!space:example.org",
            {
                "matrix": {
                    "homeserver": "http://127.0.0.1:9",  # nothing listens: never asked
                    "user_id": "@bot:example.org",
                    "access_token": "syt_never_used_by_a_worker",
                }
            },
        ),
    ],
)
async def test_a_worker_runs_its_platforms_jobs_without_connecting_to_it(
    url: str, adapter: str, space: str, options: dict[str, Any]
) -> None:
    """The adapter's platform is built, never logged in or synced: a job that only returns a
    message runs (its outbox row waits for the platform's own process); a chat start, which
    opens a thread through the connection, is left pending."""
    from communitybot.asks.commands import REMINDER, reminder_key
    from communitybot.chats.jobs import START
    from communitybot.events import UserRef
    from communitybot.settings import load_settings

    store = await Store.open(url)
    now = SystemClock().now()
    async with store.db.transaction():
        community, _ = await store.communities.ensure(CommunityRef(adapter, space), now)
        member, _ = await store.members.ensure(community.id, UserRef(adapter, "u1", "Ann"), now)
        ask = await store.asks.create(community.id, member.id, "problem", "general", 7, now)
        due = now - timedelta(minutes=1)
        await store.jobs.schedule(
            REMINDER, due, reminder_key(ask.id), now, {"ask": ask.id}, community_id=community.id
        )
        await store.jobs.schedule(START, due, "chat-start:1:x", now, {}, community_id=community.id)
    settings = load_settings(_env_file=None, adapter=adapter, database_url=url, **options)
    worker = asyncio.create_task(bootstrap.serve_worker(settings, store, io.StringIO()))
    try:
        deadline = time.monotonic() + GUARD_S
        while (job := await store.jobs.get(reminder_key(ask.id))) and job.status == "pending":
            assert not worker.done(), worker.result()
            assert time.monotonic() < deadline, "the worker did not run the job"
            await asyncio.sleep(0.02)
        assert job is not None and job.status == "delivered"
        start = await store.jobs.get("chat-start:1:x")
        assert start is not None and start.status == "pending"
        rows = await store.db.fetch_all("SELECT action FROM outbox")
        assert len(rows) == 1 and f"#{ask.id}" in rows[0][0]
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        await store.close()


@pytest.mark.postgres
async def test_a_hung_process_cannot_hold_claims_forever(two: tuple[Store, Store]) -> None:
    """The server ends a pooled connection left idle inside a transaction (rolling back its
    claims); a worker's own transactions never sit idle that long."""
    first, _ = two
    row = await first.db.fetch_one("SHOW idle_in_transaction_session_timeout")
    assert row is not None and row[0] == "1min"


@pytest.mark.postgres
async def test_a_scheduler_that_cannot_listen_runs_on_and_reloads_every_half_minute(
    two: tuple[Store, Store],
) -> None:
    first, second = two

    async def refused() -> None:
        raise OSError("too many connections")

    first.db.notifications = PostgresNotifications(first.db, refused)
    clock, ran = FakeClock(), Ran()
    scheduler = Scheduler(bot_on(first, clock), ran.kinds(), sleeper=clock)
    async with scheduler.running():
        await scheduler.settle()
        await schedule(second, clock, "unheard")
        await scheduler.settle()
        assert ran.keys == []
        clock.advance(seconds=REFRESH_EVERY.total_seconds())
        await eventually(lambda: ran.keys == ["unheard"], "the safety-net reload did not run")
