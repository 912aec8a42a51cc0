"""The Discord adapter through the loopback double: interaction latency and a burst of joins.

    python -m benchmarks.discord_interactions [--interactions 1000] [--joins 5000]
                                              [--dm-interval 0.02] [--members 300]

The real discord.py client and the whole bot (adapter, core, SQLite store on disk, peer index)
run against `tests/discord/gateway_double.py` on 127.0.0.1, in one process and one event loop
with the double, so every figure includes the double's share of the work.

1. `--members` members join and get three interest tags each (`/tags add`), so `/peers` ranks
   real candidates. Then `--interactions` slash commands, one at a time, alternating
   `/peers tags:maths` and `/tags list`: the time from the double sending INTERACTION_CREATE
   to the double receiving the interaction callback (POST …/callback), median, p99 and max.
2. `--joins` GUILD_MEMBER_ADD are pushed as fast as the websocket takes them. Measured: how fast
   the adapter and the core handle them (events/s: each is one transaction creating the member
   and its onboarding state), how long until every onboarding DM was delivered with the DMs
   paced `--dm-interval` s apart, and the count of DM message POSTs the double accepted (it
   must equal `--joins`: none lost, none doubled). Meanwhile one `/tags list` every 0.5 s shows
   what a member typing a command during the burst sees (deferred after 2 s, then answered).

Prints a Markdown table. With the defaults it takes about 2–3 minutes, most of it the paced DMs
(5,000 × 20 ms); the adapter's own default is 50 ms between DMs (Discord's limits).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loguru import logger

from adapters.discord import DiscordBot, DiscordConfig
from communitybot.bootstrap import Core, discord_bot
from communitybot.events import Event, MemberJoined
from communitybot.onboarding.defaults import GRADES, SUBJECTS
from communitybot.store.store import Store
from communitybot.text import normalize_tag
from tests.discord.gateway_double import DiscordDouble, running_double

APPLICATION_COMMAND = 2
STRING = 3
FIRST_MEMBER = 980_000_000_000_000_001
FIRST_JOINER = 990_000_000_000_000_001
TAGS = [normalize_tag(name) for name in (*SUBJECTS, *GRADES)]


def _slash(name: str, sub: str | None = None, **options: str) -> dict[str, Any]:
    leaf = [{"type": STRING, "name": k, "value": v} for k, v in options.items()]
    if sub is not None:
        return {
            "id": "1",
            "name": name,
            "type": 1,
            "options": [{"type": 1, "name": sub, "options": leaf}],
        }
    return {"id": "1", "name": name, "type": 1, "options": leaf}


class Scanner:
    """Reads the double's call log incrementally (rescanning it would be quadratic)."""

    def __init__(self, double: DiscordDouble) -> None:
        self.double = double
        self.seen = 0
        self.callbacks: dict[str, tuple[float, int]] = {}
        """interaction id → (arrival time, callback type)."""
        self.follow_ups: dict[str, float] = {}
        """interaction id → arrival time of its first follow-up (the answer after a defer)."""
        self.dm_recipients: list[str] = []
        self.dm_last_at = 0.0

    def scan(self) -> None:
        calls = self.double.calls
        for call in calls[self.seen :]:
            parts = call.path.split("/")
            if call.method == "POST" and parts[1] == "interactions" and parts[-1] == "callback":
                self.callbacks.setdefault(parts[2], (call.at, int(call.body["type"])))
            elif call.method == "POST" and parts[1] == "webhooks" and len(parts) == 4:
                self.follow_ups.setdefault(parts[3].removeprefix("token-"), call.at)
            elif call.method == "POST" and parts[1] == "channels" and parts[-1] == "messages":
                recipient = self.double.dm_recipient(parts[2])
                if recipient is not None and call.status == 200:
                    self.dm_recipients.append(recipient)
                    self.dm_last_at = call.at
        self.seen = len(calls)

    async def until(self, condition: Callable[[], bool], within: float) -> None:
        def scanned() -> bool:
            self.scan()
            return condition()

        await self.double.wait_until(scanned, within)


async def _interaction(
    double: DiscordDouble, scanner: Scanner, user_id: str, data: dict[str, Any]
) -> tuple[float, int]:
    """Seconds from INTERACTION_CREATE sent to the callback received, and the callback type."""
    seconds, kind, _ = await _asked(double, scanner, user_id, data)
    return seconds, kind


async def _asked(
    double: DiscordDouble, scanner: Scanner, user_id: str, data: dict[str, Any]
) -> tuple[float, int, float]:
    """As `_interaction`, plus the seconds until the answer itself (a follow-up if deferred)."""
    sent = time.perf_counter()
    interaction_id = await double.interact(user_id, APPLICATION_COMMAND, data)
    await scanner.until(lambda: interaction_id in scanner.callbacks, within=60)
    arrived, kind = scanner.callbacks[interaction_id]
    if kind != 5:
        return arrived - sent, kind, arrived - sent
    await scanner.until(lambda: interaction_id in scanner.follow_ups, within=120)
    return arrived - sent, kind, scanner.follow_ups[interaction_id] - sent


def _ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return 1000 * ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class HandledCounter:
    """Wraps the core's `handle` to time when each join finished (commit included)."""

    def __init__(self, bot: DiscordBot) -> None:
        self.joins = 0
        self.last_at = 0.0
        original = bot.bot.handle

        async def counting(event: Event) -> Any:
            result = await original(event)
            if isinstance(event, MemberJoined):
                self.joins += 1
                self.last_at = time.perf_counter()
            return result

        bot.bot.handle = counting  # type: ignore[method-assign]


async def run(interactions: int, joins: int, dm_interval: float, members: int) -> list[str]:
    rng = random.Random(7)
    member_ids = [str(FIRST_MEMBER + n) for n in range(members)]
    with tempfile.TemporaryDirectory(prefix="discord-bench-") as tmp:
        async with running_double() as double:
            for number, user_id in enumerate(member_ids):
                double.add_user(user_id, f"member{number}")
            store = await Store.open(Path(tmp) / "bot.db")
            bot = await discord_bot(
                DiscordConfig(token=double.valid_token, dm_interval=dm_interval), Core(store)
            )
            counter = HandledCounter(bot)
            await bot.start()
            task = asyncio.create_task(bot.run())
            try:
                await asyncio.wait_for(bot.ready.wait(), 30)
                scanner = Scanner(double)
                for user_id in member_ids:
                    picked = " ".join(rng.sample(TAGS, 3))
                    await _interaction(double, scanner, user_id, _slash("tags", "add", tags=picked))
                for n in range(10):  # warm-up
                    await _interaction(double, scanner, member_ids[n], _slash("tags", "list"))

                latencies: dict[str, list[float]] = {"/peers tags:maths": [], "/tags list": []}
                for n in range(interactions):
                    user_id = member_ids[n % members]
                    if n % 2 == 0:
                        seconds, _ = await _interaction(
                            double, scanner, user_id, _slash("peers", tags="maths")
                        )
                        latencies["/peers tags:maths"].append(seconds)
                    else:
                        seconds, _ = await _interaction(
                            double, scanner, user_id, _slash("tags", "list")
                        )
                        latencies["/tags list"].append(seconds)

                burst = await _burst(double, scanner, counter, joins, member_ids, dm_interval)
            finally:
                await bot.close()
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await store.close()

    everything = [s for samples in latencies.values() for s in samples]
    lines = [
        f"Discord adapter through the loopback double ({_machine()}; Python "
        f"{platform.python_version()}, discord.py client, SQLite on disk, {members} members "
        "with 3 tags each)",
        "",
        "| measure | value |",
        "| --- | --- |",
    ]
    for name, samples in [*latencies.items(), (f"all {interactions}", everything)]:
        lines.append(
            f"| {name}: INTERACTION_CREATE → callback, median / p99 / max "
            f"({len(samples)} interactions) | {_ms(samples, 0.5):.1f} / {_ms(samples, 0.99):.1f}"
            f" / {_ms(samples, 1.0):.1f} ms |"
        )
    return lines + burst


async def _burst(
    double: DiscordDouble,
    scanner: Scanner,
    counter: HandledCounter,
    joins: int,
    member_ids: list[str],
    dm_interval: float,
) -> list[str]:
    joiners = [str(FIRST_JOINER + n) for n in range(joins)]
    dms_before = len(scanner.dm_recipients)
    during: list[tuple[float, int, float]] = []
    started = time.perf_counter()

    async def push_all() -> float:
        for number, user_id in enumerate(joiners):
            await double.add_member(user_id, f"joiner{number}")
        return time.perf_counter() - started

    async def ask_meanwhile() -> None:
        """A member types `/tags list` every 0.5 s while the joins are being handled."""
        asked: list[asyncio.Task[tuple[float, int, float]]] = []
        while counter.joins < joins:
            await asyncio.sleep(0.5)
            user_id = member_ids[len(asked) % len(member_ids)]
            asked.append(
                asyncio.create_task(_asked(double, scanner, user_id, _slash("tags", "list")))
            )
        during.extend(await asyncio.gather(*asked))

    pushing = asyncio.create_task(push_all())
    asking = asyncio.create_task(ask_meanwhile())
    budget = 120 + joins * max(dm_interval, 0.005) * 2
    await scanner.until(lambda: len(scanner.dm_recipients) - dms_before >= joins, budget)
    await asking
    pushed_in = await pushing
    handled_in = counter.last_at - started
    delivered_in = scanner.dm_last_at - started
    await asyncio.sleep(1)  # anything doubled would show up now
    scanner.scan()
    dms = scanner.dm_recipients[dms_before:]
    lost = len(set(joiners) - set(dms))
    waits = [seconds for seconds, _, _ in during]
    answers = [seconds for _, _, seconds in during]
    deferred = sum(1 for _, kind, _ in during if kind == 5)
    return [
        f"| burst: {joins:,} GUILD_MEMBER_ADD pushed by the double | {pushed_in:.1f} s "
        f"({joins / pushed_in:,.0f} events/s) |",
        f"| burst: all {joins:,} joins handled by adapter + core (one transaction each) | "
        f"{handled_in:.1f} s (**{joins / handled_in:,.0f} events/s**) |",
        f"| burst: all onboarding DMs delivered, paced {dm_interval * 1000:.0f} ms apart | "
        f"{delivered_in:.1f} s ({joins / delivered_in:,.1f} DMs/s) |",
        f"| burst: DM message POSTs accepted / members lost / doubled | {len(dms):,} / {lost}"
        f" / {len(dms) - len(set(dms))} |",
        f"| burst: `/tags list` asked during the burst ({len(during)} asked, {deferred} deferred):"
        f" first callback median / max | {_ms(waits, 0.5):.0f} / {_ms(waits, 1.0):.0f} ms |",
        f"| burst: same, until the answer itself (follow-up after the defer) median / max | "
        f"{_ms(answers, 0.5):.0f} / {_ms(answers, 1.0):.0f} ms |",
    ]


def _machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory_kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        return model
    return f"{model}, {os.cpu_count()} cores, {memory_kib / 1024**2:.0f} GiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1000)
    parser.add_argument("--joins", type=int, default=5000)
    parser.add_argument("--dm-interval", type=float, default=0.02)
    parser.add_argument("--members", type=int, default=300)
    args = parser.parse_args()
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    lines = asyncio.run(run(args.interactions, args.joins, args.dm_interval, args.members))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
