"""A network's affiliate communities as the handlers read them (one helper for every feature
that writes to or reports on each affiliate: networks, network tags, matching)."""

from __future__ import annotations

from communitybot.context import Context
from communitybot.models import Community
from communitybot.store.networks import Network


async def affiliate_communities(ctx: Context, network: Network) -> list[Community]:
    """The network's affiliates, in the order they joined (the acting community as the very
    object the handler holds)."""
    found = []
    for community_id in await ctx.store.networks.affiliates(network.id):
        if community_id == ctx.community.id:
            found.append(ctx.community)
        elif (community := await ctx.store.communities.get_by_id(community_id)) is not None:
            found.append(community)
    return found
