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
            Option(
                "scope",
                "network: search every affiliate of this community's network too",
                required=False,
                choices=("community", "network"),
            ),
        ),
        examples=(
            "peers",
            "peers robotics, edtech",
            "peers robotics scope=network",
        ),
        read_only=True,
    ),
    Command(
        ("introduce",),
        "Ask me to introduce you to a member of another affiliate that peers listed",
        (
            Option(
                "number",
                "The member's number from `peers … scope=network`",
                type="integer",
                min_value=1,
            ),
        ),
        examples=("introduce 4711",),
    ),
)
