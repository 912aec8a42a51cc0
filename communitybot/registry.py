"""Which handler serves which command, message or button: the one table the Bot consults."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from communitybot import typed_choices
from communitybot.asks import commands as asks
from communitybot.chats import commands as chats
from communitybot.chats import questions as chat_questions
from communitybot.chats import run as chat_run
from communitybot.chats import transcript as chat_transcript
from communitybot.commands import find_command
from communitybot.context import CommandHandler, Context
from communitybot.events import ChannelMessage
from communitybot.help import commands as help
from communitybot.mentoring import commands as mentoring
from communitybot.models import Community
from communitybot.moderation import commands as moderation
from communitybot.moderation import first_steps, limits
from communitybot.onboarding import admin as onboarding_admin
from communitybot.onboarding import flow as onboarding
from communitybot.onboarding import profile
from communitybot.peers import commands as peers
from communitybot.privacy import commands as privacy
from communitybot.replies import Action, reply
from communitybot.rounds import commands as rounds
from communitybot.scheduler import JobKind
from communitybot.store.store import Store
from communitybot.tags import commands as tags

COMMANDS: dict[tuple[str, ...], CommandHandler] = {
    **help.COMMANDS,
    **limits.COMMANDS,
    **tags.COMMANDS,
    **peers.COMMANDS,
    **onboarding.COMMANDS,
    **onboarding_admin.COMMANDS,
    **profile.COMMANDS,
    **privacy.COMMANDS,
    **moderation.COMMANDS,
    **mentoring.COMMANDS,
    **chats.COMMANDS,
    **asks.COMMANDS,
    **chat_questions.COMMANDS,
    **chat_transcript.COMMANDS,
    **rounds.COMMANDS,
}

JOB_KINDS: dict[str, JobKind] = {
    **mentoring.JOB_KINDS,
    **chats.JOB_KINDS,
    **asks.JOB_KINDS,
    **chat_run.JOB_KINDS,
    **rounds.JOB_KINDS,
}
"""Scheduled work by job kind: the handler, its grace window and retry policy."""


async def seed_community(ctx: Context) -> None:
    """A community seen for the first time gets the default questions and tags."""
    await onboarding.seed_defaults(ctx)


async def after_moderator_command(
    ctx: Context, path: tuple[str, ...], actions: list[Action]
) -> list[Action]:
    """A moderator command's actions, with the fresh community's set-up hint when it is due."""
    return await first_steps.after_moderator_command(ctx, path, actions)


def after_moderator_command_may_write(community: Community) -> bool:
    """Whether `after_moderator_command` may write for this community (it records the set-up
    hint as given while a channel is unset); when not, it changes nothing at all."""
    return bool(first_steps.missing_channels(community))


async def run_command(
    ctx: Context, path: tuple[str, ...], options: Mapping[str, Any]
) -> list[Action]:
    """A command's answer: unknown commands and non-moderators refused, then its handler (and
    the set-up hint after a moderator command)."""
    command = find_command(path)
    if command is None:
        return reply(f"I don't know that command. Type `{ctx.prefix}help`.")
    if command.moderator_only and not ctx.is_moderator:
        return reply(
            f"Only moderators can use `{ctx.prefix}{command.name}`. "
            "If you think you should be one, ask a moderator."
        )
    handler = COMMANDS.get(path)
    if handler is None:
        return reply(f"`{ctx.prefix}{command.name}` is not available yet.")
    actions = await handler(ctx, dict(options))
    if command.moderator_only:
        actions = await after_moderator_command(ctx, path, actions)
    return actions


async def on_join(ctx: Context) -> list[Action]:
    return await onboarding.on_join(ctx)


async def on_leave(ctx: Context) -> list[Action]:
    """A member left: features that pair people end those pairings kindly."""
    actions = await mentoring.on_leave(ctx)
    actions += await chats.on_leave(ctx)
    actions += await rounds.on_leave(ctx)
    return actions


async def on_message(ctx: Context, text: str) -> list[Action]:
    """A private message: a pending confirmation first, then the onboarding flow, then a typed
    answer to the last check-in or "did you meet?" question."""
    for handler in (privacy.on_message, onboarding.on_message):
        actions = await handler(ctx, text)
        if actions is not None:
            return actions
    typed = await typed_choices.match(ctx, text)
    if typed is not None:
        return await on_choice(ctx, *typed)
    return reply(
        f"I'm not sure what you mean. Type `{ctx.prefix}help` to see what I can do, "
        f"or `{ctx.prefix}onboard` to answer the welcome questions again."
    )


async def on_channel_message(ctx: Context, event: ChannelMessage) -> list[Action]:
    """A member's message in a channel: only a running topic chat listens (answers, recap)."""
    return await chat_run.on_channel_message(ctx, event)


async def listens_to(store: Store, event: ChannelMessage) -> bool:
    """Whether any feature wants this channel message; checked before the event's transaction
    so an ordinary message in a busy server costs one read and no write."""
    return await chat_run.listens_to(store, event)


async def on_choice(ctx: Context, custom_id: str, values: tuple[str, ...]) -> list[Action]:
    for handler in (
        privacy.on_choice,
        onboarding.on_choice,
        mentoring.on_choice,
        rounds.on_choice,
    ):
        actions = await handler(ctx, custom_id, values)
        if actions is not None:
            # The handler closes a remembered question itself (typed_choices.answered) once it
            # accepts the answer: a refused or malformed press leaves it open.
            return actions
    return reply("That button has expired. Type the command again to get a fresh one.")
