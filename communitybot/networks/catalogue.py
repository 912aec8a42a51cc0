"""Network commands: a network of affiliate communities, its invite codes and its stewards.

Moderator-only entries are refused by the core for everyone else; the steward-only ones
(`network invite`, `network stats`, `network stewards add|remove`) are checked by the
handlers, since being a steward is a network role, not a platform one.
"""

from __future__ import annotations

from communitybot.command_types import Command, Option
from communitybot.i18n import N_

MAX_NAME = 80

NETWORK_COMMANDS: tuple[Command, ...] = (
    Command(
        ("network", "show"),
        N_("This community's network: its affiliates and stewards"),
        examples=("network show",),
        read_only=True,
    ),
    Command(
        ("network", "stats"),
        N_("Stewards: the network in figures, affiliate by affiliate"),
        examples=("network stats",),
        read_only=True,
    ),
    Command(
        ("network", "create"),
        N_("Start a network from this community (you become its steward)"),
        (Option("name", N_("The network's name"), max_length=MAX_NAME, rest=True),),
        moderator_only=True,
        examples=("network create Maths Teachers North",),
    ),
    Command(
        ("network", "invite"),
        N_("Stewards: a one-time code (7 days) for another community to join"),
        examples=("network invite",),
    ),
    Command(
        ("network", "join"),
        N_("Join a network as an affiliate with a steward's invite code"),
        (Option("code", N_("The invite code, e.g. ABCD-EFGH"), max_length=40, rest=True),),
        moderator_only=True,
        examples=("network join ABCD-EFGH",),
    ),
    Command(
        ("network", "leave"),
        N_("This community leaves its network"),
        moderator_only=True,
        examples=("network leave",),
    ),
    Command(
        ("network", "stewards", "add"),
        N_("Stewards: make a member of this community a network steward"),
        (Option("member", N_("Who becomes a steward"), type="user"),),
        examples=("network stewards add ann",),
        spans="network",
    ),
    Command(
        ("network", "stewards", "remove"),
        N_("Stewards: take the steward role from someone (never the last one)"),
        (
            Option(
                "member",
                N_(
                    "Which steward, as `network show` names them (they may be in another affiliate)"
                ),
                max_length=MAX_NAME,
                rest=True,
            ),
        ),
        examples=("network stewards remove ann",),
        spans="network",
    ),
)
