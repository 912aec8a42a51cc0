"""The help feature: `help`, generated from the command catalogue."""

from __future__ import annotations

from communitybot.feature import Feature
from communitybot.help.catalogue import HELP_COMMANDS
from communitybot.help.commands import show_help

FEATURE = Feature(
    "help",
    catalogue=HELP_COMMANDS,
    commands={("help",): show_help},
)
