"""The daily clean-up of finished job rows: old ones go, pending and recent ones stay.

The real scheduler loop on the fake clock (Monday 4 January 2027, 12:00 UTC): time moves only when
a test advances it, and `settle()` waits until the loop (and any clean-up pass) is asleep again.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from communitybot import registry
from communitybot import scheduler as scheduler_module
from communitybot.context import Context
from communitybot.replies import Action
from communitybot.scheduler import DEFAULT_RETENTION, JobKind, Scheduler
from communitybot.store.jobs import Job, NewJob
from tests.conftest import Harness, running_scheduler


async def nothing(ctx: Context, job: Job) -> list[Action]:
    return []


KINDS = {"noop": JobKind(nothing, grace=None)}


async def statuses(harness: Harness) -> dict[str, str]:
    rows = await harness.store.db.fetch_all("SELECT idempotency_key, status FROM jobs")
    return {str(row[0]): str(row[1]) for row in rows}


async def schedule(harness: Harness, key: str, **due_in: float) -> None:
    now = harness.clock.now()
    async with harness.store.db.transaction():
        await harness.store.jobs.schedule("noop", now + timedelta(**due_in), key, now)


async def test_rows_finished_over_30_days_ago_go_and_pending_and_recent_ones_stay(
    harness: Harness,
) -> None:
    async with running_scheduler(harness, KINDS) as scheduler:
        await schedule(harness, "early", minutes=1)
        await schedule(harness, "cancelled", minutes=5)
        await schedule(harness, "late", days=29)
        await schedule(harness, "tick", days=30, hours=23)
        await schedule(harness, "far", days=90)
        async with harness.store.db.transaction():
            assert await harness.store.jobs.cancel("cancelled", harness.clock.now())
        harness.clock.advance(minutes=1)
        await scheduler.settle()
        harness.clock.advance(days=29, hours=23)
        await scheduler.settle()
        assert await statuses(harness) == {
            "early": "delivered",
            "cancelled": "cancelled",
            "late": "delivered",
            "tick": "pending",
            "far": "pending",
        }, "nothing is deleted within the 30 days"
        harness.clock.advance(days=1)  # "tick" fires, then the day's pass: 31 days on from "early"
        await scheduler.settle()
        assert await statuses(harness) == {
            "late": "delivered",
            "tick": "delivered",
            "far": "pending",
        }
        harness.clock.advance(days=60)  # the far job fires; the older rows go
        await scheduler.settle()
        assert await statuses(harness) == {"far": "delivered"}


async def test_the_clean_up_waits_a_little_after_start_and_follows_a_batch_of_jobs(
    harness: Harness,
) -> None:
    await schedule(harness, "old", minutes=1)
    async with running_scheduler(harness, KINDS) as scheduler:
        harness.clock.advance(minutes=1)
        await scheduler.settle()
    harness.clock.advance(days=40)  # the bot was down; the row is now old
    await schedule(harness, "soon", minutes=5)
    await schedule(harness, "later", minutes=15)
    async with running_scheduler(harness, KINDS) as scheduler:
        harness.clock.advance(minutes=5)
        await scheduler.settle()
        assert "old" in await statuses(harness), "no clean-up in the first minutes"
        harness.clock.advance(minutes=10)
        await scheduler.settle()
        assert await statuses(harness) == {"soon": "delivered", "later": "delivered"}


async def test_a_pass_works_in_slices_and_never_touches_pending_rows(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler_module, "CLEANUP_SLICE", 3)
    long_ago = harness.clock.now() - timedelta(days=60)
    async with harness.store.db.transaction():
        await harness.store.jobs.schedule_many(
            (NewJob("noop", long_ago, f"job:{i}") for i in range(10)), long_ago
        )
        finished = [i + 1 for i in range(10) if i % 2 == 0]  # ids 1, 3, 5, 7, 9
        await harness.store.jobs.finish(finished, "delivered", long_ago)
    scheduler = Scheduler(harness.bot, KINDS, sleeper=harness.clock)
    cutoff = harness.clock.now() - DEFAULT_RETENTION
    assert await scheduler.delete_finished_before(cutoff) == 5
    assert await harness.store.jobs.count("pending") == 5
    assert await harness.store.jobs.count("delivered") == 0
    assert await scheduler.delete_finished_before(cutoff) == 0


async def test_retention_must_outlast_every_grace_window(harness: Harness) -> None:
    Scheduler(harness.bot, registry.JOB_KINDS)  # the bot's own kinds fit the default
    long_grace = {"slow": JobKind(nothing, grace=timedelta(days=45))}
    with pytest.raises(ValueError, match="must outlast every grace window"):
        Scheduler(harness.bot, long_grace)
    Scheduler(harness.bot, long_grace, retention=timedelta(days=60))
    Scheduler(harness.bot, long_grace, retention=None)  # keep finished rows forever
