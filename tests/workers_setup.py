"""Real `communitybot worker` processes racing over due jobs on one PostgreSQL database.

Shared by tests/test_workers.py and benchmarks/pg_workers.py. The jobs are asks' report-back
reminders (`ask.reminder`): a cheap kind whose effect is one outbox row (a DM to the asker whose
text names the ask), so every job's effect can be counted in the database afterwards. The asks
and the jobs are spread over a few console communities; the workers run the console adapter's
jobs (`--adapter console`), whose outbox rows stay in the table (a worker never delivers).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO

from communitybot.asks.commands import REMINDER, reminder_key
from communitybot.clock import SystemClock
from communitybot.events import CommunityRef, UserRef
from communitybot.outbox_codec import decode
from communitybot.replies import SendDirect
from communitybot.store.jobs import NewJob
from communitybot.store.store import Store
from communitybot.store.timefmt import to_db

ROOT = Path(__file__).resolve().parent.parent
STARTED = "started: worker"
STOPPED = re.compile(r"worker stopped: (\d+) job\(s\) run")
ASK_NUMBER = re.compile(r"problem of practice #(\d+)")


def worker_env(url: str, **extra: str) -> dict[str, str]:
    """The parent's environment without COMMUNITYBOT_ settings, the checkout importable, the
    database URL set."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("COMMUNITYBOT_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    env["COMMUNITYBOT_DATABASE_URL"] = url
    env.update(extra)
    return env


@dataclass
class Worker:
    """One `communitybot worker --adapter console` process; its log goes to a file."""

    url: str
    log: Path
    process: subprocess.Popen[bytes] | None = None
    _log_file: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "communitybot", "worker", "--adapter", "console"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
            cwd=self.log.parent,
            env=worker_env(self.url),
        )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_started(self, limit_s: float = 30.0) -> None:
        deadline = time.monotonic() + limit_s
        while STARTED not in self.text():
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the worker ended at start:\n{self.text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the worker did not start:\n{self.text()}")
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM, limit_s: float = 30.0) -> int:
        """Send `sig` and wait for the exit; the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=limit_s)
        finally:
            self.close()

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def ran(self) -> int:
        """How many jobs the worker said it ran (its last line, after SIGTERM)."""
        found = STOPPED.findall(self.text())
        if not found:
            raise AssertionError(f"the worker did not say how many jobs it ran:\n{self.text()}")
        return int(found[-1])


async def seed_asks(url: str, count: int, communities: int = 4) -> list[tuple[int, int]]:
    """`count` open asks, one member asking in each of `communities` console communities;
    returns (ask id, community id) pairs. Nothing is scheduled yet."""
    store = await Store.open(url)
    try:
        now = SystemClock().now()
        owners = []
        async with store.db.transaction():
            for n in range(communities):
                community, _ = await store.communities.ensure(CommunityRef("console", f"c{n}"), now)
                member, _ = await store.members.ensure(
                    community.id, UserRef("console", f"asker{n}", f"Asker {n}"), now
                )
                owners.append((community.id, member.id))
            await store.db.execute_many(
                "INSERT INTO asks (community_id, member_id, problem, channel_id, remind_days,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (*owners[n % communities], f"problem {n}", "general", 7, to_db(now))
                    for n in range(count)
                ),
            )
        rows = await store.db.fetch_all("SELECT id, community_id FROM asks ORDER BY id")
        return [(int(row[0]), int(row[1])) for row in rows]
    finally:
        await store.close()


async def schedule_due(url: str, asks: list[tuple[int, int]]) -> None:
    """One due report-back reminder per ask, in one transaction (`schedule_many`): the
    listening workers hear of them at the commit."""
    store = await Store.open(url)
    try:
        now = SystemClock().now()
        due = now - timedelta(minutes=1)
        async with store.db.transaction():
            await store.jobs.schedule_many(
                (
                    NewJob(REMINDER, due, reminder_key(ask), {"ask": ask}, community)
                    for ask, community in asks
                ),
                now,
            )
    finally:
        await store.close()


async def pending_jobs(url: str) -> int:
    store = await Store.open(url)
    try:
        return await store.jobs.count("pending")
    finally:
        await store.close()


@dataclass(frozen=True)
class Tally:
    """What the database says ran: jobs by (status, attempts), outbox rows per ask."""

    jobs: Counter[tuple[str, int]]
    effects: Counter[int]

    def doubles(self) -> int:
        return sum(n - 1 for n in self.effects.values() if n > 1)

    def missing(self, asks: list[tuple[int, int]]) -> int:
        return sum(1 for ask, _ in asks if self.effects[ask] == 0)


async def tally(url: str) -> Tally:
    store = await Store.open(url)
    try:
        jobs = Counter(
            (str(row[0]), int(row[1]))
            for row in await store.db.fetch_all("SELECT status, attempts FROM jobs")
        )
        effects: Counter[int] = Counter()
        for row in await store.db.fetch_all("SELECT action FROM outbox"):
            action = decode(row[0])
            assert isinstance(action, SendDirect), action
            found = ASK_NUMBER.search(action.message.text)
            assert found is not None, action.message.text
            effects[int(found[1])] += 1
        return Tally(jobs, effects)
    finally:
        await store.close()
