"""Who may see a community's pages: checked again at every request, never only at sign-in.

The core decides "moderator" the way commands do (`Bot._bound_context`): the platform's rule
(Manage Server on Discord, the power level on Matrix) or the community's configured moderator
role, asked of the live platform (`ChatPlatform.is_moderator`, answered from the adapter's
cache, so a request costs no network wait). So a moderator who lost the role, or left, loses
the page at their next request, and the community drops out of their (stored) session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from communitybot.dashboard.sessions import Session
from communitybot.events import UserRef
from communitybot.i18n import tr
from communitybot.models import Community
from communitybot.ports import ChatPlatform
from communitybot.store.store import Store


@dataclass(frozen=True)
class Denied:
    status: Literal[403, 404, 503]
    why: str
    forget: bool = False
    """The session should forget this community or network: its person lost the role (or it is
    gone). Not when this process merely does not serve its platform (yet: a standby taking over
    attaches its platform a moment after it listens)."""


async def rights(
    store: Store,
    platforms: Mapping[str, ChatPlatform],
    user: UserRef,
    community_id: int,
) -> Community | Denied:
    """The community, if `user` moderates it right now (asked of its live platform)."""
    community = await store.communities.get_by_id(community_id)
    if community is None:
        return Denied(404, tr("This community is not known to the bot any more."))
    if community.ref.platform != user.platform:
        return Denied(403, tr("Your sign-in link was not for this community."))
    platform = platforms.get(community.ref.platform)
    if platform is None:
        return Denied(503, tr("This bot process does not serve that community's platform."))
    member = await store.members.get(community.id, user)
    if (
        member is None
        or member.left_at is not None
        or not await platform.is_moderator(community.ref, user, community.moderator_role)
    ):
        return Denied(403, tr("You are not a moderator of this community (any more)."))
    return community


async def moderated(
    store: Store,
    platforms: Mapping[str, ChatPlatform],
    session: Session,
    community_id: int,
) -> Community | Denied:
    """The community, if this session was opened for it and its person moderates it right now;
    a refusal because they no longer moderate it says `forget` (the caller drops it from the
    stored session: `Sessions.drop`)."""
    if community_id not in session.communities:
        return Denied(403, tr("Your sign-in link was not for this community."))
    found = await rights(store, platforms, UserRef(session.platform, session.user_id), community_id)
    if isinstance(found, Denied) and found.status != 503:
        return Denied(found.status, found.why, forget=True)
    return found
