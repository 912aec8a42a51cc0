"""Leader failover on Discord: SIGKILL the leader, time until the standby answers (issue #13).

    python -m benchmarks.failover [--kills 5] [--url postgresql://…]

Two replicas (`python -m tests.discord.replica PORT`: the real `communitybot run --adapter
discord`, pointed at the loopback Discord double this benchmark runs on 127.0.0.1) share one
PostgreSQL database: without `--url` a throwaway server is started (tests/postgres_server.py) and
stopped at the end. Each round: wait until the leader is ready and the other replica waits as a
standby, SIGKILL the leader, then send a `/help` interaction every 100 ms to whoever is connected
to the gateway; the figure is the time from the kill to the first answer arriving at the double.
The killed replica is started again and becomes the next standby.

What the time holds: PostgreSQL noticing the dead session (at once: the kernel closes its
socket), the standby's next poll of the lock (every second), its login to the REST API, the
gateway connection and the first interaction handled.

Prints a Markdown table: kills, median, max, the goal (≤ 10 s), and how many interactions were
answered more than once over the whole run (must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import statistics
import tempfile
import time
from pathlib import Path

from tests.discord.gateway_double import DiscordDouble
from tests.discord.helpers import BOB, slash
from tests.postgres_server import PostgresServer, postgres_bin
from tests.replicas import Replica, replica_env

GOAL_S = 10.0
ROUND_TIMEOUT_S = 60.0
ASK_EVERY_S = 0.1
LEADING = "leading discord"
STANDBY = "waiting as a standby"
READY = "Discord bot ready"


def _replica(name: str, double: DiscordDouble, url: str, cwd: Path) -> Replica:
    env = replica_env(
        {"COMMUNITYBOT_DATABASE_URL": url, "COMMUNITYBOT_DISCORD__TOKEN": double.valid_token}
    )
    return Replica(name, "tests.discord.replica", [str(double.port)], env, cwd)


def _answered(double: DiscordDouble, asked: list[str]) -> float | None:
    """When the first of `asked` was answered (perf_counter), or None."""
    times = [
        call.at
        for interaction in asked
        for call in double.rest("POST", f"/interactions/{interaction}/")
    ]
    return min(times) if times else None


async def _one_failover(double: DiscordDouble, leader: Replica, asked: list[str]) -> float:
    """SIGKILL `leader`; seconds until an interaction is answered again."""
    mine: list[str] = []
    killed = time.perf_counter()
    leader.signal(signal.SIGKILL)
    async with asyncio.timeout(ROUND_TIMEOUT_S):
        while True:
            answered = _answered(double, mine)
            if answered is not None:
                asked.extend(mine)
                return answered - killed
            if double._sockets:  # someone holds the gateway: ask them
                with contextlib.suppress(ConnectionError, RuntimeError):  # the dead one's socket
                    mine.append(await double.interact(BOB, 2, slash("help")))
            await asyncio.sleep(ASK_EVERY_S)


async def measure(url: str, kills: int, workdir: Path) -> tuple[list[float], int]:
    """The failover times and the number of interactions answered more than once."""
    double = DiscordDouble()
    await double.start()
    double.add_user(BOB, "bob")
    replicas = [_replica(name, double, url, workdir) for name in ("a", "b")]
    asked: list[str] = []
    times: list[float] = []
    try:
        leader, standby = replicas
        await leader.start()
        await leader.wait_line(LEADING, ROUND_TIMEOUT_S)
        await standby.start()
        for _ in range(kills):
            await standby.wait_line(STANDBY, ROUND_TIMEOUT_S)
            await leader.wait_line(READY, ROUND_TIMEOUT_S)
            times.append(await _one_failover(double, leader, asked))
            await leader.wait()
            await standby.wait_line(READY, ROUND_TIMEOUT_S)
            restarted = _replica(leader.name, double, url, workdir)
            replicas.append(restarted)
            await restarted.start()
            leader, standby = standby, restarted
        answers = [len(double.rest("POST", f"/interactions/{i}/")) for i in asked]
        return times, sum(1 for count in answers if count > 1)
    finally:
        for replica in replicas:
            await replica.stop()
        await double.stop()


def table(times: list[float], doubled: int) -> str:
    return "\n".join(
        [
            "| kills | median | max | goal | answered twice |",
            "|---:|---:|---:|---:|---:|",
            f"| {len(times)} | {statistics.median(times):.2f} s | {max(times):.2f} s "
            f"| ≤ {GOAL_S:g} s | {doubled} |",
        ]
    )


async def _fresh_database(server: PostgresServer) -> str:
    import asyncpg

    admin = await asyncpg.connect(server.url())
    try:
        await admin.execute("CREATE DATABASE communitybot_failover")
    finally:
        await admin.close()
    return server.url("communitybot_failover")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=5, help="leaders to kill (default 5)")
    parser.add_argument("--url", help="an existing database (the replicas migrate and use it)")
    args = parser.parse_args()
    if args.kills < 1:
        raise SystemExit("--kills must be at least 1")
    server = None
    url = args.url
    try:
        if url is None:
            found = postgres_bin()
            if found is None:
                raise SystemExit("PostgreSQL is not installed: give --url postgresql://…")
            server = PostgresServer(found)
            server.start()
            url = asyncio.run(_fresh_database(server))
        with tempfile.TemporaryDirectory(prefix="cb-failover-") as workdir:
            times, doubled = asyncio.run(measure(url, args.kills, Path(workdir)))
        print(table(times, doubled))
    finally:
        if server is not None:
            with contextlib.suppress(Exception):
                server.stop()


if __name__ == "__main__":
    main()
