"""The command catalogue: every command the bot understands, once, for every platform.

Each package keeps its entries in its own `catalogue.py` (data only, so adapters read the
catalogue without importing a handler); this module joins them into the menu. Adapters generate
their command surface from it (Discord slash commands with groups, options,
choices and autocomplete; `!help` on Matrix; the console's `/help`). The core uses `moderator_only`
to refuse moderator commands itself, whatever the adapter did.

Descriptions and choice values are marked with `N_` (no language is known at import): `help`
and the usage lines render them with `tr` in the reader's language, Discord sends them as
localizations. Command and option names, and the choice values typed, stay English in every
language: they are the text grammar (`!tags add maths`) the parser reads.
"""

from __future__ import annotations

from communitybot.asks.catalogue import ASK_COMMANDS
from communitybot.chats.catalogue import CHAT_COMMANDS
from communitybot.chats.network_catalogue import CHAT_NETWORK_COMMANDS
from communitybot.chats.run_catalogue import CHAT_RUN_COMMANDS
from communitybot.command_types import Autocomplete, Command, Option, OptionType
from communitybot.dashboard.catalogue import DASHBOARD_COMMANDS
from communitybot.help.catalogue import HELP_COMMANDS
from communitybot.identity.catalogue import IDENTITY_COMMANDS
from communitybot.mentoring.catalogue import MENTORING_COMMANDS
from communitybot.moderation.catalogue import LIMIT_COMMANDS, SETUP_COMMANDS, STATS_COMMANDS
from communitybot.networks.catalogue import NETWORK_COMMANDS
from communitybot.onboarding.catalogue import (
    ONBOARD_COMMANDS,
    PROFILE_COMMANDS,
    QUESTION_COMMANDS,
)
from communitybot.peers.catalogue import PEER_COMMANDS
from communitybot.privacy.catalogue import PRIVACY_COMMANDS
from communitybot.rounds.catalogue import ROUND_COMMANDS
from communitybot.tags.catalogue import TAG_COMMANDS

__all__ = ["CATALOGUE", "Autocomplete", "Command", "Option", "OptionType", "find_command", "groups"]


CATALOGUE: tuple[Command, ...] = (
    *HELP_COMMANDS,
    *ONBOARD_COMMANDS,
    *TAG_COMMANDS,
    *PEER_COMMANDS,
    *PROFILE_COMMANDS,
    *PRIVACY_COMMANDS,
    *IDENTITY_COMMANDS,
    *SETUP_COMMANDS,
    *QUESTION_COMMANDS,
    *STATS_COMMANDS,
    *LIMIT_COMMANDS,
    *MENTORING_COMMANDS,
    *CHAT_COMMANDS,
    *ASK_COMMANDS,
    *CHAT_RUN_COMMANDS,
    *CHAT_NETWORK_COMMANDS,
    *ROUND_COMMANDS,
    *NETWORK_COMMANDS,
    *DASHBOARD_COMMANDS,
)
"""The menu: every feature's entries, in the order `help` lists them (members' commands, then
moderators'). A new command goes into its package's block; only a new block needs a line here
(the tests fail until every feature's entries are in the menu)."""

_BY_PATH = {c.path: c for c in CATALOGUE}


def find_command(path: tuple[str, ...]) -> Command | None:
    return _BY_PATH.get(path)


def groups() -> dict[str, list[Command]]:
    """Top-level name → commands under it (for Discord groups and `help`)."""
    out: dict[str, list[Command]] = {}
    for command in CATALOGUE:
        out.setdefault(command.path[0], []).append(command)
    return out
