"""The core's front door: take an event, run the right handler, deliver what it returns.

Every event that may write is handled inside one database transaction (so a failure half-way
stores nothing) and under the write lock (so two events never interleave inside a transaction
on the shared connection). The actions to deliver later are written to the outbox in that same
transaction (`communitybot.outbox`), so a crash after the commit loses none of them. Delivery
happens after the commit, outside the lock: network waits never hold it. Before any of that, a
member over their rate limit is refused from memory (`communitybot.rate_limits`): no lock, no
transaction, so one member's burst never queues in front of everyone else.

Two things keep a member from waiting behind bulk work (issue #12):

* **The read path.** A command the catalogue marks `read_only` (`/peers`, `/help`, `/tags
  list`, …) from a member and community that already exist runs on the store's read connection
  (`Store.reader`), without the write lock: in WAL mode it reads the last commit while a write
  transaction is open. Its replies are delivered as usual. Whatever would write sends it down
  the write path instead: an unknown member or community (their rows are created), a member
  who left or changed their display name (`members.ensure` records it), a member with an
  earlier event still queued at the lock (their events keep their order), a moderator command
  while the community's set-up hint may still be recorded, and, as a safety net, a handler that
  fails on the read connection (which cannot write) or returns more than replies.
* **The priority lock** (`communitybot.priority_lock`): at the write lock, a member waiting for
  an answer (command, private message, button) goes before joins, leaves, channel messages,
  scheduled work and outbox steps, and a member's own queued joins go with their command.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from loguru import logger

from communitybot import registry, typed_choices
from communitybot.clock import Clock
from communitybot.commands import find_command
from communitybot.context import Acting, Context
from communitybot.events import (
    ChannelMessage,
    ChoicePicked,
    CommandInvoked,
    CommunityRef,
    Event,
    MemberJoined,
    MemberLeft,
    MessageReceived,
)
from communitybot.models import Community, Member
from communitybot.outbox import Outbox, Queued
from communitybot.ports import ChatPlatform
from communitybot.priority_lock import Priority, PriorityLock
from communitybot.rate_limits import RateLimiter
from communitybot.replies import Action, Message, Reply, SendToChannel, reply
from communitybot.store.db import StoreBusy, StoreFull, StoreReadOnly
from communitybot.store.store import Store
from communitybot.unsaved import UnsavedEvents

BUSY_TEXT = "The database is busy right now, so nothing was changed. Please try again in a moment."
FULL_TEXT = (
    "Sorry, the server's disk is full, so nothing was changed. Moderators have been told; "
    "please try again later."
)
READ_ONLY_TEXT = (
    "Sorry, the server cannot write its database right now, so nothing was changed. "
    "Moderators have been told; please try again later."
)
MODLOG_FULL_EVERY = timedelta(hours=1)
"""How often moderators hear that the database cannot be written (not once per event)."""
FAILED_TEXT = (
    "Sorry, something went wrong on my side and nothing was changed. Moderators can check the log."
)


@dataclass(frozen=True)
class Handled:
    """What handling one event committed: its actions, and the batch to deliver (the actions
    with their outbox rows and the moderator-log channel problems are reported to)."""

    actions: list[Action]
    modlog_channel: str | None = None
    batch: list[Queued] = field(default_factory=list)


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
    ) -> None:
        """`lock`: the write lock, when others take turns on the connection too (the adapters'
        state, `communitybot.bootstrap`); a fresh one by default."""
        self.store = store
        self.platform = platform
        self.clock = clock
        self.peers = peers
        self.prefix = prefix
        self._lock = lock or PriorityLock()
        """The write lock: interactive events first, each member's events in order."""
        self.reader = store.reader
        """The store on the read connection (None: every event takes the write path)."""
        self.outbox = Outbox(store, platform, clock, self._lock)
        self.unsaved = UnsavedEvents()
        """Joins the database could not store (full disk): tried again by `deliver_outbox`."""
        self._modlog_told_at: datetime | None = None
        self.limits = limits or RateLimiter(store, platform, clock)
        """Per-member rate limits, checked before the lock (`communitybot.rate_limits`)."""

    async def dispatch(self, event: Event) -> list[Action]:
        """Handle and deliver; returns the actions (tests and benchmarks look at them)."""
        handled = await self.handle(event)
        await self.outbox.deliver(event, handled.batch)
        return handled.actions

    async def handle(self, event: Event) -> Handled:
        """Run the handler for `event` and commit its effects with its outbox rows.

        Nothing is delivered here: the caller delivers `Handled.batch` after the commit.
        A member over a rate limit is answered (once per window) or dropped right here, before
        the lock and before any database write: their burst never queues in front of others.
        """
        refused = await self.limits.admit(event)
        if refused is not None:
            return self._unsaved(reply(refused.text) if refused.text else [])
        handled = await self._handle_read_only(event)
        if handled is None:
            handled = await self._handle_admitted(event)
        self.limits.settle(event, handled.actions)
        return handled

    async def _handle_read_only(self, event: Event) -> Handled | None:
        """A read-only command answered on the read connection, without the write lock; None
        when it must take the write path (see the module docstring)."""
        if (
            self.reader is None
            or not isinstance(event, CommandInvoked)
            or self._lock.busy(_member_key(event))
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
        return Handled(actions, modlog, [Queued(None, action, modlog) for action in actions])

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
            acting=Acting(community, member, event, is_moderator),
            member_is_new=member_is_new,
            joined_fresh=member_is_new and isinstance(event, MemberJoined),
        )

    async def _handle_admitted(self, event: Event) -> Handled:
        async with self._lock.hold(_priority(event), _member_key(event)):
            try:
                if isinstance(event, ChannelMessage) and not await registry.listens_to(
                    self.store, event
                ):
                    return Handled([])  # no write transaction, no member row: nothing listens
                async with (
                    self.peers.write_unit(self.store),
                    self.store.db.transaction(),
                ):
                    ctx = await self._context(event)
                    if ctx is None:
                        return Handled([])
                    actions = await self._route(ctx)
                    await typed_choices.remember(self.store, actions, self.clock.now())
                    modlog = ctx.community.modlog_channel
                    batch = await self.outbox.queue(
                        [(a, modlog) for a in actions], self.clock.now()
                    )
                    return Handled(actions, modlog, batch)
            except (StoreFull, StoreReadOnly) as error:
                self.peers.invalidate_all()
                return await self._not_stored(event, error)
            except StoreBusy:
                logger.warning("database busy while handling {}", type(event).__name__)
                self.peers.invalidate_all()  # the rollback may have undone index updates
                return self._unsaved(self._apology(event, BUSY_TEXT))
            except Exception:
                logger.exception("handling {} failed", type(event).__name__)
                self.peers.invalidate_all()
                return self._unsaved(self._apology(event, FAILED_TEXT))

    async def run_scheduled(self, work: Callable[[], Awaitable[list[Action]]]) -> list[Action]:
        """Run scheduled work (the scheduler's job handlers) the way an event is handled.

        Same lock and one transaction, so a job's effect, its "delivered" mark and its outbox
        rows commit together and never interleave with an event; its actions are delivered
        after the commit, in order, each problem reported to its own community's moderators.
        Errors propagate (after undoing index updates): the scheduler decides whether to retry.
        """
        async with self._lock.hold(Priority.BULK):
            try:
                async with (
                    self.peers.write_unit(self.store),
                    self.store.db.transaction(),
                ):
                    actions = await work()
                    await typed_choices.remember(self.store, actions, self.clock.now())
                    batch: list[Queued] = []
                    if actions:
                        modlogs = await self._modlog_channels(_communities(actions))
                        batch = await self.outbox.queue(
                            [(a, modlogs.get(_community(a))) for a in actions],
                            self.clock.now(),
                        )
            except Exception:
                self.peers.invalidate_all()
                raise
        await self.outbox.deliver(None, batch)
        return actions

    async def deliver_outbox(self) -> int:
        """Deliver what a previous run committed but did not deliver, and due retries (also
        of joins the database could not store: see `communitybot.unsaved`)."""
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
            if self.outbox.on_retry_planned is not None:
                self.outbox.on_retry_planned(retry_at)
        text = FULL_TEXT if isinstance(error, StoreFull) else READ_ONLY_TEXT
        actions = self._apology(event, text)
        unsaved = self._unsaved(actions)
        if self._modlog_told_at is None or now - self._modlog_told_at >= MODLOG_FULL_EVERY:
            community = await self.store.communities.get(event.community)
            if community is not None and community.modlog_channel:
                self._modlog_told_at = now
                warning = SendToChannel(
                    community.ref,
                    community.modlog_channel,
                    Message(
                        f"⚠️ The bot cannot write its database: {what}. Members' actions are "
                        "not being saved (new members' joins are kept and retried). Free some "
                        "disk space or fix the file's permissions; the log has details."
                    ),
                )
                unsaved.batch.append(Queued(None, warning, None))
        return unsaved

    async def _modlog_channels(
        self, refs: list[CommunityRef | None]
    ) -> dict[CommunityRef | None, str | None]:
        channels: dict[CommunityRef | None, str | None] = {}
        for ref in refs:
            community = await self.store.communities.get(ref) if ref else None
            channels[ref] = community.modlog_channel if community else None
        return channels

    @staticmethod
    def _unsaved(actions: list[Action]) -> Handled:
        """An apology after a rollback: delivered, never stored (it holds only replies)."""
        return Handled(actions, None, [Queued(None, a, None) for a in actions])

    @staticmethod
    def _apology(event: Event, text: str) -> list[Action]:
        if isinstance(event, CommandInvoked | MessageReceived | ChoicePicked):
            return reply(text)
        return []

    async def _context(self, event: Event) -> Context | None:
        """The community and member an event acts for, at the start of its unit of work.

        The community row and its onboarding questions come from memory when no earlier unit
        changed them (`communitybot.store.cache`); `new_unit` tells those caches that the unit
        before this one has ended, committed or rolled back. A join tries the insert first.
        """
        self.store.communities.new_unit()
        self.store.onboarding.new_unit()
        now = self.clock.now()
        community, created = await self.store.communities.ensure(event.community, now)
        member_is_new = False
        if isinstance(event, MemberLeft):
            member = await self.store.members.get(community.id, event.user)
            if member is None:
                return None
        elif isinstance(event, MemberJoined):
            member, member_is_new = await self.store.members.join(community.id, event.user, now)
        else:
            member, member_is_new = await self.store.members.ensure(community.id, event.user, now)
        ctx = await self._bound_context(
            self.store, community, member, event, member_is_new=member_is_new
        )
        if created:
            await registry.seed_community(ctx)
        return ctx

    async def _route(self, ctx: Context) -> list[Action]:
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


def _priority(event: Event) -> Priority:
    """A member waiting for the answer goes first; joins, leaves and channel messages wait."""
    return Priority.INTERACTIVE if isinstance(event, _INTERACTIVE) else Priority.BULK


def _member_key(event: Event) -> Hashable:
    """Whose event this is, for keeping one member's events in order at the lock."""
    return (event.community, event.user.platform, event.user.user_id)


def _community(action: Action) -> CommunityRef | None:
    return None if isinstance(action, Reply) else action.community


def _communities(actions: list[Action]) -> list[CommunityRef | None]:
    """The communities scheduled actions belong to, each once, in order of appearance."""
    return list(dict.fromkeys(_community(action) for action in actions))
