"""Mentoring and peer-round commands.

Kept beside the feature that serves them; `communitybot.commands` joins every part into the one
catalogue the adapters generate their commands from.
"""

from __future__ import annotations

from communitybot.command_types import Command

MENTORING_COMMANDS: tuple[Command, ...] = ()
