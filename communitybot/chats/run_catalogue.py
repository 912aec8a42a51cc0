"""Commands for running chats: the hosts' question script, their tools while a chat runs
(pause, resume, next question, end early) and the transcript.

Kept beside the feature that serves them; `communitybot.commands` joins every part into the one
catalogue the adapters generate their commands from.
"""

from __future__ import annotations

from communitybot.chats.script import MAX_SCRIPT_LENGTH
from communitybot.command_types import Command, Option
from communitybot.i18n import N_

_HASHTAG = Option("hashtag", N_("The chat's hashtag, e.g. engchat"), max_length=33)

CHAT_RUN_COMMANDS: tuple[Command, ...] = (
    Command(
        ("chat", "questions"),
        N_("Load the questions for a chat's next session (hosts, moderators); none shows them"),
        (
            _HASHTAG,
            Option(
                "script",
                N_("Q1 @10 First question | Q2 @30 Second question … (or: clear)"),
                required=False,
                max_length=MAX_SCRIPT_LENGTH,
                rest=True,
            ),
        ),
        examples=(
            "chat questions engchat Q1 @10 What is feedback for? | Q2 @30 What worked this week?",
            "chat questions engchat",
        ),
    ),
    Command(
        ("chat", "transcript"),
        N_("A chat's transcript as Markdown (the last one, or on a date)"),
        (
            _HASHTAG,
            Option(
                "date", N_("YYYY-MM-DD (default: the last chat)"), required=False, max_length=10
            ),
        ),
        examples=(
            "chat transcript engchat",
            "chat transcript engchat 2027-03-14",
        ),
        read_only=True,
    ),
    Command(
        ("chat", "pause"),
        N_("Pause a running chat's questions (hosts, moderators)"),
        (_HASHTAG,),
        examples=("chat pause engchat",),
    ),
    Command(
        ("chat", "resume"),
        N_("Resume a running chat's paused questions, later by the pause (hosts, moderators)"),
        (_HASHTAG,),
        examples=("chat resume engchat",),
    ),
    Command(
        ("chat", "next-question"),
        N_("Post a running chat's next question now (hosts, moderators)"),
        (_HASHTAG,),
        examples=("chat next-question engchat",),
    ),
    Command(
        ("chat", "end"),
        N_("End a running chat now and post its recap (hosts, moderators)"),
        (_HASHTAG,),
        examples=("chat end engchat",),
    ),
)
