"""The moderator-log line for a change made from the web dashboard.

A command typed in a chat is seen by whoever is in that channel; a form sent from a web page is
seen by nobody. So a command that arrives from the dashboard (its event carries a
`communitybot.reply_capture.CapturedReplies`) also posts one line in the community's
moderator-log channel, in the same unit of work as the change (through the outbox): who, which
command with which values, and the bot's answer (which says whether it worked). No moderator-log
channel set up: no line (the `setup` command sets one). A handler that writes its own
moderator-log line (`rounds setup`, `mentoring settings`) is not logged twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from communitybot.command_types import Command
from communitybot.context import Context
from communitybot.replies import Action, Message, Reply, SendToChannel
from communitybot.text import quote

VALUE_ECHO = 80
"""Characters of each option value shown in the log line (a whole question script is not)."""
ANSWER_ECHO = 200


def dashboard_note(
    ctx: Context, command: Command, options: Mapping[str, Any], actions: list[Action]
) -> list[Action]:
    """The moderator-log line for `command` run from the dashboard (nothing without a channel)."""
    channel = ctx.community.modlog_channel
    if not channel or any(
        isinstance(a, SendToChannel) and a.channel_id == channel for a in actions
    ):
        return []  # none set up, or the handler logged the change itself (rounds, mentoring)
    shown = " ".join(f"{name}={quote(str(value), VALUE_ECHO)}" for name, value in options.items())
    answer = next((a.message.text for a in actions if isinstance(a, Reply) and a.message.text), "")
    who = quote(ctx.member.label, 60)
    line = f"🛠️ {who} from the web dashboard: `{command.name}{' ' if shown else ''}{shown}`"
    if answer:
        line += f" → {quote(answer, ANSWER_ECHO)}"
    return [SendToChannel(ctx.community.ref, channel, Message(line))]
