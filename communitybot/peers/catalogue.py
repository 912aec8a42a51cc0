"""`peers`: finding members who share your interests."""

from __future__ import annotations

from communitybot.command_types import Command, Option

PEER_COMMANDS: tuple[Command, ...] = (
    Command(
        ("peers",),
        "Find members who share your interests",
        (
            Option(
                "tags",
                "Search these tags instead of yours",
                required=False,
                autocomplete="tags",
                max_length=500,
                rest=True,
            ),
        ),
        examples=(
            "peers",
            "peers robotics, edtech",
        ),
        read_only=True,
    ),
)
