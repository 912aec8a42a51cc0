"""The help feature: `help`, generated from the command catalogue."""

from __future__ import annotations

from communitybot.feature import Feature, handlers_in
from communitybot.help import commands as help_commands
from communitybot.help.catalogue import HELP_COMMANDS

FEATURE = Feature(
    "help",
    catalogue=HELP_COMMANDS,
    commands=handlers_in(help_commands),
)
