"""How the bot names members in what it sends: the platform's mention, never live user text.

A display name is user text (it could read "@everyone"), so it is quoted before the platform
renders it; `ChatPlatform.mention_user` itself never pings unexpectedly.
"""

from __future__ import annotations

from dataclasses import replace

from communitybot.i18n import tr
from communitybot.models import CommunityRef, Member
from communitybot.ports import ChatPlatform
from communitybot.text import quote

NAME_LIMIT = 60


def who(platform: ChatPlatform, member: Member) -> str:
    """One member's name for output."""
    return platform.mention_user(replace(member.ref, display_name=quote(member.label, NAME_LIMIT)))


def names(platform: ChatPlatform, members: list[Member]) -> str:
    """ "Ann", "Ann and Bob", "Ann, Bob and Cy"."""
    labels = [who(platform, m) for m in members]
    if len(labels) <= 1:
        return "".join(labels)
    return tr("{names} and {last}", names=", ".join(labels[:-1]), last=labels[-1])


def label(member: Member) -> str:
    """A member named without a mention: for output read in another community, where the
    platform's mention would not resolve (or would ping someone else)."""
    return f"“{quote(member.label, NAME_LIMIT)}”"


def affiliate(ref: CommunityRef) -> str:
    """An affiliate community of a network, as members of the others see it: the name its
    moderators gave it and its platform, else its platform and its server or space id."""
    if ref.name:
        return tr("“{name}” ({platform})", name=quote(ref.name, NAME_LIMIT), platform=ref.platform)
    return tr("{platform} “{space}”", platform=ref.platform, space=quote(ref.space_id, NAME_LIMIT))
