"""The durable scheduler at scale: a million pending jobs, on the real clock.

    python -m benchmarks.scheduler [--jobs 1000000] [--singles 200] [--burst 10000] [--bursts 3]

1. Fill a temporary SQLite store with `--jobs` pending jobs due at random moments over the next
   year (bulk `schedule_many`, 50,000 per transaction), and time 2,000 one-by-one `schedule`
   calls (what a feature does) on top.
2. In a fresh process (so the fill's memory does not count), open the store and start the
   scheduler over those jobs: time until it is loaded and asleep (cold start), and its RSS.
3. Still there, on the real clock and the real event loop: `--singles` jobs due 25 ms apart
   (firing drift = delivery time minus due time), then `--bursts` times a burst of `--burst`
   jobs all due at the same instant (time from that instant until the last one is delivered;
   the median is the figure, min and max say how noisy the machine was).

The job handler returns one channel message per job; the platform only records when it arrived,
so the figures are the scheduler's and the store's, not a network's. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

from communitybot.bot import Bot
from communitybot.clock import SystemClock
from communitybot.events import CommunityRef, ConversationRef, Event, UserRef
from communitybot.job_kinds import JobContext, JobKind
from communitybot.peers.index import PeerIndex
from communitybot.replies import Action, Message, SendToChannel
from communitybot.scheduler import Scheduler
from communitybot.store.jobs import Job, NewJob
from communitybot.store.store import Store

COMMUNITY = CommunityRef("bench", "community")
CHUNK = 50_000
SINGLE_SCHEDULES = 2_000
SINGLE_GAP_S = 0.025


@dataclass
class RecordingPlatform:
    """Delivers nothing; notes the wall-clock time each job's message arrived."""

    name: str = "bench"
    arrived: dict[str, float] = field(default_factory=dict)

    async def reply(self, event: Event, message: Message, *, ephemeral: bool) -> None:
        return None

    async def send_to_channel(
        self, community: CommunityRef, channel_id: str, message: Message
    ) -> None:
        self.arrived[message.text] = time.time()

    async def send_direct(
        self, community: CommunityRef, user: UserRef, message: Message
    ) -> ConversationRef:
        return ConversationRef(self.name, "dm", user.user_id)

    async def grant_role(self, community: CommunityRef, user: UserRef, role_id: str) -> None:
        return None

    async def revoke_role(self, community: CommunityRef, user: UserRef, role_id: str) -> None:
        return None

    async def is_moderator(
        self, community: CommunityRef, user: UserRef, moderator_role: str | None
    ) -> bool:
        return False

    def mention_channel(self, channel_id: str) -> str:
        return f"#{channel_id}"

    def mention_user(self, user: UserRef) -> str:
        return user.user_id


async def announce(ctx: JobContext, job: Job) -> list[Action]:
    return [SendToChannel(COMMUNITY, "general", Message(job.key))]


KINDS = {"announce": JobKind(announce, grace=timedelta(minutes=10))}


def rss_mib() -> float:
    """Current resident set size (Linux), in MiB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass(frozen=True)
class Fill:
    jobs: int
    bulk_s: float
    single_rate: float
    file_mib: float


async def fill(path: Path, jobs: int) -> Fill:
    store = await Store.open(path)
    rng = random.Random(6)
    now = datetime.now(UTC)
    year_s = 365 * 86400
    started = time.perf_counter()
    for first in range(0, jobs, CHUNK):
        batch = [
            NewJob(
                "announce",
                now + timedelta(hours=1, seconds=rng.uniform(0, year_s)),
                f"reminder:{i}",
                {"series": i % 5000, "member": i},
            )
            for i in range(first, min(jobs, first + CHUNK))
        ]
        async with store.db.transaction():
            await store.jobs.schedule_many(batch, now)
    bulk_s = time.perf_counter() - started
    started = time.perf_counter()
    async with store.db.transaction():
        for i in range(SINGLE_SCHEDULES):
            due = now + timedelta(hours=2, seconds=rng.uniform(0, year_s))
            await store.jobs.schedule("announce", due, f"single:{i}", now, {"member": i})
    single_rate = SINGLE_SCHEDULES / (time.perf_counter() - started)
    await store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    await store.close()
    return Fill(jobs, bulk_s, single_rate, 0.0)


@dataclass(frozen=True)
class Run:
    cold_start_s: float
    rss_before_mib: float
    rss_after_mib: float
    peak_rss_mib: float
    in_memory: int
    pending: int
    drift_ms: list[float]
    burst: int
    burst_last_ms: list[float]
    burst_delivered: list[int]


async def run(path: Path, singles: int, burst: int, bursts: int) -> Run:
    rss_before = rss_mib()
    clock = SystemClock()
    started = time.perf_counter()
    store = await Store.open(path)
    community, _ = await store.communities.ensure(COMMUNITY, clock.now())  # a known community
    store.communities.new_unit()  # as the next event would: its row is cached from now on
    platform = RecordingPlatform()
    bot = Bot(store, platform, clock, PeerIndex())
    scheduler = Scheduler(bot, KINDS)
    async with scheduler.running():
        await scheduler.settle()
        cold_start_s = time.perf_counter() - started
        rss_after = rss_mib()
        in_memory = scheduler.in_memory
        pending = await store.jobs.count("pending")

        # Single jobs, one at a time, scheduled the way a feature does (one event each).
        first_due = clock.now() + timedelta(seconds=0.5)
        dues: dict[str, datetime] = {}
        for i in range(singles):
            due = first_due + timedelta(seconds=i * SINGLE_GAP_S)
            dues[f"drift:{i}"] = due
            async with store.db.transaction():
                await store.jobs.schedule(
                    "announce", due, f"drift:{i}", clock.now(), community_id=community.id
                )
        await asyncio.sleep((dues[f"drift:{singles - 1}"] - clock.now()).total_seconds() + 0.3)
        drift_ms = [
            (platform.arrived[key] - due.timestamp()) * 1000
            for key, due in dues.items()
            if key in platform.arrived
        ]

        # Bursts: each all due at the same instant.
        lasts: list[float] = []
        delivered: list[int] = []
        for round_no in range(bursts):
            last_ms, count = await one_burst(store, platform, clock, community.id, burst, round_no)
            lasts.append(last_ms)
            delivered.append(count)
    await store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Run(
        cold_start_s,
        rss_before,
        rss_after,
        peak,
        in_memory,
        pending,
        drift_ms,
        burst,
        lasts,
        delivered,
    )


async def one_burst(
    store: Store,
    platform: RecordingPlatform,
    clock: SystemClock,
    community_id: int,
    burst: int,
    round_no: int,
) -> tuple[float, int]:
    """`burst` jobs due at one instant 2 s from now: ms from that instant until the last one
    was delivered, and how many were."""
    instant = clock.now() + timedelta(seconds=2)
    keys = [f"burst{round_no}:{i}" for i in range(burst)]
    async with store.db.transaction():
        await store.jobs.schedule_many(
            (  # under the community's lane, as a feature's fan-out is
                NewJob("announce", instant, key, None, community_id) for key in keys
            ),
            clock.now(),
        )
    await asyncio.sleep((instant - clock.now()).total_seconds())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if keys[-1] in platform.arrived and all(key in platform.arrived for key in keys):
            break
        await asyncio.sleep(0.05)
    arrived = [platform.arrived[key] for key in keys if key in platform.arrived]
    last_ms = (max(arrived) - instant.timestamp()) * 1000 if arrived else float("nan")
    return last_ms, len(arrived)


def _fill(path: str, jobs: int) -> Fill:
    filled = asyncio.run(fill(Path(path), jobs))
    return Fill(filled.jobs, filled.bulk_s, filled.single_rate, os.path.getsize(path) / 2**20)


def _run(path: str, singles: int, burst: int, bursts: int) -> Run:
    return asyncio.run(run(Path(path), singles, burst, bursts))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def delivered_each(ran: Run) -> str:
    fewest = min(ran.burst_delivered)
    if fewest == ran.burst:
        return f"all {ran.burst:,} delivered each time"
    return f"only {fewest:,} of {ran.burst:,} delivered in one burst"


def table(filled: Fill, ran: Run) -> str:
    drift = ran.drift_ms
    rows = [
        ("Pending jobs in the store", f"{ran.pending:,}", ""),
        (
            "Insert, bulk (`schedule_many`, 50k per transaction)",
            f"{filled.jobs / filled.bulk_s:,.0f} jobs/s ({filled.bulk_s:.1f} s)",
            "",
        ),
        ("Insert, one by one (`schedule`)", f"{filled.single_rate:,.0f} jobs/s", ""),
        ("Database file", f"{filled.file_mib:,.0f} MiB", ""),
        ("Cold start (open store, load window, asleep)", f"{ran.cold_start_s:.2f} s", "≤ 5 s"),
        ("Jobs held in RAM (window)", f"{ran.in_memory:,}", "bounded"),
        (
            "RSS before open → after cold start",
            f"{ran.rss_before_mib:.0f} → {ran.rss_after_mib:.0f} MiB",
            "",
        ),
        ("Peak RSS of the run (incl. burst)", f"{ran.peak_rss_mib:.0f} MiB", ""),
        (
            f"Firing drift, {len(drift)} single jobs: p50 / p99 / max",
            f"{statistics.median(drift):.2f} / {percentile(drift, 99):.2f} / {max(drift):.2f} ms",
            "p99 ≤ 5 ms",
        ),
        (
            f"Burst of {ran.burst:,} due at one instant: last delivered after, median of "
            f"{len(ran.burst_last_ms)} (min–max)",
            f"{statistics.median(ran.burst_last_ms):.0f} ms ({min(ran.burst_last_ms):.0f}–"
            f"{max(ran.burst_last_ms):.0f}; {delivered_each(ran)})",
            "≤ 0.3 s",
        ),
    ]
    lines = ["| Measure | Result | Target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--singles", type=int, default=200)
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument("--bursts", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "jobs.db")
        spawn = get_context("spawn")
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            filled = pool.submit(_fill, path, args.jobs).result()
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            ran = pool.submit(_run, path, args.singles, args.burst, args.bursts).result()
    print(table(filled, ran))


if __name__ == "__main__":
    main()
