"""Network commands: a network of affiliate communities, its invite codes and its stewards.

Moderator-only entries are refused by the core for everyone else; the steward-only ones
(`network invite`, `network stats`, `network stewards add|remove`) are checked by the
handlers, since being a steward is a network role, not a platform one.
"""

from __future__ import annotations

from communitybot.command_types import Command, Option

MAX_NAME = 80

NETWORK_COMMANDS: tuple[Command, ...] = (
    Command(
        ("network", "show"),
        "This community's network: its affiliates and stewards",
        examples=("network show",),
        read_only=True,
    ),
    Command(
        ("network", "stats"),
        "Stewards: the network in figures, affiliate by affiliate",
        examples=("network stats",),
        read_only=True,
    ),
    Command(
        ("network", "create"),
        "Start a network from this community (you become its steward)",
        (Option("name", "The network's name", max_length=MAX_NAME, rest=True),),
        moderator_only=True,
        examples=("network create Maths Teachers North",),
    ),
    Command(
        ("network", "invite"),
        "Stewards: a one-time code (7 days) for another community to join",
        examples=("network invite",),
    ),
    Command(
        ("network", "join"),
        "Join a network as an affiliate with a steward's invite code",
        (Option("code", "The invite code, e.g. ABCD-EFGH", max_length=40, rest=True),),
        moderator_only=True,
        examples=("network join ABCD-EFGH",),
    ),
    Command(
        ("network", "leave"),
        "This community leaves its network",
        moderator_only=True,
        examples=("network leave",),
    ),
    Command(
        ("network", "stewards", "add"),
        "Stewards: make a member of this community a network steward",
        (Option("member", "Who becomes a steward", type="user"),),
        examples=("network stewards add ann",),
        spans="network",
    ),
    Command(
        ("network", "stewards", "remove"),
        "Stewards: take the steward role from someone (never the last one)",
        (
            Option(
                "member",
                "Which steward, as `network show` names them (they may be in another affiliate)",
                max_length=MAX_NAME,
                rest=True,
            ),
        ),
        examples=("network stewards remove ann",),
        spans="network",
    ),
)
