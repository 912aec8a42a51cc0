"""Two Matrix replicas (real `communitybot run --adapter matrix` processes) on one PostgreSQL
database against the tests' Synapse: only the leader syncs and answers; when it is killed the
standby takes over and answers the next command. Encryption is on (the default): the rooms are
encrypted, and the standby, sharing the leader's key folder, is the same device with its keys.

Kept to one scenario: Synapse tests are slow. No timing is asserted (generous waits only).
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import asyncpg
import pytest

from communitybot.app import EXIT_OK
from tests.conftest import fresh_postgres_database
from tests.matrix.conftest import World
from tests.matrix.members import Member
from tests.postgres_server import PostgresServer
from tests.replicas import Replica, replica_env

pytestmark = pytest.mark.postgres

LEADING = "leading matrix"
STANDBY = "another process leads matrix: waiting as a standby"
SERVING = "serving 1 room(s)"
HELP = "What I can do"


def matrix_replica(name: str, world: World, url: str, cwd: Path) -> Replica:
    env = replica_env(
        {
            "COMMUNITYBOT_DATABASE_URL": url,
            "COMMUNITYBOT_MATRIX__HOMESERVER": world.synapse.url,
            "COMMUNITYBOT_MATRIX__USER_ID": world.bot_id,
            "COMMUNITYBOT_MATRIX__PASSWORD": world.bot_account.password,
            "COMMUNITYBOT_MATRIX__ROOMS": world.general,
        }
    )
    return Replica(name, "communitybot", ["run", "--adapter", "matrix"], env, cwd)


async def _saved_sync_token(url: str) -> str | None:
    connection = await asyncpg.connect(url)
    try:
        value = await connection.fetchval("SELECT value FROM matrix_state WHERE key = 'next_batch'")
    finally:
        await connection.close()
    return str(value) if value is not None else None


async def _help(world: World, mod: Member, url: str) -> int:
    """Ask for !help in the served room; once answered (and the sync position after it saved,
    so a killed leader's successor does not replay it), the mark before the answer."""
    before = await _saved_sync_token(url)
    mark = mod.mark()
    await mod.say(world.general, "!help")
    await mod.wait_dm(HELP, after=mark, sender=world.bot_id, within=30)
    async with asyncio.timeout(30):
        while True:
            if await _saved_sync_token(url) != before:
                return mark
            await asyncio.sleep(0.1)


async def test_only_the_leader_answers_and_the_standby_takes_over_when_it_is_killed(
    world: World, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    mod = await world.member("mod", encrypted=True)  # encryption is on by default
    world.general = await mod.create_room(f"General {world.n}", encrypted=True)
    async with fresh_postgres_database(postgres_server) as url:
        first = matrix_replica("first", world, url, tmp_path)
        second = matrix_replica("second", world, url, tmp_path)
        try:
            await first.start()
            await first.wait_line(LEADING)
            await second.start()
            await second.wait_line(STANDBY)
            await first.wait_line(SERVING)

            marks = [await _help(world, mod, url)]
            assert not second.said(LEADING) and not second.said("logged in to Matrix")

            first.signal(signal.SIGKILL)
            await first.wait()
            await second.wait_line(LEADING)
            await second.wait_line(SERVING)
            marks.append(await _help(world, mod, url))

            second.signal(signal.SIGTERM)
            assert await second.wait() == EXIT_OK
            answers = [s for s in mod.since(marks[0], sender=world.bot_id) if HELP in s.body]
            assert len(answers) == 2, "each !help was answered exactly once"
            # The standby took over the same device and its keys (the shared key folder):
            # every answer, before and after the SIGKILL, was encrypted and readable.
            assert all(answer.encrypted for answer in answers) and not mod.undecrypted
        finally:
            await first.stop()
            await second.stop()
