"""Peer-round commands (`/rounds …`).

Kept beside the feature that serves them; `communitybot.commands` joins every part into the one
catalogue the adapters generate their commands from.
"""

from __future__ import annotations

from communitybot.command_types import Command, Option

ROUND_COMMANDS: tuple[Command, ...] = (
    Command(
        ("rounds", "join"),
        "Take part in peer rounds (or confirm you're still in)",
        examples=("rounds join",),
    ),
    Command(("rounds", "leave"), "Stop taking part in peer rounds", examples=("rounds leave",)),
    Command(
        ("rounds", "pause"),
        "Skip the next round(s): a number from 1 to 12 (default 1), or all until you resume",
        (
            Option(
                "rounds", "How many rounds to skip (1–12), or all", required=False, max_length=16
            ),
        ),
        examples=(
            "rounds pause 2",
            "rounds pause all",
        ),
    ),
    Command(
        ("rounds", "resume"),
        "End your pause: be matched again from the next round",
        examples=("rounds resume",),
    ),
    Command(
        ("rounds", "status"),
        "Your peer-round state, the next round and your last partners",
        examples=("rounds status",),
        read_only=True,
    ),
    Command(
        ("rounds", "met"),
        "Answer the latest follow-up: did you meet your peer-round partner?",
        (
            Option(
                "answer", "yes, no (not yet) or skip (we couldn't)", choices=("yes", "no", "skip")
            ),
        ),
        examples=("rounds met yes",),
    ),
    Command(
        ("rounds", "setup"),
        "Schedule peer rounds: how often, on which weekday, at what time",
        (
            Option("frequency", "How often", choices=("weekly", "biweekly", "monthly")),
            Option("weekday", "Weekday (default monday)", required=False, max_length=16),
            Option("time", "Time, 24-hour HH:MM (default 09:00)", required=False, max_length=8),
            Option("timezone", "Time zone (default UTC)", required=False, max_length=64),
            Option(
                "no_repeat",
                "Rounds before two people can be paired again (default 6)",
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
        "Stop scheduled peer rounds (members stay opted in)",
        moderator_only=True,
        examples=("rounds off",),
    ),
    Command(
        ("rounds", "run"),
        "Run a peer round now (or preview it)",
        (Option("dry_run", "Only preview the groups", type="boolean", required=False),),
        moderator_only=True,
        examples=(
            "rounds run dry_run",
            "rounds run",
        ),
    ),
    Command(
        ("network", "rounds", "run"),
        "Stewards: a peer round across every affiliate of the network (or preview it)",
        (Option("dry_run", "Only preview the groups", type="boolean", required=False),),
        examples=(
            "network rounds run dry_run",
            "network rounds run",
        ),
        spans="network",
    ),
    Command(
        ("network", "rounds", "setup"),
        "Stewards: run peer rounds across the network on a schedule, at your local time",
        (
            Option("frequency", "How often", choices=("weekly", "biweekly", "monthly")),
            Option("weekday", "Weekday (default monday)", required=False, max_length=16),
            Option("time", "Time, 24-hour HH:MM (default 09:00)", required=False, max_length=8),
            Option("timezone", "Time zone (default UTC)", required=False, max_length=64),
        ),
        examples=(
            "network rounds setup weekly monday 09:00 Europe/London",
            "network rounds setup monthly thursday 16:00",
        ),
        spans="network",
    ),
    Command(
        ("network", "rounds", "pause"),
        "Stewards: stop scheduled network peer rounds until you resume them",
        examples=("network rounds pause",),
        spans="network",
    ),
    Command(
        ("network", "rounds", "resume"),
        "Stewards: start scheduled network peer rounds again",
        examples=("network rounds resume",),
        spans="network",
    ),
    Command(
        ("network", "rounds", "status"),
        "Stewards: when network peer rounds run by themselves",
        examples=("network rounds status",),
        read_only=True,
    ),
)
