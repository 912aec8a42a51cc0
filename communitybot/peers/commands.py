"""`/peers [tags]`: members who share your interests, rarest shared tags first, then nearby.

The ranking lives in the peer index (`communitybot.peers`); this module turns its hits into
lines a member can read: who, their time zone, and what they share. Only discoverable members
who are still in the community are ever shown, and never the asker.
"""

from __future__ import annotations

from typing import Any

from communitybot import naming
from communitybot.context import Context
from communitybot.feature import handles
from communitybot.models import Member, Tag
from communitybot.peers.index import PeerHit
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
        lines.append(f"{number}. {who} ({zone}) — shares {shared}")
    return lines


async def suggest_peers(ctx: Context, limit: int = 3) -> list[str]:
    """Lines naming up to `limit` peers for `ctx.member`, by their own tags; [] when none."""
    own = await ctx.store.tags.tags_of_member(ctx.member.id)
    if not own:
        return []
    return await _lines(ctx, await _search(ctx, own, limit))


@handles("peers")
async def find_peers(ctx: Context, options: dict[str, Any]) -> list[Action]:
    raw = split_list(str(options.get("tags") or ""))
    notes: list[str] = []
    if raw:
        if len(raw) > MAX_SEARCH_TAGS:
            return reply(f"Please search for at most {MAX_SEARCH_TAGS} tags at once.")
        tags, notes = await resolve_tags(ctx, raw)
        if not tags:
            return reply("\n".join(notes))
    else:
        tags = await ctx.store.tags.tags_of_member(ctx.member.id)
        if not tags:
            return reply(
                "You have no interest tags yet, so I can't tell who shares them. Add some with "
                f"`{ctx.prefix}tags add maths, science` (see `{ctx.prefix}tags list`), "
                f"or search by tag: `{ctx.prefix}peers <tags>`."
            )
    found = await _search(ctx, tags, PEERS_LIMIT)
    searched = ", ".join(f"**{tag.name}**" for tag in tags)
    if not found:
        lines = [
            *notes,
            f"No one else who shares {searched} can be found yet. Try other tags, "
            "or check back as the community grows.",
        ]
    else:
        lines = [*notes, f"**Members who share {searched}:**", *await _lines(ctx, found)]
    if not ctx.member.discoverable:
        lines.append(
            f"(You are hidden from others' searches; `{ctx.prefix}privacy discoverable on` "
            "lets them find you too.)"
        )
    return reply("\n".join(lines))
