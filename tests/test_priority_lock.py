"""The write lock's order: members waiting first, each member's events in order, none lost."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

import pytest

from communitybot.priority_lock import Priority, PriorityLock

BULK, INTERACTIVE = Priority.BULK, Priority.INTERACTIVE


class Turns:
    """Tasks queued at a held lock; `run()` releases it and returns the order they got it."""

    def __init__(self) -> None:
        self.lock = PriorityLock()
        self.order: list[str] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def hold(self) -> None:
        await self.lock.acquire(BULK)

    def queue(self, name: str, priority: Priority, key: Hashable | None = None) -> None:
        async def turn() -> None:
            async with self.lock.hold(priority, key):
                self.order.append(name)
                await asyncio.sleep(0)  # others queue meanwhile

        self.tasks.append(asyncio.create_task(turn()))

    async def settle(self) -> None:
        for _ in range(3):
            await asyncio.sleep(0)

    async def run(self) -> list[str]:
        await self.settle()
        self.lock.release()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        return self.order


async def test_a_waiting_member_goes_before_queued_joins() -> None:
    turns = Turns()
    await turns.hold()
    for number in range(3):
        turns.queue(f"join{number}", BULK, f"member{number}")
    turns.queue("command", INTERACTIVE, "ann")
    assert await turns.run() == ["command", "join0", "join1", "join2"]


async def test_first_come_first_served_within_a_class() -> None:
    turns = Turns()
    await turns.hold()
    for name in ("b1", "b2"):
        turns.queue(name, BULK)
    for name in ("i1", "i2", "i3"):
        turns.queue(name, INTERACTIVE, name)
    turns.queue("b3", BULK)
    assert await turns.run() == ["i1", "i2", "i3", "b1", "b2", "b3"]


async def test_a_members_own_join_is_handled_before_their_command() -> None:
    turns = Turns()
    await turns.hold()
    turns.queue("join ann", BULK, "ann")
    turns.queue("join bob", BULK, "bob")
    turns.queue("leave ann", BULK, "ann")
    turns.queue("command bob", INTERACTIVE, "bob")
    turns.queue("command ann", INTERACTIVE, "ann")
    assert await turns.run() == [
        "join bob",
        "command bob",
        "join ann",
        "leave ann",
        "command ann",
    ]


async def test_busy_while_a_member_has_an_event_queued_or_running() -> None:
    lock = PriorityLock()
    await lock.acquire(BULK, "ann")
    assert lock.busy("ann") and not lock.busy("bob")
    waiting = asyncio.create_task(lock.acquire(BULK, "bob"))
    await asyncio.sleep(0)
    assert lock.busy("bob")
    lock.release()
    await waiting
    assert not lock.busy("ann") and lock.busy("bob")
    lock.release()
    assert not lock.busy("bob") and not lock.locked()


async def test_a_cancelled_waiter_gives_up_its_place_and_nobody_is_stuck() -> None:
    turns = Turns()
    await turns.hold()
    turns.queue("gone", INTERACTIVE, "ann")
    turns.queue("next", BULK, "bob")
    await turns.settle()
    turns.tasks[0].cancel()
    assert await turns.run() == ["next"]
    assert not turns.lock.busy("ann") and not turns.lock.locked()


async def test_a_waiter_cancelled_just_as_it_gets_the_lock_passes_it_on() -> None:
    lock = PriorityLock()
    await lock.acquire(BULK)
    first = asyncio.create_task(lock.acquire(INTERACTIVE, "ann"))
    second = asyncio.create_task(lock.acquire(BULK, "bob"))
    await asyncio.sleep(0)
    lock.release()  # handed to `first` ...
    first.cancel()  # ... which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    await second
    assert lock.locked() and lock.busy("bob") and not lock.busy("ann")
    lock.release()
    assert not lock.locked()


async def test_plain_fifo_when_priorities_are_off() -> None:
    turns = Turns()
    turns.lock.interactive_first = False
    await turns.hold()
    turns.queue("join", BULK, "bob")
    turns.queue("command", INTERACTIVE, "ann")
    assert await turns.run() == ["join", "command"]


async def test_async_with_is_bulk_work() -> None:
    turns = Turns()
    await turns.hold()

    async def outbox_step() -> None:
        async with turns.lock:
            turns.order.append("outbox")

    turns.tasks.append(asyncio.create_task(outbox_step()))
    turns.queue("command", INTERACTIVE, "ann")
    assert await turns.run() == ["command", "outbox"]


async def test_releasing_an_unlocked_lock_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        PriorityLock().release()


# Taking queued work into the holder's turn (the Bot's group commit of joins) -------------------
async def test_the_holder_takes_queued_joins_but_never_past_a_members_earlier_event() -> None:
    lock = PriorityLock()
    await lock.acquire(BULK, "lead")
    results: dict[str, bool] = {}

    async def wait(name: str, key: str, payload: object) -> None:
        results[name] = await lock.acquire(BULK, key, payload)

    tasks = [
        asyncio.create_task(wait(name, key, payload))
        for name, key, payload in (
            ("ann-join", "ann", "join"),
            ("bob-leave", "bob", None),
            ("bob-join", "bob", "join"),
            ("cat-join", "cat", "join"),
        )
    ]
    for _ in range(3):
        await asyncio.sleep(0)
    taken = lock.take_bulk(lambda payload: payload == "join", 10)
    assert taken == ["join", "join"]  # ann's and cat's; bob's join stays behind his leave
    for _ in range(3):
        await asyncio.sleep(0)
    assert results == {"ann-join": False, "cat-join": False}
    assert lock.busy("ann") and lock.busy("cat"), "busy until the holder finished them"
    lock.finish_taken("ann")
    lock.finish_taken("cat")
    assert not lock.busy("ann") and not lock.busy("cat")
    lock.release()
    await asyncio.sleep(0)
    assert results["bob-leave"] is True
    lock.release()
    await asyncio.sleep(0)
    assert results["bob-join"] is True
    lock.release()
    await asyncio.gather(*tasks)
    assert lock.idle()


async def test_a_bulk_holder_not_started_yet_lets_waiting_members_go_first() -> None:
    lock = PriorityLock()
    await lock.acquire(BULK, "joiner")
    order: list[str] = []

    async def command(name: str) -> None:
        async with lock.hold(INTERACTIVE, name):
            order.append(name)

    async def join(name: str) -> None:
        async with lock.hold(BULK, name):
            order.append(name)

    tasks = [asyncio.create_task(f(n)) for f, n in ((join, "other"), (command, "ann"))]
    for _ in range(3):
        await asyncio.sleep(0)
    assert lock.should_yield()
    await lock.yield_to_interactive()  # the holder gets the lock back before "other"
    order.append("joiner")
    lock.release()
    await asyncio.gather(*tasks)
    assert order == ["ann", "joiner", "other"]


async def test_a_bulk_holder_never_yields_to_its_own_members_command() -> None:
    lock = PriorityLock()
    await lock.acquire(BULK, "ann")
    task = asyncio.create_task(lock.acquire(INTERACTIVE, "ann"))
    await asyncio.sleep(0)
    assert not lock.should_yield(), "ann's join goes before ann's command"
    lock.release()
    assert await task is True
    lock.release()
