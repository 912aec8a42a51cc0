"""Privacy: discoverability, the data export and forgetting."""

from __future__ import annotations

from communitybot.command_types import Command, Option

PRIVACY_COMMANDS: tuple[Command, ...] = (
    Command(
        ("privacy", "show"),
        "Show your privacy settings",
        examples=("privacy show",),
        read_only=True,
    ),
    Command(
        ("privacy", "discoverable"),
        "Choose who can find you in /peers: this community, the whole network, or nobody",
        (
            Option(
                "value",
                "on (this community), off (nobody) or network (every affiliate too)",
                choices=("on", "off", "network"),
            ),
        ),
        examples=("privacy discoverable off", "privacy discoverable network"),
    ),
    Command(
        ("mydata",),
        "Export everything stored about you, as JSON",
        examples=("mydata",),
        spans="person",
    ),
    Command(
        ("forgetme",),
        "Delete everything stored about you (asks to confirm)",
        examples=("forgetme",),
        spans="person",
    ),
)
