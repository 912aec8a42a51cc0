"""The write path's lock: a member who is waiting goes before bulk work, each member in order.

The Bot writes through one connection, one transaction at a time, so its handlers take turns. A
plain `asyncio.Lock` takes them strictly in arrival order: a member's command typed during a
5,000-join burst waited behind every one of those joins. This lock admits waiters in two classes:

* `Priority.INTERACTIVE` — a member is waiting for the answer (a command, a private message, a
  button press);
* `Priority.BULK` — nobody is watching the clock (joins, leaves, channel messages, scheduled work,
  outbox steps). `async with lock:` takes this class.

Interactive waiters go first; within a class, first come first served. Bulk work still gets every
turn the members leave free, so it is delayed, never starved for long: commands are rate limited
per member (`communitybot.rate_limits`).

One member's events must keep their order: a member's join must be handled before that member's
own later command (which would otherwise create the member row itself, and the join would then
greet an old member). So a waiter names its member (`key`), and when an interactive waiter
arrives for a member who still has bulk work queued, that work is promoted into the interactive
queue first, in its order. `busy(key)` says whether a member has anything queued or running: the
Bot's read path (read-only commands without this lock) stays behind it then.

The lock is handed over directly to the next waiter on release (nobody can barge in between), and
a waiter cancelled while waiting, or right after it was handed the lock, passes its turn on.

A holder may also take queued bulk waiters into its own turn (`take_bulk`): the Bot's group
commit of joins (`communitybot.bot`) runs several members' joins in one transaction. A taken
waiter's `acquire` returns False (it does not hold the lock: the holder runs its work and calls
`finish_taken` when done); a member with anything queued ahead of it that was not taken is
skipped, so each member's events keep their order.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import IntEnum
from types import TracebackType


class Priority(IntEnum):
    INTERACTIVE = 0
    """A member is waiting for the answer."""
    BULK = 1
    """Nobody is waiting on it right now: joins, leaves, channel messages, scheduled work."""


@dataclass(eq=False)
class _Waiter:
    future: asyncio.Future[bool]
    key: Hashable | None
    queue: Priority | None
    """The queue it waits in (None once taken out of it)."""
    payload: object = None
    """What a holder may take into its own turn (`take_bulk`); None: never taken."""


class PriorityLock:
    """An asyncio lock with two priority classes and per-member order (module docstring)."""

    def __init__(self) -> None:
        self._queues: dict[Priority, deque[_Waiter]] = {p: deque() for p in Priority}
        self._locked = False
        self._holder: Hashable | None = None
        self._keys: Counter[Hashable] = Counter()
        """Per member: events queued or holding the lock."""
        self._bulk_keys: Counter[Hashable] = Counter()
        """Per member: events waiting in the bulk queue (to promote them cheaply)."""
        self.interactive_first = True
        """False: one FIFO queue for everything, the behaviour before issue #12 (for benchmarks
        that compare)."""

    def locked(self) -> bool:
        return self._locked

    def busy(self, key: Hashable) -> bool:
        """Whether this member has an event queued at the lock or holding it."""
        return self._keys[key] > 0

    def idle(self) -> bool:
        """Nobody holds, waits or is being finished by a holder (a lane can be dropped)."""
        return not self._locked and not self._keys and not self.waiting()

    def waiting(self, priority: Priority | None = None) -> int:
        """How many waiters are queued (in one class, or in all)."""
        if priority is not None:
            return len(self._queues[priority])
        return sum(len(queue) for queue in self._queues.values())

    @asynccontextmanager
    async def hold(
        self, priority: Priority = Priority.BULK, key: Hashable | None = None
    ) -> AsyncIterator[None]:
        """Hold the lock for one unit of work of `priority`, on behalf of member `key`."""
        await self.acquire(priority, key)
        try:
            yield
        finally:
            self.release()

    async def __aenter__(self) -> None:
        await self.acquire(Priority.BULK)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    async def acquire(
        self,
        priority: Priority = Priority.BULK,
        key: Hashable | None = None,
        payload: object = None,
    ) -> bool:
        """Wait for the lock; True once held. False only with a `payload`: the holder took it
        into its own turn (`take_bulk`) and will call `finish_taken(key)` when it is done."""
        if key is not None:
            self._keys[key] += 1
        if not self._locked:
            self._locked = True
            self._holder = key
            return True
        if not self.interactive_first:
            priority = Priority.BULK
        elif priority is Priority.INTERACTIVE and key is not None and self._bulk_keys[key]:
            self._promote(key)
        waiter = _Waiter(asyncio.get_running_loop().create_future(), key, priority, payload)
        self._enqueue(waiter, priority)
        try:
            return await waiter.future
        except BaseException:
            self._take_out(waiter)
            if waiter.future.done() and not waiter.future.cancelled():
                if waiter.future.result():
                    self._release_turn()  # handed the lock just as it was cancelled: pass it on
                # else taken by the holder, which finishes it (and its key) anyway
            elif key is not None:
                self._forget_key(key)
            raise

    def should_yield(self) -> bool:
        """Interactive waiters are queued and none of them is the holder's member: a bulk holder
        that has not started yet (still waiting for the writer turn) lets them go first."""
        queue = self._queues[Priority.INTERACTIVE]
        if not self._locked or not queue or not self.interactive_first:
            return False
        return self._holder is None or all(w.key != self._holder for w in queue)

    async def yield_to_interactive(self) -> None:
        """If `should_yield`: hand the lock to the interactive waiters and get it back before any
        bulk waiter (the holder's place is the front of the bulk queue). The caller holds the
        lock again when this returns, even if cancelled meanwhile (then it re-raises after)."""
        if not self.should_yield():
            return
        key = self._holder
        waiter = _Waiter(asyncio.get_running_loop().create_future(), key, None)
        waiter.queue = Priority.BULK
        self._queues[Priority.BULK].appendleft(waiter)
        if key is not None:
            self._bulk_keys[key] += 1
        self._holder = None  # the key stays counted: it is the waiter's now
        self._release_turn()
        cancelled = False
        while not waiter.future.done():
            try:
                await asyncio.shield(waiter.future)
            except asyncio.CancelledError:
                cancelled = True
        if cancelled:
            raise asyncio.CancelledError

    def take_bulk(self, accept: Callable[[object], bool], limit: int) -> list[object]:
        """Take up to `limit` queued bulk waiters whose payload `accept`s into the holder's turn,
        in queue order; a member with an earlier waiter that is not taken keeps its place (and
        its later ones stay behind it). Their keys stay busy until `finish_taken`."""
        if not self._locked or limit <= 0:
            return []
        blocked = {w.key for w in self._queues[Priority.INTERACTIVE]}
        taken: list[object] = []
        for waiter in list(self._queues[Priority.BULK]):
            if len(taken) >= limit:
                break
            if waiter.future.done():
                continue
            if waiter.key in blocked or waiter.payload is None or not accept(waiter.payload):
                blocked.add(waiter.key)
                continue
            self._take_out(waiter)
            waiter.future.set_result(False)
            taken.append(waiter.payload)
        return taken

    def finish_taken(self, key: Hashable | None) -> None:
        """The holder is done with a waiter it took (`take_bulk`): its member is no longer busy."""
        if key is not None:
            self._forget_key(key)

    def release(self) -> None:
        if not self._locked:
            raise RuntimeError("release of an unlocked PriorityLock")
        self._release_turn()

    def _release_turn(self) -> None:
        if self._holder is not None:
            self._forget_key(self._holder)
        self._holder = None
        for priority in Priority:
            queue = self._queues[priority]
            while queue:
                waiter = queue[0]
                self._take_out(waiter)
                if waiter.future.done():  # cancelled; its own task cleans up its key
                    continue
                self._holder = waiter.key
                waiter.future.set_result(True)
                return
        self._locked = False

    def _enqueue(self, waiter: _Waiter, priority: Priority) -> None:
        waiter.queue = priority
        self._queues[priority].append(waiter)
        if priority is Priority.BULK and waiter.key is not None:
            self._bulk_keys[waiter.key] += 1

    def _take_out(self, waiter: _Waiter) -> None:
        if waiter.queue is None:
            return
        queue = self._queues[waiter.queue]
        if queue and queue[0] is waiter:
            queue.popleft()
        else:
            queue.remove(waiter)
        if waiter.queue is Priority.BULK and waiter.key is not None:
            self._bulk_keys[waiter.key] -= 1
            if not self._bulk_keys[waiter.key]:
                del self._bulk_keys[waiter.key]
        waiter.queue = None

    def _promote(self, key: Hashable) -> None:
        """Move `key`'s queued bulk work to the end of the interactive queue, in its order."""
        bulk = self._queues[Priority.BULK]
        promoted = [w for w in bulk if w.key == key]
        for waiter in promoted:
            self._take_out(waiter)
            self._enqueue(waiter, Priority.INTERACTIVE)

    def _forget_key(self, key: Hashable) -> None:
        self._keys[key] -= 1
        if not self._keys[key]:
            del self._keys[key]
