"""The core's front door: take an event, run the right handler, deliver what it returns.

Every event is handled inside one database transaction (so a failure half-way stores nothing)
and under one lock (so two events never interleave inside a transaction on the shared
connection). Delivery happens after the commit, outside the lock: network waits never hold it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from loguru import logger

from communitybot.clock import Clock
from communitybot.commands import find_command
from communitybot.context import Context
from communitybot.delivery import deliver
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
from communitybot.features import registry
from communitybot.ports import ChatPlatform
from communitybot.replies import Action, Reply, reply
from communitybot.store.db import StoreBusy
from communitybot.store.store import Store

BUSY_TEXT = "The database is busy right now, so nothing was changed. Please try again in a moment."
FAILED_TEXT = (
    "Sorry, something went wrong on my side and nothing was changed. Moderators can check the log."
)


class Bot:
    def __init__(
        self,
        store: Store,
        platform: ChatPlatform,
        clock: Clock,
        peers: Any,
        prefix: str = "/",
    ) -> None:
        self.store = store
        self.platform = platform
        self.clock = clock
        self.peers = peers
        self.prefix = prefix
        self._lock = asyncio.Lock()

    async def dispatch(self, event: Event) -> list[Action]:
        """Handle and deliver; returns the actions (tests and benchmarks look at them)."""
        actions, modlog = await self.handle(event)
        await deliver(self.platform, event, actions, modlog)
        return actions

    async def handle(self, event: Event) -> tuple[list[Action], str | None]:
        """Run the handler for `event`; returns its actions and the modlog channel to report to."""
        async with self._lock:
            try:
                if isinstance(event, ChannelMessage) and not await registry.listens_to(
                    self.store, event
                ):
                    return [], None  # no write transaction, no member row: nothing listens
                async with self.store.db.transaction():
                    ctx = await self._context(event)
                    if ctx is None:
                        return [], None
                    actions = await self._route(ctx)
                    return actions, ctx.community.modlog_channel
            except StoreBusy:
                logger.warning("database busy while handling {}", type(event).__name__)
                self.peers.invalidate_all()  # the rollback may have undone index updates
                return self._apology(event, BUSY_TEXT), None
            except Exception:
                logger.exception("handling {} failed", type(event).__name__)
                self.peers.invalidate_all()
                return self._apology(event, FAILED_TEXT), None

    async def run_scheduled(self, work: Callable[[], Awaitable[list[Action]]]) -> list[Action]:
        """Run scheduled work (the scheduler's job handlers) the way an event is handled.

        Same lock and one transaction, so a job's effect and its "delivered" mark commit together
        and never interleave with an event; its actions are delivered after the commit. Errors
        propagate (after undoing index updates): the scheduler decides whether to retry.
        """
        async with self._lock:
            try:
                async with self.store.db.transaction():
                    actions = await work()
                    groups = _by_community(actions)
                    modlogs = await self._modlog_channels(groups)
            except Exception:
                self.peers.invalidate_all()
                raise
        for community, group in groups.items():
            await deliver(self.platform, None, group, modlogs.get(community))
        return actions

    async def _modlog_channels(
        self, groups: dict[CommunityRef | None, list[Action]]
    ) -> dict[CommunityRef | None, str | None]:
        channels: dict[CommunityRef | None, str | None] = {}
        for ref in groups:
            community = await self.store.communities.get(ref) if ref else None
            channels[ref] = community.modlog_channel if community else None
        return channels

    @staticmethod
    def _apology(event: Event, text: str) -> list[Action]:
        if isinstance(event, CommandInvoked | MessageReceived | ChoicePicked):
            return reply(text)
        return []

    async def _context(self, event: Event) -> Context | None:
        now = self.clock.now()
        community, created = await self.store.communities.ensure(event.community, now)
        if isinstance(event, MemberLeft):
            member = await self.store.members.get(community.id, event.user)
            if member is None:
                return None
        else:
            member, _ = await self.store.members.ensure(community.id, event.user, now)
        is_moderator = await self.platform.is_moderator(
            community.ref, event.user, community.moderator_role
        )
        ctx = Context(
            store=self.store,
            clock=self.clock,
            platform=self.platform,
            peers=self.peers,
            community=community,
            member=member,
            event=event,
            is_moderator=is_moderator,
            prefix=self.prefix,
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
                command = find_command(path)
                if command is None:
                    return reply(f"I don't know that command. Type `{ctx.prefix}help`.")
                if command.moderator_only and not ctx.is_moderator:
                    return reply(
                        f"Only moderators can use `{ctx.prefix}{command.name}`. "
                        "If you think you should be one, ask a moderator."
                    )
                handler = registry.COMMANDS.get(path)
                if handler is None:
                    return reply(f"`{ctx.prefix}{command.name}` is not available yet.")
                return await handler(ctx, dict(options))
            case MessageReceived(text=text):
                return await registry.on_message(ctx, text)
            case ChoicePicked(custom_id=custom_id, values=values):
                return await registry.on_choice(ctx, custom_id, values)
            case ChannelMessage():
                return await registry.on_channel_message(ctx, event)
        return []


def _by_community(actions: list[Action]) -> dict[CommunityRef | None, list[Action]]:
    """Scheduled actions grouped by community, each group reported to its own moderators."""
    groups: dict[CommunityRef | None, list[Action]] = {}
    for action in actions:
        groups.setdefault(None if isinstance(action, Reply) else action.community, []).append(
            action
        )
    return groups
