"""Which handler serves which command, job, message or button: built from the features.

Every capability declares itself once, as a `Feature` in its package's `feature.py`. This module
only orders them and derives what the Bot and the scheduler consult: the command handlers, the
job kinds, the listener chains, `/stats` and the `/mydata` sections. Adding a command or a job
kind never touches this file; a new capability adds one line to `FEATURES` (and, if it shows
figures or exports data, one to `STATS_ORDER` / `EXPORT_ORDER`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from communitybot import typed_choices
from communitybot.asks.feature import FEATURE as ASKS
from communitybot.chats.feature import FEATURE as CHATS
from communitybot.commands import find_command
from communitybot.context import CommandHandler, Context
from communitybot.dashboard.feature import FEATURE as DASHBOARD
from communitybot.dashboard.modlog import dashboard_note
from communitybot.events import ChannelMessage
from communitybot.feature import Feature
from communitybot.help.feature import FEATURE as HELP
from communitybot.i18n import tr
from communitybot.identity.feature import FEATURE as IDENTITY
from communitybot.job_kinds import JobKind
from communitybot.mentoring.feature import FEATURE as MENTORING
from communitybot.models import Community, Member
from communitybot.moderation.feature import FEATURE as MODERATION
from communitybot.networks.feature import FEATURE as NETWORKS
from communitybot.onboarding.feature import FEATURE as ONBOARDING
from communitybot.peers.feature import FEATURE as PEERS
from communitybot.privacy.feature import FEATURE as PRIVACY
from communitybot.replies import Action, reply
from communitybot.reply_capture import capture_of
from communitybot.rounds.feature import FEATURE as ROUNDS
from communitybot.store.stats import MemberCounts
from communitybot.store.store import Store
from communitybot.tags.feature import FEATURE as TAGS

FEATURES: tuple[Feature, ...] = (
    HELP,
    PRIVACY,
    IDENTITY,
    ONBOARDING,
    TAGS,
    PEERS,
    MODERATION,
    MENTORING,
    CHATS,
    ASKS,
    ROUNDS,
    NETWORKS,
    DASHBOARD,
)
"""Every capability, in the order listeners are asked: a pending `/forgetme` (privacy) hears a
private message or a button before onboarding does, and so does a pending link confirmation
(identity); a member leaving ends mentoring pairings
first, then chat hosting, then peer-round groups."""

STATS_ORDER: tuple[Feature, ...] = (
    ONBOARDING,
    PRIVACY,
    MENTORING,
    TAGS,
    ASKS,
    ROUNDS,
    CHATS,
    MODERATION,
)
"""The order of the lines in `/stats`, after the member count (the set-up hint last)."""

V = TypeVar("V")

EXPORT_ORDER: tuple[Feature, ...] = (
    TAGS,
    ONBOARDING,
    CHATS,
    MENTORING,
    ASKS,
    ROUNDS,
    NETWORKS,
    PEERS,
)
"""The order of each membership's sections in the `/mydata` JSON, between the profile and the
pending confirmation: the file's layout stays the same from one release to the next."""


def _merged(tables: list[Mapping[Any, V]], what: str) -> dict[Any, V]:
    """One table from the features' tables; a key declared twice is a bug, caught at start."""
    out: dict[Any, V] = {}
    for table in tables:
        for key, value in table.items():
            if key in out:
                raise ValueError(f"{what} {key!r} is declared by two features")
            out[key] = value
    return out


COMMANDS: dict[tuple[str, ...], CommandHandler] = _merged([f.commands for f in FEATURES], "command")
"""Command handlers by path, from every feature's declaration."""

JOB_KINDS: dict[str, JobKind] = _merged([f.jobs for f in FEATURES], "job kind")
"""Scheduled work by job kind: the handler, its grace window and retry policy."""


async def seed_community(ctx: Context) -> None:
    """A community seen for the first time gets the default questions and tags."""
    for feature in FEATURES:
        if feature.seed is not None:
            await feature.seed(ctx)


async def after_moderator_command(
    ctx: Context, path: tuple[str, ...], actions: list[Action]
) -> list[Action]:
    """A moderator command's actions, passed through every feature's declared hook in
    `FEATURES` order (moderation's: the fresh community's set-up hint when it is due)."""
    for feature in FEATURES:
        if feature.after_moderator_command is not None:
            actions = await feature.after_moderator_command(ctx, path, actions)
    return actions


def after_moderator_command_may_write(community: Community) -> bool:
    """Whether `after_moderator_command` may write for this community (moderation records the
    set-up hint as given while a channel is unset); when not, it changes nothing at all."""
    return any(
        feature.after_moderator_command_may_write(community)
        for feature in FEATURES
        if feature.after_moderator_command_may_write is not None
    )


async def run_command(
    ctx: Context, path: tuple[str, ...], options: Mapping[str, Any]
) -> list[Action]:
    """A command's answer: unknown commands and non-moderators refused, then its handler (and
    the set-up hint after a moderator command)."""
    command = find_command(path)
    if command is None:
        return reply(tr("I don't know that command. Type `{help}`.", help=f"{ctx.prefix}help"))
    if command.moderator_only and not ctx.is_moderator:
        return reply(
            tr(
                "Only moderators can use `{command}`. If you think you should be one, ask a "
                "moderator.",
                command=f"{ctx.prefix}{command.name}",
            )
        )
    handler = COMMANDS.get(path)
    if handler is None:
        return reply(tr("`{command}` is not available yet.", command=f"{ctx.prefix}{command.name}"))
    actions = await handler(ctx, dict(options))
    if command.moderator_only:
        actions = await after_moderator_command(ctx, path, actions)
    if not command.read_only and capture_of(ctx.event) is not None:
        actions = actions + dashboard_note(ctx, command, options, actions)  # a web form: logged
    return actions


async def on_join(ctx: Context) -> list[Action]:
    """A member joined: every feature that welcomes people answers (onboarding today)."""
    actions: list[Action] = []
    for feature in FEATURES:
        if feature.on_join is not None:
            actions += await feature.on_join(ctx)
    return actions


async def on_leave(ctx: Context) -> list[Action]:
    """A member left: features that pair people end those pairings kindly."""
    actions: list[Action] = []
    for feature in FEATURES:
        if feature.on_leave is not None:
            actions += await feature.on_leave(ctx)
    return actions


async def on_message(ctx: Context, text: str) -> list[Action]:
    """A private message: a pending confirmation first, then the onboarding flow, then a typed
    answer to the last check-in or "did you meet?" question."""
    for feature in FEATURES:
        if feature.on_message is not None:
            actions = await feature.on_message(ctx, text)
            if actions is not None:
                return actions
    typed = await typed_choices.match(ctx, text)
    if typed is not None:
        return await on_choice(ctx, *typed)
    return reply(
        tr(
            "I'm not sure what you mean. Type `{help}` to see what I can do, or `{onboard}` to "
            "answer the welcome questions again.",
            help=f"{ctx.prefix}help",
            onboard=f"{ctx.prefix}onboard",
        )
    )


async def on_channel_message(ctx: Context, event: ChannelMessage) -> list[Action]:
    """A member's message in a channel that some feature listens to (`listens_to`, asked
    before the transaction): a running topic chat records answers for its recap. Each listener
    ignores a message that is not for it."""
    actions: list[Action] = []
    for feature in FEATURES:
        if feature.on_channel_message is not None:
            actions += await feature.on_channel_message(ctx, event)
    return actions


async def listens_to(store: Store, event: ChannelMessage) -> bool:
    """Whether any feature wants this channel message; checked before the event's transaction
    so an ordinary message in a busy server costs one read and no write."""
    for feature in FEATURES:
        if feature.listens_to is not None and await feature.listens_to(store, event):
            return True
    return False


async def on_choice(ctx: Context, custom_id: str, values: tuple[str, ...]) -> list[Action]:
    for feature in FEATURES:
        if feature.on_choice is None:
            continue
        actions = await feature.on_choice(ctx, custom_id, values)
        if actions is not None:
            # The handler closes a remembered question itself (typed_choices.answered) once it
            # accepts the answer: a refused or malformed press leaves it open.
            return actions
    return reply(tr("That button has expired. Type the command again to get a fresh one."))


async def stats_lines(ctx: Context, counts: MemberCounts) -> list[str]:
    """Every feature's `/stats` lines, in `STATS_ORDER`."""
    lines: list[str] = []
    for feature in STATS_ORDER:
        if feature.stats is not None:
            lines += await feature.stats(ctx, counts)
    return lines


async def export_sections(ctx: Context, member: Member) -> dict[str, Any]:
    """Every feature's sections of one membership in `/mydata`, in `EXPORT_ORDER`."""
    sections: dict[str, Any] = {}
    for feature in EXPORT_ORDER:
        if feature.export is not None:
            sections.update(await feature.export(ctx, member))
    return sections


async def forget(ctx: Context, memberships: list[Member]) -> None:
    """`/forgetme` confirmed: every feature deletes what it stores about the acting user. The
    privacy feature's, which deletes the memberships themselves (and, cascading, most rows),
    goes last: a feature may first need those rows to undo something elsewhere (a network
    chat's relayed copies)."""
    for feature in sorted(FEATURES, key=lambda f: f is PRIVACY):
        if feature.forget is not None:
            await feature.forget(ctx, memberships)
