"""A network's affiliate communities as the handlers read them and write to them (one helper for
every feature that reports on or notes something in each affiliate: networks, network tags,
network matching), how they name the network, and who may act for it (its stewards)."""

from __future__ import annotations

from collections.abc import Callable

from communitybot.context import Context
from communitybot.i18n import use_language
from communitybot.i18n.choice import community_language
from communitybot.models import Community
from communitybot.naming import affiliate, label
from communitybot.networks.catalogue import MAX_NAME
from communitybot.replies import Action, Message, SendToChannel, reply
from communitybot.store.networks import Network
from communitybot.text import quote


def network_name(network: Network) -> str:
    """The network as replies name it: its name, quoted and bold."""
    return f"**“{quote(network.name, MAX_NAME)}”**"


async def stewarded_network(
    ctx: Context, outside: list[Action], refusal: Callable[[Network], str]
) -> Network | list[Action]:
    """This community's network when the acting member is one of its stewards; otherwise the
    reply to give: `outside` when the community is in no network, else `refusal(network)` (each
    feature says in its own words what only stewards do there)."""
    network = await ctx.store.networks.of_community(ctx.community.id)
    if network is None:
        return outside
    if not await ctx.store.networks.is_steward(network.id, ctx.member.ref):
        return reply(refusal(network))
    return network


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


Note = str | Callable[[], str]
"""A moderator-log note: its text, or (to have it in the community's language) a function that
writes it, called with that language set (`modlog_note`)."""


def modlog_note(community: Community | None, text: Note) -> list[Action]:
    """A line in an affiliate's moderator log, when it has one. An affiliate on another platform
    gets it too: the outbox hands it to the process serving that platform (this one, when it
    serves both), so the text must name people without mentions (`actor`).

    The log is read by that community's moderators, not by whoever acted: a note given as a
    function is written in the community's language (`community_language`), which may differ
    from the acting member's and from the other affiliates'."""
    if community is None or not community.modlog_channel:
        return []
    with use_language(community_language(community)):
        body = text() if callable(text) else text
    return [SendToChannel(community.ref, community.modlog_channel, Message(body))]
