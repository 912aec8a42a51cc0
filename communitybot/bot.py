"""The core's front door: take an event, run the right handler, deliver what it returns.

Every event that may write is handled as one *unit of work* (`communitybot.units`): in its
community's lane, inside one database transaction taken under the writer turn (so a failure
half-way stores nothing, and two units never interleave inside a transaction on the shared
connection). The actions to deliver later are written to the outbox in that same transaction
(`communitybot.outbox`), so a crash after the commit loses none of them. Delivery happens after
the commit, outside the lane and the writer turn: network waits never hold them. Before any of
that, a member over their rate limit is refused from memory (`communitybot.rate_limits`): no
lane, no transaction, so one member's burst never queues in front of everyone else.

What keeps a member from waiting behind bulk work and other communities (issue #12):

* **The read path.** A command the catalogue marks `read_only` (`/peers`, `/help`, `/tags
  list`, …) from a member and community that already exist runs on the store's read connection
  (`Store.reader`), without lane or writer turn: in WAL mode it reads the last commit while a
  write transaction is open. Its replies are delivered as usual. Whatever would write sends it
  down the write path instead: an unknown member or community (their rows are created), a
  member who left or changed their display name (`members.ensure` records it), a member with an
  earlier event still queued in their lane (their events keep their order), a moderator command
  while the community's set-up hint may still be recorded, and, as a safety net, a handler that
  fails on the read connection (which cannot write) or returns more than replies.
* **Lanes** (`communitybot.units.Lanes`, each a `communitybot.priority_lock.PriorityLock`): a
  unit holds its community's lane for the whole handler; in a lane, a member waiting for an
  answer (command, private message, button) goes before joins, leaves, channel messages and
  scheduled work, and a member's own queued joins go with their command. A bulk unit that
  holds its lane but still waits for the writer lets those members go first. `/mydata` and the
  "yes" to `/forgetme` take the lanes of every community of that platform user (and of the
  accounts linked with it), in one order.
* **The writer turn** is held only while a transaction is open, interactive units first. Long
  work (a mentor or round solve, opening a chat thread, a cold peer-index load) steps outside
  the transaction (`units.outside`): other communities write meanwhile, and the handler runs
  again with the result. On PostgreSQL (issue #13) the writer turn goes and lanes run in
  parallel.
* **Group commit of joins.** In a burst, the join that reaches the writer takes the joins queued
  behind it in its lane (up to `JOIN_GROUP`, none while a member there waits for an answer) into
  its transaction, each in its own SAVEPOINT: one that fails rolls back alone and is answered
  as if alone; if the whole transaction is lost, each join runs again on its own. Outbox rows,
  `members.join`'s INSERT and every idempotency key are exactly as for a join alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from loguru import logger

from communitybot import registry, typed_choices
from communitybot.chats import legs as chat_legs
from communitybot.clock import Clock
from communitybot.command_types import Spans
from communitybot.commands import find_command
from communitybot.context import Acting, Context, EveryFeature
from communitybot.events import (
    ChannelMessage,
    ChoicePicked,
    CommandInvoked,
    CommunityRef,
    Event,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    UserRef,
)
from communitybot.i18n import N_, tr, use_language
from communitybot.i18n.choice import community_language, member_language
from communitybot.i18n.recent import RecentLanguages
from communitybot.models import Community, Member
from communitybot.outbox import Outbox, Queued
from communitybot.ports import ChatPlatform
from communitybot.priority_lock import Priority, PriorityLock
from communitybot.privacy import answers
from communitybot.rate_limits import RateLimiter
from communitybot.replies import Action, Message, RelayPost, Reply, SendToChannel, reply
from communitybot.store.changes import UnitChanges
from communitybot.store.db import StoreBusy, StoreFull, StoreReadOnly
from communitybot.store.store import Store
from communitybot.units import Lanes, RunAgain, Unit, lane_order, lock_communities, writer_turn
from communitybot.unsaved import UnsavedEvents
from communitybot.wakeup import Wakeup

BUSY_TEXT = N_(
    "The database is busy right now, so nothing was changed. Please try again in a moment."
)
FULL_TEXT = N_(
    "Sorry, the server's disk is full, so nothing was changed. Moderators have been told; "
    "please try again later."
)
READ_ONLY_TEXT = N_(
    "Sorry, the server cannot write its database right now, so nothing was changed. "
    "Moderators have been told; please try again later."
)
JOIN_GROUP = 32
"""At most this many queued joins of one community commit in one transaction: enough to share
the commit's cost in a burst, few enough that a command in that community waits one group."""
MODLOG_FULL_EVERY = timedelta(hours=1)
"""How often moderators hear that the database cannot be written (not once per event)."""
FAILED_TEXT = N_(
    "Sorry, something went wrong on my side and nothing was changed. Moderators can check the log."
)


@dataclass(frozen=True)
class Handled:
    """What handling one event committed: its actions, and the batch to deliver (the actions
    with their outbox rows and the moderator-log channel problems are reported to)."""

    actions: list[Action]
    modlog_channel: str | None = None
    batch: list[Queued] = field(default_factory=list)
    language: str | None = None
    """The acting member's language: the adapter's own words around a reply it delivers (a
    form's title, a menu's placeholder) are written in it; None: English."""


class Bot:
    def __init__(
        self,
        store: Store,
        platform: ChatPlatform,
        clock: Clock,
        peers: Any,
        prefix: str = "/",
        limits: RateLimiter | None = None,
        lock: PriorityLock | None = None,
        wakeup: Wakeup | None = None,
        *,
        delivers: bool = True,
    ) -> None:
        """`lock`: the writer turn, when others take turns on the write connection too (the
        adapters' state, `communitybot.bootstrap`); a fresh one by default. `wakeup`: the alarm
        the outbox and unsaved joins ring for the scheduler (`communitybot.wakeup`; the
        store's by default, which its job repository rings too). `delivers`: False on a
        worker (no platform connection): committed outbox rows stay for the platform's own
        process to deliver."""
        self.store = store
        self.platform = platform
        self.clock = clock
        self.peers = peers
        self.prefix = prefix
        self.features: EveryFeature = registry  # its stats_lines, export_sections, forget
        """Every feature at once, for handlers (`Context.features`: `/stats`, `/mydata`,
        `/forgetme`) and the scheduler's contexts."""
        self.delivers = delivers
        self.lanes = Lanes(writer=writer_turn(store.db, lock))
        """A lane per community (interactive events first, each member's events in order) and
        the writer turn, held only while a transaction is open (`communitybot.units`); on
        PostgreSQL a turn that never waits (`units.FreeTurn`)."""
        self._parallel = store.db.dialect == "postgresql"
        """Units of different communities run in parallel (PostgreSQL): no `new_unit()`."""
        remotes = getattr(peers, "remotes", None)
        if remotes is not None:
            for kind, remote in remotes(store).items():
                store.changes.register(kind, remote)
        self._lock = self.lanes
        """The old name (benchmarks set `interactive_first`, tests count `waiting()`)."""
        self.group_size = JOIN_GROUP
        """How many queued joins of one community share a transaction (1: no grouping)."""
        self.reader = store.reader
        """The store on the read connection (None: every event takes the write path)."""
        self.wakeup = wakeup or store.wakeup
        self.outbox = Outbox(
            store, platform, clock, self.lanes.writer, self.wakeup, delivers=delivers
        )
        self.outbox.on_refused = self._refused
        self.unsaved = UnsavedEvents()
        """Joins the database could not store (full disk): tried again by `deliver_outbox`."""
        self.languages = RecentLanguages()
        """The language each member was last answered in (`communitybot.i18n.recent`)."""
        self._modlog_told_at: datetime | None = None
        self.limits = limits or RateLimiter(store, platform, clock)
        """Per-member rate limits, checked before the lock (`communitybot.rate_limits`)."""
        self.observers: list[Callable[[Event, float], None]] = []
        """Told of every handled event and the seconds handling took (the dashboard's
        `/metrics`); each must be quick and must not raise."""

    async def dispatch(self, event: Event) -> list[Action]:
        """Handle and deliver; returns the actions (tests and benchmarks look at them)."""
        handled = await self.handle(event)
        if self.delivers:
            with use_language(handled.language):
                await self.outbox.deliver(event, handled.batch)
        return handled.actions

    async def language_of(
        self, community: CommunityRef, user: UserRef, locale: str | None = None
    ) -> str:
        """The language to answer `user` in before any handler runs (a mistyped command an
        adapter explains itself): the core decides it, as for every reply (their own choice →
        the client's `locale` → the community's default). Reads only; nobody is created."""
        known = await self.store.communities.get(community)
        member = await self.store.members.get(known.id, user) if known is not None else None
        return member_language(member, known, locale)

    async def handle(self, event: Event) -> Handled:
        """Run the handler for `event` and commit its effects with its outbox rows.

        Nothing is delivered here: the caller delivers `Handled.batch` after the commit.
        A member over a rate limit is answered (once per window) or dropped right here, before
        the lock and before any database write: their burst never queues in front of others.
        """
        started = time.perf_counter()
        await self.store.changes.listen()
        with use_language(self.languages.of(event)):
            refused = await self.limits.admit(event)
        if refused is not None:
            return self._unsaved(reply(refused.text) if refused.text else [])
        handled = await self._handle_read_only(event)
        if handled is None:
            handled = await self._handle_admitted(event)
        self.limits.settle(event, handled.actions)
        for observe in self.observers:
            observe(event, time.perf_counter() - started)
        return handled

    async def _handle_read_only(self, event: Event) -> Handled | None:
        """A read-only command answered on the read connection, without the write lock; None
        when it must take the write path (see the module docstring)."""
        if (
            self.reader is None
            or not isinstance(event, CommandInvoked)
            or self.lanes.busy(event.community, _member_key(event))
        ):
            return None
        command = find_command(event.path)
        if command is None or not command.read_only:
            return None
        try:
            ctx = await self._read_context(self.reader, event)
            if ctx is None:
                return None
            if (
                command.moderator_only
                and ctx.is_moderator
                and registry.after_moderator_command_may_write(ctx.community)
            ):
                return None  # the set-up hint may be recorded: the write path does that
            language = ctx.language
            self.languages.remember(event, language)
            with use_language(language):
                actions = await registry.run_command(ctx, event.path, event.options)
        except Exception:
            logger.exception(
                "read-only command {} failed on the read connection; handling it on the write path",
                command.name,
            )
            return None
        if not all(isinstance(action, Reply) for action in actions):
            logger.error(
                "read-only command {} returned more than replies ({}); handling it on the write "
                "path",
                command.name,
                ", ".join(type(action).__name__ for action in actions),
            )
            return None
        modlog = ctx.community.modlog_channel
        batch = [Queued(None, action, modlog) for action in actions]
        return Handled(actions, modlog, batch, ctx.language)

    async def _read_context(self, reader: Store, event: CommandInvoked) -> Context | None:
        """The handler's context on the read store, or None if handling the event on the write
        path would write a row (`communities.ensure`, `members.ensure`)."""
        community = await reader.communities.get(event.community)
        if community is None:
            return None
        member = await reader.members.get(community.id, event.user)
        if member is None or member.left_at is not None:
            return None
        if event.user.display_name and event.user.display_name != member.display_name:
            return None
        return await self._bound_context(reader, community, member, event)

    async def _bound_context(
        self,
        store: Store,
        community: Community,
        member: Member,
        event: Event,
        *,
        member_is_new: bool = False,
        unit: Unit | None = None,
    ) -> Context:
        """A handler's context on `store` (the write store or the reader), with the platform's
        moderator answer for this member."""
        is_moderator = await self.platform.is_moderator(
            community.ref, event.user, community.moderator_role
        )
        return Context(
            store=store,
            clock=self.clock,
            platform=self.platform,
            peers=self.peers,
            prefix=self.prefix,
            now=self.clock.now(),
            features=self.features,
            acting=Acting(community, member, event, is_moderator),
            member_is_new=member_is_new,
            joined_fresh=member_is_new and isinstance(event, MemberJoined),
            unit=unit,
        )

    async def _handle_admitted(self, event: Event) -> Handled:
        if isinstance(event, ChannelMessage) and not await registry.listens_to(
            self.reader or self.store, event
        ):
            # No lane, no transaction, no member row: nothing listens. Read on the read
            # connection: the write connection may be inside another unit's transaction.
            return Handled([])
        priority, key = _priority(event), _member_key(event)
        if isinstance(event, MemberJoined) and self.group_size > 1:
            return await self._join(event, key)
        communities = await self._lanes_for(event)
        async with self.lanes.hold(communities, priority, key):
            lane = self.lanes.lane(event.community) if len(communities) == 1 else None
            return await self._unit(event, priority, lane=lane, communities=communities)

    async def _lanes_for(self, event: Event) -> list[CommunityRef]:
        """The lanes a unit takes: its community's; for what may act on a member's rows in every
        community of that platform user (`/mydata`, `/forgetme` and its answer, `tags add`,
        `profile edit`, a link's confirmation — with the account asking to be linked) theirs; for a
        command that writes across a network (`Command.spans`) every affiliate's."""
        spans = _spans(event)
        if spans == "community":
            return [event.community]
        source = self.reader or self.store
        refs = {event.community}
        if spans == "network":
            community = await source.communities.get(event.community)
            network = (
                None if community is None else await source.networks.of_community(community.id)
            )
            if network is not None:
                refs.update(ref for _, ref in await source.networks.affiliate_refs(network.id))
            return sorted(refs, key=lane_order)
        users = [event.user, *(a.user for a in await source.people.accounts_of(event.user))]
        # A link's confirmation (a typed yes or the button) merges the two accounts' profiles
        # (`communitybot.identity`): the account asking to be linked is in the unit too.
        request = (
            None
            if isinstance(event, CommandInvoked)
            else await source.people.get_request(event.user)
        )
        if request is not None:
            other = request.other
            users += [other, *(a.user for a in await source.people.accounts_of(other))]
        for user in dict.fromkeys(users):  # and every linked account's (forgetting a person)
            for member in await source.members.all_for_user(user):
                community = await source.communities.get_by_id(member.community_id)
                if community is not None:
                    refs.add(community.ref)
        return sorted(refs, key=lane_order)

    async def _unit(
        self,
        event: Event,
        priority: Priority,
        *,
        lane: PriorityLock | None = None,
        writer_held: bool = False,
        communities: list[CommunityRef] | None = None,
    ) -> Handled:
        """One event's unit of work in its lane(s): the writer turn and one transaction, run
        again after long work stepped outside it (`communitybot.units`). `communities`: the
        lanes held (default: the event's community), locked across processes too."""
        unit = Unit()
        held = communities if communities is not None else [event.community]
        async with unit.running():
            while True:
                if not writer_held:
                    await self._writer_turn(priority, lane)
                writer_held = False
                try:
                    try:
                        async with (
                            self.store.changes.unit() as changes,
                            self.peers.write_unit(self.store),
                            self.store.db.transaction(),
                        ):
                            await self._new_transaction(held)
                            handled = await self._body(event, unit)
                            await self.store.changes.publish(changes)
                            return handled
                    except RunAgain as again:
                        step = again.step  # rolled back: run the long work without the turn
                    except Exception as error:
                        return await self._failure(event, error)
                finally:
                    self.lanes.writer.release()
                await unit.step_outside(step)

    async def _writer_turn(self, priority: Priority, lane: PriorityLock | None) -> None:
        """Take the writer turn. A bulk unit holding its lane first lets members of that
        community who are waiting for an answer go (`PriorityLock.yield_to_interactive`): it
        has not started, and it would otherwise hold them up for as long as the writer is busy."""
        while True:
            if lane is not None and priority is Priority.BULK:
                await lane.yield_to_interactive()
            await self.lanes.writer.acquire(priority)
            if lane is None or priority is not Priority.BULK or not lane.should_yield():
                return
            self.lanes.writer.release()

    async def _body(self, event: Event, unit: Unit) -> Handled:
        """Inside the transaction: the context, the handler, the outbox rows."""
        ctx = await self._context(event, unit)
        if ctx is None:
            return Handled([])
        actions = await self._route(ctx)
        await typed_choices.remember(self.store, actions, self.clock.now())
        modlog = ctx.community.modlog_channel
        here = ctx.community.ref
        # An action elsewhere (a linked account's community) reports to its own moderators.
        paired = await self._with_modlogs(actions, {here: modlog, None: modlog})
        batch = await self.outbox.queue(paired, self.clock.now())
        return Handled(actions, modlog, batch, ctx.language)

    async def _new_transaction(
        self, communities: Iterable[CommunityRef], *, wait: bool = True
    ) -> None:
        """A unit's transaction starts. PostgreSQL: first wait for (and then hold) the
        communities against other processes' units (`units.lock_communities`). SQLite: the
        writer turn is held, so the transaction before has committed or rolled back and the row
        caches may keep what they read again (`communitybot.store.cache`); on PostgreSQL units
        run in parallel and each settles its own writes (`communitybot.store.changes`)."""
        await lock_communities(self.store.db, communities, wait=wait)
        if not self._parallel:
            self.store.communities.new_unit()
            self.store.onboarding.new_unit()

    async def _failure(self, event: Event, error: Exception) -> Handled:
        """What a member gets when their unit failed and was rolled back (the peer index has
        dropped what the unit mirrored: `PeerIndex.write_unit`)."""
        if isinstance(error, StoreFull | StoreReadOnly):
            return await self._not_stored(event, error)
        if isinstance(error, StoreBusy):
            logger.warning("database busy while handling {}", type(event).__name__)
            return self._unsaved(self._apology(event, BUSY_TEXT))
        logger.opt(exception=error).error("handling {} failed", type(event).__name__)
        return self._unsaved(self._apology(event, FAILED_TEXT))

    # Group commit of joins ---------------------------------------------------------------------
    async def _join(self, event: MemberJoined, key: Hashable) -> Handled:
        """A join waits in its lane; whoever holds the lane when it reaches the writer takes the
        joins queued behind it into its transaction (`_join_group`)."""
        slot = _JoinSlot(event, key, asyncio.get_running_loop().create_future())
        if not await self.lanes.acquire(event.community, Priority.BULK, key, payload=slot):
            return await slot.handled  # taken into another join's group, which finishes it
        try:
            lane = self.lanes.lane(event.community)
            await self._writer_turn(Priority.BULK, lane)
            taken: list[object] = []
            if not lane.waiting(Priority.INTERACTIVE):  # a group would hold up who is waiting
                taken = lane.take_bulk(_is_join_slot, self.group_size - 1)
            if not taken:
                return await self._unit(event, Priority.BULK, lane=lane, writer_held=True)
            slots = [slot, *map(_as_slot, taken)]
            group = asyncio.ensure_future(self._join_group(slots))
            try:
                results = await _finished(group)
            finally:
                self._hand_out(slots[1:], group)
            return results[0]
        finally:
            self.lanes.release(event.community)

    def _hand_out(self, followers: list[_JoinSlot], group: asyncio.Future[list[Handled]]) -> None:
        """Give the joins taken into the group their outcomes, in order, from the leader's task:
        they wake after it and start delivering in the order they joined."""
        error: BaseException | None = None
        results: list[Handled] = []
        if group.cancelled():
            error = asyncio.CancelledError()
        elif (error := group.exception()) is None:
            results = group.result()[1:]
        for n, slot in enumerate(followers):
            if not slot.handled.done():
                if error is not None:
                    slot.handled.set_exception(error)
                else:
                    slot.handled.set_result(results[n])
            self.lanes.finish_taken(slot.event.community, slot.key)

    async def _join_group(self, slots: list[_JoinSlot]) -> list[Handled]:
        """Several joins of one lane in one transaction (writer turn held), each in its own
        SAVEPOINT: a join that fails rolls back alone and is answered as if it had been alone.
        If the transaction itself is lost (commit refused, SQLite rolled it back), each join runs
        again in its own unit, exactly as without grouping. Every slot's outcome, in order."""
        outcomes: list[Handled | Exception | None] = [None] * len(slots)
        lost = await self._group_transaction(slots, outcomes)
        results: list[Handled] = []
        for slot, outcome in zip(slots, outcomes, strict=True):
            if lost:
                handled = await self._unit(slot.event, Priority.BULK)
            elif isinstance(outcome, Exception):
                handled = await self._failure(slot.event, outcome)
            else:
                assert outcome is not None
                handled = outcome
            results.append(handled)
        return results

    async def _group_transaction(
        self, slots: list[_JoinSlot], outcomes: list[Handled | Exception | None]
    ) -> bool:
        """The group's one transaction (then the writer turn is released); True if it was lost
        as a whole. Each join's outcome (or its error, rolled back alone) goes to `outcomes`."""
        unit = Unit(pausable=False)
        changes: UnitChanges
        try:
            async with (
                unit.running(),
                self.store.changes.unit() as changes,
                self.peers.write_unit(self.store),
                self.store.db.transaction(),
            ):
                await self._new_transaction([slots[0].event.community])
                for n, slot in enumerate(slots):
                    try:
                        async with self.store.db.savepoint(), self.peers.savepoint():
                            outcomes[n] = await self._body(slot.event, unit)
                    except Exception as error:
                        if not self.store.db.in_transaction:
                            raise  # SQLite rolled back everything (disk full)
                        outcomes[n] = error
                await self.store.changes.publish(changes)
        except Exception:
            logger.opt(exception=True).warning(
                "a group of {} joins was rolled back; handling each alone", len(slots)
            )
            return True
        finally:
            self.lanes.writer.release()
        return False

    async def run_scheduled(
        self,
        work: Callable[[], Awaitable[list[Action]]],
        *,
        communities: Iterable[CommunityRef] = (),
        pausable: bool = False,
        skip_if_busy: bool = False,
    ) -> list[Action]:
        """Run scheduled work (the scheduler's job handlers) the way an event is handled.

        The writer turn and one transaction, so a job's effect, its "delivered" mark and its
        outbox rows commit together and never interleave with an event; its actions are
        delivered after the commit, in order, each problem reported to its own community's
        moderators. Errors propagate (after the peer index dropped what the unit mirrored): the
        scheduler decides whether to retry.

        `communities`: the lanes to hold (in `lane_order`), when the caller knows which
        communities its jobs touch; a batch that does not know takes the writer turn only (its
        jobs are whole transactions; they have no member order to keep). `pausable`: `work` may
        be run again from the start after long work stepped outside its transaction
        (`communitybot.units`); otherwise long work runs in place, inside the transaction.
        `skip_if_busy`: on PostgreSQL, raise `units.CommunityBusy` (nothing done) instead of
        waiting while another process's unit holds one of the communities.
        """
        unit = Unit(pausable=pausable)
        held = sorted(set(communities), key=lane_order)
        await self.store.changes.listen()
        async with self.lanes.hold(held, Priority.BULK), unit.running():
            while True:
                await self.lanes.writer.acquire(Priority.BULK)
                try:
                    try:
                        async with (
                            self.store.changes.unit() as changes,
                            self.peers.write_unit(self.store),
                            self.store.db.transaction(),
                        ):
                            await self._new_transaction(held, wait=not skip_if_busy)
                            actions = await work()
                            await typed_choices.remember(self.store, actions, self.clock.now())
                            batch: list[Queued] = []
                            if actions:
                                paired = await self._with_modlogs(actions, {None: None})
                                batch = await self.outbox.queue(paired, self.clock.now())
                            await self.store.changes.publish(changes)
                            break
                    except RunAgain as again:
                        step = again.step
                finally:
                    self.lanes.writer.release()
                await unit.step_outside(step)
        if self.delivers:
            await self.outbox.deliver(None, batch)
        return actions

    async def _refused(self, action: Action) -> None:
        """The platform finally refused `action`: a network chat's relay marks its leg lost
        (issue #15), in a unit of its own, after the refused row was handled."""
        if not isinstance(action, RelayPost):
            return
        ctx = Context(
            store=self.store,
            clock=self.clock,
            platform=self.platform,
            peers=self.peers,
            prefix=self.prefix,
            now=self.clock.now(),
            features=self.features,
        )
        await self.run_scheduled(
            lambda: chat_legs.relay_refused(ctx, action), communities=[action.community]
        )

    async def deliver_outbox(self) -> int:
        """Deliver what is owed and due on this platform (rows a previous run or a dead process
        left, rows a worker queued, due retries; also joins the database could not store: see
        `communitybot.unsaved`). A worker's bot delivers nothing (`communitybot.outbox`)."""
        retried = 0
        for event in self.unsaved.take_due(self.clock.now()):
            try:
                handled = await self.handle(event)
            finally:
                self.unsaved.finished(event)
            await self.outbox.deliver(event, handled.batch)
            retried += 1
        return retried + await self.outbox.deliver_due()

    async def _not_stored(self, event: Event, error: StoreFull | StoreReadOnly) -> Handled:
        """The database refused to write (full disk, read-only file): say so plainly in the
        log, to the member and (at most hourly) to the moderators; keep a join to retry."""
        now = self.clock.now()
        what = "the disk is full" if isinstance(error, StoreFull) else "the database is read-only"
        logger.error("{}: {} was not stored ({})", what, type(event).__name__, error)
        if self.unsaved.worth_keeping(event):
            retry_at, dropped = self.unsaved.keep(event, now)
            logger.warning("will try the {} again at {}", type(event).__name__, retry_at)
            if dropped is not None:
                logger.error("too many unsaved events: dropped {}", dropped)
            self.wakeup.retry_planned(retry_at)
        text = FULL_TEXT if isinstance(error, StoreFull) else READ_ONLY_TEXT
        actions = self._apology(event, text)
        unsaved = self._unsaved(actions)
        if self._modlog_told_at is None or now - self._modlog_told_at >= MODLOG_FULL_EVERY:
            community = await self.store.communities.get(event.community)
            if community is not None and community.modlog_channel:
                self._modlog_told_at = now
                with use_language(community_language(community)):
                    note = tr(
                        "⚠️ The bot cannot write its database: {what}. Members' actions are "
                        "not being saved (new members' joins are kept and retried). Free some "
                        "disk space or fix the file's permissions; the log has details.",
                        what=tr("the disk is full")
                        if isinstance(error, StoreFull)
                        else tr("the database is read-only"),
                    )
                warning = SendToChannel(community.ref, community.modlog_channel, Message(note))
                unsaved.batch.append(Queued(None, warning, None))
        return unsaved

    async def _with_modlogs(
        self, actions: list[Action], known: dict[CommunityRef | None, str | None]
    ) -> list[tuple[Action, str | None]]:
        """Each action with the moderator-log channel its delivery problems go to: its
        community's (`known`, else read once per community; a community gone: none)."""
        paired: list[tuple[Action, str | None]] = []
        for action in actions:
            ref = None if isinstance(action, Reply) else action.community
            try:
                channel = known[ref]
            except KeyError:
                community = await self.store.communities.get(ref) if ref else None
                channel = known[ref] = community.modlog_channel if community else None
            paired.append((action, channel))
        return paired

    @staticmethod
    def _unsaved(actions: list[Action]) -> Handled:
        """An apology after a rollback: delivered, never stored (it holds only replies)."""
        return Handled(actions, None, [Queued(None, a, None) for a in actions])

    def _apology(self, event: Event, text: str) -> list[Action]:
        """`text` (a constant marked with `N_`) to the member, in the language they were last
        answered in: the database may be what failed, so their row is not read."""
        if isinstance(event, CommandInvoked | MessageReceived | ChoicePicked):
            with use_language(self.languages.of(event)):
                return reply(tr(text))
        return []

    async def _context(self, event: Event, unit: Unit | None = None) -> Context | None:
        """The community and member an event acts for, at the start of its unit of work.

        The community row and its onboarding questions come from memory when no earlier unit
        changed them (`communitybot.store.cache`; `_new_transaction`). A join tries the insert
        first.
        """
        now = self.clock.now()
        community, created = await self.store.communities.ensure(event.community, now)
        member_is_new = False
        if isinstance(event, MemberLeft):
            member = await self.store.members.get(community.id, event.user)
            if member is None:
                return None
        elif isinstance(event, MemberJoined):
            member, member_is_new = await self.store.members.join(community.id, event.user, now)
        elif isinstance(event, ChannelMessage) and event.change != "posted":
            # An edit or deletion by someone the bot never met: nothing it recorded is theirs
            # to change, and a deletion Discord reports without its author names nobody.
            member = await self.store.members.get(community.id, event.user)
            if member is None:
                return None
        else:
            member, member_is_new = await self.store.members.ensure(community.id, event.user, now)
        ctx = await self._bound_context(
            self.store, community, member, event, member_is_new=member_is_new, unit=unit
        )
        if created:
            await registry.seed_community(ctx)
        return ctx

    async def _route(self, ctx: Context) -> list[Action]:
        """The feature's handler for the event, writing in the acting member's language."""
        language = ctx.language
        self.languages.remember(ctx.event, language)
        with use_language(language):
            return await self._route_event(ctx)

    async def _route_event(self, ctx: Context) -> list[Action]:
        event = ctx.event
        match event:
            case MemberJoined():
                await ctx.member_changed()
                return await registry.on_join(ctx)
            case MemberLeft():
                await ctx.store.members.mark_left(ctx.member.id, self.clock.now())
                await ctx.member_changed()
                return await registry.on_leave(ctx)
            case CommandInvoked(path=path, options=options):
                return await registry.run_command(ctx, path, options)
            case MessageReceived(text=text):
                return await registry.on_message(ctx, text)
            case ChoicePicked(custom_id=custom_id, values=values):
                return await registry.on_choice(ctx, custom_id, values)
            case ChannelMessage():
                return await registry.on_channel_message(ctx, event)
        return []


_INTERACTIVE = (CommandInvoked, MessageReceived, ChoicePicked)
_SPANNING_CHOICES = {"forgetme", "link:confirm"}
"""Answers acting for the person: forgetting them, or linking (which merges their profiles in
every network the two accounts share, `communitybot.identity`)."""


_FORGET_YES = answers.deleting_in_any_language()
"""The typed answers that make `/forgetme` delete, in any language (as
`communitybot.privacy.commands` reads them: "this" account or "all" linked accounts; any other
answer deletes nothing)."""


def _spans(event: Event) -> Spans:
    """Whose lanes the event's unit takes (`Command.spans`): a command says so in the catalogue;
    the answer to `/forgetme` (a button, or "yes" in a private message) acts for the person."""
    if isinstance(event, CommandInvoked):
        command = find_command(event.path)
        return command.spans if command is not None else "community"
    if isinstance(event, ChoicePicked) and event.custom_id in _SPANNING_CHOICES:
        return "person"
    typed = answers.normalized(event.text) if isinstance(event, MessageReceived) else ""
    return "person" if typed in _FORGET_YES else "community"


@dataclass(eq=False)
class _JoinSlot:
    """A join queued in its lane, for a group commit to take (`Bot._join_group`)."""

    event: MemberJoined
    key: Hashable
    handled: asyncio.Future[Handled]


def _is_join_slot(payload: object) -> bool:
    return isinstance(payload, _JoinSlot)


def _as_slot(payload: object) -> _JoinSlot:
    assert isinstance(payload, _JoinSlot)
    return payload


async def _finished(task: asyncio.Future[list[Handled]]) -> list[Handled]:
    """The group's outcome; a cancelled leader still lets the group finish (others wait on it)
    before it gives up its lane."""
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        while not task.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)
        raise


def _priority(event: Event) -> Priority:
    """A member waiting for the answer goes first; joins, leaves and channel messages wait."""
    return Priority.INTERACTIVE if isinstance(event, _INTERACTIVE) else Priority.BULK


def _member_key(event: Event) -> Hashable:
    """Whose event this is, for keeping one member's events in order at the lock."""
    return (event.community, event.user.platform, event.user.user_id)
