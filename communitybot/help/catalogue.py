"""`help`'s catalogue entry."""

from __future__ import annotations

from communitybot.command_types import Command, Option

HELP_COMMANDS: tuple[Command, ...] = (
    Command(
        ("help",),
        "Show what the bot can do",
        (Option("command", "A command", required=False, rest=True),),
        examples=(
            "help",
            "help chat create",
        ),
        read_only=True,
    ),
)
