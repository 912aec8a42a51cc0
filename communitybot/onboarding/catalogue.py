"""Onboarding: the welcome questions, the profile they fill, and moderators' question list."""

from __future__ import annotations

from communitybot.command_types import Command, Option
from communitybot.i18n import N_
from communitybot.onboarding.defaults import INTRO_MAX_LENGTH

_TEXT_MAX = 1000

ONBOARD_COMMANDS: tuple[Command, ...] = (
    Command(("onboard",), N_("Start (or restart) the welcome questions"), examples=("onboard",)),
)

PROFILE_COMMANDS: tuple[Command, ...] = (
    Command(
        ("profile", "show"),
        N_("Show your profile (or a discoverable member's)"),
        (Option("member", N_("Whose profile"), type="user", required=False),),
        examples=(
            "profile show",
            "profile show ann",
        ),
        read_only=True,
    ),
    Command(
        ("profile", "edit"),
        N_("Change one field of your profile"),
        (
            Option(
                "field",
                N_("Field"),
                choices=(
                    "role",
                    "timezone",
                    "intro",
                    "wants_mentor",
                    "offers_mentor",
                    "language",
                ),
            ),
            # The longest field is the intro: one limit, said the same everywhere.
            Option("value", N_("New value"), max_length=INTRO_MAX_LENGTH, rest=True),
        ),
        examples=(
            "profile edit timezone Europe/Berlin",
            "profile edit intro I teach physics in Leeds",
        ),
        spans="person",  # the same field in the person's other memberships (`person_sync`)
    ),
)

_KEY = Option("key", N_("Question id"), max_length=32)
_ADD = (
    Option("key", N_("Short id, e.g. subjects"), max_length=32),
    Option("kind", N_("Kind"), choices=("single", "multi", "text", "yesno", "timezone")),
    Option(
        "target",
        N_("Where the answer goes"),
        choices=(
            "none",
            "role",
            "tags",
            "timezone",
            "wants_mentor",
            "offers_mentor",
            "intro",
        ),
    ),
    Option("prompt", N_("The question"), max_length=300, rest=True),
)
_EDIT = (
    _KEY,
    Option("field", N_("Field"), choices=("prompt", "choices", "max_length", "category")),
    Option("value", N_("New value (choices: comma-separated)"), max_length=_TEXT_MAX, rest=True),
)
_MOVE = (_KEY, Option("position", N_("New position"), type="integer", min_value=1, max_value=50))
"""The options of `onboarding questions …` and `network questions …`: one grammar for both."""

QUESTION_COMMANDS: tuple[Command, ...] = (
    Command(
        ("onboarding", "questions", "list"),
        N_("List the onboarding questions"),
        moderator_only=True,
        examples=("onboarding questions list",),
    ),
    Command(
        ("onboarding", "questions", "add"),
        N_("Add an onboarding question"),
        _ADD,
        moderator_only=True,
        examples=(
            "onboarding questions add subjects multi tags What do you teach?",
            "onboarding questions add years text none How long have you taught?",
        ),
    ),
    Command(
        ("onboarding", "questions", "edit"),
        N_("Change a question's prompt, choices, max_length or category"),
        _EDIT,
        moderator_only=True,
        examples=(
            "onboarding questions edit subjects choices maths, science, languages",
            "onboarding questions edit subjects prompt Which subjects do you teach?",
        ),
    ),
    Command(
        ("onboarding", "questions", "move"),
        N_("Move a question to a position (1 = first)"),
        _MOVE,
        moderator_only=True,
        examples=("onboarding questions move subjects 1",),
    ),
    Command(
        ("onboarding", "questions", "remove"),
        N_("Remove a question (answers to it are deleted)"),
        (_KEY,),
        moderator_only=True,
        examples=("onboarding questions remove years",),
    ),
    # The network's questions: the same grammar, for its stewards (checked by the handlers).
    Command(
        ("network", "questions", "list"),
        N_("Stewards and moderators: the questions every affiliate asks first"),
        examples=("network questions list",),
    ),
    Command(
        ("network", "questions", "add"),
        N_("Stewards: add a question every affiliate asks, once per person"),
        _ADD,
        examples=("network questions add subjects multi tags What do you teach?",),
        spans="network",
    ),
    Command(
        ("network", "questions", "edit"),
        N_("Stewards: change a network question's prompt, choices, max_length or category"),
        _EDIT,
        examples=("network questions edit subjects choices maths, science, languages",),
        spans="network",
    ),
    Command(
        ("network", "questions", "move"),
        N_("Stewards: move a network question to a position (1 = first)"),
        _MOVE,
        examples=("network questions move subjects 1",),
        spans="network",
    ),
    Command(
        ("network", "questions", "remove"),
        N_("Stewards: remove a network question (answers to it are deleted)"),
        (_KEY,),
        examples=("network questions remove subjects",),
        spans="network",
    ),
    Command(
        ("network", "questions", "defaults"),
        N_("Stewards: copy the usual questions (role, subjects, topics, time zone, mentoring)"),
        examples=("network questions defaults",),
        spans="network",
    ),
)
"""Moderators edit the welcome questions; stewards edit their network's."""
