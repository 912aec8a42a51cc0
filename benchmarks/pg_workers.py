"""Due jobs on PostgreSQL with 1, 2 and 4 `communitybot worker` processes (issue #13).

    python -m benchmarks.pg_workers [--jobs 10000] [--workers 1,2,4] [--communities 16]

Starts a throwaway PostgreSQL server (tests/postgres_server.py: 127.0.0.1, a temporary data
folder, stopped at the end). For each worker count, in a fresh database: seed `--jobs` open
asks over `--communities` console communities, start that many real worker processes
(`communitybot worker --adapter console`) and wait until each listens, then schedule one due
report-back reminder per ask in one transaction (`schedule_many`; the workers hear it at the
commit) and time until no job is pending. Each job's effect is one outbox row naming its ask.

Prints a Markdown table: workers, wall time (from the commit that made the jobs due until none
is pending), jobs/s, the share each worker reports having run, doubles (asks with more than one
outbox row) and missing (asks with none, or jobs not 'delivered' exactly once). Wall-clock
figures: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import asyncpg

from tests.postgres_server import PostgresServer, postgres_bin
from tests.workers_setup import Worker, pending_jobs, schedule_due, seed_asks, tally

TEMPLATE = "bench_template"


async def _fresh_database(server: PostgresServer, name: str) -> str:
    from communitybot.store.postgres_db import PostgresDatabase

    admin = await asyncpg.connect(server.url())
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", TEMPLATE):
            await admin.execute(f"CREATE DATABASE {TEMPLATE}")
            db = await PostgresDatabase.open(server.url(TEMPLATE))
            await db.close()
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    finally:
        await admin.close()
    return server.url(name)


async def one_run(
    server: PostgresServer, workers: int, jobs: int, communities: int, folder: Path
) -> list[str]:
    url = await _fresh_database(server, f"bench_{workers}")
    asks = await seed_asks(url, jobs, communities)
    running = [Worker(url, folder / f"worker-{workers}-{n}.log") for n in range(workers)]
    try:
        for worker in running:
            worker.start()
        for worker in running:
            worker.wait_started()
        started = time.perf_counter()
        await schedule_due(url, asks)
        while await pending_jobs(url):
            if any(w.process is not None and w.process.poll() is not None for w in running):
                raise SystemExit("a worker ended early; its log:\n" + running[0].text())
            await asyncio.sleep(0.05)
        wall = time.perf_counter() - started
        for worker in running:
            worker.stop()
        shares = [worker.ran() for worker in running]
    finally:
        for worker in running:
            worker.close()
    counted = await tally(url)
    not_once = sum(
        n
        for (status, attempts), n in counted.jobs.items()
        if (status, attempts) != ("delivered", 1)
    )
    return [
        str(workers),
        f"{wall:.2f}",
        f"{jobs / wall:,.0f}",
        " / ".join(str(s) for s in shares),
        str(counted.doubles()),
        str(counted.missing(asks) + not_once),
    ]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("--communities", type=int, default=16)
    args = parser.parse_args()
    found = postgres_bin()
    if found is None:
        raise SystemExit("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb)")
    server = PostgresServer(found)
    server.start()
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="cb-workers-") as folder:
            for workers in (int(n) for n in args.workers.split(",")):
                rows.append(
                    await one_run(server, workers, args.jobs, args.communities, Path(folder))
                )
    finally:
        server.stop()
    print(f"{args.jobs:,} due jobs (ask reminders) over {args.communities} communities\n")
    print("| workers | wall s | jobs/s | run by each worker | doubles | missing |")
    print("|---:|---:|---:|:--|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    asyncio.run(main())
