"""The dashboard's command: a moderator, or a steward of the community's network, asks for a
private sign-in link. Not `moderator_only`: a steward need not moderate any affiliate, so the
handler checks both roles itself and refuses everyone else kindly."""

from __future__ import annotations

from communitybot.command_types import Command
from communitybot.i18n import N_

DASHBOARD_COMMANDS: tuple[Command, ...] = (
    Command(
        ("dashboard",),
        N_(
            "Moderators and network stewards: a private, single-use link to the web dashboard"
            " (5 minutes)"
        ),
        examples=("dashboard",),
        read_only=True,
    ),
)
