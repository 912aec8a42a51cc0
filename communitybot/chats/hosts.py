"""Chat hosts: naming them (`hosts=` in `/chat create|edit`), showing them, and a host leaving.

A host runs a series' chats (and may edit its title and description). Hosts who leave keep their
row (the member's `left_at` tells), so the moderators hear which series lost its host and a host
who comes back is one again; a series without a present host still runs, its announcement just
names nobody.
"""

from __future__ import annotations

from communitybot.chats.input import ChatInputError, host_names
from communitybot.context import Context
from communitybot.i18n import ntr, tr, use_language
from communitybot.i18n.choice import community_language
from communitybot.models import Member
from communitybot.naming import names, who
from communitybot.ports import ChatPlatform
from communitybot.replies import Action, Message, SendToChannel
from communitybot.store.chats import ChatSeries
from communitybot.store.store import Store
from communitybot.text import quote


async def resolve_hosts(ctx: Context, raw: str) -> list[Member]:
    """The members named, or ChatInputError saying who is unknown or gone."""
    hosts: list[Member] = []
    for name in host_names(raw):
        member = await _find(ctx, name)
        if member is None:
            raise ChatInputError(
                tr(
                    "I don't know “{name}” here: name hosts with a mention (like `@ann`) of "
                    "someone in the community.",
                    name=quote(name, 40),
                )
            )
        if member.left_at is not None:
            raise ChatInputError(
                tr(
                    "{name} has left the community, so they can't host.",
                    name=who(ctx.platform, member),
                )
            )
        if member.id not in {h.id for h in hosts}:
            hosts.append(member)
    return hosts


async def _find(ctx: Context, name: str) -> Member | None:
    found = await ctx.store.members.find_by_name(ctx.community.id, name)
    if found is None and name.startswith("@") and ":" not in name:
        found = await ctx.store.members.find_by_name(ctx.community.id, name[1:])
    return found


async def hosts_line(store: Store, platform: ChatPlatform, series: ChatSeries) -> str | None:
    """ "Hosted by Ann and Bob." — or None when no host is left in the community."""
    present = await store.chats.present_hosts(series.id)
    return tr("Hosted by {names}.", names=names(platform, present)) if present else None


async def on_leave(ctx: Context) -> list[Action]:
    """A member left: for each active series they host, one note in the moderator log."""
    modlog = ctx.community.modlog_channel
    hosted = await ctx.store.chats.hosted_by(ctx.member.id)
    if not modlog or not hosted:
        return []
    leaver = who(ctx.platform, ctx.member)
    actions: list[Action] = []
    for series in hosted:
        remaining = await ctx.store.chats.present_hosts(series.id)
        with use_language(community_language(ctx.community)):  # the moderators read it
            actions.append(
                SendToChannel(
                    ctx.community.ref, modlog, Message(_host_left(ctx, series, leaver, remaining))
                )
            )
    return actions


def _host_left(ctx: Context, series: ChatSeries, leaver: str, remaining: list[Member]) -> str:
    if remaining:
        return ntr(
            "🎙️ {leaver}, a host of **#{hashtag}**, has left the community; {names} still hosts it.",
            "🎙️ {leaver}, a host of **#{hashtag}**, has left the community; {names} still host it.",
            len(remaining),
            leaver=leaver,
            hashtag=series.hashtag,
            names=names(ctx.platform, remaining),
        )
    return tr(
        "🎙️ **#{hashtag}** has no host now ({leaver} has left the community). Its chats still "
        "run; name a new host with `{command}`.",
        hashtag=series.hashtag,
        leaver=leaver,
        command=f"{ctx.prefix}chat edit {series.hashtag} hosts=@someone",
    )
