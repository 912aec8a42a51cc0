"""The dashboard's command: a moderator asks for a private sign-in link."""

from __future__ import annotations

from communitybot.command_types import Command
from communitybot.i18n import N_

DASHBOARD_COMMANDS: tuple[Command, ...] = (
    Command(
        ("dashboard",),
        N_("Get a private, single-use link to this community's web dashboard (5 minutes)"),
        moderator_only=True,
        examples=("dashboard",),
        read_only=True,
    ),
)
