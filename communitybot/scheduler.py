"""The durable scheduler: jobs stored in the database, fired by one asyncio loop, each effect once.

Why it looks like this:

* The store is the source of truth (`store.jobs`), so a restart loses nothing. In memory there is
  only a bounded *window*: the `window` soonest pending jobs as (due time, id) pairs, plus a
  *horizon* (the last pair loaded) below which the window is known to be complete. A new job
  beyond the horizon is simply left in the store; when the window runs dry it is reloaded with
  one indexed query. A million pending jobs therefore cost a few kilobytes of RAM.
* One loop sleeps until the soonest job, on an injected `Sleeper` and `Clock` (a `FakeClock` is
  both, so tests move time instead of waiting). Scheduling an earlier job wakes it at once.
* Due jobs run in batches through `Bot.run_scheduled`, one batch per community: under that
  community's lane (a job knows its community: `jobs.community_id`; one of no community takes
  the writer turn only), so its members' commands keep their order with it and a member of
  another community waits at most one writer turn, never for a whole fan-out. A job of a
  `long` kind (a round solve, a check-in that may match, a chat start that opens a thread)
  runs alone in a pausable unit: its long work steps outside the transaction
  (`communitybot.units`), the handler runs again with the saved result. In one transaction
  the batch's due jobs are marked 'delivered' (one `UPDATE … RETURNING`, which also reads
  them; the idempotency key is UNIQUE) and each job's handler makes its effect, so the effect
  commits exactly once or not at all. Messages the handlers return are written to the outbox
  in that transaction and delivered after the commit, like an event's (see
  `communitybot.outbox`: a crash after the commit delays them, never loses them).
* The loop also drives the outbox: before the first job it delivers what the previous run left
  undelivered (`communitybot.bootstrap` starts the scheduler once the platform is ready), and
  it wakes for the outbox's planned retries as for a job. It hears of new jobs and planned
  retries through the `Wakeup` it is built with (`communitybot.wakeup`): the bootstrap hands
  the same one to the store's job repository and the Bot's outbox, so nobody hooks in later.
* If a handler fails, the batch is rolled back and its jobs rerun one per transaction, so only
  the failing job is retried, with exponential backoff and a bounded number of attempts.
* A job found late (the bot was down) still runs within its kind's grace window; later than that
  it is dropped and logged, e.g. a reminder for a chat that has already ended.
* Finished rows are the once-only record, but only for as long as a key could come back: once a
  day, right after a batch of due jobs has run, the loop deletes rows finished more than
  `retention` ago (30 days by default, and always longer than every kind's grace window), in
  small id-range slices, each its own short transaction, so events are never held up for long.
  It never wakes the loop on its own (a quiet bot has little to clean), and the first pass waits
  a few minutes after start, so a restart's cold start stays fast.

Several processes on one PostgreSQL database (issue #13):

* Each process's scheduler takes the jobs of its own platform's communities (and jobs of no
  community): a Scheduler is built for one Bot, that is one platform (`JobFilter`). A worker
  (`communitybot worker`, built with `live=False`) also never claims the kinds that need the live
  platform connection (`JobKind.live`); the platform's own process runs those.
* Processes race for due jobs through the claim (`JobRepository.claim_due`: `FOR UPDATE SKIP
  LOCKED`): a job another process holds is skipped, not waited for, and dropped from this
  window. In case that process rolls back (it died: PostgreSQL rolls back its transaction when
  its connection drops, or ends it after `idle_in_transaction_session_timeout`), the window is
  reloaded `HELD_RELOAD` after a batch that skipped anything.
* A batch's unit does not wait for its community's advisory lock (`units.lock_communities`):
  while another process's unit holds that community, the batch is put back for
  `BUSY_COMMUNITY_PAUSE` and this process runs other communities' batches. Two workers reading
  the same window then take turns instead of queueing behind each other (2 workers on 2 cores:
  1.35× one worker's throughput before, 1.7–1.9× with it; `benchmarks/pg_workers.py`).
* New and retried jobs of the other processes are heard through `CHANNEL_JOBS` notifications
  (listened to from `start()`); a lost listening connection (`on_gap`) and, as a safety net,
  every `REFRESH_EVERY`, the window is reloaded. On SQLite (one process) none of this runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import random
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from loguru import logger

from communitybot.clock import Clock, Sleeper, SystemSleeper
from communitybot.context import Context
from communitybot.events import CommunityRef
from communitybot.job_kinds import JobKind
from communitybot.replies import Action
from communitybot.store.db import StoreBusy
from communitybot.store.jobs import Job, JobFilter, JobNotice, Route
from communitybot.store.notifications import CHANNEL_JOBS
from communitybot.units import CommunityBusy
from communitybot.wakeup import Wakeup

if TYPE_CHECKING:
    from communitybot.bot import Bot

DEFAULT_WINDOW = 1024
DEFAULT_BATCH = 256
MAX_BACKOFF = timedelta(hours=6)
BUSY_PAUSE = timedelta(seconds=1)
ERROR_PAUSE = timedelta(seconds=5)
STOP_TIMEOUT_S = 5.0
DEFAULT_RETENTION = timedelta(days=30)
CLEANUP_EVERY = timedelta(days=1)
CLEANUP_FIRST_AFTER = timedelta(minutes=10)
CLEANUP_RETRY = timedelta(hours=1)
CLEANUP_SLICE = 5_000
"""Job ids per clean-up transaction."""
HELD_RELOAD = timedelta(seconds=3)
"""After a batch skipped jobs another process held: reload then (they are pending again if that
process rolled back)."""
BUSY_COMMUNITY_PAUSE = timedelta(milliseconds=100)
"""On a shared database: a batch whose community another process's unit holds is put back this
long, while this process runs other communities' batches (`units.CommunityBusy`)."""
REFRESH_EVERY = timedelta(seconds=30)
"""On a shared database: reload the window this often, whatever was heard (a safety net)."""


_Unit = tuple[list[int], int | None, bool]
"""Due jobs run together: their ids, their community (None: no lane), pausable (a long job)."""


class _HandlerFailed(Exception):
    def __init__(self, job: Job, error: Exception) -> None:
        super().__init__(f"{job.kind} job {job.key} failed: {error!r}")
        self.job = job
        self.error = error


@dataclass
class _Outcome:
    """What one batch did, logged and acted on only once its transaction committed."""

    delivered: list[Job] = field(default_factory=list)
    dropped: list[Job] = field(default_factory=list)
    unknown: list[Job] = field(default_factory=list)
    not_yet: list[Job] = field(default_factory=list)
    held: list[Job] = field(default_factory=list)
    """Due and pending, but not claimed: another process's open batch holds them."""


class Scheduler:
    """Fires stored jobs on time; `start()`/`stop()`, or `async with scheduler.running():`."""

    def __init__(
        self,
        bot: Bot,
        kinds: Mapping[str, JobKind],
        *,
        clock: Clock | None = None,
        sleeper: Sleeper | None = None,
        window: int = DEFAULT_WINDOW,
        batch: int = DEFAULT_BATCH,
        retention: timedelta | None = DEFAULT_RETENTION,
        wakeup: Wakeup | None = None,
        live: bool = True,
    ) -> None:
        """`retention`: how long finished job rows are kept (None: forever). `wakeup`: the
        alarm the job repository and the outbox ring (`communitybot.wakeup`; the bot's by
        default): this scheduler listens to it from now on. `live`: False for a worker, whose
        platform is not connected: it never claims a `JobKind.live` job."""
        if window < 1 or batch < 1:
            raise ValueError("window and batch must be at least 1")
        graces = [k.grace for k in kinds.values() if k.grace is not None]
        longest = max([*graces, MAX_BACKOFF])
        if retention is not None and retention <= longest:
            raise ValueError(
                f"job retention ({retention}) must outlast every grace window and retry ({longest})"
            )
        self._bot = bot
        self._jobs = bot.store.jobs
        self._kinds = dict(kinds)
        self._spanning = any(kind.lanes is not None for kind in self._kinds.values())
        """Some kind names further lanes (`JobKind.lanes`); without one, a batch never asks."""
        self._clock = clock or bot.clock
        self._sleeper = sleeper or SystemSleeper(self._clock)
        self._window_size = window
        self._batch_size = batch
        self._heap: list[tuple[datetime, int]] = []
        self._routes: dict[int, Route] = {}
        """The routes of the window's jobs as its query read them (a job's kind and community
        never change): a batch of them runs without a look-up. A job heard of one by one
        (`job_scheduled`) has none here: its batch looks its route up (`JobRepository.routes`)."""
        self._horizon: tuple[datetime, int] | None = None
        """None: every pending job is in the heap; else jobs after this pair may be store-only."""
        self._stale = True
        self._reloading = False
        self._added_while_reloading: list[tuple[datetime, int]] = []
        self._wake = asyncio.Event()
        self._sleeping = False
        self._sleeping_until: datetime | None = None
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._retention = retention
        self._next_cleanup: datetime | None = None
        self._outbox_due: datetime | None = None
        """When the outbox next has a retry due (None: none planned)."""
        self._wakeup = wakeup or bot.wakeup
        self._wakeup.listen(self)
        self._long_kinds = frozenset(name for name, kind in self._kinds.items() if kind.long)
        skipped = () if live else tuple(sorted(n for n, k in self._kinds.items() if k.live))
        self._only = JobFilter(platform=bot.platform.name, skip_kinds=skipped)
        """The jobs this process takes: its platform's, and not the live kinds on a worker."""
        self._notifications = bot.store.db.notifications
        self._listening = False
        self._refresh_every = REFRESH_EVERY if self._notifications.shared else None
        self._refresh_at: datetime | None = None
        """When the window is next reloaded whatever was heard (None: never)."""
        self._rotation = random.randrange(1 << 16) if self._notifications.shared else None
        """Where this process starts a batch's units (`_spread`); None: one process."""
        self.ran = 0
        """Jobs this scheduler ran whose batch committed (a worker logs it when it stops)."""
        self._refs: dict[int, CommunityRef] = {}
        """Community id → its lane's name, learnt as jobs of that community come due."""

    # Life cycle --------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the loop: it first loads the window, then fires what is due (within grace)."""
        if self._task is not None:
            return
        self._stopping = False
        self._stale = True
        self._wake = asyncio.Event()
        if self._retention is not None:
            self._next_cleanup = self._clock.now() + CLEANUP_FIRST_AFTER
        if self._refresh_every is not None:
            self._refresh_at = self._clock.now() + self._refresh_every
        if self._notifications.shared and not self._listening:
            self._listening = True  # once per scheduler: a listener cannot be taken back
            self._notifications.on_gap(self.jobs_changed)
            try:
                await self._notifications.listen(CHANNEL_JOBS, self._heard)
            except Exception as error:  # e.g. the server's connection limit: run on, deafer
                logger.warning(
                    "cannot listen for other processes' jobs ({}); the window is reloaded "
                    "every {} instead",
                    error,
                    self._refresh_every,
                )
            try:  # rows other processes queue wake this loop at once
                await self._bot.outbox.listen()
            except Exception as error:
                logger.warning(
                    "cannot listen for other processes' messages ({}); they go out when "
                    "this scheduler next looks",
                    error,
                )
        self._task = asyncio.create_task(self._run(), name="communitybot-scheduler")

    async def stop(self, grace_s: float = STOP_TIMEOUT_S) -> None:
        """Let the current batch finish (or cancel it after `grace_s`: it rolls back)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        done, _ = await asyncio.wait({task}, timeout=grace_s)
        if not done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        elif task.exception() is not None:
            logger.opt(exception=task.exception()).error("the scheduler loop had crashed")

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Scheduler]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    # Listener (the `Wakeup`: rung by the job repository, the outbox, the bot) ---------------
    def job_scheduled(self, job_id: int, due_at: datetime) -> None:
        """A new job: keep it in the window if it belongs there, and wake for an earlier one.
        Stopped, it listens to nothing: `start()` reloads the window from the store."""
        if self._task is not None:
            self._keep(job_id, due_at)

    def _keep(self, job_id: int, due_at: datetime) -> None:
        entry = (due_at, job_id)
        if self._reloading:
            self._added_while_reloading.append(entry)
        elif self._horizon is None or entry <= self._horizon:
            heapq.heappush(self._heap, entry)
            if len(self._heap) > 2 * self._window_size:
                self._trim()
        if self._sleeping_until is None or due_at < self._sleeping_until:
            self._wake.set()

    def retry_planned(self, at: datetime) -> None:
        """The outbox (or an unsaved join) will be tried again at `at`: wake for it then."""
        if self._outbox_due is None or at < self._outbox_due:
            self._outbox_due = at
            if self._sleeping_until is None or at < self._sleeping_until:
                self._wake.set()

    def jobs_changed(self) -> None:
        self._stale = True
        self._wake.set()

    def _heard(self, payload: str) -> None:
        """A `CHANNEL_JOBS` notification: another process scheduled or retried jobs (this
        process's own were heard through the `Wakeup` already)."""
        notice = JobNotice.read(payload)
        if notice is None:
            logger.warning("ignored a job notification that is not one: {!r}", payload[:80])
        elif notice.origin == self._notifications.origin:
            return
        elif notice.job_id is None or notice.due_at is None:
            self.jobs_changed()
        else:
            self.job_scheduled(notice.job_id, notice.due_at)

    # For tests and benchmarks ------------------------------------------------------------
    @property
    def in_memory(self) -> int:
        """How many jobs the window holds right now (bounded by about twice `window`)."""
        return len(self._heap)

    @property
    def idle(self) -> bool:
        """Asleep with nothing due by its clock and no wake-up pending."""
        return (
            self._task is not None
            and self._sleeping
            and not self._wake.is_set()
            and (self._sleeping_until is None or self._sleeping_until > self._clock.now())
        )

    async def settle(self, limit_s: float = 10.0) -> None:
        """Wait (really) until the loop has fired whatever the clock says is due and sleeps."""
        deadline = time.monotonic() + limit_s
        await asyncio.sleep(0)
        while not self.idle:
            if self._task is not None and self._task.done():
                self._task.result()
                raise RuntimeError("the scheduler loop has stopped")
            if time.monotonic() > deadline:
                raise TimeoutError("the scheduler did not settle")
            await asyncio.sleep(0.0005)

    # The loop ------------------------------------------------------------------------------
    async def _run(self) -> None:
        logger.debug("scheduler started")
        self._outbox_due = self._clock.now()  # first of all: what the previous run left
        while not self._stopping:
            self._wake.clear()
            self._refresh_if_due()
            try:
                await self._deliver_outbox()
                fired = await self._fire_due()
            except Exception:
                logger.exception("the scheduler met an error; trying again in {}", ERROR_PAUSE)
                self._stale = True
                await self._sleep_or_wake(self._clock.now() + ERROR_PAUSE)
                continue
            if self._stopping:
                break
            if fired and self._next_cleanup is not None and self._next_cleanup <= self._clock.now():
                await self._clean_up()
                continue  # jobs may have come due meanwhile
            await self._sleep_or_wake(self._next_wake())
        logger.debug("scheduler stopped")

    def _next_wake(self) -> datetime | None:
        soonest = self._heap[0][0] if self._heap else None
        moments = [m for m in (soonest, self._outbox_due, self._refresh_at) if m]
        return min(moments) if moments else None

    def _refresh_if_due(self) -> None:
        """Reload the window when it is time: the safety net on a shared database, or soon
        after a batch skipped jobs another process held (`HELD_RELOAD`)."""
        now = self._clock.now()
        if self._refresh_at is None or self._refresh_at > now:
            return
        self._stale = True
        self._refresh_at = None if self._refresh_every is None else now + self._refresh_every

    def _refresh_by(self, moment: datetime) -> None:
        if self._refresh_at is None or moment < self._refresh_at:
            self._refresh_at = moment

    async def _deliver_outbox(self) -> None:
        """Deliver due outbox rows (left by the previous run, or retries), then look ahead.
        A bot that does not deliver (a worker's) leaves them to the platform's own process."""
        if not self._bot.delivers:
            self._outbox_due = None
            return
        if self._outbox_due is None or self._outbox_due > self._clock.now():
            return
        due, self._outbox_due = self._outbox_due, None
        try:
            delivered = await self._bot.deliver_outbox()
            planned = await self._bot.outbox.next_retry_at()
        except Exception:
            self._outbox_due = due  # the loop logs it and tries again after a pause
            raise
        if delivered:
            logger.info("outbox: handled {} undelivered action(s)", delivered)
        if planned is not None:
            planned = max(planned, self._clock.now() + ERROR_PAUSE)  # a row that would not go
            if self._outbox_due is None or planned < self._outbox_due:
                self._outbox_due = planned

    async def _sleep_or_wake(self, until: datetime | None) -> None:
        """Sleep until `until` (or indefinitely), unless woken by an earlier job or stop()."""
        waits: set[asyncio.Task[Any]] = {asyncio.create_task(self._wake.wait())}
        if until is not None:
            waits.add(asyncio.create_task(self._sleeper.sleep_until(until)))
        self._sleeping, self._sleeping_until = True, until
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._sleeping, self._sleeping_until = False, None
            for task in waits:
                task.cancel()

    async def _fire_due(self) -> bool:
        """Run every due job, batch by batch; True if there was at least one batch."""
        fired = False
        while not self._stopping:
            if self._stale or (not self._heap and self._horizon is not None):
                await self._reload()
            now = self._clock.now()
            if not self._heap or self._heap[0][0] > now:
                break
            ids: dict[int, None] = {}  # ordered and without repeats
            while self._heap and self._heap[0][0] <= now and len(ids) < self._batch_size:
                ids[heapq.heappop(self._heap)[1]] = None
            routes = await self._routes_of(list(ids))
            kinds = {job_id: kind for job_id, kind, _ in routes} if self._spanning else {}
            units = self._spread(self._units(routes))
            await self._name_lanes({community for _, community, _ in units})
            for group, community_id, pausable in units:
                community = None if community_id is None else self._refs.get(community_id)
                spans = await self._spans(group, kinds) if pausable and kinds else ()
                await self._run_batch(group, community, pausable, spans)
                if self._stopping:
                    break
            fired = True
        return fired

    async def _routes_of(self, ids: list[int]) -> list[Route]:
        """The popped jobs' routes, in their (due, id) order: on SQLite those the window read,
        unless a job heard of one by one is among them; else all looked up, which also leaves
        out jobs no longer pending. (A job cancelled since the window was read is still routed
        then: its claim finds nothing to run. On a shared database other processes claim jobs
        of this window all the time: the look-up keeps their lanes from being taken for
        nothing.)"""
        known = [self._routes.pop(job_id, None) for job_id in ids]
        if not self._notifications.shared and None not in known:
            return [route for route in known if route is not None]
        return await self._jobs.routes(ids, self._only)

    def _spread(self, units: list[_Unit]) -> list[_Unit]:
        """On a shared database, start a popped batch's communities (all due) at this
        process's own offset: processes reading the same window then mostly take different
        communities' units instead of skipping one another's (the offset moves after a batch
        that skipped held jobs). Order that matters is kept: each community's units stay in
        their order (a stable sort), and a unit of no community stays where it was, between
        what came before and after it. One process: as is."""
        if self._rotation is None or len(units) < 2:
            return units
        spread: list[_Unit] = []
        stretch: list[_Unit] = []
        for unit in units:
            if unit[1] is None:
                spread.extend(self._rotated(stretch))
                spread.append(unit)
                stretch = []
            else:
                stretch.append(unit)
        spread.extend(self._rotated(stretch))
        return spread

    def _rotated(self, stretch: list[_Unit]) -> list[_Unit]:
        communities = list(dict.fromkeys(unit[1] for unit in stretch))
        if len(communities) < 2:
            return stretch
        assert self._rotation is not None
        offset = self._rotation % len(communities)
        rank = {c: (n - offset) % len(communities) for n, c in enumerate(communities)}
        return sorted(stretch, key=lambda unit: rank[unit[1]])

    def _units(self, routes: Sequence[Route]) -> list[_Unit]:
        """The popped due jobs as units of work: one batch per community (to run under its
        lane; the jobs of no community under the writer turn only), and each job of a `long`
        kind alone in a pausable unit. In (due, id) order of each unit's first job; a job gone
        meanwhile (cancelled, finished) is not among `routes` and simply not run."""
        batches: dict[int | None, list[int]] = {}
        units: list[_Unit] = []
        long_kinds = self._long_kinds
        for job_id, kind, community_id in routes:
            if kind in long_kinds:
                units.append(([job_id], community_id, True))
                continue
            batch = batches.get(community_id)
            if batch is None:
                batch = batches[community_id] = []
                units.append((batch, community_id, False))
            batch.append(job_id)
        return units

    async def _spans(self, ids: Sequence[int], kinds: dict[int, str]) -> tuple[CommunityRef, ...]:
        """The further lanes a lone long job holds when its kind says (`JobKind.lanes`: a
        network-wide round holds every affiliate's, as a `spans="network"` command does). Read
        just before the unit, as an event's lanes are; a job gone meanwhile holds none."""
        kind = self._kinds.get(kinds.get(ids[0], "")) if len(ids) == 1 else None
        if kind is None or kind.lanes is None:
            return ()
        jobs = await self._jobs.pending_by_ids(ids)
        if not jobs:
            return ()
        source = self._bot.reader or self._bot.store
        return tuple(await kind.lanes(source, jobs[0]))

    async def _name_lanes(self, community_ids: set[int | None]) -> None:
        """Learn the lane (`CommunityRef`) of communities not seen yet: a community's platform
        and id never change, so each is read once per run (a gone one runs without a lane)."""
        unknown = [c for c in community_ids if c is not None and c not in self._refs]
        if unknown:
            self._refs.update(await self._jobs.community_refs(unknown))

    async def _reload(self) -> None:
        self._reloading, self._added_while_reloading = True, []
        try:
            soon = await self._jobs.window(self._window_size, self._only)
        finally:
            self._reloading = False
        rows = [(due_at, job_id) for due_at, job_id, _, _ in soon]
        self._routes = {job_id: (job_id, kind, community) for _, job_id, kind, community in soon}
        horizon = rows[-1] if len(rows) >= self._window_size else None
        known = set(rows)
        for entry in self._added_while_reloading:
            if entry not in known and (horizon is None or entry <= horizon):
                rows.append(entry)
        heapq.heapify(rows)
        self._heap, self._horizon, self._stale = rows, horizon, False
        self._added_while_reloading = []

    def _trim(self) -> None:
        """Too many jobs were added in the window's range: keep the soonest, move the horizon."""
        keep = heapq.nsmallest(self._window_size, self._heap)
        self._heap, self._horizon = keep, keep[-1]
        kept = {job_id for _, job_id in keep}
        self._routes = {job_id: r for job_id, r in self._routes.items() if job_id in kept}

    # Clean-up of finished rows ---------------------------------------------------------------
    async def _clean_up(self) -> None:
        """Delete rows finished more than `retention` ago, one id slice per transaction."""
        assert self._retention is not None
        now = self._clock.now()
        cutoff = now - self._retention
        self._next_cleanup = now + CLEANUP_EVERY
        try:
            deleted = await self.delete_finished_before(cutoff)
        except Exception:
            self._next_cleanup = now + CLEANUP_RETRY
            logger.exception("the job clean-up failed; trying again at {}", self._next_cleanup)
            return
        if deleted:
            logger.info("job clean-up: deleted {} job row(s) finished before {}", deleted, cutoff)

    async def delete_finished_before(self, cutoff: datetime) -> int:
        """One clean-up pass (also for maintenance scripts); returns how many rows went."""
        span: list[tuple[int, int] | None] = []

        async def read_span() -> list[Action]:
            span.append(await self._jobs.id_span())
            return []

        await self._bot.run_scheduled(read_span)
        if span[0] is None:
            return 0
        first, last = span[0]
        deleted = 0
        for low in range(first, last + 1, CLEANUP_SLICE):
            high = min(low + CLEANUP_SLICE - 1, last)

            async def delete_slice(low: int = low, high: int = high) -> list[Action]:
                nonlocal deleted
                deleted += await self._jobs.delete_finished(cutoff, low, high)
                return []

            await self._bot.run_scheduled(delete_slice)
            if self._stopping:
                break
        return deleted

    # Running jobs ------------------------------------------------------------------------------
    async def _run_batch(
        self,
        ids: Sequence[int],
        community: CommunityRef | None = None,
        pausable: bool = False,
        spans: Sequence[CommunityRef] = (),
    ) -> None:
        """Run these due jobs in one unit of work, under `community`'s lane if given (and the
        lanes of `spans`, the further communities a network-wide job writes in).

        The work may run more than once (a pausable unit runs again after its long work
        stepped outside): each run starts a fresh `_Outcome`, and only the one that committed
        is reported."""
        outcomes: list[_Outcome] = []

        async def work() -> list[Action]:
            outcome = _Outcome()
            outcomes.append(outcome)
            return await self._work(ids, outcome)

        try:
            await self._bot.run_scheduled(
                work,
                communities=(*(() if community is None else (community,)), *spans),
                pausable=pausable,
                skip_if_busy=self._notifications.shared,
            )
        except CommunityBusy:
            retry_at = self._clock.now() + BUSY_COMMUNITY_PAUSE
            for job_id in ids:
                self._keep(job_id, retry_at)
            return
        except _HandlerFailed as failed:
            if len(ids) > 1:
                # Rolled back as a whole: rerun one per transaction so only the culprit retries.
                for job_id in ids:
                    await self._run_batch([job_id], community, pausable, spans)
            else:
                await self._record_failure(failed.job, failed.error)
            return
        except StoreBusy:
            logger.warning("database busy: {} due job(s) will be tried again shortly", len(ids))
            retry_at = self._clock.now() + BUSY_PAUSE
            for job_id in ids:
                self._keep(job_id, retry_at)
            return
        self._report(outcomes[-1])

    async def _work(self, ids: Sequence[int], outcome: _Outcome) -> list[Action]:
        now = self._clock.now()
        ctx = Context(
            store=self._bot.store,
            clock=self._clock,
            platform=self._bot.platform,
            peers=self._bot.peers,
            prefix=self._bot.prefix,
            now=now,
            features=self._bot.features,
        )
        actions: list[Action] = []
        claimed = await self._jobs.claim_due(ids, now, self._only)  # undone on failure
        if len(claimed) < len(ids):  # cancelled, finished, rescheduled, or held elsewhere
            seen = {job.id for job in claimed}
            missing = [job_id for job_id in ids if job_id not in seen]
            for job in await self._jobs.pending_by_ids(missing):
                # Still pending and due, yet not claimed: another process's batch holds it.
                (outcome.held if job.due_at <= now else outcome.not_yet).append(job)
        for job in sorted(claimed, key=lambda j: (j.due_at, j.id)):
            kind = self._kinds.get(job.kind)
            if kind is None:
                outcome.unknown.append(job)
            elif kind.grace is not None and now - job.due_at > kind.grace:
                outcome.dropped.append(job)
            else:
                try:
                    actions.extend(await kind.handler(ctx, job))
                except Exception as error:
                    raise _HandlerFailed(job, error) from error
                outcome.delivered.append(job)
        if outcome.dropped:
            await self._jobs.unclaim([j.id for j in outcome.dropped], "dropped")
        if outcome.unknown:
            await self._jobs.unclaim([j.id for j in outcome.unknown], "failed")
        return actions

    def _report(self, outcome: _Outcome) -> None:
        now = self._clock.now()
        for job in outcome.dropped:
            grace = self._kinds[job.kind].grace
            logger.warning(
                "dropped {} job {}: due {}, {} late, beyond its grace window of {}",
                job.kind,
                job.key,
                job.due_at.isoformat(),
                now - job.due_at,
                grace,
            )
        for job in outcome.unknown:
            logger.error("no handler for {} job {}: marked failed", job.kind, job.key)
        for job in outcome.not_yet:
            self._keep(job.id, job.due_at)
        if outcome.held:
            logger.debug("{} due job(s) held by another process: left to it", len(outcome.held))
            self._refresh_by(now + HELD_RELOAD)
            if self._rotation is not None:
                self._rotation += random.randrange(1, 1 << 16)
        self.ran += len(outcome.delivered)

    async def _record_failure(self, job: Job, error: Exception) -> None:
        kind = self._kinds[job.kind]
        attempts = job.attempts + 1
        now = self._clock.now()
        retry_at: datetime | None = None
        if attempts < kind.max_attempts:
            retry_at = now + min(kind.backoff * (2 ** (attempts - 1)), MAX_BACKOFF)
        description = f"{type(error).__name__}: {error}"

        async def record() -> list[Action]:
            await self._jobs.record_failure(job.id, description, retry_at, now)
            return []

        try:
            await self._bot.run_scheduled(record)
        except StoreBusy:
            retry_at = now + BUSY_PAUSE  # not counted; tried again from memory shortly
        if retry_at is None:
            logger.opt(exception=error).error(
                "{} job {} failed {} times; giving up", job.kind, job.key, attempts
            )
            return
        logger.opt(exception=error).warning(
            "{} job {} failed (attempt {} of {}); retrying at {}",
            job.kind,
            job.key,
            attempts,
            kind.max_attempts,
            retry_at.isoformat(),
        )
        self._keep(job.id, retry_at)
