"""The durable outbox: what a committed event or job owes the platform survives a crash.

Why it looks like this:

* Every action that can be replayed later (SendToChannel, SendDirect, SendToGroup, GrantRole,
  RevokeRole) is written to the `outbox` table in the SAME transaction as the handler's effects
  (`queue`, one INSERT statement per event). So the effect and the promise to announce it commit
  together: a crash right after the commit loses nothing, because the rows are still there.
  A `Reply` is never stored: an interaction answer cannot be sent after a restart (Discord's
  token expires in minutes), and the member is there to try again.
* Each row names its platform: only a process serving that platform delivers it (rows from
  before migration 0022 have none: any platform's process may). That is the platform of the
  action's community (`Outbox.target_platform`), normally the Bot's own (`platform.name`). An
  action for a community on *another* platform — a DM to a linked account there, a
  moderator-log line in its community (`communitybot.identity`) — is stored unclaimed for that
  platform, with a `CHANNEL_OUTBOX` notification naming it on a shared database, and this
  `Outbox` never sends it: that platform's process claims and delivers it like a worker's row.
  When that is this same process (Discord and Matrix served together, one `Bot` each on one
  store), its other `Outbox` delivers it at once: woken by the notification on PostgreSQL, by
  the store's shared `Wakeup` on SQLite (`deliver` rings it after the commit).
* Rows are held by *claims with a lease*, in the table, not in memory: `claimed_by` (the
  process's `Notifications.origin`) and `claimed_until`. A process that will deliver its rows
  itself writes them already claimed, until now + `LEASE`; while it delivers a batch it renews
  the lease of the rows it holds every half lease (one UPDATE), so a long batch (paced DMs) is
  never taken from it. A row whose lease ran out is anyone's of its platform: its process died.
* After the commit, outside the lock, `deliver` sends the batch in order, then deletes the rows
  whose actions went through in one go: the bot's lock, one `DELETE … WHERE id IN (…)` per 500
  rows, one commit (a 256-job scheduler batch used to cost 256 commits). A final refusal
  (closed DMs, a missing permission, anything the platform answered with `PlatformError`) is
  also a final outcome: delivery has already logged and reported it, the row goes. Until their
  DELETE committed, delivered rows stay claimed, so a replay never picks them up.
* A group introduction is the exception: opening a room or thread has no idempotency key, so a
  replay would open a second one. Its row (with every delivered row before it) is deleted
  right after it went out, before the next action is sent.
* An unexpected error (not a `PlatformError`: a bug, the network gone mid-request after the
  adapter's own retries) keeps the row, lets go of its claim and plans a retry with back-off:
  30 s, 2 min, 8 min, then it is given up with an error in the log (`MAX_ATTEMPTS` deliveries
  in all). The scheduler's loop runs due retries (`deliver_due`); without a scheduler they wait
  for the next start. A group introduction whose conversation could not be opened falls back
  to a DM each and is then final, so a retry never repeats the DMs that did go out.
* `deliver_due` claims the due rows of its platform (oldest first, `CLAIM_BATCH` at a time)
  that nobody holds or whose lease ran out, and delivers them like a batch: rows a previous
  run or a dead process left, rows a worker queued, and retries. On PostgreSQL the claim is
  `FOR UPDATE SKIP LOCKED`, so two processes never take the same row. On SQLite (one process
  per database file) a claim by another origin is a previous run's and is taken at once.
* Consecutive due `RelayPost` rows to the same conversation (a busy network chat's copies that
  piled up while the platform was down or slow) go out in one `relay` call, messages in order,
  so the adapter can merge them into few posts; the call's outcome settles every row of the
  group. Relays are idempotent by key, so a partial success is safe to retry.
* On start-up, once the platform is ready (`communitybot.bootstrap` starts the scheduler after
  login/ready, and the scheduler delivers the outbox before its first job), rows left by the
  previous run are delivered in order (on PostgreSQL: once their lease ran out). Rows older
  than `MAX_AGE` (24 h) are dropped with a log line: a day-old "the chat starts in 15 minutes"
  is worse than nothing.
* `/forgetme` deletes the undelivered rows that name the member (`OutboxRepository.forget`);
  a row deleted while a batch is being delivered is not sent once the lease is renewed.

Several processes on one PostgreSQL database (issue #13):

* A worker (`Bot(..., delivers=False)`: no platform connection) queues its rows unclaimed,
  never delivers and never replays; the transaction that queued them also sends a
  `CHANNEL_OUTBOX` notification naming the platform. The platform's delivering process listens
  (`listen`, from `Scheduler.start`) and wakes its scheduler at once (`Wakeup.retry_planned`);
  after a lost listening connection (`on_gap`) it does the same.
* A delivering process on a shared database also looks at least every `LEASE` (a planned
  wake-up, `next_retry_at`), so rows a dead process held are taken over without any
  notification, and rows whose notification was lost still go out.
* A process that has just become its platform's leader (`communitybot.leader`) need not wait
  for the lease: only the platform's leader delivers its rows, so claims of another owner on
  this platform's rows belong to a leader that is gone. `adopt_orphans` takes them over once
  the grace has passed in which a leader that lost its lock connection is still stopping.

What remains (at-least-once for the actions of one batch): a crash after the platform accepted
messages but before their rows were deleted re-sends them (on restart; on PostgreSQL by the next
process of that platform once the lease ran out): at most the batch being delivered, never a
group introduction. On Matrix that window is mostly closed: `request_key` names each request of
a row's delivery, the Matrix adapter uses it as the transaction id, and the homeserver answers a
repeated transaction with the event it already sent instead of posting again — as long as it
remembers the transaction (Synapse: about 30 minutes) and the bot uses the same access token
(saved or configured). On Discord the adapter sends the key (hashed) as the message nonce with
`enforce_nonce`, so Discord returns the message it already created for a repeat within a few
minutes. A process stalled for longer than the lease (not dead) may find its rows taken over: it
notices when it renews and sends nothing more of them, but the row it was sending may go twice.

Rows are deleted, claimed and renewed under the bot's lock, so those statements never land
inside another event's transaction on the shared connection. The price is a wait for the lock
after delivering (never before the delivery itself); while one delivery waits for it, the others
leave their rows to that one and return at once, so a burst marks its rows in a few statements,
and a crash in the middle of a burst re-sends (under the same keys) what was delivered since the
last DELETE.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from loguru import logger

from communitybot.clock import Clock
from communitybot.delivery import Outcome, deliver_action, describe
from communitybot.events import CommunityRef, Event
from communitybot.i18n.choice import community_language
from communitybot.outbox_codec import UndecodableAction, decode, encode
from communitybot.ports import ChatPlatform
from communitybot.replies import (
    Action,
    GrantRole,
    RelayPost,
    Reply,
    RevokeRole,
    SendDirect,
    SendToChannel,
)
from communitybot.store.notifications import CHANNEL_OUTBOX
from communitybot.store.outbox import OutboxRow
from communitybot.store.store import Store
from communitybot.wakeup import Wakeup

MAX_AGE = timedelta(hours=24)
MAX_ATTEMPTS = 4
FIRST_BACKOFF = timedelta(seconds=30)
BACKOFF_FACTOR = 4
LEASE = timedelta(minutes=2)
"""How long a claim holds without renewal: how soon rows a dead process held go out again (on
PostgreSQL), and how often a delivering process on a shared database looks for them. Well over
the longest single platform request (the adapters retry for seconds, not minutes)."""
RENEW_AFTER = LEASE / 2
"""A delivery renews the claims it holds once they are this old."""
RENEW_RETRY = timedelta(seconds=10)
"""After a renewal that failed (database unreachable), try again this much later."""
CLAIM_BATCH = 500
"""Rows `deliver_due` claims at a time."""

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


@dataclass(slots=True)
class Queued:
    """One action of a committed batch: its outbox row (None for a `Reply`) and where delivery
    reports problems; `lease_until`: when this process's claim on the row runs out. Never
    changed once made (not frozen only because a frozen dataclass costs four times as much to
    build, and a scheduler burst builds one per message)."""

    row_id: int | None
    action: Action
    modlog_channel: str | None
    key: str | None = None
    lease_until: datetime | None = None
    elsewhere: bool = False
    """Queued for another platform's process (`Outbox.target_platform`): not delivered here."""


class Outbox:
    """Queue in the transaction, deliver after it, replay what is due (module docstring)."""

    def __init__(
        self,
        store: Store,
        platform: ChatPlatform,
        clock: Clock,
        lock: AbstractAsyncContextManager[Any],
        wakeup: Wakeup | None = None,
        *,
        delivers: bool = True,
    ) -> None:
        """`wakeup`: told when a retry is planned, so the scheduler wakes for it
        (`communitybot.wakeup`; the store's by default). `delivers`: False for a worker's bot
        (no platform connection): rows are queued for the platform's own process."""
        self._rows = store.outbox
        self._communities = store.communities
        self._notifications = store.db.notifications
        self._owner = self._notifications.origin
        self._wakeup = wakeup or store.wakeup
        self._platform = platform
        self._platform_name = platform.name
        self._clock = clock
        self._lock = lock
        self._delivers = delivers
        self._listening = False
        self._held: set[int] = set()
        """Rows this process claimed and is delivering (or deleting): their claims are renewed
        while they are here. The claim in the table is what keeps others (and this process's
        own `deliver_due`) off them; this set only says which claims to renew."""
        self._renew_at: datetime | None = None
        """When the oldest claim in `_held` should be renewed (None: nothing held)."""
        self._done: dict[int, None] = {}
        """Rows delivered (or finally refused, or dropped) whose DELETE has not run yet, in
        order; they stay held until it committed."""
        self._flush_queued = False
        """A flush is waiting for the lock and has not taken `_done` yet: it takes new rows too."""
        self._adopt_at: datetime | None = None
        """From then on, the next `deliver_due` takes over the claims of a previous leader."""
        self.on_refused: Callable[[Action], Awaitable[None]] | None = None
        """Told of an action the platform finally refused (after its row is done), so the core
        can react: a network chat's refused relay marks its leg lost (`Bot` sets it)."""

    @property
    def delivers(self) -> bool:
        return self._delivers

    async def queue(
        self, actions: Sequence[tuple[Action, str | None]], now: datetime
    ) -> list[Queued]:
        """Store the replayable actions (inside the caller's transaction and lock): claimed by
        this process until now + `LEASE` if it delivers them itself, else unclaimed, with a
        `CHANNEL_OUTBOX` notification (delivered at commit) for the platform's process. An
        action for a community of another platform (`target_platform`) is always stored
        unclaimed for that platform's process, which delivers it; this one never sends it."""
        until = now + LEASE if self._delivers else None
        targets: list[str | None] = []  # by position: the platform that delivers it (None: a Reply)
        by_platform: dict[str, list[int]] = {}
        for n, (action, _) in enumerate(actions):
            if isinstance(action, Reply):
                targets.append(None)
                continue
            target = self.target_platform(action)
            targets.append(target)
            positions = by_platform.get(target)
            if positions is None:
                by_platform[target] = [n]
            else:
                positions.append(n)
        ids: dict[int, int] = {}
        for platform, positions in by_platform.items():
            mine = platform == self._platform_name and self._delivers
            added = await self._rows.add(
                [(encode(actions[n][0]), actions[n][1]) for n in positions],
                now,
                platform=platform,
                claimed_by=self._owner if mine else None,
                claimed_until=until if mine else None,
            )
            ids.update(zip(positions, added, strict=True))
            if not mine and self._notifications.shared:
                await self._notifications.notify(CHANNEL_OUTBOX, platform)
        created = int(now.timestamp())
        own = self._platform_name
        queued: list[Queued] = []
        for n, (action, modlog) in enumerate(actions):
            delivered_by = targets[n]
            if delivered_by is None:
                queued.append(Queued(None, action, modlog))
                continue
            row_id = ids[n]
            here = delivered_by == own
            queued.append(
                Queued(
                    row_id,
                    action,
                    modlog,
                    _key(row_id, created),
                    until if here else None,
                    elsewhere=not here,
                )
            )
        return queued

    def target_platform(self, action: Action) -> str:
        """The platform whose process delivers `action`: its community's (a DM to a linked
        account on another platform, a moderator-log line in a community there), else this
        process's own."""
        community = getattr(action, "community", None)
        if community is None or not community.platform:
            return self._platform_name
        return str(community.platform)

    async def deliver(self, event: Event | None, batch: Sequence[Queued]) -> list[str]:
        """Deliver a committed batch in order, then mark its rows in one statement; returns the
        problems met. A bot that does not deliver (a worker's) sends nothing: its rows are
        the platform's process's."""
        if not self._delivers:
            return []
        problems: list[str] = []
        if any(item.elsewhere for item in batch):
            self._elsewhere_queued()
        batch = [item for item in batch if not item.elsewhere]
        rows = [item.row_id for item in batch if item.row_id is not None]
        leases = [item.lease_until for item in batch if item.lease_until is not None]
        self._hold(rows, min(leases, default=self._clock.now()))
        try:
            for item in batch:
                if item.row_id is None:
                    await deliver_action(
                        self._platform,
                        event,
                        item.action,
                        item.modlog_channel,
                        problems,
                        self._community_language,
                    )
                    continue
                if self._renewal_due():
                    await self._renew()
                if item.row_id in self._held:  # not deleted or taken over meanwhile
                    await self._deliver_row(
                        item.row_id, item.key, 0, item.action, event, item.modlog_channel, problems
                    )
        finally:
            self._settle(rows)
        await self._flush(rows)
        return problems

    def _elsewhere_queued(self) -> None:
        """Rows for another platform were committed: in a process that serves that platform
        too (`communitybot.bootstrap`, Discord and Matrix in one process), its scheduler
        delivers them now. On a shared database the `CHANNEL_OUTBOX` notification sent at the
        commit does this (for this process and any other); on SQLite, where there is none, the
        `Wakeup` every scheduler of this store listens to is rung instead. Nobody serving that
        platform here: the rows wait for a process that does (the next start)."""
        if not self._notifications.shared:
            self._wakeup.retry_planned(self._clock.now())

    def adopt_orphans(self, after: timedelta) -> None:
        """This process has just become its platform's leader: in `after` (the time a leader
        that lost its lock needs to notice and stop), take over the rows of this platform that
        another process claimed, instead of waiting until their lease runs out."""
        if not self._delivers or not self._notifications.shared:
            return
        self._adopt_at = self._clock.now() + after
        self._wakeup.retry_planned(self._adopt_at)

    async def deliver_due(self) -> int:
        """Claim and deliver the due rows of this platform: left by a previous run or a dead
        process (lease run out), queued by a worker, or retries that are due; returns how many
        rows were handled (delivered, refused, dropped or retried). 0 on a worker."""
        if not self._delivers:
            return 0
        handled = 0
        adopt = self._adopt_at is not None and self._clock.now() >= self._adopt_at
        while True:
            async with self._lock:  # never inside another event's transaction
                now = self._clock.now()
                rows = await self._rows.claim_due(
                    self._platform_name,
                    now,
                    self._owner,
                    now + LEASE,
                    limit=CLAIM_BATCH,
                    take_others=adopt or not self._notifications.shared,
                )
            if not rows:
                if adopt:
                    self._adopt_at = None
                return handled
            ids = [row.id for row in rows]
            self._hold(ids, now + LEASE)
            try:
                await self._replay_all(rows, now)
            finally:
                self._settle(ids)
            await self._flush(ids)
            handled += len(rows)

    async def next_retry_at(self) -> datetime | None:
        """When `deliver_due` should run next (None: nothing planned): the earliest planned
        retry or claim running out among this platform's rows; on a shared database at the
        latest one `LEASE` from now (take-over needs no notification)."""
        if not self._delivers:
            return None
        planned = await self._rows.next_due_at(self._platform_name)
        if self._notifications.shared:
            poll = self._clock.now() + LEASE
            if self._adopt_at is not None:
                poll = min(poll, self._adopt_at)
            planned = poll if planned is None else min(planned, poll)
        return planned

    async def listen(self) -> None:
        """On a shared database, wake the scheduler (`Wakeup.retry_planned`) as soon as another
        process queued rows for this platform, and after a lost listening connection. Once per
        outbox; nothing on SQLite or for a bot that does not deliver."""
        if self._listening or not self._delivers or not self._notifications.shared:
            return
        self._listening = True
        await self._notifications.listen(CHANNEL_OUTBOX, self._heard)
        self._notifications.on_gap(self._due_now)

    def _heard(self, payload: str) -> None:
        if payload in (self._platform_name, ""):
            self._due_now()

    def _due_now(self) -> None:
        self._wakeup.retry_planned(self._clock.now())

    async def _replay_all(self, rows: Sequence[OutboxRow], now: datetime) -> None:
        """Deliver claimed rows in order. Consecutive `RelayPost`s to one conversation (a busy
        network chat whose copies piled up) go out in ONE `relay` call, their messages in
        order, so the adapter can merge them into few posts instead of meeting its rate limit
        once per row; every row of the group is settled by that call's outcome (a partial
        success is safe to retry: relays are idempotent by key)."""
        group: list[tuple[OutboxRow, RelayPost]] = []
        for row in rows:
            if self._renewal_due():
                await self._renew()
            if row.id not in self._held:  # deleted or taken over meanwhile
                continue
            action = self._replayable(row, now)
            if action is None:
                continue
            if isinstance(action, RelayPost) and group and _same_chat(group[0][1], action):
                group.append((row, action))
                continue
            await self._replay_relays(group)
            group = []
            if isinstance(action, RelayPost):
                group = [(row, action)]
            else:
                await self._replay(row, action)
        await self._replay_relays(group)

    def _replayable(self, row: OutboxRow, now: datetime) -> Action | None:
        """The row's action, or None when it is dropped (a day old, or unreadable)."""
        if now - row.created_at > MAX_AGE:
            logger.warning(
                "outbox: dropped row {} from {} ({} old, beyond {}) without sending it",
                row.id,
                row.created_at.isoformat(),
                now - row.created_at,
                MAX_AGE,
            )
            self._done[row.id] = None
            return None
        try:
            return decode(row.action)
        except UndecodableAction as error:
            logger.error("outbox: dropped row {}, which cannot be read: {}", row.id, error)
            self._done[row.id] = None
            return None

    async def _replay(self, row: OutboxRow, action: Action) -> None:
        if row.attempts == 0:
            logger.info("outbox: delivering row {} left undelivered", row.id)
        key = _key(row.id, int(row.created_at.timestamp()))
        await self._deliver_row(row.id, key, row.attempts, action, None, row.modlog_channel, [])

    async def _replay_relays(self, group: Sequence[tuple[OutboxRow, RelayPost]]) -> None:
        """One `relay` call for a group of RelayPost rows to the same conversation: delivered
        as the first row's action (with every row's messages), the others settled alike."""
        if len(group) <= 1:
            for row, action in group:
                await self._replay(row, action)
            return
        first_row, first = group[0]
        merged = RelayPost(
            first.community,
            first.conversation_id,
            tuple(message for _, action in group for message in action.messages),
        )
        key = _key(first_row.id, int(first_row.created_at.timestamp()))
        problems: list[str] = []
        outcome = await self._deliver_row(
            first_row.id, key, first_row.attempts, merged, None, first_row.modlog_channel, problems
        )
        for row, action in group[1:]:
            await self._settle_row(row.id, row.attempts, action, outcome, problems)

    async def _deliver_row(
        self,
        row_id: int,
        key: str | None,
        attempts: int,
        action: Action,
        event: Event | None,
        modlog_channel: str | None,
        problems: list[str],
    ) -> Outcome:
        """Deliver `action` once, its platform requests named after `key`, and settle its row
        (a delivered message's at once: a burst delivers thousands)."""
        token = _delivering.set(None if key is None else [key, 0])
        try:
            outcome = await deliver_action(
                self._platform, event, action, modlog_channel, problems, self._community_language
            )
        finally:
            _delivering.reset(token)
        if outcome == "delivered" and isinstance(action, REPLAY_SAFE):
            self._done[row_id] = None  # deleted with the batch (`_settle_row`)
        else:
            await self._settle_row(row_id, attempts, action, outcome, problems)
        return outcome

    async def _community_language(self, ref: CommunityRef) -> str:
        """What a delivery problem is told to `ref`'s moderators in (read only on a problem)."""
        return community_language(await self._communities.get(ref))

    async def _settle_row(
        self, row_id: int, attempts: int, action: Action, outcome: Outcome, problems: list[str]
    ) -> None:
        """After a delivery: the row is done (delivered or finally refused), or a retry with
        back-off is planned (given up after `MAX_ATTEMPTS`)."""
        if outcome != "failed":
            self._done[row_id] = None
            if not isinstance(action, REPLAY_SAFE):
                # A replay would open a second conversation: gone before the next action.
                await self._flush([row_id], at_once=True)
            if outcome == "refused" and self.on_refused is not None:
                try:
                    await self.on_refused(action)
                except Exception:
                    logger.exception("outbox: reacting to the refused {} failed", describe(action))
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
                planned = await self._rows.retry_later(
                    row_id, problems[-1] if problems else "", retry_at, self._owner
                )
        except Exception:
            logger.exception("outbox: could not plan a retry for row {}", row_id)
            return
        if not planned:
            logger.info("outbox: row {} was deleted or taken over meanwhile; no retry", row_id)
            return
        logger.warning(
            "outbox: {} failed (attempt {} of {}); retrying at {}",
            describe(action),
            attempts,
            MAX_ATTEMPTS,
            retry_at.isoformat(),
        )
        self._wakeup.retry_planned(retry_at)

    def _hold(self, rows: Sequence[int], lease_until: datetime) -> None:
        """This process delivers `rows`, claimed until `lease_until`: renew them in time."""
        if not rows:
            return
        self._held.update(rows)
        renew_at = lease_until - LEASE + RENEW_AFTER
        if self._renew_at is None or renew_at < self._renew_at:
            self._renew_at = renew_at

    def _renewal_due(self) -> bool:
        """The oldest claim held is `RENEW_AFTER` old: renew them (`_renew`) before sending
        another row. A row is sent only while it is in `_held`."""
        return self._renew_at is not None and self._clock.now() >= self._renew_at

    async def _renew(self) -> None:
        """Renew every claim held. A row deleted meanwhile (/forgetme) or taken over (this
        process stalled past its lease) leaves `_held`, so it is not sent."""
        now = self._clock.now()
        held = sorted(self._held)
        try:
            async with self._lock:
                kept = await self._rows.renew(held, self._owner, now + LEASE)
        except Exception:
            logger.exception("outbox: could not renew the claims on {} row(s)", len(held))
            self._renew_at = now + RENEW_RETRY
            return
        lost = set(held) - kept
        if lost:
            logger.warning(
                "outbox: {} row(s) were deleted or taken over by another process meanwhile;"
                " not sending them",
                len(lost),
            )
        self._held -= lost
        self._renew_at = now + RENEW_AFTER if self._held else None

    def _settle(self, rows: Sequence[int]) -> None:
        """After delivering `rows` (or giving up half-way): those not waiting for their DELETE
        are no longer held here (a planned retry let go of its claim; a row not sent at all
        keeps it until the lease runs out, then a replay sends it)."""
        self._held.difference_update(row for row in rows if row not in self._done)
        if not self._held:
            self._renew_at = None

    async def _flush(self, rows: Sequence[int], *, at_once: bool = False) -> None:
        """Delete every delivered row not deleted yet, if any of `rows` is among them: under the
        bot's lock (never inside another event's transaction), one statement per 500 rows, one
        commit. Rows other deliveries added meanwhile go along: while one flush waits for the
        lock, the others leave their rows to it and return (unless `at_once`: wait until the
        rows are gone). If even the DELETE fails, a replay sends the actions again once their
        lease ran out."""
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
                    self._held.difference_update(done)
                    if not self._held:
                        self._renew_at = None
        finally:
            self._flush_queued = False


def _same_chat(a: RelayPost, b: RelayPost) -> bool:
    return a.community == b.community and a.conversation_id == b.conversation_id


def _key(row_id: int, created: int) -> str:
    return f"outbox-{row_id}-{created}"
