"""Who may see a network's pages: its stewards, checked again at every request.

A session opens a network's pages when its person was a steward of the network of the community
they signed in to (`stewarded_from`, at sign-in; they need not moderate that community); every
request then asks the store again whether that platform user is still a steward
(`store.networks.is_steward`, one indexed read). A steward who lost the role loses the pages at
the next request, and the network drops out of the session. A session never opens a network it
was not granted, whoever its person is.
"""

from __future__ import annotations

from communitybot.dashboard.access import Denied
from communitybot.dashboard.sessions import Session
from communitybot.events import UserRef
from communitybot.i18n import tr
from communitybot.store.networks import Network
from communitybot.store.store import Store


async def stewarded_from(store: Store, user: UserRef, community_id: int) -> Network | None:
    """At sign-in to this community: its network, when this person stewards it (else None)."""
    network = await store.networks.of_community(community_id)
    if network is None or not await store.networks.is_steward(network.id, user):
        return None
    return network


async def stewarded(store: Store, session: Session, network_id: int) -> Network | Denied:
    """The network, if this session was granted it and its person stewards it right now; a
    refusal because they no longer do (or it is gone) says `forget`."""
    if network_id not in session.networks:
        return Denied(403, tr("Your sign-in link did not open this network's pages."))
    network = await store.networks.get(network_id)
    if network is None:
        return Denied(404, tr("This network is not known to the bot any more."), forget=True)
    if not await store.networks.is_steward(network_id, UserRef(session.platform, session.user_id)):
        return Denied(403, tr("You are not a steward of this network (any more)."), forget=True)
    session.networks[network_id] = network.name  # a renamed network shows its new name
    return network
