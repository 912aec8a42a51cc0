"""Fairness under load: another member's command during one member's 1,000-command burst.

    python -m benchmarks.fairness [--burst 1000] [--repeats 5]

For each measured command (`/help`, `/tags add`), a fresh store and Bot (real SQLite file,
real clock, a recording platform: only the core is measured) get a burst of `--burst` copies of
that command from one member, all dispatched at once the way a flooding client would, and
right behind it the same command from another member. The figure is how long the other
member waited for their answer (dispatch to delivered reply), the median of `--repeats` runs,
with the rate limits off (`RateLimiter(enabled=False)`, the behaviour before issue #11) and on
(the defaults: 20 commands a minute). Also shown: how many of the burst's events reached a
handler. Prints a Markdown table. Run it on a quiet machine: the figures are wall-clock times.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from loguru import logger

from communitybot import registry
from communitybot.bot import Bot
from communitybot.clock import SystemClock
from communitybot.command_parser import parse_command_line
from communitybot.context import Context
from communitybot.events import CommandInvoked, CommunityRef, ConversationRef, MemberJoined, UserRef
from communitybot.peers.index import PeerIndex
from communitybot.rate_limits import RateLimiter
from communitybot.replies import Action
from communitybot.store.store import Store
from tests.fakes import FakePlatform

COMMUNITY = CommunityRef("bench", "fairness")
COMMANDS = {"/help": "/help", "/tags add": "/tags add maths, science"}


def _event(user: UserRef, line: str) -> CommandInvoked:
    parsed = parse_command_line(line, "/", lambda raw: UserRef("bench", raw))
    return CommandInvoked(
        COMMUNITY,
        user,
        ConversationRef("bench", "channel", "general"),
        parsed.command.path,
        parsed.options,
    )


async def one_run(directory: Path, line: str, burst: int, limits: bool) -> tuple[float, int]:
    """Seconds the other member waited, and how many burst events reached a handler."""
    path = directory / f"fairness-{time.monotonic_ns()}.db"
    store = await Store.open(path)
    try:
        platform = FakePlatform(name=COMMUNITY.platform)  # its communities are its own
        clock = SystemClock()
        bot = Bot(
            store,
            platform,
            clock,
            PeerIndex(),
            "/",
            RateLimiter(store, platform, clock, enabled=limits),
        )
        spammer, other = UserRef("bench", "spammer"), UserRef("bench", "other")
        for user in (spammer, other):
            await bot.dispatch(MemberJoined(COMMUNITY, user))
        platform.take()
        handled = 0
        run_command = registry.run_command

        async def counting(
            ctx: Context, path: tuple[str, ...], options: Mapping[str, Any]
        ) -> list[Action]:
            nonlocal handled  # on the write path and the read path alike
            if ctx.event.user == spammer:
                handled += 1
            return await run_command(ctx, path, options)

        registry.run_command = counting  # type: ignore[assignment]
        try:
            flood = [
                asyncio.ensure_future(bot.dispatch(_event(spammer, line))) for _ in range(burst)
            ]
            await asyncio.sleep(0)  # the burst is under way (queued at the lock) before they type
            started = time.perf_counter()
            await bot.dispatch(_event(other, line))
            waited = time.perf_counter() - started
            await asyncio.gather(*flood)
        finally:
            registry.run_command = run_command  # type: ignore[assignment]
        return waited, handled
    finally:
        await store.close()


async def main(burst: int, repeats: int) -> None:
    logger.remove()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        for name, line in COMMANDS.items():
            figures = {}
            for limits in (False, True):
                runs = [await one_run(directory, line, burst, limits) for _ in range(repeats)]
                figures[limits] = (
                    statistics.median(waited for waited, _ in runs),
                    max(handled for _, handled in runs),
                )
            rows.append((name, figures))
    print(f"Another member's command during a {burst:,}-command burst (median of {repeats})\n")
    print("| command | limits off: wait | limits on: wait | burst events handled (off → on) |")
    print("|---|---:|---:|---:|")
    for name, figures in rows:
        (off, handled_off), (on, handled_on) = figures[False], figures[True]
        print(
            f"| `{name}` | {off * 1000:,.0f} ms | {on * 1000:,.1f} ms | "
            f"{handled_off:,} → {handled_on:,} |"
        )


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args()
    asyncio.run(main(options.burst, options.repeats))


if __name__ == "__main__":
    cli()
