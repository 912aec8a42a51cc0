"""Peer-round commands (`/rounds …`).

Kept beside the feature that serves them; `communitybot.commands` joins every part into the one
catalogue the adapters generate their commands from.
"""

from __future__ import annotations

from communitybot.command_types import Command, Option
from communitybot.i18n import N_

ROUND_COMMANDS: tuple[Command, ...] = (
    Command(
        ("rounds", "join"),
        N_("Take part in peer rounds (or confirm you're still in)"),
        examples=("rounds join",),
    ),
    Command(("rounds", "leave"), N_("Stop taking part in peer rounds"), examples=("rounds leave",)),
    Command(
        ("rounds", "pause"),
        N_("Skip the next round(s): a number from 1 to 12 (default 1), or all until you resume"),
        (
            Option(
                "rounds",
                N_("How many rounds to skip (1–12), or all"),
                required=False,
                max_length=16,
            ),
        ),
        examples=(
            "rounds pause 2",
            "rounds pause all",
        ),
    ),
    Command(
        ("rounds", "resume"),
        N_("End your pause: be matched again from the next round"),
        examples=("rounds resume",),
    ),
    Command(
        ("rounds", "status"),
        N_("Your peer-round state, the next round and your last partners"),
        examples=("rounds status",),
        read_only=True,
    ),
    Command(
        ("rounds", "met"),
        N_("Answer the latest follow-up: did you meet your peer-round partner?"),
        (
            Option(
                "answer",
                N_("yes, no (not yet) or skip (we couldn't)"),
                choices=(N_("yes"), N_("no"), N_("skip")),
            ),
        ),
        examples=("rounds met yes",),
    ),
    Command(
        ("rounds", "setup"),
        N_("Schedule peer rounds: how often, on which weekday, at what time"),
        (
            Option(
                "frequency", N_("How often"), choices=(N_("weekly"), N_("biweekly"), N_("monthly"))
            ),
            Option("weekday", N_("Weekday (default monday)"), required=False, max_length=16),
            Option("time", N_("Time, 24-hour HH:MM (default 09:00)"), required=False, max_length=8),
            Option("timezone", N_("Time zone (default UTC)"), required=False, max_length=64),
            Option(
                "no_repeat",
                N_("Rounds before two people can be paired again (default 6)"),
                type="integer",
                required=False,
                min_value=0,
                max_value=52,
            ),
        ),
        moderator_only=True,
        examples=(
            "rounds setup weekly monday 09:00 Europe/London",
            "rounds setup biweekly thursday 16:00 no_repeat=4",
        ),
    ),
    Command(
        ("rounds", "off"),
        N_("Stop scheduled peer rounds (members stay opted in)"),
        moderator_only=True,
        examples=("rounds off",),
    ),
    Command(
        ("rounds", "run"),
        N_("Run a peer round now (or preview it)"),
        (Option("dry_run", N_("Only preview the groups"), type="boolean", required=False),),
        moderator_only=True,
        examples=(
            "rounds run dry_run",
            "rounds run",
        ),
    ),
    Command(
        ("network", "rounds", "run"),
        N_("Stewards: a peer round across every affiliate of the network (or preview it)"),
        (Option("dry_run", N_("Only preview the groups"), type="boolean", required=False),),
        examples=(
            "network rounds run dry_run",
            "network rounds run",
        ),
        spans="network",
    ),
    Command(
        ("network", "rounds", "setup"),
        N_("Stewards: run peer rounds across the network on a schedule, at your local time"),
        (
            Option(
                "frequency", N_("How often"), choices=(N_("weekly"), N_("biweekly"), N_("monthly"))
            ),
            Option("weekday", N_("Weekday (default monday)"), required=False, max_length=16),
            Option("time", N_("Time, 24-hour HH:MM (default 09:00)"), required=False, max_length=8),
            Option("timezone", N_("Time zone (default UTC)"), required=False, max_length=64),
        ),
        examples=(
            "network rounds setup weekly monday 09:00 Europe/London",
            "network rounds setup monthly thursday 16:00",
        ),
        spans="network",
    ),
    Command(
        ("network", "rounds", "pause"),
        N_("Stewards: stop scheduled network peer rounds until you resume them"),
        examples=("network rounds pause",),
        spans="network",
    ),
    Command(
        ("network", "rounds", "resume"),
        N_("Stewards: start scheduled network peer rounds again"),
        examples=("network rounds resume",),
        spans="network",
    ),
    Command(
        ("network", "rounds", "status"),
        N_("Stewards: when network peer rounds run by themselves"),
        examples=("network rounds status",),
        read_only=True,
    ),
)
