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
        "Choose whether others can find you in /peers",
        (Option("value", "on or off", choices=("on", "off")),),
        examples=("privacy discoverable off",),
    ),
    Command(("mydata",), "Export everything stored about you, as JSON", examples=("mydata",)),
    Command(
        ("forgetme",),
        "Delete everything stored about you (asks to confirm)",
        examples=("forgetme",),
    ),
)
