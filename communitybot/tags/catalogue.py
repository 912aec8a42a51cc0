"""Interest tags: members add and remove theirs, moderators curate the community's list, and a
network's stewards curate the tags every affiliate shares (`network tags …`).

The steward-only entries are not `moderator_only`: being a steward is a network role, checked by
the handlers (`communitybot.tags.network`), as for the other steward commands."""

from __future__ import annotations

from communitybot.command_types import Command, Option
from communitybot.i18n import N_

_TAGS = Option(
    "tags",
    N_("Tags, separated by commas or spaces"),
    autocomplete="tags",
    max_length=500,
    rest=True,
)
_TAG = Option("tag", N_("A tag"), autocomplete="tags", max_length=64)

TAG_COMMANDS: tuple[Command, ...] = (
    Command(
        ("tags", "add"),
        N_("Add interest tags to your profile"),
        (_TAGS,),
        examples=(
            "tags add maths, special education",
            "tags add #maths #edtech",
        ),
        spans="person",  # the same tags in the person's other memberships (`person_sync`)
    ),
    Command(
        ("tags", "remove"),
        N_("Remove interest tags from your profile"),
        (_TAGS,),
        examples=(
            "tags remove edtech",
            "tags remove maths, science",
        ),
        spans="person",
    ),
    Command(
        ("tags", "list"),
        N_("List the community's tags (and yours)"),
        (Option("category", N_("Only this category"), required=False, max_length=32),),
        examples=(
            "tags list",
            "tags list subject",
        ),
        read_only=True,
    ),
    # Interest tags: moderators
    Command(
        ("tags", "create"),
        N_("Create a tag"),
        (
            Option("name", N_("Tag name"), max_length=64),
            Option(
                "category",
                N_("Category, e.g. subject, grade, topic"),
                required=False,
                max_length=32,
            ),
            Option(
                "description",
                N_("What the tag is about"),
                required=False,
                max_length=200,
                rest=True,
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
        N_("Rename a tag (members keep it)"),
        (_TAG, Option("new_name", N_("New name"), max_length=64)),
        moderator_only=True,
        examples=("tags rename sped special-education",),
    ),
    Command(
        ("tags", "alias"),
        N_("Add another name that resolves to a tag"),
        (_TAG, Option("alias", N_("The other name"), max_length=64)),
        moderator_only=True,
        examples=("tags alias special-education sen",),
    ),
    Command(
        ("tags", "merge"),
        N_("Merge one tag into another (members and aliases move)"),
        (
            Option("source", N_("Tag to merge away"), autocomplete="tags", max_length=64),
            Option("target", N_("Tag to keep"), autocomplete="tags", max_length=64),
        ),
        moderator_only=True,
        examples=("tags merge math maths",),
    ),
    Command(
        ("tags", "delete"),
        N_("Delete a tag"),
        (_TAG,),
        moderator_only=True,
        examples=("tags delete old-tag",),
    ),
    Command(
        ("tags", "link"),
        N_("Link a tag to a channel and/or role; none (or clear) removes a link, the other stays"),
        (
            _TAG,
            Option(
                "channel",
                N_("Channel to suggest (none: no channel)"),
                type="channel",
                required=False,
            ),
            Option("role", N_("Role to grant (none: no role)"), type="role", required=False),
            Option(
                "clear",
                N_("Remove a link: channel, role or both"),
                required=False,
                choices=(N_("channel"), N_("role"), N_("both")),
            ),
        ),
        moderator_only=True,
        examples=(
            "tags link maths maths-lounge maths-teachers",
            "tags link maths role=none",
            "tags link maths clear=both",
        ),
    ),
    # The network's shared tags: anyone lists them, stewards curate them
    Command(
        ("network", "tags", "list"),
        N_("The network's shared tags, which every affiliate has"),
        (Option("category", N_("Only this category"), required=False, max_length=32),),
        examples=("network tags list", "network tags list subject"),
        read_only=True,
    ),
    Command(
        ("network", "tags", "add"),
        N_("Stewards: add a tag every affiliate shares"),
        (
            Option("name", N_("Tag name"), max_length=64),
            Option(
                "category",
                N_("Category, e.g. subject, grade, topic"),
                required=False,
                max_length=32,
            ),
            Option(
                "description",
                N_("What the tag is about"),
                required=False,
                max_length=200,
                rest=True,
            ),
        ),
        examples=("network tags add robotics subject", "network tags add edtech"),
        spans="network",
    ),
    Command(
        ("network", "tags", "alias"),
        N_("Stewards: another name for a network tag, in every affiliate"),
        (_TAG, Option("alias", N_("The other name"), max_length=64)),
        examples=("network tags alias robotics robots",),
        spans="network",
    ),
    Command(
        ("network", "tags", "rename"),
        N_("Stewards: rename a network tag in every affiliate (members keep it)"),
        (_TAG, Option("new_name", N_("New name"), max_length=64)),
        examples=("network tags rename sped special-education",),
        spans="network",
    ),
    Command(
        ("network", "tags", "merge"),
        N_("Stewards: merge one network tag into another in every affiliate"),
        (
            Option("source", N_("Tag to merge away"), autocomplete="tags", max_length=64),
            Option("target", N_("Tag to keep"), autocomplete="tags", max_length=64),
        ),
        examples=("network tags merge robots robotics",),
        spans="network",
    ),
    Command(
        ("network", "tags", "category"),
        N_("Stewards: put a network tag in another category"),
        (_TAG, Option("category", N_("The category, e.g. subject, grade, topic"), max_length=32)),
        examples=("network tags category robotics subject",),
        spans="network",
    ),
    Command(
        ("network", "tags", "remove"),
        N_("Stewards: take a tag out of the network (affiliates keep it as their own)"),
        (_TAG,),
        examples=("network tags remove old-tag",),
        spans="network",
    ),
    Command(
        ("network", "tags", "promote"),
        N_("Stewards: share one of this community's tags with the whole network"),
        (_TAG,),
        examples=("network tags promote robotics",),
        spans="network",
    ),
)
