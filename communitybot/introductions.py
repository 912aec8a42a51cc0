"""Introductions whose members may be in different affiliates and on different platforms.

Within one community an introduction is one private conversation (`SendToGroup`: a private
thread on Discord, a new room on Matrix, one DM each where a group cannot be opened). Across a
network the members of one pairing or group may sit in different communities, even on different
platforms, and no conversation spans them. So the members are split by community: each part gets
its own introduction on its own platform (a group conversation when it has two or more members,
a DM when it has one), written for it:

- members in the same conversation are named as today (a mention, when this process renders for
  their platform; their quoted display name otherwise);
- everyone else is named by quoted display name, with their affiliate, their platform and how to
  reach them there (their platform id as that platform shows it, in a code span) — never a live
  mention, since a mention only means something on its own platform. Only members who chose to
  be found across the network (`privacy discoverable network`) are matched across it, so showing
  how to reach them is what they opted into.

The actions carry each part's community, so the outbox routes each one to the process serving
that community's platform (`Outbox.target_platform`).

Each part is written in its readers' language: a DM in its member's own (`Member.language`), a
group conversation in its community's (`Party.language`, as the caller knows it), else the
caller's current language. `compose` runs inside that language, so its `tr` texts follow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from communitybot.events import CommunityRef
from communitybot.i18n import N_, current_language, tr, use_language
from communitybot.models import Member
from communitybot.naming import label, who
from communitybot.ports import ChatPlatform
from communitybot.replies import Action, Message, SendDirect, SendToGroup
from communitybot.text import neutralize_mass_mentions

PLATFORM_NAMES = {"discord": "Discord", "matrix": "Matrix", "console": N_("the console")}


@dataclass(frozen=True)
class Party:
    """One member to introduce, with the community they are reached through."""

    member: Member
    community: CommunityRef
    affiliate: str
    """How the network names their community (e.g. `matrix “!space:example.org”`)."""
    language: str | None = None
    """Their community's language (`Community.language`): a group conversation there is
    written in it. None: the caller's current language."""


Namer = Callable[[Party], str]
"""How a party is named in one introduction's text."""


def platform_name(platform: str) -> str:
    return tr(PLATFORM_NAMES[platform]) if platform in PLATFORM_NAMES else platform


def name_in(platform: ChatPlatform, community_id: int, member: Member) -> str:
    """A member named in output for `community_id`: as the platform names them when they are
    a member there, as inert text when a network round put them with someone of another
    affiliate (perhaps on another platform, where this platform's mention means nothing)."""
    return who(platform, member) if member.community_id == community_id else label(member)


def handle(party: Party) -> str:
    """How to reach the party on their platform: their id as that platform shows it, in a code
    span so it can be copied as is. An id is the platform's, not user text, and a code span is
    never a mention (Discord ids are digits; the Matrix adapter sends empty `m.mentions`)."""
    user_id = neutralize_mass_mentions(party.member.ref.user_id.replace("`", ""))
    if party.community.platform == "discord":
        return tr("user id `{id}`", id=user_id)
    return f"`{user_id}`"


def where(party: Party) -> str:
    """The party's affiliate, platform and handle, for members reading elsewhere."""
    return tr(
        "{name} is in {affiliate} on {platform}: reach them as {handle}.",
        name=label(party.member),
        affiliate=party.affiliate,
        platform=platform_name(party.community.platform),
        handle=handle(party),
    )


def parts(parties: Sequence[Party]) -> list[list[Party]]:
    """The parties split by community, in the order they first appear."""
    by_community: dict[CommunityRef, list[Party]] = {}
    for party in parties:
        by_community.setdefault(party.community, []).append(party)
    return list(by_community.values())


def _language_of(group: list[Party]) -> str:
    """A DM's member's own language; a group's community's (see the module docstring)."""
    if len(group) == 1 and group[0].member.language:
        return group[0].member.language
    return group[0].language or current_language()


def introduce(
    platform: ChatPlatform,
    here: str,
    title: str,
    parties: Sequence[Party],
    compose: Callable[[Namer], str],
) -> list[Action]:
    """One introduction per community among `parties`, each on its own platform.

    `here` is the platform `platform` renders mentions for (the acting community's); `compose`
    writes the message given how to name each party in that part's text. Members of other
    parts are named as inert text and the message ends with how to reach them.
    """
    actions: list[Action] = []
    groups = parts(parties)
    for group in groups:
        inside = {party.member.id for party in group}
        ref = group[0].community
        live = ref.platform == here

        def name(party: Party, inside: set[int] = inside, live: bool = live) -> str:
            if party.member.id in inside and live:
                return who(platform, party.member)
            return label(party.member)

        with use_language(_language_of(group)):
            lines = [compose(name)]
            others = [party for party in parties if party.member.id not in inside]
            if others:
                lines.append(
                    tr(
                        "**Across the network:** {parties}",
                        parties=" ".join(where(p) for p in others),
                    )
                )
                lines.append(
                    tr(
                        "Everyone here chose to be found across the network: say hello on their "
                        "platform and mention this introduction."
                    )
                )
        message = Message("\n".join(lines))
        users = tuple(party.member.ref for party in group)
        if len(users) > 1:
            actions.append(SendToGroup(ref, users, title, message))
        else:
            actions.append(SendDirect(ref, users[0], message))
    return actions
