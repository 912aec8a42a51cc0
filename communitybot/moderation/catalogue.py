"""Moderators' commands: the bot's settings, statistics and rate limits."""

from __future__ import annotations

from communitybot.command_types import Command, Option

SETUP_COMMANDS: tuple[Command, ...] = (
    Command(
        ("setup",),
        "Set the bot's channels and moderator role (no options shows them)",
        (
            Option(
                "welcome_channel",
                "Where welcomes/fallback threads go",
                type="channel",
                required=False,
            ),
            Option(
                "introductions_channel", "Where intros are posted", type="channel", required=False
            ),
            Option(
                "modlog_channel",
                "Where the bot reports to moderators",
                type="channel",
                required=False,
            ),
            Option(
                "moderator_role", "Role whose members are moderators", type="role", required=False
            ),
            Option(
                "language",
                "The language of the bot's posts in channels, and for members who chose none",
                required=False,
                max_length=30,
            ),
            Option(
                "languages",
                "Languages onboarding offers, e.g. en,es (two or more add a language question)",
                required=False,
                max_length=60,
            ),
            Option(
                "name",
                "This community's name, as the other affiliates of its network see it",
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
        "Community statistics",
        moderator_only=True,
        examples=("stats",),
        read_only=True,
    ),
)

LIMIT_COMMANDS: tuple[Command, ...] = (
    Command(
        ("limits",),
        "How often each member may use the bot (no options shows the limits)",
        (
            Option(
                "commands_per_minute",
                "Commands a member may send per minute (0 = no limit; default 20)",
                type="integer",
                required=False,
                min_value=0,
                max_value=1000,
            ),
            Option(
                "posts_per_hour",
                "Public posts (/ask, /onboard) per member per hour (0 = no limit; default 5)",
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
