"""A cold peer-index load in one community must not delay another community's commands (#12).

    python -m benchmarks.cold_index [--members 1000000] [--gap-ms 5]

Community A gets `--members` members with ~6 interest tags each, written straight into SQLite
(`benchmarks.peers.build_database`, in a fresh process). Then a Bot (real clock, a recording
platform: only the core is measured) opens the store, community B is set up with one member,
and B's `/help` is timed at rest. Then a member of A sends `/peers`: A's index is not loaded, so
that command loads it (the cold load after a restart). While it runs, B's member sends `/help`
every `--gap-ms` (without waiting for the previous answer, as members do), each timed from
dispatch to its delivered reply. Reported: B's `/help` p50 / p99 / max at rest and during the
load, how many were answered during it, the longest event-loop stall (a 1 ms ticker), and how
long A's `/peers` took. Prints a Markdown table. Wall-clock figures: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from loguru import logger

from benchmarks.peers import build_database
from communitybot.bot import Bot
from communitybot.clock import SystemClock
from communitybot.command_parser import parse_command_line
from communitybot.events import CommandInvoked, CommunityRef, ConversationRef, UserRef
from communitybot.peers.index import PeerIndex
from communitybot.rate_limits import RateLimiter
from communitybot.store.store import Store
from tests.fakes import FakePlatform

COMMUNITY_A = CommunityRef("bench", "s")
"""The community `build_database` writes (id 1, members with user ids "1", "2", …)."""
COMMUNITY_B = CommunityRef("bench", "other")
AT_REST = 200


@dataclass(frozen=True)
class Figures:
    members: int
    rest_ms: list[float]
    during_ms: list[float]
    load_s: float
    stall_ms: float
    peers_answered: bool


def _command(community: CommunityRef, user: UserRef, line: str) -> CommandInvoked:
    parsed = parse_command_line(line, "/", lambda raw: UserRef("bench", raw))
    return CommandInvoked(
        community,
        user,
        ConversationRef("bench", "channel", "general"),
        parsed.command.path,
        parsed.options,
    )


async def _timed(bot: Bot, event: CommandInvoked) -> float:
    started = time.perf_counter()
    await bot.dispatch(event)
    return (time.perf_counter() - started) * 1000


async def measure_async(path: str, members: int, gap_s: float) -> Figures:
    store = await Store.open(path)
    platform = FakePlatform(name="bench")
    clock = SystemClock()
    # Rate limits off: one member asks hundreds of times; what is measured is the load's effect.
    bot = Bot(
        store, platform, clock, PeerIndex(), "/", RateLimiter(store, platform, clock, enabled=False)
    )
    try:
        asker = UserRef("bench", "1", "Member 1")
        other = UserRef("bench", "b1", "B member")
        help_b = _command(COMMUNITY_B, other, "/help")
        await bot.dispatch(help_b)  # creates B and its member: from now on the read path
        rest = [await _timed(bot, help_b) for _ in range(AT_REST)]

        stall = 0.0
        loading = True

        async def ticker() -> None:
            nonlocal stall
            last = time.perf_counter()
            while loading:
                await asyncio.sleep(0.001)
                now = time.perf_counter()
                stall = max(stall, now - last)
                last = now

        ticking = asyncio.create_task(ticker())
        platform.sent.clear()
        started = time.perf_counter()
        peers = asyncio.create_task(bot.dispatch(_command(COMMUNITY_A, asker, "/peers")))
        sent: list[asyncio.Task[float]] = []
        while not peers.done():  # open loop: members do not wait for each other's answers
            sent.append(asyncio.create_task(_timed(bot, help_b)))
            await asyncio.sleep(gap_s)
        await peers
        during = list(await asyncio.gather(*sent))
        load_s = time.perf_counter() - started
        loading = False
        await ticking
        answered = any(
            s.where == "reply:1" and "Members who share" in s.text for s in platform.sent
        )
        helped = sum(1 for s in platform.sent if s.where == "reply:b1" and "/peers" in s.text)
        assert helped == len(during), f"{helped} of {len(during)} /help answered"
    finally:
        await store.close()
    return Figures(members, rest, during, load_s, stall * 1000, answered)


def measure(path: str, members: int, gap_s: float) -> Figures:
    logger.remove()
    return asyncio.run(measure_async(path, members, gap_s))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _spread(values: list[float]) -> str:
    if not values:
        return "— (none answered)"
    return (
        f"{statistics.median(values):.2f} / {_percentile(values, 99):.2f} / "
        f"{max(values):.2f} ms ({len(values):,})"
    )


def table(f: Figures) -> str:
    rows = [
        ("Members in community A", f"{f.members:,}", ""),
        ("B's `/help` at rest: p50 / p99 / max (count)", _spread(f.rest_ms), ""),
        (
            "B's `/help` while A's index loads: p50 / p99 / max (count)",
            _spread(f.during_ms),
            "p99 ≤ tens of ms",
        ),
        ("Longest event-loop stall during the load", f"{f.stall_ms:.1f} ms", ""),
        (
            "A's first `/peers` (cold index load included)",
            f"{f.load_s:.2f} s" + ("" if f.peers_answered else " (no peers found!)"),
            "",
        ),
    ]
    lines = ["| Measure | Result | Target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--gap-ms", type=float, default=5.0, help="time between B's commands")
    args = parser.parse_args(argv)
    spawn = get_context("spawn")
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "cold.db")
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            pool.submit(build_database, path, args.members).result()
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            figures = pool.submit(measure, path, args.members, args.gap_ms / 1000).result()
    print(table(figures))


if __name__ == "__main__":
    main()
