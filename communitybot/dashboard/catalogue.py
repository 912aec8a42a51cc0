"""The dashboard's command: a moderator asks for a private sign-in link."""

from __future__ import annotations

from communitybot.command_types import Command

DASHBOARD_COMMANDS: tuple[Command, ...] = (
    Command(
        ("dashboard",),
        "Get a private, single-use link to this community's web dashboard (5 minutes)",
        moderator_only=True,
        examples=("dashboard",),
        read_only=True,
    ),
)
