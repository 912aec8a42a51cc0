"""Chat commands (recurring topic chats, reminders, problems of practice).

Kept beside the feature that serves them; `communitybot.commands` joins every part into the one
catalogue the adapters generate their commands from.
"""

from __future__ import annotations

from communitybot.command_types import Command

CHAT_COMMANDS: tuple[Command, ...] = ()
