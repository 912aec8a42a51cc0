"""Units of work on the write path: per-community lanes, the writer turn, and long work outside.

Why it looks like this (issue #12):

* **Lanes.** Each community has its own `PriorityLock` (a *lane*), held for a handler's whole
  unit of work: a member's events stay in order, a member waiting for an answer goes before bulk
  work of the same community, and a community's state does not change under a handler that
  steps out for long work. Lanes are made when first needed and dropped as soon as nobody holds
  or waits for them, so ten thousand quiet communities cost nothing. Work that spans
  communities (`/forgetme`, `/mydata`, a scheduler batch that names its communities) takes every
  lane it touches, always in the same order (`lane_order`), so two such units never deadlock.
* **The writer turn.** SQLite has one write connection and one transaction at a time, so a unit
  also takes `Lanes.writer` (a global `PriorityLock`, interactive work first) but only while its
  transaction is open: BEGIN IMMEDIATE … COMMIT. Work outside a transaction (a solve, a platform
  call, a cold peer-index load through the read connection) holds its lane only, and every other
  community writes meanwhile. On PostgreSQL (issue #13: one pooled connection per unit) the
  writer turn simply goes away: lanes alone order the work, and different communities' units
  run in parallel.
* **Long work outside (`outside`).** A handler asks for long work with
  `await units.outside(fn, *args)` (or `ctx.unit.outside`). The first time, the unit is rolled
  back and the writer turn released, `fn(*args)` runs with only the lane held, and the handler
  runs again from the start in a fresh transaction; this time the same call with equal
  arguments returns the result at once. So a unit still commits all or nothing (no half-done
  effect whose outbox rows could be lost, no "nothing was changed" apology after a partial
  commit), and a handler needs no re-validation code: it re-reads everything on its second run,
  and if what it read changed meanwhile, the arguments differ and the work runs again (at most
  `MAX_STEPS_OUTSIDE` times, then inside, as before). The price is reading twice, paid only by
  the handlers that do long work. The peer index's `write_unit` and the community/onboarding
  caches stay right because the first run ends by a rollback, exactly like a failed unit.
  Work that cannot be rerun (a scheduler batch of several jobs) is not *pausable*: `outside`
  runs the work in place there.
* **Order across processes (PostgreSQL).** Lanes order one process's units; several processes
  sharing one database take, as the first statement of every unit's transaction, a
  `pg_advisory_xact_lock` per community the unit holds lanes of (`lock_communities`, in
  `lane_order`, so two processes never deadlock). The key is a stable 64-bit hash of the
  community (`community_lock_key`); PostgreSQL releases it at commit or rollback. A second
  process's unit of the same community waits there; other communities do not.
* **No writer turn on PostgreSQL.** `writer_turn(db, lock)` is the given `PriorityLock` on SQLite
  and a `FreeTurn` (never waits) on PostgreSQL, where every transaction has its own pooled
  connection: different communities' units run in parallel, in one process too. The caches and
  the peer index keep their bookkeeping per unit for that (`communitybot.store.changes`,
  `PeerIndex.write_unit`).
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from communitybot.events import CommunityRef
from communitybot.priority_lock import Priority, PriorityLock

T = TypeVar("T")

MAX_STEPS_OUTSIDE = 3
"""How often one unit steps out for long work before it runs the rest in place (a handler whose
inputs keep changing must still finish)."""

_current: contextvars.ContextVar[Unit | None] = contextvars.ContextVar(
    "communitybot_unit", default=None
)


def lane_order(ref: CommunityRef) -> tuple[str, str]:
    """The one order in which units that span communities take their lanes (no deadlock)."""
    return (ref.platform, ref.space_id)


def community_lock_key(ref: CommunityRef) -> int:
    """The community's advisory lock key on PostgreSQL: a signed 64-bit hash of (platform,
    space id) that every process computes alike (Python's `hash` is salted per process)."""
    digest = hashlib.blake2b(
        f"community\0{ref.platform}\0{ref.space_id}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


class CommunityBusy(Exception):
    """Another process's unit holds one of these communities right now (`lock_communities`
    with `wait=False`): this unit's transaction is rolled back, nothing was done."""


async def lock_communities(
    db: Any, communities: Iterable[CommunityRef], *, wait: bool = True
) -> None:
    """First statement(s) of a unit's transaction on PostgreSQL: wait for every other
    process's unit of these communities to end, and hold them until this transaction ends
    (module docstring). SQLite: nothing (one process per database file).

    `wait=False` (bulk work that can be done later, such as a scheduler batch): raise
    `CommunityBusy` instead of waiting when another process holds one of them, so two workers
    racing over the same due jobs take turns on different communities instead of queueing
    behind each other on the same one."""
    if getattr(db, "dialect", "sqlite") != "postgresql":
        return
    for ref in sorted(set(communities), key=lane_order):
        if wait:
            await db.execute("SELECT pg_advisory_xact_lock(?)", (community_lock_key(ref),))
        else:
            row = await db.fetch_one(
                "SELECT pg_try_advisory_xact_lock(?)", (community_lock_key(ref),)
            )
            if row is None or not row[0]:
                raise CommunityBusy(ref)


class FreeTurn(PriorityLock):
    """The writer turn on PostgreSQL: taken at once, by any number of units (module docstring).
    It counts its holders, so `locked()` still says whether a transaction is open."""

    def __init__(self) -> None:
        super().__init__()
        self._holders = 0

    def locked(self) -> bool:
        return self._holders > 0

    async def acquire(
        self,
        priority: Priority = Priority.BULK,
        key: Hashable | None = None,
        payload: object = None,
    ) -> bool:
        self._holders += 1
        return True

    def release(self) -> None:
        if self._holders <= 0:
            raise RuntimeError("release of an unlocked FreeTurn")
        self._holders -= 1

    def should_yield(self) -> bool:
        return False


def writer_turn(db: Any, lock: PriorityLock | None = None) -> PriorityLock:
    """The writer turn for `db`: `lock` (or a new `PriorityLock`) on SQLite, where one
    transaction runs at a time on the one write connection; a `FreeTurn` on PostgreSQL."""
    if getattr(db, "dialect", "sqlite") == "postgresql":
        return lock if isinstance(lock, FreeTurn) else FreeTurn()
    return lock if lock is not None else PriorityLock()


class Lanes:
    """One `PriorityLock` per community, made lazily and dropped when idle, plus the writer
    turn (module docstring)."""

    def __init__(self, writer: PriorityLock | None = None) -> None:
        self._lanes: dict[Hashable, PriorityLock] = {}
        self.writer = writer or PriorityLock()
        """Held only while a transaction is open on the one write connection (SQLite)."""
        self._interactive_first = True

    @property
    def interactive_first(self) -> bool:
        return self._interactive_first

    @interactive_first.setter
    def interactive_first(self, value: bool) -> None:
        """False: every lane and the writer turn are plain FIFO (benchmarks that compare)."""
        self._interactive_first = value
        self.writer.interactive_first = value
        for lane in self._lanes.values():
            lane.interactive_first = value

    def __len__(self) -> int:
        """Lanes in use right now."""
        return len(self._lanes)

    def lane(self, community: CommunityRef) -> PriorityLock:
        lane = self._lanes.get(community)
        if lane is None:
            lane = self._lanes[community] = PriorityLock()
            lane.interactive_first = self._interactive_first
        return lane

    def busy(self, community: CommunityRef, key: Hashable) -> bool:
        """Whether this member has an event queued or running in its community's lane."""
        lane = self._lanes.get(community)
        return lane is not None and lane.busy(key)

    def waiting(self) -> int:
        """Waiters at every lane and at the writer turn."""
        return self.writer.waiting() + sum(lane.waiting() for lane in self._lanes.values())

    async def acquire(
        self,
        community: CommunityRef,
        priority: Priority,
        key: Hashable | None = None,
        payload: object = None,
    ) -> bool:
        """Take `community`'s lane (see `PriorityLock.acquire` for `payload` and False)."""
        lane = self.lane(community)
        try:
            return await lane.acquire(priority, key, payload)
        except BaseException:
            self._drop_if_idle(community)
            raise

    def release(self, community: CommunityRef) -> None:
        self._lanes[community].release()
        self._drop_if_idle(community)

    def finish_taken(self, community: CommunityRef, key: Hashable | None) -> None:
        self._lanes[community].finish_taken(key)
        self._drop_if_idle(community)

    def _drop_if_idle(self, community: CommunityRef) -> None:
        lane = self._lanes.get(community)
        if lane is not None and lane.idle():
            del self._lanes[community]

    @asynccontextmanager
    async def hold(
        self,
        communities: Iterable[CommunityRef],
        priority: Priority = Priority.BULK,
        key: Hashable | None = None,
    ) -> AsyncIterator[None]:
        """Hold the lanes of `communities` (each once, in `lane_order`) for one unit of work."""
        ordered = sorted(set(communities), key=lane_order)
        held: list[CommunityRef] = []
        try:
            for community in ordered:
                await self.acquire(community, priority, key)
                held.append(community)
            yield
        finally:
            for community in reversed(held):
                self.release(community)


class RunAgain(BaseException):
    """Raised by `Unit.outside` through the handler: roll back, run the long work outside the
    transaction, run the handler again. A BaseException so a handler's `except Exception`
    does not swallow it."""

    def __init__(self, step: _Step) -> None:
        super().__init__("long work to run outside the transaction")
        self.step = step


@dataclass
class _Step:
    fn: Callable[..., Awaitable[Any]]
    args: tuple[Any, ...]
    result: Any = None
    error: Exception | None = None
    """What the work raised: raised again where the handler asked for it, on its next run."""


@dataclass
class Unit:
    """One unit of work on the write path: the handler's run(s) in its lane (module docstring).

    The Bot makes it, runs the handler inside `running()` and, on `RunAgain`, rolls back,
    calls `step_outside` and runs the handler again.
    """

    pausable: bool = True
    """False: long work runs in place (a group commit's member, a scheduler batch)."""
    _done: list[_Step] = field(default_factory=list)
    _outside: bool = False

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Unit]:
        """Make this the current unit of the task (for `units.outside`)."""
        token = _current.set(self)
        try:
            yield self
        finally:
            _current.reset(token)

    async def outside(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """`await fn(*args)`, outside the transaction and the writer turn when this unit can
        step out (see the module docstring). `fn` must not use the write store; its arguments
        should be plain values (compared with ==) read in the transaction."""
        for step in self._done:
            if step.fn == fn and _same(step.args, args):
                if step.error is not None:
                    raise step.error
                return step.result
        if not self.pausable or self._outside or len(self._done) >= MAX_STEPS_OUTSIDE:
            return await fn(*args)
        raise RunAgain(_Step(fn, args))

    async def step_outside(self, step: _Step) -> None:
        """Run the long work of a `RunAgain` (the transaction is rolled back, the writer turn
        released); remember its result for the handler's next run."""
        self._outside = True
        try:
            step.result = await step.fn(*step.args)
        except Exception as error:
            step.error = error
        finally:
            self._outside = False
        self._done.append(step)

    @property
    def steps_outside(self) -> int:
        """How often this unit ran long work outside its transaction."""
        return len(self._done)


def current() -> Unit | None:
    """The unit of work the running task handles, if any."""
    return _current.get()


def can_step_out() -> bool:
    """Whether `outside` would run long work outside a transaction right now."""
    unit = _current.get()
    return (
        unit is not None
        and unit.pausable
        and not unit._outside
        and len(unit._done) < MAX_STEPS_OUTSIDE
    )


async def outside(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """`await fn(*args)` outside the current unit's transaction when it can step out, else in
    place (no unit: a test calling a feature directly, a maintenance script)."""
    unit = _current.get()
    if unit is None:
        return await fn(*args)
    return await unit.outside(fn, *args)


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """CPU work (a solve) in a worker thread, outside the current unit's transaction: the
    event loop stays responsive and every other community writes meanwhile."""
    return await outside(_to_thread, fn, *args)


async def _to_thread(fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.to_thread(fn, *args)


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Equal arguments (anything that cannot say so counts as different: run the work again)."""
    try:
        return bool(a == b)
    except Exception:
        return False
