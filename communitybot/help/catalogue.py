"""`help`'s catalogue entry."""

from __future__ import annotations

from communitybot.command_types import Command, Option
from communitybot.i18n import N_

HELP_COMMANDS: tuple[Command, ...] = (
    Command(
        ("help",),
        N_("Show what the bot can do"),
        (Option("command", N_("A command"), required=False, rest=True),),
        examples=(
            "help",
            "help chat create",
        ),
        read_only=True,
    ),
)
