"""`communitybot worker` processes racing over due jobs on one PostgreSQL database (issue #13).

Real processes (`python -m communitybot worker --adapter console`), a real PostgreSQL server:
every job runs exactly once however the workers race, and a worker killed with SIGKILL in the
middle of its work loses nothing and doubles nothing (PostgreSQL rolls its open batch back when
its connection drops; the other worker takes those jobs over). Exactly once is read from the
database: each job row 'delivered' with one attempt, one outbox row (its effect) per ask.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import fresh_postgres_database
from tests.postgres_server import PostgresServer
from tests.workers_setup import Worker, pending_jobs, schedule_due, seed_asks, tally

pytestmark = pytest.mark.postgres

LIMIT_S = 90.0
"""A bound on waiting for the workers (a hang fails the test instead of blocking the run)."""


@pytest.fixture
async def url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    async with fresh_postgres_database(postgres_server) as fresh:
        yield fresh


async def all_done(url: str, workers: list[Worker]) -> None:
    deadline = time.monotonic() + LIMIT_S
    while await pending_jobs(url):
        for worker in workers:
            assert worker.process is not None
            if worker.process.poll() is not None and worker.process.returncode != -9:
                raise AssertionError(f"a worker ended:\n{worker.text()}")
        assert time.monotonic() < deadline, "the workers did not finish"
        await asyncio.sleep(0.1)


async def delivered(url: str) -> int:
    counted = await tally(url)
    return sum(n for (status, _), n in counted.jobs.items() if status == "delivered")


async def test_two_workers_run_ten_thousand_jobs_each_exactly_once(
    url: str, tmp_path: Path
) -> None:
    asks = await seed_asks(url, 10_000)
    workers = [Worker(url, tmp_path / f"worker-{n}.log") for n in range(2)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.wait_started()
        await schedule_due(url, asks)  # heard by both at the commit
        await all_done(url, workers)
        codes = [worker.stop() for worker in workers]
    finally:
        for worker in workers:
            worker.close()
    assert codes == [0, 0], [w.text() for w in workers]
    counted = await tally(url)
    assert counted.jobs == {("delivered", 1): 10_000}
    assert counted.doubles() == 0 and counted.missing(asks) == 0
    assert sum(counted.effects.values()) == 10_000
    shares = [worker.ran() for worker in workers]
    assert sum(shares) == 10_000 and min(shares) > 0, shares
    for worker in workers:
        assert "Traceback" not in worker.text()


async def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(
    url: str, tmp_path: Path
) -> None:
    total = 4_000
    asks = await seed_asks(url, total)
    victim, survivor = (Worker(url, tmp_path / f"{name}.log") for name in ("victim", "survivor"))
    try:
        for worker in (victim, survivor):
            worker.start()
        for worker in (victim, survivor):
            worker.wait_started()
        await schedule_due(url, asks)
        deadline = time.monotonic() + LIMIT_S
        while (done := await delivered(url)) < total // 10:
            assert time.monotonic() < deadline, "the workers did not start on the jobs"
            await asyncio.sleep(0.02)
        assert done < total, "too late to kill a worker in the middle of its work"
        assert victim.stop(signal.SIGKILL) == -signal.SIGKILL
        await all_done(url, [survivor])
        assert survivor.stop() == 0, survivor.text()
    finally:
        victim.close()
        survivor.close()
    counted = await tally(url)
    assert counted.jobs == {("delivered", 1): total}
    assert counted.doubles() == 0 and counted.missing(asks) == 0
    assert survivor.ran() > 0
