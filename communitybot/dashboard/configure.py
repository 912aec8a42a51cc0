"""Configuration from the dashboard: a web form becomes the very command a moderator would type.

Why not write the store directly: the command handlers already own every rule (a tag name's
shape, a question's choices, a schedule's time zone), the friendly refusals, the set-up hints
and the moderator's rights. So a form is turned into a `CommandInvoked` (the catalogue path,
options converted by the same `convert_option` the text adapters use) for the signed-in
moderator in the page's community, and run through that platform's live `Bot.dispatch`, as an
adapter does: lanes, unit of work, rights, outbox. The event's reply handle is a
`CapturedReplies`, so the bot's answer comes back here as text instead of going to a chat
(`communitybot.delivery`), and the change is written to the moderator-log channel
(`communitybot.dashboard.modlog`).

After the POST the browser is sent back to the page (post/redirect/get); the answer waits in
`Notices` under a random single-use token named in the redirect's query string.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from communitybot.bot import Bot
from communitybot.command_parser import CommandParseError, convert_option
from communitybot.command_types import Command
from communitybot.commands import find_command
from communitybot.events import CommandInvoked, ConversationRef, UserRef
from communitybot.i18n import N_, tr
from communitybot.models import Community
from communitybot.reply_capture import CapturedReplies

EDITABLE: frozenset[tuple[str, ...]] = frozenset(
    {
        ("onboarding", "questions", "edit"),
        ("onboarding", "questions", "move"),
        ("tags", "create"),
        ("tags", "alias"),
        ("tags", "merge"),
        ("tags", "link"),
        ("chat", "create"),
        ("chat", "edit"),
        ("chat", "questions"),
        ("mentoring", "settings"),
        ("rounds", "setup"),
        ("rounds", "off"),
    }
)
"""The commands the settings page's forms may run; any other `command` field is refused."""
CONVERSATION_ID = "dashboard"
"""The conversation a dashboard command comes from (handlers answer through the capture)."""
MAX_NOTICES = 1_000
NO_ANSWER = N_("Done (the bot gave no answer).")


@dataclass(frozen=True)
class Notice:
    community_id: int
    text: str


class Notices:
    """Answers waiting for the page the browser is redirected to: each read once, the oldest
    dropped beyond `MAX_NOTICES` (in memory, like the sessions)."""

    def __init__(self) -> None:
        self._waiting: OrderedDict[str, Notice] = OrderedDict()

    def put(self, community_id: int, text: str) -> str:
        while len(self._waiting) >= MAX_NOTICES:
            self._waiting.popitem(last=False)
        token = secrets.token_urlsafe(16)
        self._waiting[token] = Notice(community_id, text)
        return token

    def take(self, token: str | None, community_id: int) -> str | None:
        """The answer for this token, once, and only on its own community's page."""
        if not token:
            return None
        notice = self._waiting.get(token)
        if notice is None or notice.community_id != community_id:
            return None
        del self._waiting[token]
        return notice.text


NOTICES = Notices()
"""The process's waiting answers (tokens are random, so dashboards in tests may share it)."""


def editable_command(name: object) -> Command | None:
    """The catalogue command a form names ("tags create"), if the settings page may run it."""
    if not isinstance(name, str):
        return None
    path = tuple(name.split())
    command = find_command(path)
    return command if command is not None and path in EDITABLE else None


def options_from_form(
    command: Command, form: Mapping[str, Any], platform: str
) -> dict[str, Any] | str:
    """The command's options from the form's fields (an empty field is an option not given),
    checked and converted as a typed command's are; or the friendly reason they are not."""
    options: dict[str, Any] = {}
    for option in command.options:
        raw = form.get(option.name)
        text = raw.strip() if isinstance(raw, str) else ""
        if not text:
            if option.required:
                return tr("Please fill in “{option}”.", option=option.name)
            continue
        try:
            options[option.name] = convert_option(
                option, text, lambda user_id: UserRef(platform, user_id)
            )
        except CommandParseError as error:
            return str(error)
    return options


async def run_command(
    bot: Bot,
    community: Community,
    user: UserRef,
    command: Command,
    options: dict[str, Any],
    locale: str | None = None,
) -> str:
    """Run `command` for `user` in `community` through the bot, as an adapter does; its answer.
    `locale`: the browser's language (`Accept-Language`), which the bot reads as a client's
    locale: it answers in it when the moderator chose no language of their own."""
    captured = CapturedReplies()
    event = CommandInvoked(
        community.ref,
        user,
        ConversationRef(community.ref.platform, "channel", CONVERSATION_ID),
        command.path,
        options,
        reply_handle=captured,
        locale=locale,
    )
    await bot.dispatch(event)
    return captured.text or tr(NO_ANSWER)
