"""The durable outbox: what a committed event or job owes the platform survives a crash.

Why it looks like this:

* Every action that can be replayed later (SendToChannel, SendDirect, SendToGroup, GrantRole,
  RevokeRole) is written to the `outbox` table in the SAME transaction as the handler's effects
  (`queue`, one INSERT statement per event). So the effect and the promise to announce it commit
  together: a crash right after the commit loses nothing, because the rows are still there.
  A `Reply` is never stored: an interaction answer cannot be sent after a restart (Discord's
  token expires in minutes), and the member is there to try again.
* After the commit, outside the lock, `deliver` sends the batch in order, then deletes the rows
  whose actions went through in one go: the bot's lock, one `DELETE … WHERE id IN (…)` per 500
  rows, one commit (a 256-job scheduler batch used to cost 256 commits). A final refusal
  (closed DMs, a missing permission, anything the platform answered with `PlatformError`) is
  also a final outcome: delivery has already logged and reported it, the row goes. Until their
  DELETE committed, delivered rows stay "in flight", so a replay never picks them up.
* A group introduction is the exception: opening a room or thread has no idempotency key, so a
  replay would open a second one. Its row (with every delivered row before it) is deleted
  right after it went out, before the next action is sent.
* An unexpected error (not a `PlatformError`: a bug, the network gone mid-request after the
  adapter's own retries) keeps the row and plans a retry with back-off: 30 s, 2 min, 8 min,
  then it is given up with an error in the log (`MAX_ATTEMPTS` deliveries in all). The
  scheduler's loop runs due retries (`deliver_due`); without a scheduler they wait for the next
  start. A group introduction whose conversation could not be opened falls back to a DM each
  and is then final, so a retry never repeats the DMs that did go out.
* On start-up, once the platform is ready (`communitybot.bootstrap` starts the scheduler after
  login/ready, and the scheduler delivers the outbox before its first job), rows left by the
  previous run are delivered in order. Rows older than `MAX_AGE` (24 h) are dropped with a log
  line: a day-old "the chat starts in 15 minutes" is worse than nothing.
* `/forgetme` deletes the undelivered rows that name the member (`OutboxRepository.forget`).
* Rows written by this process are "in flight" in memory until their first delivery finished
  (and, if delivered, until their DELETE committed), so a replay running meanwhile never sends
  them a second time.

What remains (at-least-once for the actions of one batch): a crash after the platform accepted
messages but before their rows were deleted re-sends them on restart (at most the batch being
delivered, never a group introduction). On Matrix that window is mostly closed: `request_key`
names each request of a row's delivery, the Matrix adapter uses it as the transaction id, and
the homeserver answers a repeated transaction with the event it already sent instead of posting
again — as long as it remembers the transaction (Synapse: about
30 minutes) and the bot restarts with the same access token (saved or configured). On Discord
the adapter sends the key (hashed) as the message nonce with `enforce_nonce`, so Discord returns
the message it already created for a repeat within a few minutes.

Rows are deleted under the bot's lock, so the DELETE never lands inside another event's
transaction on the shared connection. The price is a wait for the lock after delivering (never
before the delivery itself); while one delivery waits for it, the others leave their rows to
that one and return at once, so a burst marks its rows in a few statements, and a crash in the
middle of a burst re-sends (under the same keys) what was delivered since the last DELETE.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from loguru import logger

from communitybot.clock import Clock
from communitybot.delivery import deliver_action, describe
from communitybot.events import Event
from communitybot.outbox_codec import UndecodableAction, decode, encode
from communitybot.ports import ChatPlatform
from communitybot.replies import Action, GrantRole, Reply, RevokeRole, SendDirect, SendToChannel
from communitybot.store.outbox import OutboxRow
from communitybot.store.store import Store
from communitybot.wakeup import Wakeup

MAX_AGE = timedelta(hours=24)
MAX_ATTEMPTS = 4
FIRST_BACKOFF = timedelta(seconds=30)
BACKOFF_FACTOR = 4

REPLAY_SAFE = (SendToChannel, SendDirect, GrantRole, RevokeRole)
"""Actions a repeat of which the platform recognises (message keys from the row) or that are
idempotent (roles): their rows are deleted with the rest of the batch. Any other action (a group
introduction) has its row deleted as soon as it went out."""

_delivering: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "communitybot_outbox_delivering", default=None
)
"""While an outbox row is being delivered: [its stable name, platform requests named so far]."""


def request_key() -> str | None:
    """A stable name for the next platform request of the outbox row being delivered, or None.

    "outbox-<row id>-<created>.<n>": the n-th request of that row's delivery, the same on every
    attempt and after a restart, so an adapter that can make a request idempotent (Matrix
    transaction ids) lets the platform recognise a repeat. None outside an outbox delivery
    (replies), where a fresh random id is right.
    """
    current = _delivering.get()
    if current is None:
        return None
    current[1] += 1
    return f"{current[0]}.{current[1]}"


@dataclass(frozen=True)
class Queued:
    """One action of a committed batch: its outbox row (None for a `Reply`) and where delivery
    reports problems."""

    row_id: int | None
    action: Action
    modlog_channel: str | None
    key: str | None = None


class Outbox:
    """Queue in the transaction, deliver after it, replay what a previous run left."""

    def __init__(
        self,
        store: Store,
        platform: ChatPlatform,
        clock: Clock,
        lock: AbstractAsyncContextManager[Any],
        wakeup: Wakeup | None = None,
    ) -> None:
        """`wakeup`: told when a retry is planned, so the scheduler wakes for it
        (`communitybot.wakeup`; the store's by default)."""
        self._rows = store.outbox
        self._wakeup = wakeup or store.wakeup
        self._platform = platform
        self._clock = clock
        self._lock = lock
        self._in_flight: set[int] = set()
        self._done: dict[int, None] = {}
        """Rows delivered (or finally refused, or dropped) whose DELETE has not run yet, in
        order; they stay in `_in_flight` until it committed."""
        self._flush_queued = False
        """A flush is waiting for the lock and has not taken `_done` yet: it takes new rows too."""

    async def queue(
        self, actions: Sequence[tuple[Action, str | None]], now: datetime
    ) -> list[Queued]:
        """Store the replayable actions (inside the caller's transaction and lock)."""
        stored = [(action, modlog) for action, modlog in actions if not isinstance(action, Reply)]
        ids = iter(await self._rows.add([(encode(a), m) for a, m in stored], now))
        created = int(now.timestamp())
        queued: list[Queued] = []
        for action, modlog in actions:
            if isinstance(action, Reply):
                queued.append(Queued(None, action, modlog))
            else:
                row_id = next(ids)
                self._in_flight.add(row_id)
                queued.append(Queued(row_id, action, modlog, _key(row_id, created)))
        return queued

    async def deliver(self, event: Event | None, batch: Sequence[Queued]) -> list[str]:
        """Deliver a committed batch in order, then mark its rows in one statement; returns the
        problems met."""
        problems: list[str] = []
        rows = [item.row_id for item in batch if item.row_id is not None]
        try:
            for item in batch:
                if item.row_id is None:
                    await deliver_action(
                        self._platform, event, item.action, item.modlog_channel, problems
                    )
                else:
                    await self._deliver_row(
                        item.row_id, item.key, 0, item.action, event, item.modlog_channel, problems
                    )
        finally:
            self._settle(rows)
        await self._flush(rows)
        return problems

    async def deliver_due(self) -> int:
        """Deliver rows a previous run left, and retries that are due; returns how many rows
        were handled (delivered, refused, dropped or retried)."""
        async with self._lock:  # never read another event's uncommitted rows
            now = self._clock.now()
            rows = [row for row in await self._rows.due(now) if row.id not in self._in_flight]
            self._in_flight.update(row.id for row in rows)
        ids = [row.id for row in rows]
        try:
            for row in rows:
                await self._replay(row, now)
        finally:
            self._settle(ids)
        await self._flush(ids)
        return len(rows)

    async def next_retry_at(self) -> datetime | None:
        return await self._rows.next_retry_at()

    async def _replay(self, row: OutboxRow, now: datetime) -> None:
        if now - row.created_at > MAX_AGE:
            logger.warning(
                "outbox: dropped row {} from {} ({} old, beyond {}) without sending it",
                row.id,
                row.created_at.isoformat(),
                now - row.created_at,
                MAX_AGE,
            )
            self._done[row.id] = None
            return
        try:
            action = decode(row.action)
        except UndecodableAction as error:
            logger.error("outbox: dropped row {}, which cannot be read: {}", row.id, error)
            self._done[row.id] = None
            return
        if row.attempts == 0:
            logger.info("outbox: delivering row {} left by the previous run", row.id)
        key = _key(row.id, int(row.created_at.timestamp()))
        await self._deliver_row(row.id, key, row.attempts, action, None, row.modlog_channel, [])

    async def _deliver_row(
        self,
        row_id: int,
        key: str | None,
        attempts: int,
        action: Action,
        event: Event | None,
        modlog_channel: str | None,
        problems: list[str],
    ) -> None:
        token = _delivering.set(None if key is None else [key, 0])
        try:
            outcome = await deliver_action(self._platform, event, action, modlog_channel, problems)
        finally:
            _delivering.reset(token)
        if outcome != "failed":
            self._done[row_id] = None
            if not isinstance(action, REPLAY_SAFE):
                # A replay would open a second conversation: gone before the next action.
                await self._flush([row_id], at_once=True)
            return
        attempts += 1
        if attempts >= MAX_ATTEMPTS:
            logger.error(
                "outbox: giving up on row {} ({}) after {} attempts",
                row_id,
                describe(action),
                attempts,
            )
            self._done[row_id] = None
            return
        retry_at = self._clock.now() + FIRST_BACKOFF * BACKOFF_FACTOR ** (attempts - 1)
        try:
            async with self._lock:
                await self._rows.retry_later(row_id, problems[-1] if problems else "", retry_at)
        except Exception:
            logger.exception("outbox: could not plan a retry for row {}", row_id)
            return
        logger.warning(
            "outbox: {} failed (attempt {} of {}); retrying at {}",
            describe(action),
            attempts,
            MAX_ATTEMPTS,
            retry_at.isoformat(),
        )
        self._wakeup.retry_planned(retry_at)

    def _settle(self, rows: Sequence[int]) -> None:
        """After delivering `rows` (or giving up half-way): those not waiting for their DELETE
        leave "in flight" (a planned retry, or not sent at all: a later replay sends them)."""
        self._in_flight.difference_update(row for row in rows if row not in self._done)

    async def _flush(self, rows: Sequence[int], *, at_once: bool = False) -> None:
        """Delete every delivered row not deleted yet, if any of `rows` is among them: under the
        bot's lock (never inside another event's transaction), one statement per 500 rows, one
        commit. Rows other deliveries added meanwhile go along: while one flush waits for the
        lock, the others leave their rows to it and return (unless `at_once`: wait until the
        rows are gone). If even the DELETE fails, the next replay sends the actions again."""
        if not any(row in self._done for row in rows):
            return
        if self._flush_queued and not at_once:
            return
        self._flush_queued = True
        try:
            async with self._lock:
                self._flush_queued = False
                done = list(self._done)
                self._done.clear()
                if not done:
                    return
                try:
                    await self._rows.done_many(done)
                except Exception:
                    logger.exception("outbox: could not mark {} row(s) delivered", len(done))
                finally:
                    self._in_flight.difference_update(done)
        finally:
            self._flush_queued = False


def _key(row_id: int, created: int) -> str:
    return f"outbox-{row_id}-{created}"
