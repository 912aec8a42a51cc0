"""Privacy: discoverability, the data export and forgetting."""

from __future__ import annotations

from communitybot.command_types import Command, Option
from communitybot.i18n import N_

PRIVACY_COMMANDS: tuple[Command, ...] = (
    Command(
        ("privacy", "show"),
        N_("Show your privacy settings"),
        examples=("privacy show",),
        read_only=True,
    ),
    Command(
        ("privacy", "discoverable"),
        N_("Choose who can find you in /peers: this community, the whole network, or nobody"),
        (
            Option(
                "value",
                N_("on (this community), off (nobody) or network (every affiliate too)"),
                choices=(N_("on"), N_("off"), N_("network")),
            ),
        ),
        examples=("privacy discoverable off", "privacy discoverable network"),
    ),
    Command(
        ("mydata",),
        N_("Export everything stored about you, as JSON"),
        examples=("mydata",),
        spans="person",
    ),
    Command(
        ("forgetme",),
        N_("Delete everything stored about you (asks to confirm)"),
        examples=("forgetme",),
        spans="person",
    ),
)
