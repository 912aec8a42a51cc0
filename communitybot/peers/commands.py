"""`/peers [tags] [scope=network]`: members who share your interests, rarest shared tags first,
then nearby.

The ranking lives in the peer index (`communitybot.peers`); this module turns its hits into
lines a member can read: who, their time zone, and what they share. Only discoverable members
who are still in the community are ever shown, and never the asker.

`scope=network` searches every affiliate of the community's network too (docs/networks.md):
the asker's tags are matched in each affiliate by name or alias (tag ids are per community),
members of other affiliates are listed only when they chose the network scope (`privacy
discoverable network`), bridged ghosts never, and each line names the affiliate and how to
reach the member: a mention in this community, otherwise `introduce <number>`, which asks the
bot to introduce them (`peers/introduce.py`), each on their own platform.
"""

from __future__ import annotations

from typing import Any

from communitybot import naming
from communitybot.context import Context
from communitybot.events import CommunityRef
from communitybot.feature import handles
from communitybot.i18n import tr
from communitybot.models import Member, Tag
from communitybot.peers.index import NetworkHit, PeerHit
from communitybot.replies import Action, reply
from communitybot.tags.commands import resolve_tags
from communitybot.text import split_list
from communitybot.timezones import format_offset, utc_offset_minutes

PEERS_LIMIT = 10
MAX_SEARCH_TAGS = 25


async def _search(ctx: Context, tags: list[Tag], limit: int) -> list[tuple[Member, PeerHit]]:
    hits = await ctx.peers.search(
        ctx.store,
        ctx.community.id,
        [tag.id for tag in tags],
        ctx.member.id,
        ctx.member.timezone,
        limit,
        at=ctx.clock.now(),
    )
    found = []
    for hit in hits:
        member = await ctx.store.members.get_by_id(hit.member_id)
        if member is not None:
            found.append((member, hit))
    return found


async def _lines(ctx: Context, found: list[tuple[Member, PeerHit]]) -> list[str]:
    names = await ctx.store.tags.names(ctx.community.id)
    now = ctx.clock.now()
    lines = []
    for number, (member, hit) in enumerate(found, start=1):
        who = naming.who(ctx.platform, member)
        zone = format_offset(utc_offset_minutes(member.timezone, now))
        shared = ", ".join(names[t] for t in hit.shared_tag_ids if t in names)
        lines.append(
            tr(
                "{number}. {who} ({zone}) — shares {tags}",
                number=number,
                who=who,
                zone=zone,
                tags=shared,
            )
        )
    return lines


async def suggest_peers(ctx: Context, limit: int = 3) -> list[str]:
    """Lines naming up to `limit` peers for `ctx.member`, by their own tags; [] when none."""
    own = await ctx.store.tags.tags_of_member(ctx.member.id)
    if not own:
        return []
    return await _lines(ctx, await _search(ctx, own, limit))


def _first_match(
    found: dict[tuple[int, str], int], community_id: int, keys: list[str]
) -> int | None:
    """That community's tag called like the query tag's name, else like one of its aliases."""
    for key in keys:
        tag_id = found.get((community_id, key))
        if tag_id is not None:
            return tag_id
    return None


async def _network_search(
    ctx: Context, tags: list[Tag], limit: int
) -> list[tuple[Member, NetworkHit, CommunityRef]] | None:
    """The best `limit` peers across the network; None when the community is in none."""
    network = await ctx.store.networks.of_community(ctx.community.id)
    if network is None:
        return None
    refs = dict(await ctx.store.networks.affiliate_refs(network.id))
    others = [community_id for community_id in refs if community_id != ctx.community.id]
    # A network tag's copies are found by their link; a local tag by its name and aliases.
    copies = await ctx.store.tags.network_copies([tag.id for tag in tags])
    keys = [[tag.name, *tag.aliases] for tag in tags if tag.id not in copies]
    found = (
        await ctx.store.tags.ids_by_key(others, sorted({k for ks in keys for k in ks}))
        if keys
        else {}
    )
    matches: dict[int, list[int | None]] = {ctx.community.id: [tag.id for tag in tags]}
    for community_id in others:
        matches[community_id] = [
            copies[tag.id].get(community_id)
            if tag.id in copies
            else _first_match(found, community_id, [tag.name, *tag.aliases])
            for tag in tags
        ]
    linked = [a.user for a in await ctx.store.people.accounts_of(ctx.member.ref)]
    exclude: dict[int, int] = {}
    for account in [ctx.member.ref, *(u for u in linked if u != ctx.member.ref)]:
        # the asker's linked accounts are the asker: never their own peer
        for m in await ctx.store.members.all_for_user(account):
            if m.community_id in matches:
                exclude.setdefault(m.community_id, m.id)
    hits = await ctx.peers.search_network(
        ctx.store,
        matches,
        ctx.community.id,
        exclude,
        ctx.member.timezone,
        limit,
        at=ctx.clock.now(),
    )
    members = await ctx.store.members.get_many([hit.member_id for hit in hits])
    out = []
    for hit in hits:
        member = members.get(hit.member_id)
        if member is not None and member.left_at is None:
            out.append((member, hit, refs.get(hit.community_id, ctx.community.ref)))
    return out


def _network_lines(
    ctx: Context, tags: list[Tag], found: list[tuple[Member, NetworkHit, CommunityRef]]
) -> list[str]:
    now = ctx.clock.now()
    lines = []
    for number, (member, hit, ref) in enumerate(found, start=1):
        zone = format_offset(utc_offset_minutes(member.timezone, now))
        shared = ", ".join(tags[q].name for q in hit.shared)
        if member.community_id == ctx.community.id:
            who, where = naming.who(ctx.platform, member), tr("this community")
        else:  # a mention reaches no one in another server or on another platform
            who = naming.label(member)
            where = f"{naming.affiliate(ref)} — `{ctx.prefix}introduce {member.id}`"
        lines.append(
            tr(
                "{number}. {who} ({zone}) — shares {tags} · {where}",
                number=number,
                who=who,
                zone=zone,
                tags=shared,
                where=where,
            )
        )
    return lines


async def _find_across_network(
    ctx: Context, tags: list[Tag], notes: list[str], searched: str
) -> list[Action]:
    found = await _network_search(ctx, tags, PEERS_LIMIT)
    p = ctx.prefix
    if found is None:
        return reply(
            "\n".join(
                [
                    *notes,
                    tr(
                        "This community is not in a network, so there is nowhere else to look: "
                        "`{prefix}peers` finds members here. A moderator can start a network with "
                        "`{prefix}network create <name>` or join one with "
                        "`{prefix}network join <code>`.",
                        prefix=p,
                    ),
                ]
            )
        )
    if not found:
        lines = [
            *notes,
            tr(
                "No one else in the network who shares {tags} can be found yet. Members of other "
                "affiliates are listed only when they chose to be found across the network.",
                tags=searched,
            ),
        ]
    else:
        lines = [
            *notes,
            tr("Members across the network who share {tags}:", tags=searched),
            *_network_lines(ctx, tags, found),
        ]
        if any(member.community_id != ctx.community.id for member, _, _ in found):
            lines.append(
                tr(
                    "`{prefix}introduce <number>` asks me to introduce you to a member of another "
                    "affiliate: each of you gets a message on your own platform with how to reach "
                    "the other.",
                    prefix=p,
                )
            )
    if not ctx.member.discoverable:
        lines.append(
            tr(
                "(You are hidden from others' searches; `{prefix}privacy discoverable network` "
                "lets members of every affiliate find you too.)",
                prefix=p,
            )
        )
    elif not ctx.member.network_visible:
        lines.append(
            tr(
                "(Other affiliates cannot find you: only this community can. "
                "`{prefix}privacy discoverable network` lets them find you too.)",
                prefix=p,
            )
        )
    return reply("\n".join(lines))


@handles("peers")
async def find_peers(ctx: Context, options: dict[str, Any]) -> list[Action]:
    raw = split_list(str(options.get("tags") or ""))
    scope = str(options.get("scope") or "community").strip().casefold()
    if scope not in ("community", "network"):
        return reply(
            tr(
                "Please say `scope=network` (or leave it out to search this community), e.g. "
                "`{prefix}peers robotics scope=network`.",
                prefix=ctx.prefix,
            )
        )
    notes: list[str] = []
    if raw:
        if len(raw) > MAX_SEARCH_TAGS:
            return reply(
                tr("Please search for at most {limit} tags at once.", limit=MAX_SEARCH_TAGS)
            )
        tags, notes = await resolve_tags(ctx, raw)
        if not tags:
            return reply("\n".join(notes))
    else:
        tags = await ctx.store.tags.tags_of_member(ctx.member.id)
        if not tags:
            return reply(
                tr(
                    "You have no interest tags yet, so I can't tell who shares them. Add some "
                    "with `{prefix}tags add maths, science` (see `{prefix}tags list`), or search "
                    "by tag: `{prefix}peers <tags>`.",
                    prefix=ctx.prefix,
                )
            )
    searched = ", ".join(f"**{tag.name}**" for tag in tags)
    if scope == "network":
        return await _find_across_network(ctx, tags, notes, searched)
    found = await _search(ctx, tags, PEERS_LIMIT)
    if not found:
        lines = [
            *notes,
            tr(
                "No one else who shares {tags} can be found yet. Try other tags, or check back "
                "as the community grows.",
                tags=searched,
            ),
        ]
    else:
        lines = [
            *notes,
            tr("Members who share {tags}:", tags=searched),
            *await _lines(ctx, found),
        ]
    if not ctx.member.discoverable:
        lines.append(
            tr(
                "(You are hidden from others' searches; `{prefix}privacy discoverable on` "
                "lets them find you too.)",
                prefix=ctx.prefix,
            )
        )
    return reply("\n".join(lines))
