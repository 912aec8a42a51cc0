"""Carry out the actions handlers returned, through the platform port, one failure at a time.

A refused DM or a missing permission must not stop the rest of the actions, and must not be
swallowed: it is logged and, for moderator-fixable problems, reported in the moderator-log channel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Literal

from loguru import logger

from communitybot.events import CommandInvoked, CommunityRef, Event
from communitybot.i18n import N_, in_language, tr, use_language
from communitybot.ports import ChatPlatform, DirectMessageRefused, PlatformError, TryLater
from communitybot.replies import (
    Action,
    CalendarEntry,
    GrantRole,
    Message,
    PublishCalendar,
    RelayDelete,
    RelayEdit,
    RelayPost,
    Reply,
    RevokeRole,
    SendDirect,
    SendToChannel,
    SendToGroup,
)
from communitybot.reply_capture import capture_of
from communitybot.text import neutralize_mass_mentions, quote

LanguageOf = Callable[[CommunityRef], Awaitable[str]]
"""A community's language, for what delivery tells its moderators (`Outbox` reads the store)."""
Outcome = Literal["delivered", "refused", "failed"]
"""How one action went: done; refused by the platform (a final answer, already logged and
reported); or failed unexpectedly (logged; the outbox may try again later)."""

DM_REFUSED_TEXT = N_(
    "I couldn't send you a private message: your privacy settings block DMs from me. "
    "Allow direct messages from this community's members, then try again."
)


def _safe(message: Message) -> Message:
    """The message with mass mentions neutralised: the same object when there is none (no
    "@" at all, most of them), so a scheduler burst does not copy thousands of messages."""
    if "@" not in message.text:
        return message
    text = neutralize_mass_mentions(message.text)
    return message if text == message.text else replace(message, text=text)


async def deliver(
    platform: ChatPlatform,
    event: Event | None,
    actions: list[Action],
    modlog_channel: str | None,
) -> list[str]:
    """Deliver every action; returns the problems met (also logged / reported).

    `event` is what is being answered; None for scheduled work, where nobody is waiting for a
    reply (a `Reply` is then dropped with a warning, a refused DM goes to the moderators).
    """
    problems: list[str] = []
    for action in actions:
        await deliver_action(platform, event, action, modlog_channel, problems)
    return problems


async def deliver_action(
    platform: ChatPlatform,
    event: Event | None,
    action: Action,
    modlog_channel: str | None,
    problems: list[str],
    language_of: LanguageOf | None = None,
) -> Outcome:
    """Deliver one action, reporting a problem the usual way; says how it went.

    A group whose conversation could not be opened falls back to a DM each: that is final
    ("refused" if any DM did not go through), never "failed", so a retry cannot repeat DMs
    that were sent.
    """
    if isinstance(action, SendToGroup):
        return await _deliver_group(platform, event, action, modlog_channel, problems, language_of)
    return await _deliver_reporting(platform, event, action, modlog_channel, problems, language_of)


async def _deliver_group(
    platform: ChatPlatform,
    event: Event | None,
    action: SendToGroup,
    modlog_channel: str | None,
    problems: list[str],
    language_of: LanguageOf | None,
) -> Outcome:
    """One shared private conversation, or (when the platform can't open one) a DM to each."""
    try:
        await platform.open_group(
            action.community, action.users, action.title, _safe(action.message)
        )
        return "delivered"
    except PlatformError as error:
        logger.info("could not open a group conversation ({}); messaging each member", error)
    except Exception:
        logger.exception("opening a group conversation failed; messaging each member")
    outcome: Outcome = "delivered"
    for user in action.users:
        direct = SendDirect(action.community, user, action.message)
        delivered = await _deliver_reporting(
            platform, event, direct, modlog_channel, problems, language_of
        )
        if delivered != "delivered":
            outcome = "refused"
    return outcome


async def _deliver_reporting(
    platform: ChatPlatform,
    event: Event | None,
    action: Action,
    modlog_channel: str | None,
    problems: list[str],
    language_of: LanguageOf | None,
) -> Outcome:
    """Deliver one action; a failure is logged, recorded in `problems` and reported if useful."""
    try:
        request = _request(platform, event, action)
        if request is not None:
            await request
        return "delivered"
    except DirectMessageRefused as error:
        assert isinstance(action, SendDirect)
        reason = str(error)  # the closure outlives `error`, which the except block unbinds

        def unreachable() -> str:
            return tr(
                "Could not reach {name} privately (their DMs are closed): {error}",
                name=quote(action.user.label, 60),
                error=reason,
            )

        problem = in_english(unreachable)
        problems.append(problem)
        logger.warning(problem)
        await _dm_refused(platform, event, action, modlog_channel, unreachable, language_of)
        return "refused"
    except PlatformError as error:
        refusal = str(error)

        def failed() -> str:
            return tr("{action} failed: {error}", action=_describe(action), error=refusal)

        problem = in_english(failed)
        problems.append(problem)
        logger.warning(problem)
        if isinstance(action, GrantRole | RevokeRole | PublishCalendar) and modlog_channel:
            await _report(platform, action, modlog_channel, failed, language_of)
        return "refused"
    except TryLater as error:
        problem = f"{describe(action)} must wait: {error}"
        problems.append(problem)
        logger.warning("{} (the outbox tries again later)", problem)
        return "failed"
    except Exception:
        problems.append(f"{describe(action)} failed unexpectedly")
        logger.exception("delivering {} failed", describe(action))
        return "failed"


def _request(
    platform: ChatPlatform, event: Event | None, action: Action
) -> Awaitable[object] | None:
    """The platform call that delivers `action`, to be awaited by the caller (one coroutine
    fewer per message than awaiting it here: a burst delivers thousands); None: nothing to
    send."""
    match action:
        case Reply(message=message, ephemeral=ephemeral):
            if event is None:
                logger.warning("scheduled work returned a Reply, which has nobody to answer")
                return None
            return _reply(platform, event, _safe(message), ephemeral=ephemeral)
        case SendToChannel(community=community, channel_id=channel_id, message=message):
            return platform.send_to_channel(community, channel_id, _safe(message))
        case SendDirect(community=community, user=user, message=message):
            return platform.send_direct(community, user, _safe(message))
        case GrantRole(community=community, user=user, role_id=role_id):
            return platform.grant_role(community, user, role_id)
        case RevokeRole(community=community, user=user, role_id=role_id):
            return platform.revoke_role(community, user, role_id)
        case RelayPost(community=community, conversation_id=conversation, messages=messages):
            return platform.relay(community, conversation, messages)
        case RelayEdit(community=community, conversation_id=conversation, key=key, text=text):
            return platform.relay_edit(community, conversation, key, text)
        case RelayDelete(community=community, conversation_id=conversation, key=key):
            return platform.relay_delete(community, conversation, key)
        case PublishCalendar(community=community, key=key, entry=entry):
            return platform.publish_calendar(community, key, entry)
    return None


async def _reply(
    platform: ChatPlatform, event: Event, message: Message, *, ephemeral: bool
) -> None:
    """Answer the event: kept in its capture when it has one (a dashboard form,
    `communitybot.reply_capture`), else through the platform."""
    captured = capture_of(event)
    if captured is not None:
        captured.add(message)
        return
    await platform.reply(event, message, ephemeral=ephemeral)


async def _dm_refused(
    platform: ChatPlatform,
    event: Event | None,
    action: SendDirect,
    modlog_channel: str | None,
    problem: Callable[[], str],
    language_of: LanguageOf | None,
) -> None:
    """Tell someone: the member, if they are talking to us right now, else the moderators."""
    try:
        if isinstance(event, CommandInvoked) and event.user == action.user:
            # The member reads the question they asked in: the message's language.
            text = in_language(action.message.language, DM_REFUSED_TEXT)
            await _reply(platform, event, Message(text), ephemeral=True)
        elif modlog_channel:
            await _report(platform, action, modlog_channel, problem, language_of)
    except PlatformError as error:
        logger.warning("could not report the refused DM either: {}", error)


async def _report(
    platform: ChatPlatform,
    action: GrantRole | RevokeRole | PublishCalendar | SendDirect,
    channel: str,
    problem: Callable[[], str],
    language_of: LanguageOf | None,
) -> None:
    """`problem` written for the moderator-log channel, in its community's language."""
    language = await language_of(action.community) if language_of is not None else None
    with use_language(language):
        text = f"⚠️ {neutralize_mass_mentions(problem())}"
    try:
        await platform.send_to_channel(action.community, channel, Message(text))
    except PlatformError as error:
        logger.warning("could not report to the moderator-log channel either: {}", error)


def in_english(text: Callable[[], str]) -> str:
    """A problem as the log keeps it: in English, whoever reads the moderator log."""
    with use_language(None):
        return text()


def describe(action: Action) -> str:
    """A short log phrase for an action ("Messaging Alice"), in English."""
    return in_english(lambda: _describe(action))


def _describe(action: Action) -> str:
    match action:
        case GrantRole(role_id=role_id, user=user):
            return tr("Granting role {role} to {name}", role=role_id, name=user.label)
        case RevokeRole(role_id=role_id, user=user):
            return tr("Removing role {role} from {name}", role=role_id, name=user.label)
        case SendToChannel(channel_id=channel_id):
            return f"Posting in channel {channel_id}"
        case SendDirect(user=user):
            return f"Messaging {user.label}"
        case SendToGroup(users=users):
            return "Introducing " + ", ".join(user.label for user in users)
        case RelayPost(conversation_id=conversation, messages=messages):
            return f"Relaying {len(messages)} message(s) to {conversation}"
        case RelayEdit(conversation_id=conversation) | RelayDelete(conversation_id=conversation):
            return f"Updating a relayed message in {conversation}"
        case PublishCalendar(key=key, entry=None):
            return tr("Removing calendar entry {key}", key=key)
        case PublishCalendar(entry=CalendarEntry(title=title)):
            return tr("Putting {title} in the calendar", title=quote(title, 100))
        case _:
            return "Replying"
