"""Moderators' commands: the bot's settings, statistics and rate limits."""

from __future__ import annotations

from communitybot.command_types import Command, Option
from communitybot.i18n import N_

SETUP_COMMANDS: tuple[Command, ...] = (
    Command(
        ("setup",),
        N_("Set the bot's channels and moderator role (no options shows them)"),
        (
            Option(
                "welcome_channel",
                N_("Where welcomes/fallback threads go"),
                type="channel",
                required=False,
            ),
            Option(
                "introductions_channel",
                N_("Where intros are posted"),
                type="channel",
                required=False,
            ),
            Option(
                "modlog_channel",
                N_("Where the bot reports to moderators"),
                type="channel",
                required=False,
            ),
            Option(
                "moderator_role",
                N_("Role whose members are moderators"),
                type="role",
                required=False,
            ),
            Option(
                "language",
                N_("The language of the bot's posts in channels, and for members who chose none"),
                required=False,
                max_length=30,
            ),
            Option(
                "languages",
                N_("Languages onboarding offers, e.g. en,es (two or more add a language question)"),
                required=False,
                max_length=60,
            ),
            Option(
                "name",
                N_("This community's name, as the other affiliates of its network see it"),
                required=False,
                max_length=80,
                rest=True,
            ),
        ),
        moderator_only=True,
        examples=(
            "setup",
            "setup welcome_channel=welcome modlog_channel=mod-log moderator_role=moderators",
            "setup name=Riverside High maths",
            "setup language=es languages=es,en",
        ),
    ),
)

STATS_COMMANDS: tuple[Command, ...] = (
    Command(
        ("stats",),
        N_("Community statistics"),
        moderator_only=True,
        examples=("stats",),
        read_only=True,
    ),
)

LIMIT_COMMANDS: tuple[Command, ...] = (
    Command(
        ("limits",),
        N_("How often each member may use the bot (no options shows the limits)"),
        (
            Option(
                "commands_per_minute",
                N_("Commands a member may send per minute (0 = no limit; default 20)"),
                type="integer",
                required=False,
                min_value=0,
                max_value=1000,
            ),
            Option(
                "posts_per_hour",
                N_("Public posts (/ask, /onboard) per member per hour (0 = no limit; default 5)"),
                type="integer",
                required=False,
                min_value=0,
                max_value=100,
            ),
        ),
        moderator_only=True,
        examples=("limits", "limits commands_per_minute=30 posts_per_hour=3"),
    ),
)
