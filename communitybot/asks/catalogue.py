"""Accountability commands: share a problem of practice, follow it, report back how it went.

Kept beside the feature that serves them; `communitybot.commands` joins every part into the one
catalogue the adapters generate their commands from.
"""

from __future__ import annotations

from communitybot.command_types import Command, Option
from communitybot.i18n import N_

MAX_TEXT = 1000
MAX_DAYS = 60

_NUMBER = Option("number", N_("The ask's number"), type="integer", min_value=1)

ASK_COMMANDS: tuple[Command, ...] = (
    Command(
        ("ask",),
        N_("Share a problem of practice; you'll be reminded to say how it went"),
        (
            Option("problem", N_("The problem you're working on"), max_length=MAX_TEXT, rest=True),
            Option(
                "days",
                N_("Remind me to report back after this many days (default 7)"),
                type="integer",
                required=False,
                min_value=1,
                max_value=MAX_DAYS,
            ),
            Option(
                "channel",
                N_("Where to post it (default: the welcome channel)"),
                type="channel",
                required=False,
            ),
            Option(
                "scope",
                N_("network: share it with every affiliate of this community's network too"),
                required=False,
                choices=(N_("community"), N_("network")),
            ),
        ),
        examples=(
            "ask How do I get quiet students to speak up in discussions?",
            "ask Marking takes my whole weekend days=14",
            "ask Has anyone run a district-wide book club? scope=network",
        ),
    ),
    Command(
        ("follow",),
        N_("Follow someone's problem of practice to hear how it went"),
        (_NUMBER,),
        examples=("follow 12",),
    ),
    Command(
        ("resolve",),
        N_("Share how your problem of practice went (its followers are told)"),
        (_NUMBER, Option("outcome", N_("What happened"), max_length=MAX_TEXT, rest=True)),
        examples=("resolve 12 Cold-calling with think time worked well",),
    ),
    Command(("asks",), N_("Open problems of practice"), examples=("asks",), read_only=True),
)
