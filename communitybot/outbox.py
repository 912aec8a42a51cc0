"""The durable outbox: what a committed event or job owes the platform survives a crash.

Why it looks like this:

* Every action that can be replayed later (SendToChannel, SendDirect, SendToGroup, GrantRole,
  RevokeRole) is written to the `outbox` table in the SAME transaction as the handler's effects
  (`queue`, one INSERT statement per event). So the effect and the promise to announce it commit
  together: a crash right after the commit loses nothing, because the rows are still there.
  A `Reply` is never stored: an interaction answer cannot be sent after a restart (Discord's
  token expires in minutes), and the member is there to try again.
* After the commit, outside the lock, `deliver` sends the batch in order and deletes each row
  right after its action went through (one `DELETE ... WHERE id = ?`). A final refusal (closed
  DMs, a missing permission, anything the platform answered with `PlatformError`) is also a
  final outcome: delivery has already logged and reported it, the row goes.
* An unexpected error (not a `PlatformError`: a bug, the network gone mid-request after the
  adapter's own retries) keeps the row and plans a retry with back-off: 30 s, 2 min, 8 min,
  then it is given up with an error in the log (`MAX_ATTEMPTS` deliveries in all). The
  scheduler's loop runs due retries (`deliver_due`); without a scheduler they wait for the next
  start. A group introduction whose conversation could not be opened falls back to a DM each
  and is then final, so a retry never repeats the DMs that did go out.
* On start-up, once the platform is ready (app.py starts the scheduler after login/ready, and the
  scheduler delivers the outbox before its first job), rows left by the previous run are
  delivered in order. Rows older than `MAX_AGE` (24 h) are dropped with a log line: a day-old
  "the chat starts in 15 minutes" is worse than nothing.
* `/forgetme` deletes the undelivered rows that name the member (`OutboxRepository.forget`).
* Rows written by this process are "in flight" in memory until their first delivery finished,
  so a replay running meanwhile never sends them a second time.

What remains (at-least-once for one action): a crash after the platform accepted a message but
before its row was deleted re-sends that one message on restart. On Matrix that window is
mostly closed: `request_key` names each request of a row's delivery, the Matrix adapter uses it
as the transaction id, and the homeserver answers a repeated transaction with the event it
already sent instead of posting again — as long as it remembers the transaction (Synapse: about
30 minutes) and the bot restarts with the same access token (saved or configured). On Discord
the adapter sends the key (hashed) as the message nonce with `enforce_nonce`, so Discord returns
the message it already created for a repeat within a few minutes.

Two smaller gaps, both "sent twice", never "lost": a row is deleted outside the lock, so the
DELETE can land inside another event's transaction (one shared connection) and share its fate
(if that one rolls back, the row stays and is sent again by the next replay); and a group
introduction replayed after such a crash opens a new group conversation (room creation and
Discord threads have no transaction ids).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
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
from communitybot.replies import Action, Reply
from communitybot.store.outbox import OutboxRow
from communitybot.store.store import Store

MAX_AGE = timedelta(hours=24)
MAX_ATTEMPTS = 4
FIRST_BACKOFF = timedelta(seconds=30)
BACKOFF_FACTOR = 4

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
    ) -> None:
        self._rows = store.outbox
        self._platform = platform
        self._clock = clock
        self._lock = lock
        self._in_flight: set[int] = set()
        self.on_retry_planned: Callable[[datetime], None] | None = None
        """Set by the running scheduler: a retry was planned for this moment (wake for it)."""

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
        """Deliver a committed batch in order, marking each row; returns the problems met."""
        problems: list[str] = []
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
            self._in_flight.difference_update(i.row_id for i in batch if i.row_id is not None)
        return problems

    async def deliver_due(self) -> int:
        """Deliver rows a previous run left, and retries that are due; returns how many rows
        were handled (delivered, refused, dropped or retried)."""
        async with self._lock:  # never read another event's uncommitted rows
            now = self._clock.now()
            rows = [row for row in await self._rows.due(now) if row.id not in self._in_flight]
            self._in_flight.update(row.id for row in rows)
        try:
            for row in rows:
                await self._replay(row, now)
        finally:
            self._in_flight.difference_update(row.id for row in rows)
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
            await self._mark_done(row.id)
            return
        try:
            action = decode(row.action)
        except UndecodableAction as error:
            logger.error("outbox: dropped row {}, which cannot be read: {}", row.id, error)
            await self._mark_done(row.id)
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
            await self._mark_done(row_id)
            return
        attempts += 1
        if attempts >= MAX_ATTEMPTS:
            logger.error(
                "outbox: giving up on row {} ({}) after {} attempts",
                row_id,
                describe(action),
                attempts,
            )
            await self._mark_done(row_id)
            return
        retry_at = self._clock.now() + FIRST_BACKOFF * BACKOFF_FACTOR ** (attempts - 1)
        try:
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
        if self.on_retry_planned is not None:
            self.on_retry_planned(retry_at)

    async def _mark_done(self, row_id: int) -> None:
        """Delete the row; if even that fails the action is sent again at the next start."""
        try:
            await self._rows.done(row_id)
        except Exception:
            logger.exception("outbox: could not mark row {} delivered", row_id)


def _key(row_id: int, created: int) -> str:
    return f"outbox-{row_id}-{created}"
