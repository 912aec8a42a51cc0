"""A network's affiliate communities as the handlers read them and write to them (one helper for
every feature that reports on or notes something in each affiliate: networks, network tags)."""

from __future__ import annotations

from communitybot.context import Context
from communitybot.models import Community
from communitybot.naming import affiliate, label
from communitybot.replies import Action, Message, SendToChannel
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


def actor(ctx: Context) -> str:
    """Who acted, for a note other affiliates read (perhaps on another platform, where this
    platform's mention would mean nothing): their quoted name and their affiliate."""
    return f"{label(ctx.member)} ({affiliate(ctx.community.ref)})"


def modlog_note(community: Community | None, text: str) -> list[Action]:
    """A line in an affiliate's moderator log, when it has one. An affiliate on another platform
    gets it too: the outbox hands it to the process serving that platform (this one, when it
    serves both), so the text must name people without mentions (`actor`)."""
    if community is None or not community.modlog_channel:
        return []
    return [SendToChannel(community.ref, community.modlog_channel, Message(text))]
