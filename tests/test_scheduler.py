"""The durable scheduler on the fake clock: on time, woken early, once, after a restart, retried.

Every test drives the real loop (`Scheduler.start`) over the real SQLite store; time moves only
when the test says `clock.advance(...)`, and `settle()` waits until the loop is asleep again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from loguru import logger

from communitybot.bot import Bot
from communitybot.clock import FakeClock
from communitybot.context import Context
from communitybot.peers.index import PeerIndex
from communitybot.replies import Action, Message, Reply, SendDirect, SendToChannel
from communitybot.scheduler import JobKind, Scheduler
from communitybot.store.jobs import Job, NewJob
from communitybot.store.store import Store
from tests.conftest import COMMUNITY, Harness, running_scheduler, user
from tests.fakes import FakePlatform


class Recorder:
    """Job handlers that post to a channel, remember what ran, and fail when told to."""

    def __init__(self) -> None:
        self.ran: list[str] = []
        self.failures_left: dict[str, int] = {}

    async def post(self, ctx: Context, job: Job) -> list[Action]:
        # The effect in the database: one row per run that committed.
        await ctx.store.db.execute("INSERT INTO effects (key) VALUES (?)", (job.key,))
        if self.failures_left.get(job.key, 0) > 0:
            self.failures_left[job.key] -= 1
            raise RuntimeError("the platform was down")
        self.ran.append(job.key)
        text = str(job.payload.get("text", job.key))
        return [SendToChannel(COMMUNITY, "general", Message(text))]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def kinds(recorder: Recorder, **options: object) -> dict[str, JobKind]:
    return {"post": JobKind(recorder.post, **options)}  # type: ignore[arg-type]


@pytest.fixture
async def effects(store: Store) -> Store:
    await store.db.execute("CREATE TABLE effects (key TEXT NOT NULL)")
    return store


async def effect_count(store: Store, key: str) -> int:
    row = await store.db.fetch_one("SELECT count(*) FROM effects WHERE key = ?", (key,))
    assert row is not None
    return int(row[0])


@pytest.fixture
async def scheduler(
    harness: Harness, recorder: Recorder, effects: Store
) -> AsyncIterator[Scheduler]:
    async with running_scheduler(harness, kinds(recorder)) as running:
        yield running


async def schedule(
    harness: Harness, key: str, in_minutes: float, text: str | None = None
) -> tuple[Job, bool]:
    async with harness.store.db.transaction():
        return await harness.store.jobs.schedule(
            "post",
            harness.clock.now() + timedelta(minutes=in_minutes),
            key,
            harness.clock.now(),
            {"text": text} if text else None,
        )


async def test_a_job_fires_when_it_is_due_and_not_before(
    harness: Harness, scheduler: Scheduler, recorder: Recorder
) -> None:
    await schedule(harness, "hello", 10, "Chat starts soon!")
    await scheduler.settle()
    harness.clock.advance(minutes=9, seconds=59)
    await scheduler.settle()
    assert harness.platform.texts() == []

    harness.clock.advance(seconds=1)
    await scheduler.settle()
    assert harness.platform.texts("#general") == ["Chat starts soon!"]
    job = await harness.store.jobs.get("hello")
    assert job is not None and job.status == "delivered" and job.attempts == 1


async def test_an_earlier_job_wakes_the_sleeping_loop(
    harness: Harness, scheduler: Scheduler, recorder: Recorder
) -> None:
    await schedule(harness, "in-an-hour", 60)
    await scheduler.settle()
    await schedule(harness, "in-five-minutes", 5)
    await scheduler.settle()

    harness.clock.advance(minutes=5)
    await scheduler.settle()
    assert recorder.ran == ["in-five-minutes"]
    harness.clock.advance(minutes=55)
    await scheduler.settle()
    assert recorder.ran == ["in-five-minutes", "in-an-hour"]


async def test_jobs_fire_in_due_order_even_when_due_together(
    harness: Harness, scheduler: Scheduler, recorder: Recorder
) -> None:
    for key, minutes in (("c", 3), ("a", 1), ("b", 2)):
        await schedule(harness, key, minutes)
    harness.clock.advance(hours=1)
    await scheduler.settle()
    assert recorder.ran == ["a", "b", "c"]


async def test_the_same_idempotency_key_schedules_and_fires_once(
    harness: Harness, scheduler: Scheduler, recorder: Recorder
) -> None:
    first, created = await schedule(harness, "reminder:42", 10, "first")
    again, created_again = await schedule(harness, "reminder:42", 20, "second")
    assert created and not created_again
    assert again.id == first.id and again.due_at == first.due_at

    harness.clock.advance(minutes=30)
    await scheduler.settle()
    assert harness.platform.texts("#general") == ["first"]
    assert await effect_count(harness.store, "reminder:42") == 1

    await schedule(harness, "reminder:42", 40)  # already delivered: stays delivered
    harness.clock.advance(hours=1)
    await scheduler.settle()
    assert harness.platform.texts() == []


async def test_a_cancelled_job_does_not_fire(
    harness: Harness, scheduler: Scheduler, recorder: Recorder
) -> None:
    await schedule(harness, "keep", 5)
    await schedule(harness, "cancel-me", 5)
    async with harness.store.db.transaction():
        assert await harness.store.jobs.cancel("cancel-me", harness.clock.now())
        assert not await harness.store.jobs.cancel("no-such-job", harness.clock.now())
    harness.clock.advance(minutes=5)
    await scheduler.settle()
    assert recorder.ran == ["keep"]


async def test_a_failing_job_is_retried_with_backoff_and_its_effect_happens_once(
    harness: Harness, scheduler: Scheduler, recorder: Recorder
) -> None:
    recorder.failures_left["flaky"] = 2
    await schedule(harness, "flaky", 1)
    harness.clock.advance(minutes=1)
    await scheduler.settle()
    assert recorder.ran == []
    assert await effect_count(harness.store, "flaky") == 0, "a failed run is rolled back"

    harness.clock.advance(seconds=29)  # first retry after 30 s
    await scheduler.settle()
    assert recorder.ran == []
    harness.clock.advance(seconds=1)
    await scheduler.settle()
    assert recorder.ran == []  # failed again; next retry after 60 s
    harness.clock.advance(seconds=59)
    await scheduler.settle()
    assert recorder.ran == []
    harness.clock.advance(seconds=1)
    await scheduler.settle()

    assert recorder.ran == ["flaky"]
    assert await effect_count(harness.store, "flaky") == 1
    assert harness.platform.texts("#general") == ["flaky"]
    job = await harness.store.jobs.get("flaky")
    assert job is not None and job.status == "delivered" and job.attempts == 3


async def test_attempts_are_bounded(harness: Harness, recorder: Recorder, effects: Store) -> None:
    recorder.failures_left["broken"] = 100
    scheduler = Scheduler(harness.bot, kinds(recorder, max_attempts=3), sleeper=harness.clock)
    async with scheduler.running():
        await schedule(harness, "broken", 1)
        for _ in range(10):
            harness.clock.advance(hours=1)
            await scheduler.settle()
    job = await harness.store.jobs.get("broken")
    assert job is not None
    assert (job.status, job.attempts) == ("failed", 3)
    assert job.last_error is not None and "platform was down" in job.last_error
    assert recorder.failures_left["broken"] == 97
    assert await effect_count(harness.store, "broken") == 0


async def test_one_failing_job_does_not_undo_or_repeat_the_others_due_with_it(
    harness: Harness, scheduler: Scheduler, recorder: Recorder
) -> None:
    recorder.failures_left["b"] = 2  # fails in the batch, then alone; fine on its retry
    for key in ("a", "b", "c"):
        await schedule(harness, key, 1)
    harness.clock.advance(minutes=1)
    await scheduler.settle()
    # (Handlers may be called again after a rollback: effects count only once committed.)
    assert [await effect_count(harness.store, k) for k in "abc"] == [1, 0, 1]
    assert sorted(harness.platform.texts("#general")) == ["a", "c"]

    harness.clock.advance(minutes=1)
    await scheduler.settle()
    assert [await effect_count(harness.store, k) for k in "abc"] == [1, 1, 1]
    assert harness.platform.texts("#general") == ["b"]


async def test_after_a_restart_late_jobs_run_within_grace_and_the_rest_are_dropped_and_logged(
    db_path: Path, clock: FakeClock, recorder: Recorder
) -> None:
    store = await Store.open(db_path)
    await store.db.execute("CREATE TABLE effects (key TEXT NOT NULL)")
    async with store.db.transaction():
        for key, minutes in (("long-ago", 5), ("recent", 100), ("still-future", 200)):
            await store.jobs.schedule(
                "post", clock.now() + timedelta(minutes=minutes), key, clock.now()
            )
    await store.close()

    clock.advance(minutes=150)  # the bot was down for two and a half hours
    store = await Store.open(db_path)
    platform = FakePlatform()
    bot = Bot(store, platform, clock, PeerIndex())
    logged: list[str] = []
    sink = logger.add(logged.append, level="WARNING", format="{message}")
    try:
        scheduler = Scheduler(bot, kinds(recorder, grace=timedelta(hours=1)), sleeper=clock)
        async with scheduler.running():
            await scheduler.settle()
            assert recorder.ran == ["recent"]
            clock.advance(minutes=50)
            await scheduler.settle()
            assert recorder.ran == ["recent", "still-future"]
        dropped = await store.jobs.get("long-ago")
        assert dropped is not None and dropped.status == "dropped"
        assert await effect_count(store, "long-ago") == 0
        assert any("dropped post job long-ago" in line for line in logged), logged
    finally:
        logger.remove(sink)
        await store.close()


async def test_only_a_bounded_window_is_held_in_memory(
    harness: Harness, recorder: Recorder, effects: Store
) -> None:
    now = harness.clock.now()
    async with harness.store.db.transaction():
        await harness.store.jobs.schedule_many(
            (NewJob("post", now + timedelta(seconds=i + 1), f"job-{i:04d}") for i in range(1000)),
            now,
        )
    scheduler = Scheduler(harness.bot, kinds(recorder), sleeper=harness.clock, window=50, batch=20)
    async with scheduler.running():
        await scheduler.settle()
        assert scheduler.in_memory == 50
        for _ in range(10):  # new jobs inside the window's range still count against it
            await schedule(harness, f"extra-{_}", 0.05)
        assert scheduler.in_memory <= 100
        harness.clock.advance(minutes=20)
        await scheduler.settle()
        assert scheduler.in_memory == 0
    assert len(recorder.ran) == 1010
    assert recorder.ran[:3] == ["job-0000", "job-0001", "job-0002"]
    assert await harness.store.jobs.count("pending") == 0
    assert await harness.store.jobs.count("delivered") == 1010


async def test_a_job_s_messages_are_delivered_and_a_reply_is_dropped(
    harness: Harness, effects: Store
) -> None:
    await harness.join("alice")
    harness.platform.take()
    alice = user("alice")

    async def remind(ctx: Context, job: Job) -> list[Action]:
        return [
            SendDirect(COMMUNITY, alice, Message("Your chat starts in 15 minutes.")),
            Reply(Message("nobody to answer")),
        ]

    scheduler = Scheduler(harness.bot, {"remind": JobKind(remind)}, sleeper=harness.clock)
    async with scheduler.running():
        async with harness.store.db.transaction():
            await harness.store.jobs.schedule(
                "remind", harness.clock.now(), "remind:alice", harness.clock.now()
            )
        await scheduler.settle()
    sent = harness.platform.take()
    assert [(s.where, s.text) for s in sent] == [("dm:alice", "Your chat starts in 15 minutes.")]


async def test_a_job_of_an_unknown_kind_is_marked_failed_not_retried_forever(
    harness: Harness, scheduler: Scheduler
) -> None:
    async with harness.store.db.transaction():
        await harness.store.jobs.schedule("mystery", harness.clock.now(), "m", harness.clock.now())
    await scheduler.settle()
    job = await harness.store.jobs.get("mystery") or await harness.store.jobs.get("m")
    assert job is not None and job.status == "failed"


async def test_events_are_still_handled_while_the_scheduler_runs(
    harness: Harness, scheduler: Scheduler
) -> None:
    await harness.command("alice", "/tags add maths")
    assert "maths" in await harness.tag_names("alice")


async def test_stop_is_clean_and_pending_jobs_wait_in_the_store(
    harness: Harness, recorder: Recorder, effects: Store
) -> None:
    scheduler = Scheduler(harness.bot, kinds(recorder), sleeper=harness.clock)
    await scheduler.start()
    await schedule(harness, "later", 30)
    await scheduler.settle()
    await scheduler.stop()
    harness.clock.advance(hours=1)
    assert recorder.ran == []
    job = await harness.store.jobs.get("later")
    assert job is not None and job.status == "pending"
