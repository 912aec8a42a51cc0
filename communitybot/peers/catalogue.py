"""`peers`: finding members who share your interests."""

from __future__ import annotations

from communitybot.command_types import Command, Option
from communitybot.i18n import N_

PEER_COMMANDS: tuple[Command, ...] = (
    Command(
        ("peers",),
        N_("Find members who share your interests"),
        (
            Option(
                "tags",
                N_("Search these tags instead of yours"),
                required=False,
                autocomplete="tags",
                max_length=500,
                rest=True,
            ),
            Option(
                "scope",
                N_("network: search every affiliate of this community's network too"),
                required=False,
                choices=(N_("community"), N_("network")),
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
        N_("Ask me to introduce you to a member of another affiliate that peers listed"),
        (
            Option(
                "number",
                N_("The member's number from `peers … scope=network`"),
                type="integer",
                min_value=1,
            ),
        ),
        examples=("introduce 4711",),
    ),
)
