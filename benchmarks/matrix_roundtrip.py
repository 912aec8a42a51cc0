"""The Matrix adapter through a local Synapse: command round trip and memory per member served.

    python -m benchmarks.matrix_roundtrip [--commands 100] [--members 1000] [--encrypted]

Starts a throwaway Synapse on 127.0.0.1 (the same one the tests use), runs the real
`communitybot run` process against it as a separate process (so its memory is the bot's alone),
and a member client that types `!peers` in the served room and waits for the bot's notice in
its DM room. Then `--members` accounts join the room; the bot greets each one in a new DM room.
Prints a Markdown table: round-trip median and p95 before and after, the time to serve the
joins, and the bot's resident memory (VmRSS) and peak (VmHWM). Plain by default (the bot's
encryption off); `--encrypted`: the bot's encryption on, the room encrypted, and the member
clients encrypting (matrix-nio with vodozemac), for the encrypted-vs-plain comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp

from tests.matrix.members import Member
from tests.matrix.synapse import Account, Synapse

PREFIX = "!"


def _memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in KiB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def _start_bot(
    synapse: Synapse, bot: Account, room_id: str, directory: Path, encrypted: bool
) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COMMUNITYBOT_")},
        "COMMUNITYBOT_ADAPTER": "matrix",
        "COMMUNITYBOT_MATRIX__HOMESERVER": synapse.url,
        "COMMUNITYBOT_MATRIX__USER_ID": bot.user_id,
        "COMMUNITYBOT_MATRIX__PASSWORD": bot.password,
        "COMMUNITYBOT_MATRIX__ROOMS": room_id,
        "COMMUNITYBOT_MATRIX__ENCRYPTION": "true" if encrypted else "false",
        "COMMUNITYBOT_MATRIX__CRYPTO_STORE": str(directory / "bot-keys"),
        "COMMUNITYBOT_DATABASE_PATH": str(directory / "bot.db"),
        "COMMUNITYBOT_LOG_LEVEL": "WARNING",
    }
    log = open(directory / "bot.log", "wb")  # noqa: SIM115 - owned by the child process
    process = subprocess.Popen(
        [sys.executable, "-m", "communitybot", "run"],
        cwd=directory,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    return process


async def _round_trips(member: Member, room_id: str, bot_id: str, count: int) -> list[float]:
    """Seconds from sending `!peers` to seeing the bot's reply, `count` times in a row."""
    dm = await member.wait_direct_room()
    samples = []
    for _ in range(count):
        mark = member.mark()
        started = time.perf_counter()
        await member.say(room_id, f"{PREFIX}peers")
        await member.wait_for(
            lambda s: s.sender == bot_id and s.room_id == dm, after=mark, within=30
        )
        samples.append(time.perf_counter() - started)
    return samples


async def _wait_for_member(member: Member, room_id: str, user_id: str) -> None:
    """Joins from before the bot is in the room are history it rightly ignores: wait for it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        response = await member.client.joined_members(room_id)
        if any(m.user_id == user_id for m in getattr(response, "members", [])):
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{user_id} did not join {room_id}")


def _register_many(synapse: Synapse, count: int, tag: str) -> list[Account]:
    with ThreadPoolExecutor(16) as pool:
        return list(
            pool.map(lambda i: synapse.register(f"m{tag}x{i}", password="pw"), range(count))
        )


async def _join_all(url: str, accounts: list[Account], room_id: str) -> None:
    limit = asyncio.Semaphore(16)
    async with aiohttp.ClientSession() as session:

        async def join(account: Account) -> None:
            async with limit:
                headers = {"Authorization": f"Bearer {account.access_token}"}
                async with session.post(
                    f"{url}/_matrix/client/v3/join/{room_id}", json={}, headers=headers
                ) as response:
                    response.raise_for_status()

        await asyncio.gather(*(join(account) for account in accounts))


def _dm_rooms(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        try:
            return int(connection.execute("SELECT count(*) FROM matrix_dm_rooms").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


async def _wait_dm_rooms(db: Path, count: int, within: float) -> None:
    deadline = time.monotonic() + within
    while _dm_rooms(db) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the bot served only {_dm_rooms(db)} of {count} members in time")
        await asyncio.sleep(0.5)


async def _wait_limits_off(db: Path, within: float) -> None:
    deadline = time.monotonic() + within
    while True:
        with sqlite3.connect(db) as connection:
            try:
                row = connection.execute(
                    "SELECT commands_per_minute FROM community_limits"
                ).fetchone()
            except sqlite3.OperationalError:
                row = None
        if row is not None and row[0] == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("the moderator's `limits commands_per_minute=0` was not applied")
        await asyncio.sleep(0.2)


def _ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return 1000 * ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(commands: int, members: int, encrypted: bool = False) -> str:
    with tempfile.TemporaryDirectory(prefix="matrix-bench-") as tmp:
        directory = Path(tmp)
        synapse = Synapse(directory / "synapse")
        synapse.start()
        bot_process: subprocess.Popen[bytes] | None = None
        asker: Member | None = None
        try:
            bot = synapse.register("bot", password="bot-password")
            mod = synapse.register("mod")
            keys = (lambda name: directory / name) if encrypted else (lambda name: None)
            moderator = Member(synapse.url, mod, accept_invites_from=None, keys=keys("mod-keys"))
            room_id = await moderator.create_room("General", encrypted=encrypted)
            bot_process = _start_bot(synapse, bot, room_id, directory, encrypted)
            await _wait_for_member(moderator, room_id, bot.user_id)
            if encrypted:  # an encrypting client sends only into rooms it has synced
                await moderator.start()
                await asyncio.sleep(2)  # and to devices it has fetched (the bot's)
            # One member types 100+ commands in a row here: the per-member rate limit (20 a
            # minute) is for people, not for this measurement, so the moderator lifts it.
            await moderator.say(room_id, f"{PREFIX}limits commands_per_minute=0")
            await _wait_limits_off(directory / "bot.db", within=60)
            await (moderator.stop() if encrypted else moderator.client.close())
            asker = Member(
                synapse.url,
                synapse.register("asker"),
                accept_invites_from=bot.user_id,
                keys=keys("asker-keys"),
            )
            await asker.start()
            await asker.join(room_id)
            await asker.wait_direct_room(within=60)
            await asker.wait_for(lambda s: s.sender == bot.user_id, within=30)
            await asker.say(room_id, f"{PREFIX}tags add maths")
            await _round_trips(asker, room_id, bot.user_id, 5)  # warm-up
            before = await _round_trips(asker, room_id, bot.user_id, commands)
            rss_before, _ = _memory_kib(bot_process.pid)

            accounts = _register_many(synapse, members, "b")
            started = time.perf_counter()
            await _join_all(synapse.url, accounts, room_id)
            await _wait_dm_rooms(directory / "bot.db", members + 1, within=max(600, members))
            serve_seconds = time.perf_counter() - started
            rss_after, hwm = _memory_kib(bot_process.pid)
            after = await _round_trips(asker, room_id, bot.user_id, commands)
        finally:
            if asker is not None:
                await asker.stop()
            if bot_process is not None:
                bot_process.terminate()
                try:
                    bot_process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    bot_process.kill()
            synapse.stop()
    return "\n".join(
        [
            f"Matrix round trip through a local Synapse ({commands} × `!peers`, member client →"
            " bot → member's DM room"
            + (", end-to-end encrypted room and DM)" if encrypted else ", plain room and DM)"),
            "",
            "| measure | value |",
            "| --- | --- |",
            f"| round trip, 1 member: median | {_ms(before, 0.5):.1f} ms |",
            f"| round trip, 1 member: p95 | {_ms(before, 0.95):.1f} ms |",
            f"| round trip after {members:,} members: median | {_ms(after, 0.5):.1f} ms |",
            f"| round trip after {members:,} members: p95 | {_ms(after, 0.95):.1f} ms |",
            f"| serving {members:,} joins (DM room + first question each) | {serve_seconds:.1f} s"
            f" ({members / serve_seconds:.1f} members/s) |",
            f"| bot RSS before the joins | {rss_before / 1024:.1f} MiB |",
            f"| bot RSS after serving {members:,} members | {rss_after / 1024:.1f} MiB |",
            f"| bot peak RSS (VmHWM) | {hwm / 1024:.1f} MiB |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--commands", type=int, default=100)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--encrypted", action="store_true", help="encryption on, room encrypted")
    args = parser.parse_args()
    print(asyncio.run(run(args.commands, args.members, args.encrypted)))


if __name__ == "__main__":
    main()
