"""The command catalogue: every command the bot understands, once, for every platform.

Adapters generate their command surface from it (Discord slash commands with groups, options,
choices and autocomplete; `!help` on Matrix; the console's `/help`). The core uses `moderator_only`
to refuse moderator commands itself, whatever the adapter did.
"""

from __future__ import annotations

from communitybot.asks.catalogue import ASK_COMMANDS
from communitybot.chats.catalogue import CHAT_COMMANDS
from communitybot.chats.run_catalogue import CHAT_RUN_COMMANDS
from communitybot.command_types import Autocomplete, Command, Option, OptionType
from communitybot.mentoring.catalogue import MENTORING_COMMANDS
from communitybot.onboarding.defaults import INTRO_MAX_LENGTH
from communitybot.rounds.catalogue import ROUND_COMMANDS

__all__ = ["CATALOGUE", "Autocomplete", "Command", "Option", "OptionType", "find_command", "groups"]


_TAGS = Option(
    "tags",
    "Tags, separated by commas or spaces",
    autocomplete="tags",
    max_length=500,
    rest=True,
)
_TAG = Option("tag", "A tag", autocomplete="tags", max_length=64)
_TEXT_MAX = 1000

_CORE: tuple[Command, ...] = (
    Command(
        ("help",),
        "Show what the bot can do",
        (Option("command", "A command", required=False, rest=True),),
        examples=(
            "help",
            "help chat create",
        ),
        read_only=True,
    ),
    Command(("onboard",), "Start (or restart) the welcome questions", examples=("onboard",)),
    # Interest tags: members
    Command(
        ("tags", "add"),
        "Add interest tags to your profile",
        (_TAGS,),
        examples=(
            "tags add maths, special education",
            "tags add #maths #edtech",
        ),
    ),
    Command(
        ("tags", "remove"),
        "Remove interest tags from your profile",
        (_TAGS,),
        examples=(
            "tags remove edtech",
            "tags remove maths, science",
        ),
    ),
    Command(
        ("tags", "list"),
        "List the community's tags (and yours)",
        (Option("category", "Only this category", required=False, max_length=32),),
        examples=(
            "tags list",
            "tags list subject",
        ),
        read_only=True,
    ),
    # Interest tags: moderators
    Command(
        ("tags", "create"),
        "Create a tag",
        (
            Option("name", "Tag name", max_length=64),
            Option(
                "category", "Category, e.g. subject, grade, topic", required=False, max_length=32
            ),
            Option(
                "description", "What the tag is about", required=False, max_length=200, rest=True
            ),
        ),
        moderator_only=True,
        examples=(
            'tags create "special education" subject Teaching pupils with SEND',
            "tags create edtech",
        ),
    ),
    Command(
        ("tags", "rename"),
        "Rename a tag (members keep it)",
        (_TAG, Option("new_name", "New name", max_length=64)),
        moderator_only=True,
        examples=("tags rename sped special-education",),
    ),
    Command(
        ("tags", "alias"),
        "Add another name that resolves to a tag",
        (_TAG, Option("alias", "The other name", max_length=64)),
        moderator_only=True,
        examples=("tags alias special-education sen",),
    ),
    Command(
        ("tags", "merge"),
        "Merge one tag into another (members and aliases move)",
        (
            Option("source", "Tag to merge away", autocomplete="tags", max_length=64),
            Option("target", "Tag to keep", autocomplete="tags", max_length=64),
        ),
        moderator_only=True,
        examples=("tags merge math maths",),
    ),
    Command(
        ("tags", "delete"),
        "Delete a tag",
        (_TAG,),
        moderator_only=True,
        examples=("tags delete old-tag",),
    ),
    Command(
        ("tags", "link"),
        "Link a tag to a channel and/or role; none (or clear) removes a link, the other stays",
        (
            _TAG,
            Option(
                "channel", "Channel to suggest (none: no channel)", type="channel", required=False
            ),
            Option("role", "Role to grant (none: no role)", type="role", required=False),
            Option(
                "clear",
                "Remove a link: channel, role or both",
                required=False,
                choices=("channel", "role", "both"),
            ),
        ),
        moderator_only=True,
        examples=(
            "tags link maths maths-lounge maths-teachers",
            "tags link maths role=none",
            "tags link maths clear=both",
        ),
    ),
    # Peers
    Command(
        ("peers",),
        "Find members who share your interests",
        (
            Option(
                "tags",
                "Search these tags instead of yours",
                required=False,
                autocomplete="tags",
                max_length=500,
                rest=True,
            ),
        ),
        examples=(
            "peers",
            "peers robotics, edtech",
        ),
        read_only=True,
    ),
    # Profile and privacy
    Command(
        ("profile", "show"),
        "Show your profile (or a discoverable member's)",
        (Option("member", "Whose profile", type="user", required=False),),
        examples=(
            "profile show",
            "profile show ann",
        ),
        read_only=True,
    ),
    Command(
        ("profile", "edit"),
        "Change one field of your profile",
        (
            Option(
                "field",
                "Field",
                choices=("role", "timezone", "intro", "wants_mentor", "offers_mentor"),
            ),
            # The longest field is the intro: one limit, said the same everywhere.
            Option("value", "New value", max_length=INTRO_MAX_LENGTH, rest=True),
        ),
        examples=(
            "profile edit timezone Europe/Berlin",
            "profile edit intro I teach physics in Leeds",
        ),
    ),
    Command(
        ("privacy", "show"),
        "Show your privacy settings",
        examples=("privacy show",),
        read_only=True,
    ),
    Command(
        ("privacy", "discoverable"),
        "Choose whether others can find you in /peers",
        (Option("value", "on or off", choices=("on", "off")),),
        examples=("privacy discoverable off",),
    ),
    Command(("mydata",), "Export everything stored about you, as JSON", examples=("mydata",)),
    Command(
        ("forgetme",),
        "Delete everything stored about you (asks to confirm)",
        examples=("forgetme",),
    ),
    # Moderation
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
        ),
        moderator_only=True,
        examples=(
            "setup",
            "setup welcome_channel=welcome modlog_channel=mod-log moderator_role=moderators",
        ),
    ),
    Command(
        ("onboarding", "questions", "list"),
        "List the onboarding questions",
        moderator_only=True,
        examples=("onboarding questions list",),
    ),
    Command(
        ("onboarding", "questions", "add"),
        "Add an onboarding question",
        (
            Option("key", "Short id, e.g. subjects", max_length=32),
            Option("kind", "Kind", choices=("single", "multi", "text", "yesno", "timezone")),
            Option(
                "target",
                "Where the answer goes",
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
            Option("prompt", "The question", max_length=300, rest=True),
        ),
        moderator_only=True,
        examples=(
            "onboarding questions add subjects multi tags What do you teach?",
            "onboarding questions add years text none How long have you taught?",
        ),
    ),
    Command(
        ("onboarding", "questions", "edit"),
        "Change a question's prompt, choices, max_length or category",
        (
            Option("key", "Question id", max_length=32),
            Option("field", "Field", choices=("prompt", "choices", "max_length", "category")),
            Option(
                "value", "New value (choices: comma-separated)", max_length=_TEXT_MAX, rest=True
            ),
        ),
        moderator_only=True,
        examples=(
            "onboarding questions edit subjects choices maths, science, languages",
            "onboarding questions edit subjects prompt Which subjects do you teach?",
        ),
    ),
    Command(
        ("onboarding", "questions", "move"),
        "Move a question to a position (1 = first)",
        (
            Option("key", "Question id", max_length=32),
            Option("position", "New position", type="integer", min_value=1, max_value=50),
        ),
        moderator_only=True,
        examples=("onboarding questions move subjects 1",),
    ),
    Command(
        ("onboarding", "questions", "remove"),
        "Remove a question (answers to it are deleted)",
        (Option("key", "Question id", max_length=32),),
        moderator_only=True,
        examples=("onboarding questions remove years",),
    ),
    Command(
        ("stats",),
        "Community statistics",
        moderator_only=True,
        examples=("stats",),
        read_only=True,
    ),
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

CATALOGUE: tuple[Command, ...] = (
    *_CORE,
    *MENTORING_COMMANDS,
    *CHAT_COMMANDS,
    *ASK_COMMANDS,
    *CHAT_RUN_COMMANDS,
    *ROUND_COMMANDS,
)

_BY_PATH = {c.path: c for c in CATALOGUE}


def find_command(path: tuple[str, ...]) -> Command | None:
    return _BY_PATH.get(path)


def groups() -> dict[str, list[Command]]:
    """Top-level name → commands under it (for Discord groups and `help`)."""
    out: dict[str, list[Command]] = {}
    for command in CATALOGUE:
        out.setdefault(command.path[0], []).append(command)
    return out
