"""The leader lock (communitybot/leader.py): one process per platform serves, the others wait.

PostgreSQL tests use a real server (the `postgres_server` fixture); the lost-lock test runs the
real application against the loopback Discord double and ends the lock's session from outside,
as a database restart would.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from communitybot.app import EXIT_LEADER_LOST, EXIT_OK, run
from communitybot.leader import LEADER_NAMESPACE, LeaderLock, platform_code
from communitybot.settings import load_settings
from communitybot.store.db import Database
from communitybot.store.postgres_db import PostgresDatabase
from tests.conftest import fresh_postgres_database
from tests.discord.gateway_double import running_double
from tests.postgres_server import PostgresServer
from tests.replicas import Replica, replica_env

postgres = pytest.mark.postgres


@pytest.fixture
async def pg_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    async with fresh_postgres_database(postgres_server) as url:
        yield url


@pytest.fixture
async def pg(pg_url: str) -> AsyncIterator[PostgresDatabase]:
    db = await PostgresDatabase.open(pg_url)
    try:
        yield db
    finally:
        await db.close()


async def _until(condition: Callable[[], Awaitable[bool] | bool], within: float = 10) -> None:
    """Return once `condition()` holds (checked every 50 ms); fails after `within` s."""
    async with asyncio.timeout(within):
        while True:
            held = condition()
            if await held if inspect.isawaitable(held) else held:
                return
            await asyncio.sleep(0.05)


async def _refused_once(lock: LeaderLock) -> None:
    start = lock.refusals
    await _until(lambda: lock.refusals > start)


@postgres
async def test_the_lock_is_refused_to_a_second_connection_until_the_first_closes(
    pg: PostgresDatabase,
) -> None:
    first = LeaderLock(pg, "discord", poll_interval=0.05)
    second = LeaderLock(pg, "discord", poll_interval=0.05)
    other_platform = LeaderLock(pg, "matrix", poll_interval=0.05)
    await first.acquire()
    waiting = asyncio.create_task(second.acquire())
    try:
        await _refused_once(second)
        await _refused_once(second)  # still refused on the next poll
        assert not waiting.done()
        async with asyncio.timeout(10):
            await other_platform.acquire()  # each platform has its own leader
        await first.release()  # the connection closes: the server frees the lock
        async with asyncio.timeout(10):
            await waiting
        assert not second.lost.is_set()
    finally:
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
        for lock in (first, second, other_platform):
            await lock.release()


@postgres
async def test_a_waiting_standby_can_be_cancelled_and_leaves_no_connection_behind(
    pg: PostgresDatabase,
) -> None:
    leader = LeaderLock(pg, "discord", poll_interval=0.05)
    standby = LeaderLock(pg, "discord", poll_interval=0.05)
    await leader.acquire()
    try:
        waiting = asyncio.create_task(standby.acquire())
        await _refused_once(standby)
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
        assert standby._connection is None  # closed without a release()
    finally:
        await leader.release()


@postgres
async def test_a_lock_whose_connection_ends_is_marked_lost(pg: PostgresDatabase) -> None:
    lock = LeaderLock(pg, "matrix", poll_interval=0.05)
    await lock.acquire()
    try:
        assert await _terminate_leader(pg, "matrix")
        async with asyncio.timeout(10):
            await lock.wait_lost()
        assert "lost the matrix leader lock" in lock.why_lost
    finally:
        await lock.release()


class _FlakyDatabase:
    """The PostgreSQL database, unreachable for the first `failures` connection attempts."""

    dialect = "postgresql"

    def __init__(self, db: PostgresDatabase, failures: int) -> None:
        self._db = db
        self.failures = failures

    async def connect(self) -> Any:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionRefusedError("the database is restarting")
        return await self._db.connect()


@postgres
async def test_a_standby_keeps_trying_while_the_database_is_unreachable(
    pg: PostgresDatabase,
) -> None:
    flaky = _FlakyDatabase(pg, failures=3)
    lock = LeaderLock(flaky, "discord", poll_interval=0.05)
    async with asyncio.timeout(10), lock:
        assert flaky.failures == 0 and not lock.lost.is_set()
        # The lock's own session tells a vanished client from an idle one within seconds.
        assert await lock._connection.fetchval("SHOW tcp_keepalives_idle") == "10"


async def test_on_sqlite_there_is_no_lock_and_nothing_waits(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    try:
        first = LeaderLock(db, "discord")
        second = LeaderLock(db, "discord")
        async with asyncio.timeout(5):
            async with first, second:
                assert not first.shared and not second.shared
                assert first.refusals == second.refusals == 0
                assert not first.lost.is_set()
    finally:
        await db.close()


async def _terminate_leader(db: PostgresDatabase, platform: str) -> bool:
    """End the session holding `platform`'s leader lock, as a database restart would."""
    row = await db.fetch_one(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' "
        "AND classid = ? AND objid = ? AND objsubid = 2 AND granted",
        (LEADER_NAMESPACE, platform_code(platform)),
    )
    return bool(row and row[0])


@postgres
async def test_a_leader_that_loses_its_lock_stops_serving_and_exits_non_zero(
    pg: PostgresDatabase, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_double() as double:
        settings = load_settings(
            _env_file=None,
            adapter="discord",
            database_url=pg_url,
            discord={"token": double.valid_token},
        )
        serving = asyncio.create_task(run(settings))
        try:
            async with asyncio.timeout(30):
                await double.identified.wait()
            await _until(lambda: _terminate_leader(pg, "discord"))
            async with asyncio.timeout(30):
                code = await serving
        finally:
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving
        assert code == EXIT_LEADER_LOST
        await _until(lambda: not double._sockets)  # the gateway connection closed, not idle
    err = capsys.readouterr().err
    [line] = [line for line in err.splitlines() if "leader lock" in line]
    assert "lost the discord leader lock" in line and "standby" in line
    assert pg_url.split(":")[2].split("@")[0] not in err  # the password is never logged


@postgres
async def test_sigterm_ends_a_waiting_standby_cleanly(
    pg: PostgresDatabase, pg_url: str, tmp_path: Path
) -> None:
    leader = LeaderLock(pg, "discord")
    await leader.acquire()
    standby = Replica(
        "standby",
        "communitybot",
        ["run", "--adapter", "discord"],
        replica_env(
            {
                "COMMUNITYBOT_DATABASE_URL": pg_url,
                "COMMUNITYBOT_DISCORD__TOKEN": "never-used-while-waiting",
            }
        ),
        tmp_path,
    )
    try:
        await standby.start()
        await standby.wait_line("another process leads discord: waiting as a standby")
        standby.signal(signal.SIGTERM)
        assert await standby.wait() == EXIT_OK
        assert standby.said("stopping: terminated")
        assert not standby.said("leading discord")
    finally:
        await standby.stop()
        await leader.release()
    async with asyncio.timeout(10), LeaderLock(pg, "discord"):
        pass  # and it left no lock behind


@postgres
async def test_replicas_starting_together_on_a_new_database_both_start(pg_url: str) -> None:
    """Both replicas migrate their adapter's tables at start-up (before the leader lock): on a
    new database one creates them and the other waits and finds them (no duplicate-table
    crash)."""
    from adapters.matrix.schema import MIGRATIONS, NAMESPACE
    from communitybot.bootstrap import Core
    from communitybot.store.store import Store

    stores = [await Store.open(pg_url), await Store.open(pg_url)]
    try:
        states = await asyncio.gather(
            *(Core(store).adapter_state(NAMESPACE, MIGRATIONS) for store in stores)
        )
        assert [await state.version() for state in states] == [MIGRATIONS[-1].version] * 2
    finally:
        for store in stores:
            await store.close()
