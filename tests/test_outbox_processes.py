"""The outbox across several processes on one database (issue #13).

Two separately opened stores of one PostgreSQL database stand for two processes; each has its
own `Notifications.origin`, so each holds its own claims. What a member notices: a message
queued by a worker (which has no platform connection) reaches them through the platform's
leader at once, once; a Matrix process never sends a Discord message; a message held by a
process that died goes out after the lease, not before and not twice; two processes
delivering at the same moment send each message once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from communitybot import bootstrap, outbox_codec
from communitybot import outbox as outbox_module
from communitybot.bot import Bot
from communitybot.clock import FakeClock
from communitybot.events import CommunityRef, MemberJoined
from communitybot.leader import LeaderLock
from communitybot.outbox import LEASE
from communitybot.peers.index import PeerIndex
from communitybot.priority_lock import PriorityLock
from communitybot.replies import Action, Message, SendToChannel
from communitybot.scheduler import Scheduler
from communitybot.store.db import Database, bundled_migrations
from communitybot.store.store import Store
from tests.conftest import COMMUNITY, fresh_postgres_database, user
from tests.fakes import FakePlatform
from tests.postgres_server import PostgresServer
from tests.test_outbox import DyingPlatform

SECOND = timedelta(seconds=1)
GUARD_S = 10.0
"""How long a test waits (really) for another process's notification before failing."""


DISCORD_GUILD = CommunityRef("discord", "guild-1")
"""A community of the "discord" processes below: an action goes to its community's platform."""


def _posts(
    count: int, channel: str = "general", community: CommunityRef = COMMUNITY
) -> list[Action]:
    return [SendToChannel(community, channel, Message(f"post {n}")) for n in range(count)]


async def _scheduled(bot: Bot, actions: list[Action]) -> None:
    """What a job handled by `bot` returns (committed with its outbox rows)."""

    async def work() -> list[Action]:
        return actions

    await bot.run_scheduled(work)


async def _until(check: Callable[[], bool], what: str) -> None:
    """Wait (really) for something another process does; fail after `GUARD_S`."""
    for _ in range(int(GUARD_S / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not seen within {GUARD_S} s: {what}")


@dataclass
class Process:
    """One bot process: its own store (own origin, own connections) and platform."""

    store: Store
    platform: FakePlatform
    bot: Bot


class Processes:
    """Open "processes" on one database; all are closed at the end."""

    def __init__(self, target: Path | str, clock: FakeClock, stack: AsyncExitStack) -> None:
        self.target = target
        self.clock = clock
        self._stack = stack

    async def start(
        self,
        platform: FakePlatform | None = None,
        *,
        delivers: bool = True,
        store: Store | None = None,
        lock: PriorityLock | None = None,
    ) -> Process:
        if store is None:
            store = await Store.open(self.target)
            self._stack.push_async_callback(store.close)
        fake = platform or FakePlatform()
        bot = Bot(store, fake, self.clock, PeerIndex(), lock=lock, delivers=delivers)
        return Process(store, fake, bot)

    async def scheduler(self, process: Process) -> Scheduler:
        """The process's scheduler loop, running on the fake clock and settled."""
        running = Scheduler(process.bot, {}, sleeper=self.clock)
        await self._stack.enter_async_context(running.running())
        await running.settle()
        return running


@asynccontextmanager
async def processes(target: Path | str, clock: FakeClock) -> AsyncIterator[Processes]:
    async with AsyncExitStack() as stack:
        yield Processes(target, clock, stack)


@pytest.fixture
async def pg_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    async with fresh_postgres_database(postgres_server) as url:
        yield url


def _where(platform: FakePlatform) -> list[str]:
    """Where each message went; a channel post with its text."""
    return [f"{s.where} {s.text}" if s.where.startswith("#") else s.where for s in platform.sent]


# A worker's messages -------------------------------------------------------------------------


@pytest.mark.postgres
async def test_a_workers_messages_go_out_through_the_leader_once_it_hears_of_them(
    pg_url: str,
) -> None:
    clock = FakeClock()
    async with processes(pg_url, clock) as run:
        leader = await run.start()
        worker = await run.start(delivers=False)
        scheduler = await run.scheduler(leader)
        assert scheduler.idle  # asleep: only a notification can wake it before the lease

        await worker.bot.dispatch(MemberJoined(COMMUNITY, user("ann")))  # a welcome DM
        await _scheduled(worker.bot, _posts(1))  # a job's channel post

        await _until(lambda: len(leader.platform.sent) == 2, "the leader delivered both")
        await scheduler.settle()
        assert _where(leader.platform) == ["dm:ann", "#general post 0"]
        assert worker.platform.sent == []  # the worker has no platform connection to use
        assert await leader.store.outbox.count() == 0

        clock.advance(seconds=3 * LEASE.total_seconds())  # later looks find nothing to repeat
        await scheduler.settle()
        assert await leader.bot.deliver_outbox() == 0
        assert len(leader.platform.sent) == 2


async def test_a_bot_that_does_not_deliver_queues_and_sends_nothing(
    store_target: Path | str,
) -> None:
    """A worker's bot, as the composition root builds it: its messages stay in the outbox."""
    store = await Store.open(store_target)
    try:
        platform, clock = FakePlatform(), FakeClock()
        worker = bootstrap.Core(store, clock=clock).bot(platform, "/", delivers=False)
        await worker.dispatch(MemberJoined(COMMUNITY, user("ann")))
        await _scheduled(worker, _posts(2))
        async with Scheduler(worker, {}, sleeper=clock).running() as scheduler:
            await scheduler.settle()
        assert await worker.deliver_outbox() == 0
        assert platform.sent == []
        assert await store.outbox.count() == 3
        assert await worker.outbox.next_retry_at() is None
    finally:
        await store.close()


@pytest.mark.postgres
async def test_a_message_queued_while_the_leader_was_not_listening_goes_out_after_the_gap(
    pg_url: str,
) -> None:
    """No notification reaches a leader whose listening connection is down: when it is back
    (`on_gap`), the leader looks at once instead of waiting for the lease."""
    clock = FakeClock()
    async with processes(pg_url, clock) as run:
        leader = await run.start()
        worker = await run.start(delivers=False)
        scheduler = await run.scheduler(leader)
        admin = await asyncpg.connect(pg_url)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
            )
        finally:
            await admin.close()
        action = outbox_codec.encode(_posts(1)[0])
        # Queued without any notification (as if it had been sent while nobody listened).
        await worker.store.outbox.add([(action, None)], clock.now(), platform="fake")
        await _until(lambda: len(leader.platform.sent) == 1, "delivered after the gap")
        await scheduler.settle()
        assert _where(leader.platform) == ["#general post 0"]


# Platforms ------------------------------------------------------------------------------------


async def test_a_matrix_process_never_delivers_a_discord_message(
    store_target: Path | str,
) -> None:
    clock = FakeClock()
    lock = PriorityLock()  # one store on SQLite: the bots take turns on its connection
    async with processes(store_target, clock) as run:
        discord_worker = await run.start(FakePlatform(name="discord"), delivers=False, lock=lock)
        store = discord_worker.store
        matrix = await run.start(FakePlatform(name="matrix"), store=store, lock=lock)
        discord = await run.start(FakePlatform(name="discord"), store=store, lock=lock)

        await _scheduled(discord_worker.bot, _posts(2, community=DISCORD_GUILD))
        assert await matrix.bot.deliver_outbox() == 0
        assert matrix.platform.sent == []
        # Nothing of its own to wait for (on PostgreSQL: only its look every lease).
        shared = store.db.notifications.shared
        expected = clock.now() + LEASE if shared else None
        assert await matrix.bot.outbox.next_retry_at() == expected

        assert await discord.bot.deliver_outbox() == 2
        assert _where(discord.platform) == ["#general post 0", "#general post 1"]
        assert matrix.platform.sent == []


async def test_an_action_for_another_platforms_community_goes_out_through_that_platform(
    store_target: Path | str,
) -> None:
    """A DM to an account on another platform (a linked account's confirmation): this process
    queues it unclaimed for that platform and never sends it; that platform's process does."""
    clock = FakeClock()
    lock = PriorityLock()
    async with processes(store_target, clock) as run:
        matrix = await run.start(FakePlatform(name="matrix"), lock=lock)
        store = matrix.store
        discord = await run.start(FakePlatform(name="discord"), store=store, lock=lock)
        space = CommunityRef("matrix", "!space:example.org")
        here, there = _posts(1, "mod-log", space)[0], _posts(1, community=DISCORD_GUILD)[0]
        await _scheduled(matrix.bot, [here, there])
        assert _where(matrix.platform) == ["#mod-log post 0"]
        rows = await store.db.fetch_all("SELECT platform, claimed_by FROM outbox")
        assert [(r["platform"], r["claimed_by"]) for r in rows] == [("discord", None)]
        assert await matrix.bot.deliver_outbox() == 0
        assert await discord.bot.deliver_outbox() == 1
        assert _where(discord.platform) == ["#general post 0"]
        assert await store.outbox.count() == 0


async def test_a_row_from_before_platforms_were_recorded_goes_out_once_on_any(
    store_target: Path | str,
) -> None:
    """Rows written before migration 0022 name no platform: the process that served them
    served one platform, so whichever process looks first delivers them."""
    clock = FakeClock()
    lock = PriorityLock()
    async with processes(store_target, clock) as run:
        matrix = await run.start(FakePlatform(name="matrix"), lock=lock)
        store = matrix.store
        discord = await run.start(FakePlatform(name="discord"), store=store, lock=lock)
        action = outbox_codec.encode(_posts(1)[0])
        await store.outbox.add([(action, None)], clock.now())  # platform NULL, unclaimed
        assert await matrix.bot.deliver_outbox() == 1
        assert await discord.bot.deliver_outbox() == 0
        assert _where(matrix.platform) == ["#general post 0"]
        assert discord.platform.sent == []


@pytest.mark.postgres
async def test_a_message_that_failed_is_retried_by_whichever_process_looks_when_it_is_due(
    pg_url: str,
) -> None:
    clock = FakeClock()
    async with processes(pg_url, clock) as run:
        worker = await run.start(delivers=False)
        failing = await run.start(DyingPlatform(failures=1))
        other = await run.start()
        await _scheduled(worker.bot, _posts(1))
        assert await failing.bot.deliver_outbox() == 1  # failed: a retry in 30 s, let go
        assert failing.platform.sent == []
        assert await other.bot.deliver_outbox() == 0  # not due yet
        clock.advance(seconds=30)
        assert await other.bot.deliver_outbox() == 1
        assert _where(other.platform) == ["#general post 0"]
        assert await failing.bot.deliver_outbox() == 0
        assert failing.platform.sent == []


# A process that died ----------------------------------------------------------------------------


@pytest.mark.postgres
async def test_messages_a_dead_leader_held_go_out_after_the_lease_not_before(pg_url: str) -> None:
    clock = FakeClock()
    async with processes(pg_url, clock) as run:
        dead = await Store.open(pg_url)
        try:
            first = await run.start(store=dead)
            for name in ("ann", "bob"):  # committed and claimed; the process dies before sending
                await first.bot.handle(MemberJoined(COMMUNITY, user(name)))
        finally:
            await dead.close()  # SIGKILL: the claims stay behind
        assert first.platform.sent == []

        second = await run.start()
        scheduler = await run.scheduler(second)  # its first act: deliver what is due
        assert second.platform.sent == []
        clock.advance(seconds=LEASE.total_seconds() - 1)
        await scheduler.settle()
        assert second.platform.sent == []  # the dead process's claims still hold

        clock.advance(seconds=1)  # no notification: the take-over is a planned wake-up
        await scheduler.settle()
        assert _where(second.platform) == ["dm:ann", "dm:bob"]
        assert await second.store.outbox.count() == 0
        clock.advance(seconds=2 * LEASE.total_seconds())
        await scheduler.settle()
        assert len(second.platform.sent) == 2


@pytest.mark.postgres
async def test_a_new_leader_takes_over_its_dead_predecessors_messages_after_the_grace(
    pg_url: str,
) -> None:
    """The new leader of a platform need not wait out the lease: after the grace in which a
    leader that lost its lock stops, it adopts its platform's rows (and no other platform's)."""
    clock = FakeClock()
    grace = timedelta(seconds=6)
    async with processes(pg_url, clock) as run:
        matrix = await run.start(FakePlatform(name="matrix"))
        action = outbox_codec.encode(_posts(1)[0])
        await matrix.store.outbox.add(  # the live Matrix leader is sending this one
            [(action, None)],
            clock.now(),
            platform="matrix",
            claimed_by=matrix.store.db.notifications.origin,
            claimed_until=clock.now() + LEASE,
        )
        dead = await Store.open(pg_url)
        try:
            first = await run.start(FakePlatform(name="discord"), store=dead)
            for name in ("ann", "bob"):  # committed and claimed; the process dies before sending
                await first.bot.handle(MemberJoined(DISCORD_GUILD, user(name)))
        finally:
            await dead.close()  # SIGKILL: the claims stay behind

        second = await run.start(FakePlatform(name="discord"))
        second.bot.outbox.adopt_orphans(grace)  # what the bootstrap does on taking the lock
        scheduler = await run.scheduler(second)
        clock.advance(seconds=5)
        await scheduler.settle()
        assert second.platform.sent == []  # the old leader might still be stopping

        clock.advance(seconds=1)
        await scheduler.settle()
        assert _where(second.platform) == ["dm:ann", "dm:bob"]
        assert await second.store.outbox.count() == 1  # the live Matrix process's row stays
        clock.advance(seconds=3 * LEASE.total_seconds())
        await scheduler.settle()
        assert len(second.platform.sent) == 2


def test_the_takeover_grace_covers_a_leader_noticing_its_lost_lock() -> None:
    lock = LeaderLock(object(), "discord", poll_interval=1.0, check_timeout=5.0)
    assert lock.takeover_grace == timedelta(seconds=6)


@pytest.mark.postgres
async def test_two_processes_delivering_at_once_send_each_message_once(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "CLAIM_BATCH", 15)  # many claims, interleaved
    clock = FakeClock()
    async with processes(pg_url, clock) as run:
        worker = await run.start(delivers=False)
        first = await run.start(YieldingPlatform())
        second = await run.start(YieldingPlatform())
        await _scheduled(worker.bot, _posts(200))

        counts = await asyncio.gather(first.bot.deliver_outbox(), second.bot.deliver_outbox())
        texts = [s.text for s in first.platform.sent + second.platform.sent]
        assert sorted(texts) == sorted(f"post {n}" for n in range(200))  # none twice, none lost
        assert sum(counts) == 200
        assert await worker.store.outbox.count() == 0


@dataclass
class YieldingPlatform(FakePlatform):
    """Lets the other tasks run during each post, as a real network request would."""

    async def send_to_channel(
        self, community: CommunityRef, channel_id: str, message: Message
    ) -> None:
        await asyncio.sleep(0)
        await super().send_to_channel(community, channel_id, message)


# Long deliveries ----------------------------------------------------------------------------------


@dataclass
class SlowPlatform(FakePlatform):
    """Each post takes `seconds` on the fake clock; then `meanwhile` runs (another look at the
    outbox, as the scheduler's loop or another process would take)."""

    clock: FakeClock | None = None
    seconds: float = 50.0
    meanwhile: Callable[[], Awaitable[int]] | None = None
    looked: list[int] = field(default_factory=list)
    """What each look handled."""

    async def send_to_channel(
        self, community: CommunityRef, channel_id: str, message: Message
    ) -> None:
        assert self.clock is not None
        self.clock.advance(seconds=self.seconds)
        await super().send_to_channel(community, channel_id, message)
        if self.meanwhile is not None:
            self.looked.append(await self.meanwhile())


async def test_a_delivery_longer_than_the_lease_keeps_its_messages(
    store_target: Path | str,
) -> None:
    """Six posts of 50 s each outlast the 2-minute lease: the claims are renewed as the batch
    goes, so the process's own look at the outbox meanwhile takes none of them."""
    clock = FakeClock()
    async with processes(store_target, clock) as run:
        slow = SlowPlatform(
            clock=clock,
        )
        leader = await run.start(slow)
        slow.meanwhile = leader.bot.outbox.deliver_due
        await _scheduled(leader.bot, _posts(6))
        assert [s.text for s in slow.sent] == [f"post {n}" for n in range(6)]
        assert slow.looked == [0] * 6
        assert await leader.store.outbox.count() == 0


@pytest.mark.postgres
async def test_another_process_never_takes_messages_a_long_delivery_still_holds(
    pg_url: str,
) -> None:
    clock = FakeClock()
    async with processes(pg_url, clock) as run:
        other = await run.start()
        slow = SlowPlatform(clock=clock, meanwhile=other.bot.deliver_outbox)
        leader = await run.start(slow)
        await _scheduled(leader.bot, _posts(6))
        assert [s.text for s in slow.sent] == [f"post {n}" for n in range(6)]
        assert slow.looked == [0] * 6
        assert other.platform.sent == []


@pytest.mark.postgres
async def test_a_stalled_process_whose_messages_were_taken_over_sends_no_more_of_them(
    pg_url: str,
) -> None:
    """A process stalled past its lease (not dead): another process delivers its messages;
    when the stalled one renews, it sees they are no longer its own and stops."""
    clock = FakeClock()
    async with processes(pg_url, clock) as run:
        other = await run.start()
        stalled = SlowPlatform(
            clock=clock,
            seconds=LEASE.total_seconds() + 5,
            meanwhile=other.bot.deliver_outbox,
        )
        leader = await run.start(stalled)
        await _scheduled(leader.bot, _posts(4))
        # The post under way when the lease ran out may go twice (at-least-once, same keys).
        assert [s.text for s in stalled.sent] == ["post 0"]
        assert [s.text for s in other.platform.sent] == [f"post {n}" for n in range(4)]
        assert await leader.store.outbox.count() == 0


async def test_a_message_owed_before_the_upgrade_is_delivered_after_it(tmp_path: Path) -> None:
    """A row the previous release left (no platform, no claim) goes out after migration 0022."""
    path = tmp_path / "old.db"
    steps = bundled_migrations()
    old = await Database.open(path, [m for m in steps if m.version < 22])
    await old.execute(
        "INSERT INTO outbox (action, modlog_channel, created_at) VALUES (?, NULL, ?)",
        (outbox_codec.encode(_posts(1)[0]), "2027-01-04T11:59:00+00:00"),
    )
    await old.close()
    clock = FakeClock()
    async with processes(path, clock) as run:
        leader = await run.start(FakePlatform(name="discord"))
        assert await leader.bot.deliver_outbox() == 1
        assert _where(leader.platform) == ["#general post 0"]
        assert await leader.store.outbox.count() == 0
