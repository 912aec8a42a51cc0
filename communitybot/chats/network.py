"""What a network chat series is to each affiliate (issue #15): where it is held there, who may
change it, and which hashtags it takes.

A network chat belongs to the community of the steward who created it and carries the
network's id; every affiliate (the owner too) runs it in a room of its own: the owner in the
series' channel, another affiliate in the room its moderators chose (`chat room`), else its
welcome channel. Hashtags are one namespace per network: a community chat and a network chat
never share one in any affiliate, so `chat subscribe engchat` always means one thing.
"""

from __future__ import annotations

from communitybot.affiliates import network_name
from communitybot.context import Context
from communitybot.i18n import tr
from communitybot.models import Community
from communitybot.naming import affiliate
from communitybot.store.chats import ChatSeries
from communitybot.store.networks import Network
from communitybot.store.store import Store


async def room_for(store: Store, series: ChatSeries, community: Community) -> str | None:
    """Where `community` holds the chat: the series' channel for its own community; for a
    network chat in another affiliate, its chosen room or else its welcome channel."""
    if series.community_id == community.id:
        return series.channel_id
    chosen = await store.chat_legs.room(series.id, community.id)
    return chosen or community.welcome_channel


async def takes_part(store: Store, series: ChatSeries, community_id: int) -> bool:
    """Whether the community holds this chat: its own, or its network's while it is in it."""
    if series.community_id == community_id:
        return True
    if series.network_id is None:
        return False
    network = await store.networks.of_community(community_id)
    return network is not None and network.id == series.network_id


async def network_series(ctx: Context) -> list[ChatSeries]:
    """The network chats of this community's network that belong to other affiliates."""
    network = await ctx.store.networks.of_community(ctx.community.id)
    if network is None:
        return []
    return [
        s
        for s in await ctx.store.chats.network_active(network.id)
        if s.community_id != ctx.community.id
    ]


async def all_series(ctx: Context) -> list[ChatSeries]:
    """The community's own active chats and its network's, soonest first."""
    found = [*await ctx.store.chats.active(ctx.community.id), *await network_series(ctx)]
    return sorted(
        found,
        key=lambda s: (
            s.next_start is not None,
            s.next_start.isoformat() if s.next_start else "",
            s.hashtag,
        ),
    )


async def find_network_series(ctx: Context, hashtag: str) -> ChatSeries | None:
    """The active network chat with this hashtag in this community's network, if any."""
    network = await ctx.store.networks.of_community(ctx.community.id)
    if network is None:
        return None
    return await ctx.store.chats.find_network(network.id, hashtag)


async def steward_refusal(ctx: Context, series: ChatSeries) -> str | None:
    """For a network chat: what a member who is not one of the network's stewards hears when
    they try to edit, skip or cancel it (None: they may)."""
    if series.network_id is None:
        return None
    if await ctx.store.networks.is_steward(series.network_id, ctx.member.ref):
        return None
    network = await ctx.store.networks.get(series.network_id)
    named = network_name(network) if network else tr("the network")
    return tr(
        "#{hashtag} is a network chat of {network}: only its stewards can change, skip or "
        "cancel it. Your community chooses its own room for it with `{command}`.",
        hashtag=series.hashtag,
        network=named,
        command=f"{ctx.prefix}chat room {series.hashtag} <channel>",
    )


async def community_clash(ctx: Context, hashtag: str) -> str | None:
    """Why a new community chat may not take `hashtag`: the network already has a network
    chat with it (one namespace per network)."""
    found = await find_network_series(ctx, hashtag)
    if found is None:
        return None
    return tr(
        "#{hashtag} is already a network chat in your network: pick another hashtag "
        "(`{command}` shows the chats your members see).",
        hashtag=hashtag,
        command=f"{ctx.prefix}chat list",
    )


async def network_clash(ctx: Context, network: Network, hashtag: str) -> str | None:
    """Why a new network chat may not take `hashtag`: the network, or one of its affiliates,
    already has an active chat with it (named, so the steward knows where to look)."""
    if await ctx.store.chats.find_network(network.id, hashtag):
        return tr(
            "The network already has a chat #{hashtag}. Pick another hashtag.", hashtag=hashtag
        )
    for community_id, ref in await ctx.store.networks.affiliate_refs(network.id):
        if await ctx.store.chats.find(community_id, hashtag):
            where = tr("your community") if community_id == ctx.community.id else affiliate(ref)
            return tr(
                "#{hashtag} is already a chat in {where}: a network chat's hashtag must be "
                "free in every affiliate. Pick another hashtag, or have that chat cancelled "
                "first.",
                hashtag=hashtag,
                where=where,
            )
    return None
