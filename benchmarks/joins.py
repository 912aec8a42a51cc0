"""Core-only join rate: members joining one community, with no platform latency.

    python -m benchmarks.joins [--joins 5000]

A temporary SQLite store, a community already seeded and its peer index loaded (as in a
community where someone used `/peers`), then `--joins` new members joining: once one after the
other (each `Bot.dispatch` awaited: handled, committed, delivered, its outbox row marked) and
once all at once (every dispatch started together, as a gateway burst does). The platform only
records what it was sent. Also counts the SQL statements of 200 more joins (SQLite's trace
callback). Prints a Markdown table; on a shared machine compare runs made side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from loguru import logger

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


async def _ready(path: Path) -> tuple[Store, Bot, FakePlatform]:
    store = await Store.open(path)
    platform = FakePlatform()
    bot = Bot(store, platform, SystemClock(), PeerIndex())
    await bot.dispatch(MemberJoined(COMMUNITY, _user("first")))
    community = await store.communities.get(COMMUNITY)
    assert community is not None
    await bot.peers.ensure_loaded(store, community.id)  # what a first `/peers` does
    platform.take()
    return store, bot, platform


async def _sequential(folder: Path, joins: int) -> tuple[float, float]:
    """(joins/s, statements per join)."""
    store, bot, platform = await _ready(folder / "sequential.db")
    try:
        started = time.perf_counter()
        for i in range(joins):
            await bot.dispatch(MemberJoined(COMMUNITY, _user(f"member{i}")))
        rate = joins / (time.perf_counter() - started)
        assert len(platform.take()) == joins
        seen: list[str] = []
        connection = store.db._conn  # aiosqlite runs the callback on its own thread
        await connection.set_trace_callback(seen.append)
        for i in range(COUNTED):
            await bot.dispatch(MemberJoined(COMMUNITY, _user(f"counted{i}")))
        await connection.set_trace_callback(None)
        return rate, len(seen) / COUNTED
    finally:
        await store.close()


async def _burst(folder: Path, joins: int) -> float:
    store, bot, platform = await _ready(folder / "burst.db")
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


async def run(joins: int) -> str:
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        sequential, statements = await _sequential(folder, joins)
        burst = await _burst(folder, joins)
    return "\n".join(
        [
            "| measure | result |",
            "| --- | --- |",
            f"| {joins:,} joins one after the other | {sequential:,.0f} joins/s |",
            f"| {joins:,} joins started together | {burst:,.0f} joins/s |",
            f"| SQL statements per join (mean of {COUNTED}) | {statements:.1f} |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--joins", type=int, default=5000)
    args = parser.parse_args()
    logger.remove()
    print(asyncio.run(run(args.joins)))


if __name__ == "__main__":
    main()
