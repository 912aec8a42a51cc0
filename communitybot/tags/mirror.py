"""Keeping every affiliate's copies of the network's tags in step: one taxonomy for a network.

The network's tags (`store.network_tags`) are the source of truth; each affiliate has an
ordinary tag row linked to each of them. `materialise` makes one affiliate's copy of one
network tag match it — the same name, category, description and aliases — in the caller's unit
of work, so a steward's change and every copy commit together or not at all. Why mirrored copies
rather than one shared row: everything that reads a community's tags (onboarding answers,
`/peers`, mentoring's shared tags, channel and role links, `/mydata`) keeps working unchanged,
and "did you mean" and aliases are network-wide because every affiliate has the same names.

What the network's names take over in an affiliate, and why:
- A local tag with the network tag's name (or one of its aliases) when the affiliate has no copy
  yet becomes the copy: linked, renamed to the network's name if it matched by an alias (its old
  name stays as an alias there), never duplicated — its members keep it.
- A local tag named like one of the network tag's aliases, once the affiliate has a copy, is
  merged into the copy (the per-community merge: members move, its name keeps resolving).
  This is how a steward's `network tags merge` moves members in every affiliate.
- A local alias with a network name moves to the copy: the network's name wins, nothing of the
  members' changes.
A name held by another network tag's copy is never touched (the network refuses such clashes
before writing; `conflicts` reports it if data disagree).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from communitybot.models import Tag
from communitybot.store.network_tags import NetworkTag
from communitybot.store.store import Store


@dataclass
class Synced:
    """What bringing one affiliate's copy in step did there (for replies and moderator logs)."""

    community_id: int
    created: bool = False
    adopted: str | None = None
    """The local tag that became the copy (its name before), when one did."""
    merged: list[tuple[str, int]] = field(default_factory=list)
    """Local tags merged into the copy, with how many members newly gained it from each."""
    moved_aliases: list[str] = field(default_factory=list)
    """Local aliases of other tags that now lead to the copy."""
    conflicts: list[str] = field(default_factory=list)
    reindex: bool = False
    """Members' tags were merged or a tag renamed: the community's peer index must reload."""


async def _copy(
    store: Store, tag: NetworkTag, community_id: int, now: datetime, out: Synced
) -> Tag:
    """The affiliate's copy of `tag`: the linked row, else a local tag adopted, else a new one."""
    tags = store.tags
    copy_id = await tags.network.copy_in(tag.id, community_id)
    if copy_id is not None and (row := await tags.get(copy_id)) is not None:
        return row
    for key in (tag.name, *tag.aliases):
        found = await tags.get_by_name(community_id, key)
        if found is not None and await tags.network.link_of(found.id) is None:
            await tags.network.link(found.id, tag.id)
            out.adopted = found.name
            return found
    created = await tags.create(community_id, tag.name, tag.category, now, tag.description)
    await tags.network.link(created.id, tag.id)
    out.created = True
    return created


async def _claim(store: Store, community_id: int, key: str, copy: Tag, out: Synced) -> None:
    """Make `key` lead to `copy` in this community (see the module's rules)."""
    tags = store.tags
    other = await tags.get_by_name(community_id, key)
    if other is None or other.id == copy.id:
        return
    if await tags.network.link_of(other.id) is not None:
        out.conflicts.append(key)
        return
    if other.name == key:
        gained = await tags.merge(other.id, copy.id)
        out.merged.append((other.name, gained))
        out.reindex = True
        return
    await tags.remove_alias(community_id, key)
    out.moved_aliases.append(key)


async def materialise(store: Store, tag: NetworkTag, community_id: int, now: datetime) -> Synced:
    """Bring this affiliate's copy of the network tag in step with it (idempotent)."""
    out = Synced(community_id)
    tags = store.tags
    copy = await _copy(store, tag, community_id, now, out)
    for key in (tag.name, *tag.aliases):
        await _claim(store, community_id, key, copy, out)
    current = await tags.get(copy.id)
    assert current is not None
    if current.name != tag.name and tag.name not in out.conflicts:
        if tag.name in current.aliases:
            await tags.remove_alias(community_id, tag.name)
        await tags.rename(copy.id, tag.name)
        out.reindex = True
        if out.adopted == current.name:  # a local tag adopted by an alias: its name still works
            await tags.add_alias(copy.id, current.name)
        current = await tags.get(copy.id)
        assert current is not None
    for alias in tag.aliases:
        if alias not in current.aliases and alias not in out.conflicts:
            await tags.add_alias(copy.id, alias)
    description = tag.description or current.description
    if (current.category, current.description) != (tag.category, description):
        await tags.describe(copy.id, tag.category, description)
    return out


async def join(store: Store, network_id: int, community_id: int, now: datetime) -> list[Synced]:
    """An affiliate joins: it gets every network tag (its same-name local tags are linked)."""
    return [
        await materialise(store, tag, community_id, now)
        for tag in await store.tags.network.all(network_id)
    ]


async def leave(store: Store, community_id: int) -> int:
    """An affiliate leaves: it keeps its copies as its own local tags. Returns how many."""
    return await store.tags.network.unlink_community(community_id)
