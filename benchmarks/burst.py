"""A member's `/peers` and `/help` during a 5,000-join burst, core only (issue #12).

    python -m benchmarks.burst [--joins 5000] [--commands 20] [--members 200] [--previous]

A fresh store (a real SQLite file in a temporary folder) and Bot (real clock, default rate
limits, a recording platform: only the core is measured) with `--members` members who have three
interest tags each and a moderator who set the channels up. The peer index starts cold, as after
a restart. Then `--joins` new members' `MemberJoined` events are dispatched all at once (a raid,
or an import), and while they are handled `--commands` `/peers` and as many `/help`, each from
a different existing member, are sent spread over the burst (one of each every
joins / (commands + 1) welcomes). Measured: each command's wait from dispatch to its delivered
reply (p50, p99, max), and joins handled per second (first dispatch to the last welcome). Every
join must be greeted exactly once (checked).

By default it runs twice: as the bot is now (read-only commands on the read connection, a lane
per community with members' events first, queued joins committed in groups) and as before issue
#12 (`previous`: every event through the write path, first come first served, one transaction per
join). `--previous` runs only that,
`--now` only the current. Prints a Markdown table. Wall-clock figures: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from loguru import logger

from benchmarks.figures import quantile
from communitybot.bot import Bot
from communitybot.clock import SystemClock
from communitybot.command_parser import parse_command_line
from communitybot.events import CommandInvoked, CommunityRef, ConversationRef, MemberJoined, UserRef
from communitybot.onboarding.defaults import SUBJECTS
from communitybot.peers.index import PeerIndex
from communitybot.rate_limits import RateLimiter
from communitybot.replies import Message
from communitybot.store.store import Store
from communitybot.text import normalize_tag
from tests.fakes import FakePlatform

COMMUNITY = CommunityRef("bench", "burst")
TAGS = [normalize_tag(name) for name in SUBJECTS]


@dataclass
class CountingPlatform(FakePlatform):
    """The tests' recording platform, counting welcomes (private messages) per member."""

    greeted: Counter[str] = field(default_factory=Counter)

    async def send_direct(
        self, community: CommunityRef, user: UserRef, message: Message
    ) -> ConversationRef:
        self.greeted[user.user_id] += 1
        return ConversationRef(self.name, "dm", user.user_id)


@dataclass(frozen=True)
class Figures:
    waits: dict[str, list[float]]
    joins_per_s: float
    greeted_once: bool


def _command(name: str, line: str) -> CommandInvoked:
    parsed = parse_command_line(line, "/", lambda raw: UserRef("bench", raw))
    return CommandInvoked(
        COMMUNITY,
        UserRef("bench", name, name),
        ConversationRef("bench", "channel", "general"),
        parsed.command.path,
        parsed.options,
    )


async def _prepare(bot: Bot, members: int) -> None:
    mod = "moderator"
    await bot.dispatch(_command(mod, "/setup welcome_channel=welcome introductions_channel=intros"))
    for n in range(members):
        name = f"member{n}"
        await bot.dispatch(MemberJoined(COMMUNITY, UserRef("bench", name, name)))
        tags = ", ".join(TAGS[(n + k) % len(TAGS)] for k in range(3))
        await bot.dispatch(_command(name, f"/tags add {tags}"))
    bot.peers.invalidate_all()  # cold, as after a restart


async def one_run(folder: Path, joins: int, commands: int, members: int, previous: bool) -> Figures:
    store = await Store.open(folder / f"burst-{time.monotonic_ns()}.db")
    try:
        platform = CountingPlatform(name=COMMUNITY.platform)  # its communities are its own
        platform.moderators.add("moderator")
        clock = SystemClock()
        bot = Bot(store, platform, clock, PeerIndex(), "/", RateLimiter(store, platform, clock))
        if previous:
            bot.reader = None
            bot._lock.interactive_first = False
            bot.group_size = 1  # one transaction per join, as before the group commit
        await _prepare(bot, members)
        platform.greeted.clear()
        waits: dict[str, list[float]] = {"/peers": [], "/help": []}

        async def timed(line: str, name: str) -> None:
            started = time.perf_counter()
            await bot.dispatch(_command(name, line))
            waits[line].append(time.perf_counter() - started)

        started = time.perf_counter()
        burst = [
            asyncio.ensure_future(
                bot.dispatch(MemberJoined(COMMUNITY, UserRef("bench", f"new{n}", f"new{n}")))
            )
            for n in range(joins)
        ]
        sent: list[asyncio.Future[None]] = []
        step = joins / (commands + 1)
        for k in range(commands):
            while len(platform.greeted) < step * k:  # noqa: ASYNC110 (polling a plain counter)
                await asyncio.sleep(0.001)
            sent.append(asyncio.ensure_future(timed("/peers", f"member{(2 * k) % members}")))
            sent.append(asyncio.ensure_future(timed("/help", f"member{(2 * k + 1) % members}")))
        await asyncio.gather(*burst)
        elapsed = time.perf_counter() - started
        await asyncio.gather(*sent)
        greeted = platform.greeted
        once = len(greeted) == joins and set(greeted.values()) == {1}
        return Figures(waits, joins / elapsed, once)
    finally:
        await store.close()


def _ms(values: list[float], q: float) -> str:
    """The q-quantile (0.5, 0.99; 1.0 is the maximum) in milliseconds."""
    return f"{quantile(values, q) * 1000:,.1f}"


async def main(joins: int, commands: int, members: int, modes: list[bool]) -> None:
    logger.remove()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for previous in modes:
            rows.append((previous, await one_run(Path(folder), joins, commands, members, previous)))
    print(
        f"{commands} `/peers` and {commands} `/help` during a {joins:,}-join burst, core only "
        f"({members} members with tags, cold peer index)\n"
    )
    print(
        "| engine | `/peers` p50 | p99 | max | `/help` p50 | p99 | max | joins/s | "
        "every join greeted once |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for previous, figures in rows:
        name = "before #12 (one FIFO lock)" if previous else "lanes, writer turn, group commit"
        cells = [
            _ms(figures.waits[line], q) + " ms"
            for line in ("/peers", "/help")
            for q in (0.5, 0.99, 1.0)
        ]
        print(
            f"| {name} | {' | '.join(cells)} | {figures.joins_per_s:,.0f} | "
            f"{'yes' if figures.greeted_once else 'NO'} |"
        )


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--joins", type=int, default=5000)
    parser.add_argument("--commands", type=int, default=20)
    parser.add_argument("--members", type=int, default=200)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--previous", action="store_true", help="only the engine before #12")
    which.add_argument("--now", action="store_true", help="only the current engine")
    options = parser.parse_args()
    modes = [True] if options.previous else [False] if options.now else [False, True]
    asyncio.run(main(options.joins, options.commands, options.members, modes))


if __name__ == "__main__":
    cli()
