"""`network tags …`: one taxonomy for a network, curated by its stewards.

The stewards add, alias, rename, merge, recategorise and remove the network's tags, or promote a
tag of their own community to the network; every affiliate's copy follows in the same unit of
work (`tags.mirror`), so a member of any affiliate adds and finds the same names, and `peers
scope=network` matches them across affiliates. Anyone lists the network's tags. Moderators of an
affiliate keep their local tags and link any tag, network or local, to their own channels and
roles; they cannot rename, alias, merge away or delete a network tag (`tags.commands`).

Decisions (docs/networks.md says the same):
- `network tags remove` takes the tag out of the network's list only: every affiliate keeps its
  copy as a local tag, with its members, so nothing a member chose is lost by a steward's
  command (an affiliate's moderators may then delete it with `tags delete`). It needs no
  confirmation because it destroys nothing.
- A local tag called like a network tag or one of its aliases is linked or merged into the
  network's copy, never duplicated (`tags.mirror` says exactly how); each affiliate's moderator
  log says when that happened there.
- Every change is noted in the moderator log of every affiliate, on its own platform, naming
  the steward as text (`affiliates.actor`), as the other network notes do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from communitybot.affiliates import (
    actor,
    affiliate_communities,
    modlog_note,
    network_name,
    stewarded_network,
)
from communitybot.context import Context
from communitybot.feature import handles
from communitybot.models import Community
from communitybot.naming import affiliate
from communitybot.replies import Action, reply
from communitybot.store.network_tags import NetworkTag
from communitybot.store.networks import Network
from communitybot.tags import mirror
from communitybot.tags.commands import (
    DEFAULT_CATEGORY,
    _one_tag,
    _typed_differently,
    _valid_name,
    by_category,
    or_list,
    suggestions,
)
from communitybot.text import MAX_TAG_LENGTH, normalize_tag, quote

DETAIL_LINES = 10
"""Affiliates named one by one in a reply before "…and N more" (a network may have hundreds)."""


def _not_in_network(ctx: Context) -> list[Action]:
    return reply(
        "This community is not in a network, so it has no network tags; its own tags are in "
        f"`{ctx.prefix}tags list`. A moderator can start a network with "
        f"`{ctx.prefix}network create <name>`."
    )


async def _stewards_network(ctx: Context) -> tuple[Network | None, list[Action]]:
    """This community's network when the member is one of its stewards; else the refusal."""
    found = await stewarded_network(
        ctx,
        _not_in_network(ctx),
        lambda network: (
            f"Only the stewards of {network_name(network)} curate the network's "
            f"tags (`{ctx.prefix}network show` lists them). Your moderators can still make tags of "
            f"this community's own with `{ctx.prefix}tags create`. Nothing was changed."
        ),
    )
    return (found, []) if isinstance(found, Network) else (None, found)


async def _network_tag(
    ctx: Context, network: Network, raw: str
) -> tuple[NetworkTag | None, list[Action]]:
    """The network tag typed (by name or alias), or a reply with "did you mean"."""
    name = normalize_tag(raw)
    if not name:
        return None, reply(f"“{quote(raw, 40)}” isn't a tag name: use letters or digits.")
    found = await ctx.store.tags.network.get_by_name(network.id, name)
    if found is not None:
        return found, []
    keys: list[str] = []
    for tag in await ctx.store.tags.network.all(network.id):
        keys += [tag.name, *tag.aliases]
    hint = suggestions(name, keys)
    if hint:
        return None, reply(
            f"The network has no tag “{quote(name, 40)}”. Did you mean {or_list(hint)}?"
        )
    return None, reply(
        f"The network has no tag “{quote(name, 40)}”. `{ctx.prefix}network tags list` shows "
        "its tags."
    )


async def _network_clash(
    ctx: Context, network: Network, name: str, owner: NetworkTag | None = None
) -> list[Action]:
    """An error when `name` is already a network tag's name or alias (other than `owner`'s)."""
    existing = await ctx.store.tags.network.get_by_name(network.id, name)
    if existing is None or (owner is not None and existing.id == owner.id):
        return []
    if existing.name == name:
        return reply(f"The network already has a tag **{name}**. Nothing was changed.")
    return reply(
        f"“{name}” is already an alias of the network tag **{existing.name}**. Nothing was changed."
    )


def _category(raw: Any) -> tuple[str, list[Action]]:
    category = normalize_tag(str(raw or ""))
    if len(category) > MAX_TAG_LENGTH:
        return "", reply(
            f"Categories can be at most {MAX_TAG_LENGTH} characters. Nothing was changed."
        )
    return category, []


# Keeping the affiliates in step, and saying what happened ---------------------------------------
def _where(community: Community, ctx: Context) -> str:
    mark = " (this community)" if community.id == ctx.community.id else ""
    return affiliate(community.ref) + mark


def _local_changes(synced: mirror.Synced) -> str:
    """What the network's names took over in one affiliate, in a sentence ("" when nothing)."""
    parts = []
    if synced.adopted:
        parts.append(f"its own tag **{synced.adopted}** became the network's")
    for name, gained in synced.merged:
        parts.append(
            f"its own tag **{name}** was merged in ({gained} member"
            f"{'' if gained == 1 else 's'} gained it)"
        )
    if synced.moved_aliases:
        parts.append(
            "its alias"
            + ("es " if len(synced.moved_aliases) > 1 else " ")
            + ", ".join(f"“{a}”" for a in synced.moved_aliases)
            + " now lead"
            + ("" if len(synced.moved_aliases) > 1 else "s")
            + " to it"
        )
    if synced.conflicts:
        parts.append(
            "“" + "”, “".join(synced.conflicts) + "” stayed with another network tag there"
        )
    return "; ".join(parts)


async def _everywhere(
    ctx: Context, network: Network, tag: NetworkTag, log_text: str, merging: str = ""
) -> tuple[list[str], list[Action], int]:
    """Bring every affiliate's copy of `tag` in step; (reply lines on local changes, moderator-log
    notes, how many affiliates). Each affiliate whose members' tags changed reloads its peers.
    `merging`: the network tag being merged into `tag`, whose copies merging is no local news."""
    affiliates = await affiliate_communities(ctx, network)
    now = ctx.clock.now()
    lines: list[str] = []
    notes: list[Action] = []
    for community in affiliates:
        synced = await mirror.materialise(ctx.store, tag, community.id, now)
        if synced.reindex:
            ctx.peers.invalidate(community.id)
        synced.merged = [(name, n) for name, n in synced.merged if name != merging]
        local = _local_changes(synced)
        if local:
            lines.append(f"• {_where(community, ctx)}: {local}.")
        text = log_text + (f" Here {local}." if local else "")
        notes += modlog_note(community, text)
    if len(lines) > DETAIL_LINES:
        lines = [*lines[:DETAIL_LINES], f"• …and {len(lines) - DETAIL_LINES} more affiliates."]
    return lines, notes, len(affiliates)


def _in_all(count: int) -> str:
    return "this affiliate" if count == 1 else f"all {count} affiliates"


async def _spread(
    ctx: Context,
    network: Network,
    tag_id: int,
    log_text: str,
    answer: Callable[[str], str],
    *,
    merging: str = "",
) -> list[Action]:
    """After a change to the network tag `tag_id`: every affiliate's copy brought in step, the
    moderator logs told (`log_text`), and the steward's reply, `answer(where)` with `where`
    saying in how many affiliates (then the per-affiliate lines)."""
    tag = await ctx.store.tags.network.get(tag_id)
    assert tag is not None
    lines, notes, count = await _everywhere(ctx, network, tag, log_text, merging)
    return [*_answer(answer(_in_all(count)), lines), *notes]


def _answer(text: str, lines: list[str]) -> list[Action]:
    if lines:
        text += "\nWhere an affiliate's own tags met it:\n" + "\n".join(lines)
    return reply(text)


# network tags list ------------------------------------------------------------------------------
@handles("network", "tags", "list")
async def list_network_tags(ctx: Context, options: dict[str, Any]) -> list[Action]:
    network = await ctx.store.networks.of_community(ctx.community.id)
    if network is None:
        return _not_in_network(ctx)
    tags = await ctx.store.tags.network.all(network.id)
    p = ctx.prefix
    if not tags:
        return reply(
            f"The network {network_name(network)} has no shared tags yet. Its stewards add them "
            f"with `{p}network tags add <name> [category]` or `{p}network tags promote <tag>`."
        )
    wanted = normalize_tag(str(options.get("category") or ""))
    categories = sorted({t.category for t in tags})
    if wanted:
        if wanted not in categories:
            return reply(
                f"The network has no category “{quote(wanted, 32)}”. Categories: "
                + ", ".join(f"`{c}`" for c in categories)
                + "."
            )
        tags = [t for t in tags if t.category == wanted]
    header = (
        f"🌐 **Tags of the network** {network_name(network)} — every affiliate has them "
        f"(add yours with `{p}tags add <tags>`)"
    )
    return reply(
        by_category(
            header,
            tags,
            lambda t: t.name + (f" (also {', '.join(t.aliases)})" if t.aliases else ""),
            f"…and more: try `{p}network tags list <category>`.",
        )
    )


# network tags add -------------------------------------------------------------------------------
@handles("network", "tags", "add")
async def add_network_tag(ctx: Context, options: dict[str, Any]) -> list[Action]:
    network, refused = await _stewards_network(ctx)
    if network is None:
        return refused
    typed = str(options.get("name") or "")
    name, error = _valid_name(typed)
    if error:
        return error
    category, error = _category(options.get("category"))
    if error:
        return error
    if clash := await _network_clash(ctx, network, name):
        return clash
    description = " ".join(str(options.get("description") or "").split())[:200]
    tag = await ctx.store.tags.network.create(
        network.id, name, category or DEFAULT_CATEGORY, description, ctx.clock.now()
    )
    author = actor(ctx)
    lines, notes, count = await _everywhere(
        ctx,
        network,
        tag,
        f"🏷️ {author} added the tag **{name}** (*{tag.category}*) to the network "
        f"{network_name(network)}: every affiliate has it.",
    )
    return [
        *_answer(
            f"Added **{name}**{_typed_differently(typed, name)} to the network's tags in "
            f"*{tag.category}*: {_in_all(count)} have it now, and their members can add it with "
            f"`{ctx.prefix}tags add {name}`.",
            lines,
        ),
        *notes,
    ]


# network tags alias -----------------------------------------------------------------------------
@handles("network", "tags", "alias")
async def alias_network_tag(ctx: Context, options: dict[str, Any]) -> list[Action]:
    network, refused = await _stewards_network(ctx)
    if network is None:
        return refused
    tag, error = await _network_tag(ctx, network, str(options.get("tag") or ""))
    if tag is None:
        return error
    typed = str(options.get("alias") or "")
    alias, error = _valid_name(typed, "Aliases")
    if error:
        return error
    if alias == tag.name or alias in tag.aliases:
        return reply(f"“{alias}” already leads to the network tag **{tag.name}**.")
    if clash := await _network_clash(ctx, network, alias):
        return clash
    await ctx.store.tags.network.add_alias(tag.id, alias)
    author = actor(ctx)
    return await _spread(
        ctx,
        network,
        tag.id,
        f"🏷️ {author} made “{alias}” another name for the network tag **{tag.name}** "
        f"({network_name(network)}).",
        lambda everywhere: (
            f"“{alias}”{_typed_differently(typed, alias)} now leads to **{tag.name}** in "
            f"{everywhere}."
        ),
    )


# network tags rename ----------------------------------------------------------------------------
@handles("network", "tags", "rename")
async def rename_network_tag(ctx: Context, options: dict[str, Any]) -> list[Action]:
    network, refused = await _stewards_network(ctx)
    if network is None:
        return refused
    tag, error = await _network_tag(ctx, network, str(options.get("tag") or ""))
    if tag is None:
        return error
    typed = str(options.get("new_name") or "")
    name, error = _valid_name(typed)
    if error:
        return error
    if name == tag.name:
        return reply(f"The network tag is already called **{name}**.")
    if clash := await _network_clash(ctx, network, name, owner=tag):
        return clash
    await ctx.store.tags.network.rename(tag.id, name)
    author = actor(ctx)
    return await _spread(
        ctx,
        network,
        tag.id,
        f"🏷️ {author} renamed the network tag **{tag.name}** to **{name}** "
        f"({network_name(network)}).",
        lambda everywhere: (
            f"Renamed the network tag **{tag.name}** to **{name}**"
            f"{_typed_differently(typed, name)} in {everywhere}. Members who had it keep it."
        ),
    )


# network tags merge -----------------------------------------------------------------------------
@handles("network", "tags", "merge")
async def merge_network_tags(ctx: Context, options: dict[str, Any]) -> list[Action]:
    network, refused = await _stewards_network(ctx)
    if network is None:
        return refused
    source, error = await _network_tag(ctx, network, str(options.get("source") or ""))
    if source is None:
        return error
    target, error = await _network_tag(ctx, network, str(options.get("target") or ""))
    if target is None:
        return error
    if source.id == target.id:
        return reply(f"Those are the same network tag (**{source.name}**). Nothing was changed.")
    # The source goes from the network's list (its copies become local tags), its names become
    # the target's aliases; bringing the target's copies in step then merges each affiliate's
    # former copy into the target's, members and all.
    await ctx.store.tags.network.merge(source.id, target.id)
    author = actor(ctx)
    return await _spread(
        ctx,
        network,
        target.id,
        f"🏷️ {author} merged the network tag **{source.name}** into **{target.name}** "
        f"({network_name(network)}): members who had it have **{target.name}**, and "
        f"“{source.name}” leads to it.",
        lambda everywhere: (
            f"Merged **{source.name}** into **{target.name}** in {everywhere}: members who "
            f"had **{source.name}** have **{target.name}** now, and “{source.name}” works as "
            "another name for it."
        ),
        merging=source.name,
    )


# network tags category --------------------------------------------------------------------------
@handles("network", "tags", "category")
async def categorise_network_tag(ctx: Context, options: dict[str, Any]) -> list[Action]:
    network, refused = await _stewards_network(ctx)
    if network is None:
        return refused
    tag, error = await _network_tag(ctx, network, str(options.get("tag") or ""))
    if tag is None:
        return error
    category, error = _category(options.get("category"))
    if error:
        return error
    if not category:
        return reply(
            f"Which category? For example: `{ctx.prefix}network tags category {tag.name} subject`."
        )
    if category == tag.category:
        return reply(f"**{tag.name}** already is in *{category}*.")
    await ctx.store.tags.network.set_category(tag.id, category)
    author = actor(ctx)
    return await _spread(
        ctx,
        network,
        tag.id,
        f"🏷️ {author} moved the network tag **{tag.name}** from *{tag.category}* to "
        f"*{category}* ({network_name(network)}).",
        lambda everywhere: (
            f"**{tag.name}** is in *{category}* now (it was in *{tag.category}*), in {everywhere}."
        ),
    )


# network tags remove ----------------------------------------------------------------------------
@handles("network", "tags", "remove")
async def remove_network_tag(ctx: Context, options: dict[str, Any]) -> list[Action]:
    network, refused = await _stewards_network(ctx)
    if network is None:
        return refused
    tag, error = await _network_tag(ctx, network, str(options.get("tag") or ""))
    if tag is None:
        return error
    affiliates = await affiliate_communities(ctx, network)
    await ctx.store.tags.network.delete(tag.id)
    author = actor(ctx)
    text = (
        f"🏷️ {author} took **{tag.name}** out of the network {network_name(network)}'s tags. This "
        f"community keeps it as its own tag, with its members; `{ctx.prefix}tags delete "
        f"{tag.name}` deletes it here."
    )
    notes: list[Action] = []
    for community in affiliates:
        notes += modlog_note(community, text)
    return [
        *reply(
            f"**{tag.name}** is no longer a network tag. Each of the {len(affiliates)} "
            "affiliate(s) keeps it as its own tag, and members who had it keep it; an "
            f"affiliate's moderators can delete it there with `{ctx.prefix}tags delete "
            f"{tag.name}`."
        ),
        *notes,
    ]


# network tags promote ---------------------------------------------------------------------------
@handles("network", "tags", "promote")
async def promote_tag(ctx: Context, options: dict[str, Any]) -> list[Action]:
    network, refused = await _stewards_network(ctx)
    if network is None:
        return refused
    local, error = await _one_tag(ctx, str(options.get("tag") or ""))
    if local is None:
        return error
    if await ctx.store.tags.network.link_of(local.id) is not None:
        return reply(f"**{local.name}** already is one of the network's tags.")
    if clash := await _network_clash(ctx, network, local.name):
        return clash
    tags = ctx.store.tags.network
    tag = await tags.create(
        network.id, local.name, local.category, local.description, ctx.clock.now()
    )
    kept_local = []
    for alias in local.aliases:
        if await tags.get_by_name(network.id, alias) is None:
            await tags.add_alias(tag.id, alias)
        else:
            kept_local.append(alias)
    await tags.link(local.id, tag.id)
    promoted = await tags.get(tag.id)
    assert promoted is not None
    author = actor(ctx)
    lines, notes, count = await _everywhere(
        ctx,
        network,
        promoted,
        f"🏷️ {author} made **{local.name}** (*{local.category}*) of "
        f"{affiliate(ctx.community.ref)}"
        f" a tag of the network {network_name(network)}: every affiliate has it.",
    )
    with_aliases = ", with its aliases," if promoted.aliases else ""
    text = (
        f"**{local.name}** is a network tag now: {_in_all(count)} have it{with_aliases} "
        "and members here keep it."
    )
    if kept_local:
        text += (
            " These aliases stay this community's (the network uses them already): "
            + ", ".join(f"“{a}”" for a in kept_local)
            + "."
        )
    return [*_answer(text, lines), *notes]


# An affiliate joining or leaving (`network join` / `network leave` call these) ------------------
async def affiliate_joined(ctx: Context, network_id: int) -> None:
    """The joining community gets every network tag: its own tags of the same names or aliases
    are linked (or merged), never duplicated."""
    synced = await mirror.join(ctx.store, network_id, ctx.community.id, ctx.clock.now())
    if any(s.reindex for s in synced):
        ctx.peers.invalidate(ctx.community.id)


async def affiliate_left(ctx: Context) -> None:
    """The leaving community keeps its copies of the network's tags as its own."""
    await mirror.leave(ctx.store, ctx.community.id)
