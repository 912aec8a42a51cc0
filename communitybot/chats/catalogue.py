"""Chat commands (recurring topic chats, reminders, problems of practice).

Kept beside the feature that serves them; `communitybot.commands` joins every part into the one
catalogue the adapters generate their commands from.
"""

from __future__ import annotations

from communitybot.command_types import Command, Option
from communitybot.i18n import N_

_HASHTAG = Option("hashtag", N_("The chat's hashtag, e.g. engchat"), max_length=33)
_SCHEDULE_HELP = N_(
    "weekly tuesday | every 2 weeks tuesday | monthly 2nd tuesday | once 2027-03-14"
)
_SCHEDULE_PHRASES = (("weekly", 2), ("every", 4), ("monthly", 3), ("once", 2))
"""A schedule's first word and its length in words (`chat_input.parse_schedule`'s grammar)."""


def _details(required: bool) -> tuple[Option, ...]:
    """The options `/chat create` and `/chat edit` share (all optional when editing)."""
    return (
        Option("title", N_("Title, e.g. “Feedback that works”"), required=required, max_length=120),
        Option("channel", N_("Where the chat happens"), type="channel", required=required),
        Option(
            "schedule",
            _SCHEDULE_HELP,
            required=required,
            max_length=40,
            phrases=_SCHEDULE_PHRASES,
        ),
        Option("time", N_("Local start time, HH:MM (24-hour)"), required=required, max_length=5),
        Option(
            "timezone", N_("IANA time zone, e.g. Europe/London"), required=required, max_length=64
        ),
        Option(
            "duration",
            N_("Minutes, 15 to 480 (default 60)") if required else N_("Minutes, 15 to 480"),
            type="integer",
            required=False,
            min_value=15,
            max_value=480,
        ),
        Option(
            "description",
            N_("What the chat is about (up to 500 characters)"),
            required=False,
            max_length=500,
        ),
        Option(
            "hosts",
            (
                N_("Who hosts it: one or more @mentions (default: you)")
                if required
                else N_("Who hosts it: one or more @mentions")
            ),
            required=False,
            max_length=300,
        ),
        Option(
            "ping",
            N_("A role to ping at the start and 15 min before (Matrix: room)"),
            type="role",
            required=False,
        ),
    )


CHAT_COMMANDS: tuple[Command, ...] = (
    Command(
        ("chat", "create"),
        N_("Create a recurring (or one-off) topic chat"),
        (
            Option("hashtag", N_("Hashtag, e.g. engchat"), max_length=33),
            *_details(required=True),
            Option(
                "scope",
                N_("network: every affiliate holds it, messages relayed (stewards)"),
                required=False,
                choices=(N_("community"), N_("network")),
            ),
        ),
        moderator_only=True,
        examples=(
            'chat create engchat "Feedback that works" english-chat "weekly tuesday" 19:00 '
            "Europe/London",
            'chat create mathschat "Maths chat" maths-lounge "monthly 2nd thursday" 20:00 UTC '
            "duration=90 hosts=@ann",
            'chat create netchat "Across the network" general "weekly wednesday" 18:00 UTC '
            "scope=network",
        ),
    ),
    Command(
        ("chat", "edit"),
        N_("Change a chat (moderators; its hosts may change the title and description)"),
        (
            _HASHTAG,
            *_details(required=False),
            Option(
                "no_ping", N_("Stop pinging a role for this chat"), type="boolean", required=False
            ),
        ),
        examples=(
            "chat edit engchat time=18:30",
            'chat edit engchat schedule="every 2 weeks thursday" title="Feedback that works"',
        ),
    ),
    Command(
        ("chat", "list"), N_("List the community's chats"), examples=("chat list",), read_only=True
    ),
    Command(
        ("chat", "next"),
        N_("Upcoming chats, in your time zone"),
        examples=("chat next",),
        read_only=True,
    ),
    Command(
        ("chat", "cancel"),
        N_("Cancel a chat series"),
        (_HASHTAG,),
        moderator_only=True,
        examples=("chat cancel engchat",),
    ),
    Command(
        ("chat", "skip-next"),
        N_("Skip a series' next chat"),
        (_HASHTAG,),
        moderator_only=True,
        examples=("chat skip-next engchat",),
    ),
    Command(
        ("chat", "subscribe"),
        N_("Get reminders for a chat (default 24h and 15m before)"),
        (
            _HASHTAG,
            Option(
                "lead_times",
                N_("When to remind you, e.g. 24h 15m"),
                required=False,
                max_length=60,
                rest=True,
            ),
        ),
        examples=(
            "chat subscribe engchat",
            "chat subscribe engchat 24h 1h",
        ),
    ),
    Command(
        ("chat", "unsubscribe"),
        N_("Stop a chat's reminders"),
        (_HASHTAG,),
        examples=("chat unsubscribe engchat",),
    ),
    Command(
        ("chat", "calendar"),
        N_("A chat series as a calendar file (.ics)"),
        (_HASHTAG,),
        examples=("chat calendar engchat",),
        read_only=True,
    ),
)
