"""Network-chat relay between Discord and Matrix: latency each way, and a burst across three
affiliates.

    python -m benchmarks.relay [--messages 200] [--burst-rate 50] [--burst-seconds 4]

One bot process (the real `communitybot.app.run`, both platforms configured, a SQLite file)
serves a Discord guild (the loopback double of `tests/discord`) and two Matrix spaces (a
throwaway Synapse on 127.0.0.1). A steward on Discord creates a network chat, each space holds
it in its lobby, and the bot's clock is moved so the chat starts at once. Then, one message at a
time:

- Matrix → Discord: a member types in space 1's lobby; until the double receives the webhook
  execution that carries the copy into the chat's thread.
- Discord → Matrix: a member's message in the thread (a gateway MESSAGE_CREATE); until a member
  client in space 1 sees the bot's copy.

The yardsticks, in the same run: one Matrix round trip (a member's message until another
member's client sees it: what every message to or from Matrix costs anyway) and one Discord
round trip through the bot (`/help` on the loopback until its answer); each relay's median is
also given as a multiple of the Matrix round trip (issue #15's goal: the relay adds at most
1.5× one platform round trip). Last, the burst: `--burst-rate` messages a second for
`--burst-seconds`, spread over the Discord thread and both lobbies; every copy (two per message)
must arrive. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from communitybot.app import run as run_bot
from communitybot.clock import SystemClock, SystemSleeper
from tests.discord.gateway_double import (
    MOD_ROLE,
    DiscordDouble,
    running_double,
)
from tests.discord.helpers import ALICE, MOD, slash, sub
from tests.matrix.conftest import World
from tests.matrix.members import Member
from tests.matrix.synapse import Synapse
from tests.matrix.test_network_chat_both import create_network_chat
from tests.matrix.test_one_process_both import (
    CODE,
    _bot_serves,
    _discord_says,
    _matrix_says,
    _option,
    _settings,
    _space,
)

WAIT = 60.0
WEBHOOK_SPACING = 0.45
"""Seconds between two timed Matrix → Discord messages (a webhook takes 5 posts per 2 s)."""


class Skew:
    """Every `SystemClock` reads real time plus `offset`; the scheduler notices a jump."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def install(self) -> None:
        skew = self

        def now(_: SystemClock) -> datetime:
            return datetime.now(UTC) + skew.offset

        async def sleep_until(_: SystemSleeper, moment: datetime) -> None:
            while (left := (moment - skew.now()).total_seconds()) > 0:  # noqa: ASYNC110
                await asyncio.sleep(min(left, 0.05))

        SystemClock.now = now  # type: ignore[method-assign]
        SystemSleeper.sleep_until = sleep_until  # type: ignore[method-assign]

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def _until(condition: Callable[[], Any], what: str, within: float = WAIT) -> Any:
    deadline = time.monotonic() + within
    while not (found := condition()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"never happened: {what}")
        await asyncio.sleep(0.002)
    return found


def _webhook_text(double: DiscordDouble, thread: str) -> str:
    return "\n".join(str(c.body.get("content", "")) for c in double.webhook_posts(thread))


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


async def _timed(
    count: int, one: Callable[[int], Awaitable[None]], pause: float = 0.0
) -> list[float]:
    """Seconds each of `count` calls took; `pause` seconds (untimed) between calls."""
    samples = []
    for n in range(count):
        started = time.perf_counter()
        await one(n)
        samples.append(time.perf_counter() - started)
        await asyncio.sleep(pause)
    return samples


async def _setup(
    world: World, double: DiscordDouble, skew: Skew, db: Path
) -> tuple[asyncio.Task[int], str, str, str, Member, Member, Member]:
    """The bot running, the network and its chat started; (process, thread, lobby 1, lobby 2,
    a member of space 1, another member of space 1, a member of space 2)."""
    mod1, space1, lobby1 = await _space(world)
    world.n += 1000  # a second space: its moderator is another account
    mod2, space2, lobby2 = await _space(world)
    double.add_user(MOD, "mod", roles=[MOD_ROLE])
    double.add_user(ALICE, "alice")
    settings = _settings(double.valid_token, world, db, [space1, space2])
    process = asyncio.create_task(run_bot(settings))
    async with asyncio.timeout(WAIT):
        await double.identified.wait()
    await _bot_serves(world, lobby1)
    await _bot_serves(world, lobby2)
    bot = world.bot_id
    # The timed `/help` round trips would pass a member's 20 commands a minute: lift it.
    lifted = await _discord_says(
        double,
        MOD,
        slash("limits", {"type": 4, "name": "commands_per_minute", "value": 0}),
    )
    if "no limit" not in lifted.casefold() and "0" not in lifted:
        raise RuntimeError(lifted)
    await _discord_says(double, MOD, slash("network", sub("create", _option("name", "Bench"))))
    for mod, lobby in ((mod1, lobby1), (mod2, lobby2)):  # an invite code works once
        invite = await _discord_says(double, MOD, slash("network", sub("invite")))
        await _matrix_says(mod, bot, lobby, f"!network join {CODE.findall(invite)[0]}", "affiliate")
    start = (skew.now() + timedelta(minutes=2)).replace(second=0, microsecond=0)
    created = await create_network_chat(double, "bench", "Relay benchmark", start, 480)
    if "Created" not in created:
        raise RuntimeError(created)
    await _matrix_says(mod1, bot, lobby1, f"!chat room bench {lobby1}", "held here")
    await _matrix_says(mod2, bot, lobby2, f"!chat room bench {lobby2}", "held here")
    reader = await world.member("reader")
    writer = await world.member("writer")
    other = await world.member("other")
    for member, space, lobby in ((reader, space1, lobby1), (writer, space1, lobby1)):
        await member.join(space)
        await member.join(lobby)
    await other.join(space2)
    await other.join(lobby2)
    mark = reader.mark()
    skew.offset += start - skew.now() + timedelta(seconds=1)
    await reader.wait_for(lambda s: s.sender == bot and "starts now" in s.body, after=mark)
    threads = await _until(lambda: double.created_threads, "the chat's Discord thread")
    return process, threads[-1], lobby1, lobby2, reader, writer, other


async def _latencies(
    count: int,
    double: DiscordDouble,
    thread: str,
    lobby: str,
    bot: str,
    reader: Member,
    writer: Member,
) -> dict[str, list[float]]:
    async def matrix_to_discord(n: int) -> None:
        text = f"m2d-{n}-x"
        await writer.say(lobby, text)
        await _until(lambda: text in _webhook_text(double, thread), text)

    async def discord_to_matrix(n: int) -> None:
        text = f"d2m-{n}-x"
        mark = reader.mark()
        await double.say_in_channel(ALICE, thread, text)
        await reader.wait_for(lambda s: s.sender == bot and text in s.body, after=mark)

    async def matrix_round_trip(n: int) -> None:
        text = f"rt-{n}-x"
        mark = reader.mark()
        await writer.say(lobby, text)
        await reader.wait_for(lambda s: s.body == text, after=mark)

    async def discord_round_trip(n: int) -> None:
        interaction = await double.interact(ALICE, 2, slash("help"))
        await double.wait_for("POST", f"/interactions/{interaction}/", within=WAIT)

    results = {}
    for name, one, pause in (
        # One message every 0.45 s (untimed pause): below a webhook's 5 posts per 2 s, so this
        # times the relay; faster, Discord's rate limit paces (and the burst below merges).
        ("Matrix → Discord relay", matrix_to_discord, WEBHOOK_SPACING),
        ("Discord → Matrix relay", discord_to_matrix, 0.0),
        ("Matrix round trip (member → member)", matrix_round_trip, 0.0),
        ("Discord round trip (`/help` on the loopback)", discord_round_trip, 0.0),
    ):
        await one(-1)  # warm
        results[name] = await _timed(count, one, pause)
    return results


async def _burst(
    rate: float,
    seconds: float,
    double: DiscordDouble,
    thread: str,
    lobbies: tuple[str, str],
    bot: str,
    members: tuple[Member, Member],
) -> dict[str, float]:
    """`rate` messages a second for `seconds`, round robin over the three affiliates."""
    total = int(rate * seconds)
    sent: dict[str, str] = {}  # text → where it was said ("discord", "m1", "m2")
    marks = [m.mark() for m in members]
    executes = len(double.webhook_posts(thread))
    tasks = []
    began = time.perf_counter()
    for n in range(total):
        where = ("discord", "m1", "m2")[n % 3]
        text = f"burst-{n}-x"
        sent[text] = where
        if where == "discord":
            tasks.append(asyncio.create_task(double.say_in_channel(ALICE, thread, text)))
        else:
            member = members[0] if where == "m1" else members[1]
            lobby = lobbies[0] if where == "m1" else lobbies[1]
            tasks.append(asyncio.create_task(member.say(lobby, text)))
        await asyncio.sleep(max(0.0, began + (n + 1) / rate - time.perf_counter()))
    await asyncio.gather(*tasks)
    ended = time.perf_counter()

    def missing() -> list[str]:
        on_discord = _webhook_text(double, thread)
        seen = [
            " ".join(s.body for s in m.since(mark, sender=bot))
            for m, mark in zip(members, marks, strict=True)
        ]
        lost = []
        for text, where in sent.items():
            if where != "discord" and text not in on_discord:
                lost.append(f"{text}→discord")
            if where != "m1" and text not in seen[0]:
                lost.append(f"{text}→m1")
            if where != "m2" and text not in seen[1]:
                lost.append(f"{text}→m2")
        return lost

    deadline = time.monotonic() + 180
    while (lost := missing()) and time.monotonic() < deadline:  # noqa: ASYNC110 - polling
        await asyncio.sleep(0.05)
    done = time.perf_counter()
    return {
        "messages": total,
        "copies expected": 2 * total,
        "copies lost": len(lost),
        "sending took (s)": round(ended - began, 2),
        "last copy after the burst (s)": round(done - ended, 2),
        "webhook executions": len(double.webhook_posts(thread)) - executes,
    }


async def run(messages: int, rate: float, seconds: float) -> list[str]:
    skew = Skew()
    skew.install()
    with tempfile.TemporaryDirectory(prefix="relay-bench-") as raw:
        directory = Path(raw)
        synapse = Synapse(directory / "synapse")
        synapse.start()
        world = World(synapse, directory)
        try:
            async with running_double() as double:
                process, thread, lobby1, lobby2, reader, writer, other = await _setup(
                    world, double, skew, directory / "bot.db"
                )
                try:
                    latency = await _latencies(
                        messages, double, thread, lobby1, world.bot_id, reader, writer
                    )
                    burst = await _burst(
                        rate,
                        seconds,
                        double,
                        thread,
                        (lobby1, lobby2),
                        world.bot_id,
                        (writer, other),
                    )
                finally:
                    if not process.done():
                        os.kill(os.getpid(), signal.SIGTERM)
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(process, 30)
        finally:
            await world.close()
            synapse.stop()
    matrix_rt = statistics.median(latency["Matrix round trip (member → member)"]) * 1000
    lines = [
        f"| path ({messages} messages, one at a time) | median | p95 | median ÷ one Matrix "
        "round trip |",
        "| --- | --- | --- | --- |",
    ]
    for name, samples in latency.items():
        median, p95 = _stats(samples)
        ratio = f"{median / matrix_rt:.2f}×" if "relay" in name else ""
        lines.append(f"| {name} | {median:.1f} ms | {p95:.1f} ms | {ratio} |")
    lines += ["", f"| burst: {rate:g} messages/s for {seconds:g} s over 3 affiliates | |"]
    lines.append("| --- | --- |")
    lines += [f"| {key} | {value:g} |" for key, value in burst.items()]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--burst-rate", type=float, default=50.0)
    parser.add_argument("--burst-seconds", type=float, default=4.0)
    args = parser.parse_args()
    for line in asyncio.run(run(args.messages, args.burst_rate, args.burst_seconds)):
        print(line)


if __name__ == "__main__":
    main()
