"""A scheduler batch: a few statements however many jobs, and every job's fate right in it.

The batch marks its due jobs 'delivered' up front (one `UPDATE … RETURNING`, rolled back if a
handler fails) and corrects the ones it did not run; these tests mix every case in one batch.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from communitybot.job_kinds import JobContext, JobKind
from communitybot.replies import Action, Message, SendToChannel
from communitybot.scheduler import Scheduler
from communitybot.store.jobs import Job, NewJob
from tests.conftest import COMMUNITY, Harness


class Posts:
    def __init__(self) -> None:
        self.ran: list[str] = []
        self.failures_left: dict[str, int] = {}

    async def post(self, ctx: JobContext, job: Job) -> list[Action]:
        await ctx.store.db.execute("INSERT INTO effects (key) VALUES (?)", (job.key,))
        if self.failures_left.get(job.key, 0) > 0:
            self.failures_left[job.key] -= 1
            raise RuntimeError("down for a moment")
        self.ran.append(job.key)
        return [SendToChannel(COMMUNITY, "general", Message(job.key))]


async def effects(harness: Harness) -> dict[str, int]:
    rows = await harness.store.db.fetch_all("SELECT key, count(*) FROM effects GROUP BY key")
    return {row[0]: row[1] for row in rows}


@pytest.mark.sqlite_only  # counts statements with SQLite's trace callback
async def test_firing_300_due_jobs_takes_a_few_statements_not_a_few_per_job(
    harness: Harness,
) -> None:
    async def quiet(ctx: JobContext, job: Job) -> list[Action]:
        return [SendToChannel(COMMUNITY, "general", Message(job.key))]

    now = harness.clock.now()
    await harness.store.communities.ensure(COMMUNITY, now)
    async with harness.store.db.transaction():
        await harness.store.jobs.schedule_many(
            (NewJob("quiet", now + timedelta(minutes=1), f"q{i}") for i in range(300)), now
        )
    scheduler = Scheduler(harness.bot, {"quiet": JobKind(quiet)}, sleeper=harness.clock, batch=300)
    seen: list[str] = []
    async with scheduler.running():
        await scheduler.settle()
        connection = harness.store.db._conn
        await connection.set_trace_callback(seen.append)
        harness.clock.advance(minutes=1)
        await scheduler.settle()
        await connection.set_trace_callback(None)
    assert len(harness.platform.texts("#general")) == 300
    assert await harness.store.jobs.count("delivered") == 300
    # Before: a look-up, an UPDATE per job and an INSERT per job (600+ statements).
    assert len(seen) <= 12, seen


@pytest.mark.sqlite_only  # counts statements with SQLite's trace callback
async def test_jobs_the_window_read_run_without_a_look_up_and_a_cancelled_one_still_not(
    harness: Harness,
) -> None:
    """The window query brings each job's kind and community, so a batch of its jobs goes
    straight to the claim; a job cancelled after the window was read is routed all the same,
    and the claim (which re-reads every row) leaves it out."""
    ran: list[str] = []

    async def quiet(ctx: JobContext, job: Job) -> list[Action]:
        ran.append(job.key)
        return [SendToChannel(COMMUNITY, "general", Message(job.key))]

    now = harness.clock.now()
    community, _ = await harness.store.communities.ensure(COMMUNITY, now)
    async with harness.store.db.transaction():
        await harness.store.jobs.schedule_many(
            (
                NewJob("quiet", now + timedelta(minutes=1), f"q{i}", None, community.id)
                for i in range(20)
            ),
            now,
        )
    scheduler = Scheduler(harness.bot, {"quiet": JobKind(quiet)}, sleeper=harness.clock)
    seen: list[str] = []
    async with scheduler.running():
        await scheduler.settle()  # the window is read, routes and all
        async with harness.store.db.transaction():
            assert await harness.store.jobs.cancel("q7", harness.clock.now())
        connection = harness.store.db._conn
        await connection.set_trace_callback(seen.append)
        harness.clock.advance(minutes=1)
        await scheduler.settle()
        await connection.set_trace_callback(None)
    assert ran == [f"q{i}" for i in range(20) if i != 7]
    assert len(harness.platform.texts("#general")) == 19
    assert await harness.store.jobs.count("cancelled") == 1
    assert not [sql for sql in seen if sql.startswith("SELECT j.id, j.kind, j.community_id")], seen


async def test_a_batch_mixing_every_case_gives_each_job_its_own_fate(harness: Harness) -> None:
    """Due together: two to run, one of which fails (in the batch, then alone); one beyond its
    grace window; one of a kind nobody handles; one cancelled and one moved later after the
    window was loaded."""
    await harness.store.db.execute("CREATE TABLE effects (key TEXT NOT NULL)")
    posts = Posts()
    posts.failures_left["flaky"] = 2  # in the batch, then alone; fine on its retry
    kinds = {
        "post": JobKind(posts.post, grace=timedelta(hours=1), backoff=timedelta(minutes=1)),
        "short": JobKind(posts.post, grace=timedelta(seconds=30)),
    }
    jobs, clock = harness.store.jobs, harness.clock
    due = clock.now() + timedelta(minutes=1)
    async with harness.store.db.transaction():
        for kind, key in (
            ("post", "fine"),
            ("post", "flaky"),
            ("short", "too-late"),
            ("mystery", "unknown"),
            ("post", "cancelled"),
            ("post", "moved"),
        ):
            await jobs.schedule(kind, due, key, clock.now())
    scheduler = Scheduler(harness.bot, kinds, sleeper=clock)
    async with scheduler.running():
        await scheduler.settle()  # the window holds all six now
        async with harness.store.db.transaction():
            await jobs.cancel("cancelled", clock.now())
            await harness.store.db.execute(
                "UPDATE jobs SET due_at = ? WHERE idempotency_key = 'moved'",
                ((due + timedelta(minutes=10)).isoformat(timespec="microseconds"),),
            )
        clock.advance(minutes=2)  # "short" is 60 s late: beyond its 30 s of grace
        await scheduler.settle()
        assert await effects(harness) == {"fine": 1}
        assert harness.platform.texts("#general") == ["fine"]

        clock.advance(minutes=1)  # the flaky job's retry
        await scheduler.settle()
        assert harness.platform.texts("#general") == ["flaky"]
        clock.advance(minutes=10)  # the moved job, at its new time
        await scheduler.settle()
        assert harness.platform.texts("#general") == ["moved"]
    assert await effects(harness) == {"fine": 1, "flaky": 1, "moved": 1}
    fates = {}
    for key in ("fine", "flaky", "too-late", "unknown", "cancelled", "moved"):
        job = await jobs.get(key)
        assert job is not None
        fates[key] = (job.status, job.attempts)
    assert fates == {
        "fine": ("delivered", 1),
        "flaky": ("delivered", 2),
        "too-late": ("dropped", 0),
        "unknown": ("failed", 0),
        "cancelled": ("cancelled", 0),
        "moved": ("delivered", 1),
    }
