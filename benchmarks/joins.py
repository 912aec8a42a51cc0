"""Core-only join rate: members joining one community, with no platform latency.

    python -m benchmarks.joins [--joins 5000] [--postgres | --database-url postgresql://…]

A temporary SQLite store (and with `--postgres` a fresh PostgreSQL database beside it,
`benchmarks/pg.py`), a community already seeded and its peer index loaded (as in a
community where someone used `/peers`), then `--joins` new members joining: once one after the
other (each `Bot.dispatch` awaited: handled, committed, delivered, its outbox row marked) and
once all at once (every dispatch started together, as a gateway burst does). The platform only
records what it was sent. Also counts the SQL statements of 200 more joins (SQLite's trace
callback; SQLite only). A join's commit is timed from the event to its committed unit
(`Bot.handle`, before delivery): its p99 over the sequential joins. Prints a Markdown table, one
column per database; on a shared machine compare runs made side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from loguru import logger

from benchmarks import pg
from communitybot.bot import Bot
from communitybot.clock import SystemClock
from communitybot.events import CommunityRef, MemberJoined, UserRef
from communitybot.peers.index import PeerIndex
from communitybot.store.store import Store
from tests.fakes import FakePlatform

COMMUNITY = CommunityRef("fake", "bench")
COUNTED = 200


def _user(name: str) -> UserRef:
    return UserRef("fake", name, name)


@dataclass(frozen=True)
class Result:
    sequential: float
    commit_p99_ms: float
    statements: float | None
    burst: float


async def _ready(path: Path | str) -> tuple[Store, Bot, FakePlatform]:
    store = await Store.open(path)
    platform = FakePlatform()
    bot = Bot(store, platform, SystemClock(), PeerIndex())
    await bot.dispatch(MemberJoined(COMMUNITY, _user("first")))
    community = await store.communities.get(COMMUNITY)
    assert community is not None
    await bot.peers.ensure_loaded(store, community.id)  # what a first `/peers` does
    platform.take()
    return store, bot, platform


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


async def _sequential(target: Path | str, joins: int) -> tuple[float, float, float | None]:
    """(joins/s, a join's commit p99 in ms, statements per join; None on PostgreSQL)."""
    store, bot, platform = await _ready(target)
    try:
        commits: list[float] = []
        started = time.perf_counter()
        for i in range(joins):
            event = MemberJoined(COMMUNITY, _user(f"member{i}"))
            began = time.perf_counter()
            handled = await bot.handle(event)
            commits.append((time.perf_counter() - began) * 1000)
            await bot.outbox.deliver(event, handled.batch)
        rate = joins / (time.perf_counter() - started)
        assert len(platform.take()) == joins
        if store.db.dialect != "sqlite":
            return rate, _p99(commits), None
        seen: list[str] = []
        connection = store.db._conn  # aiosqlite runs the callback on its own thread
        await connection.set_trace_callback(seen.append)
        for i in range(COUNTED):
            await bot.dispatch(MemberJoined(COMMUNITY, _user(f"counted{i}")))
        await connection.set_trace_callback(None)
        return rate, _p99(commits), len(seen) / COUNTED
    finally:
        await store.close()


async def _burst(target: Path | str, joins: int) -> float:
    store, bot, platform = await _ready(target)
    try:
        started = time.perf_counter()
        await asyncio.gather(
            *(bot.dispatch(MemberJoined(COMMUNITY, _user(f"member{i}"))) for i in range(joins))
        )
        rate = joins / (time.perf_counter() - started)
        assert len(platform.take()) == joins
        assert await store.outbox.count() == 0
        return rate
    finally:
        await store.close()


async def _sqlite(joins: int) -> Result:
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        sequential, p99, statements = await _sequential(folder / "sequential.db", joins)
        burst = await _burst(folder / "burst.db", joins)
    return Result(sequential, p99, statements, burst)


async def _postgres(server: str, joins: int) -> Result:
    async with pg.fresh_database(server, "joins") as url:
        sequential, p99, statements = await _sequential(url, joins)
    async with pg.fresh_database(server, "joins") as url:
        burst = await _burst(url, joins)
    return Result(sequential, p99, statements, burst)


async def run(joins: int, postgres_server: str | None = None) -> str:
    results = {"SQLite": await _sqlite(joins)}
    if postgres_server is not None:
        results["PostgreSQL"] = await _postgres(postgres_server, joins)
    names = list(results)
    rows = [
        ("| measure | " + " | ".join(names) + " |"),
        "| --- |" + " --- |" * len(names),
        f"| {joins:,} joins one after the other | "
        + " | ".join(f"{r.sequential:,.0f} joins/s" for r in results.values())
        + " |",
        "| a join's commit (handled and committed), p99 | "
        + " | ".join(f"{r.commit_p99_ms:.2f} ms" for r in results.values())
        + " |",
        f"| {joins:,} joins started together | "
        + " | ".join(f"{r.burst:,.0f} joins/s" for r in results.values())
        + " |",
        f"| SQL statements per join (mean of {COUNTED}) | "
        + " | ".join(
            "—" if r.statements is None else f"{r.statements:.1f}" for r in results.values()
        )
        + " |",
    ]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--joins", type=int, default=5000)
    pg.add_arguments(parser)
    args = parser.parse_args()
    logger.remove()
    if args.postgres or args.database_url:
        with pg.server_url(args.database_url) as server:
            print(asyncio.run(run(args.joins, server)))
    else:
        print(asyncio.run(run(args.joins)))


if __name__ == "__main__":
    main()
