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
from communitybot.i18n import ntr, tr, use_language
from communitybot.i18n.choice import community_language
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
        tr(
            "This community is not in a network, so it has no network tags; its own tags are in "
            "`{prefix}tags list`. A moderator can start a network with "
            "`{prefix}network create <name>`.",
            prefix=ctx.prefix,
        )
    )


async def _stewards_network(ctx: Context) -> tuple[Network | None, list[Action]]:
    """This community's network when the member is one of its stewards; else the refusal."""
    found = await stewarded_network(
        ctx,
        _not_in_network(ctx),
        lambda network: tr(
            "Only the stewards of {network} curate the network's tags (`{prefix}network show` "
            "lists them). Your moderators can still make tags of this community's own with "
            "`{prefix}tags create`. Nothing was changed.",
            network=network_name(network),
            prefix=ctx.prefix,
        ),
    )
    return (found, []) if isinstance(found, Network) else (None, found)


async def _network_tag(
    ctx: Context, network: Network, raw: str
) -> tuple[NetworkTag | None, list[Action]]:
    """The network tag typed (by name or alias), or a reply with "did you mean"."""
    name = normalize_tag(raw)
    if not name:
        return None, reply(
            tr("“{typed}” isn't a tag name: use letters or digits.", typed=quote(raw, 40))
        )
    found = await ctx.store.tags.network.get_by_name(network.id, name)
    if found is not None:
        return found, []
    keys: list[str] = []
    for tag in await ctx.store.tags.network.all(network.id):
        keys += [tag.name, *tag.aliases]
    hint = suggestions(name, keys)
    if hint:
        return None, reply(
            tr(
                "The network has no tag “{name}”. Did you mean {suggestions}?",
                name=quote(name, 40),
                suggestions=or_list(hint),
            )
        )
    return None, reply(
        tr(
            "The network has no tag “{name}”. `{prefix}network tags list` shows its tags.",
            name=quote(name, 40),
            prefix=ctx.prefix,
        )
    )


async def _network_clash(
    ctx: Context, network: Network, name: str, owner: NetworkTag | None = None
) -> list[Action]:
    """An error when `name` is already a network tag's name or alias (other than `owner`'s)."""
    existing = await ctx.store.tags.network.get_by_name(network.id, name)
    if existing is None or (owner is not None and existing.id == owner.id):
        return []
    if existing.name == name:
        return reply(
            tr("The network already has a tag **{name}**. Nothing was changed.", name=name)
        )
    return reply(
        tr(
            "“{name}” is already an alias of the network tag **{tag}**. Nothing was changed.",
            name=name,
            tag=existing.name,
        )
    )


def _category(raw: Any) -> tuple[str, list[Action]]:
    category = normalize_tag(str(raw or ""))
    if len(category) > MAX_TAG_LENGTH:
        return "", reply(
            tr(
                "Categories can be at most {limit} characters. Nothing was changed.",
                limit=MAX_TAG_LENGTH,
            )
        )
    return category, []


# Keeping the affiliates in step, and saying what happened ---------------------------------------
def _where(community: Community, ctx: Context) -> str:
    mark = " " + tr("(this community)") if community.id == ctx.community.id else ""
    return affiliate(community.ref) + mark


def _local_changes(synced: mirror.Synced) -> str:
    """What the network's names took over in one affiliate, in a sentence ("" when nothing)."""
    parts = []
    if synced.adopted:
        parts.append(tr("its own tag **{tag}** became the network's", tag=synced.adopted))
    for name, gained in synced.merged:
        parts.append(
            ntr(
                "its own tag **{tag}** was merged in ({n} member gained it)",
                "its own tag **{tag}** was merged in ({n} members gained it)",
                gained,
                tag=name,
            )
        )
    if synced.moved_aliases:
        parts.append(
            ntr(
                "its alias {aliases} now leads to it",
                "its aliases {aliases} now lead to it",
                len(synced.moved_aliases),
                aliases=", ".join(f"“{a}”" for a in synced.moved_aliases),
            )
        )
    if synced.conflicts:
        parts.append(
            tr(
                "{names} stayed with another network tag there",
                names="“" + "”, “".join(synced.conflicts) + "”",
            )
        )
    return "; ".join(parts)


async def _everywhere(
    ctx: Context,
    network: Network,
    tag: NetworkTag,
    log_text: Callable[[], str],
    merging: str = "",
) -> tuple[list[str], list[Action], int]:
    """Bring every affiliate's copy of `tag` in step; (reply lines on local changes, moderator-log
    notes, how many affiliates). Each affiliate whose members' tags changed reloads its peers.
    `merging`: the network tag being merged into `tag`, whose copies merging is no local news.
    `log_text()` writes the note in the current language: each affiliate's moderator log gets
    it in that affiliate's language."""
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
        with use_language(community_language(community)):  # that affiliate's team reads it
            there = _local_changes(synced)
            text = log_text() + (" " + tr("Here {changes}.", changes=there) if there else "")
        notes += modlog_note(community, text)
    if len(lines) > DETAIL_LINES:
        more = len(lines) - DETAIL_LINES
        lines = [
            *lines[:DETAIL_LINES],
            ntr("• …and {n} more affiliates.", "• …and {n} more affiliates.", more),
        ]
    return lines, notes, len(affiliates)


def _in_all(count: int) -> str:
    return tr("this affiliate") if count == 1 else tr("all {count} affiliates", count=count)


async def _spread(
    ctx: Context,
    network: Network,
    tag_id: int,
    log_text: Callable[[], str],
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
        text += "\n" + tr("Where an affiliate's own tags met it:") + "\n" + "\n".join(lines)
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
            tr(
                "The network {network} has no shared tags yet. Its stewards add them with "
                "`{prefix}network tags add <name> [category]` or "
                "`{prefix}network tags promote <tag>`.",
                network=network_name(network),
                prefix=p,
            )
        )
    wanted = normalize_tag(str(options.get("category") or ""))
    categories = sorted({t.category for t in tags})
    if wanted:
        if wanted not in categories:
            return reply(
                tr(
                    "The network has no category “{category}”. Categories: {categories}.",
                    category=quote(wanted, 32),
                    categories=", ".join(f"`{c}`" for c in categories),
                )
            )
        tags = [t for t in tags if t.category == wanted]
    header = tr(
        "🌐 **Tags of the network** {network} — every affiliate has them "
        "(add yours with `{prefix}tags add <tags>`)",
        network=network_name(network),
        prefix=p,
    )
    return reply(
        by_category(
            header,
            tags,
            lambda t: (
                t.name
                + (" " + tr("(also {aliases})", aliases=", ".join(t.aliases)) if t.aliases else "")
            ),
            tr("…and more: try `{prefix}network tags list <category>`.", prefix=p),
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
        lambda: tr(
            "🏷️ {author} added the tag **{name}** (*{category}*) to the network {network}: "
            "every affiliate has it.",
            author=author,
            name=name,
            category=tag.category,
            network=network_name(network),
        ),
    )
    return [
        *_answer(
            tr(
                "Added **{name}**{note} to the network's tags in *{category}*: {where} have it "
                "now, and their members can add it with `{prefix}tags add {name}`.",
                name=name,
                note=_typed_differently(typed, name),
                category=tag.category,
                where=_in_all(count),
                prefix=ctx.prefix,
            ),
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
        return reply(
            tr("“{alias}” already leads to the network tag **{tag}**.", alias=alias, tag=tag.name)
        )
    if clash := await _network_clash(ctx, network, alias):
        return clash
    await ctx.store.tags.network.add_alias(tag.id, alias)
    author = actor(ctx)
    return await _spread(
        ctx,
        network,
        tag.id,
        lambda: tr(
            "🏷️ {author} made “{alias}” another name for the network tag **{tag}** ({network}).",
            author=author,
            alias=alias,
            tag=tag.name,
            network=network_name(network),
        ),
        lambda everywhere: tr(
            "“{alias}”{note} now leads to **{tag}** in {where}.",
            alias=alias,
            note=_typed_differently(typed, alias),
            tag=tag.name,
            where=everywhere,
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
        return reply(tr("The network tag is already called **{name}**.", name=name))
    if clash := await _network_clash(ctx, network, name, owner=tag):
        return clash
    await ctx.store.tags.network.rename(tag.id, name)
    author = actor(ctx)
    return await _spread(
        ctx,
        network,
        tag.id,
        lambda: tr(
            "🏷️ {author} renamed the network tag **{old}** to **{name}** ({network}).",
            author=author,
            old=tag.name,
            name=name,
            network=network_name(network),
        ),
        lambda everywhere: tr(
            "Renamed the network tag **{old}** to **{name}**{note} in {where}. Members who had "
            "it keep it.",
            old=tag.name,
            name=name,
            note=_typed_differently(typed, name),
            where=everywhere,
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
        return reply(
            tr("Those are the same network tag (**{tag}**). Nothing was changed.", tag=source.name)
        )
    # The source goes from the network's list (its copies become local tags), its names become
    # the target's aliases; bringing the target's copies in step then merges each affiliate's
    # former copy into the target's, members and all.
    await ctx.store.tags.network.merge(source.id, target.id)
    author = actor(ctx)
    return await _spread(
        ctx,
        network,
        target.id,
        lambda: tr(
            "🏷️ {author} merged the network tag **{source}** into **{target}** ({network}): "
            "members who had it have **{target}**, and “{source}” leads to it.",
            author=author,
            source=source.name,
            target=target.name,
            network=network_name(network),
        ),
        lambda everywhere: tr(
            "Merged **{source}** into **{target}** in {where}: members who had **{source}** "
            "have **{target}** now, and “{source}” works as another name for it.",
            source=source.name,
            target=target.name,
            where=everywhere,
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
            tr(
                "Which category? For example: `{prefix}network tags category {tag} subject`.",
                prefix=ctx.prefix,
                tag=tag.name,
            )
        )
    if category == tag.category:
        return reply(tr("**{tag}** already is in *{category}*.", tag=tag.name, category=category))
    await ctx.store.tags.network.set_category(tag.id, category)
    author = actor(ctx)
    return await _spread(
        ctx,
        network,
        tag.id,
        lambda: tr(
            "🏷️ {author} moved the network tag **{tag}** from *{old}* to *{category}* ({network}).",
            author=author,
            tag=tag.name,
            old=tag.category,
            category=category,
            network=network_name(network),
        ),
        lambda everywhere: tr(
            "**{tag}** is in *{category}* now (it was in *{old}*), in {where}.",
            tag=tag.name,
            category=category,
            old=tag.category,
            where=everywhere,
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
    notes: list[Action] = []
    for community in affiliates:
        with use_language(community_language(community)):  # that affiliate's team reads it
            text = tr(
                "🏷️ {author} took **{tag}** out of the network {network}'s tags. This community "
                "keeps it as its own tag, with its members; `{prefix}tags delete {tag}` deletes "
                "it here.",
                author=author,
                tag=tag.name,
                network=network_name(network),
                prefix=ctx.prefix,
            )
        notes += modlog_note(community, text)
    return [
        *reply(
            tr(
                "**{tag}** is no longer a network tag. Each of the {count} affiliate(s) keeps it "
                "as its own tag, and members who had it keep it; an affiliate's moderators can "
                "delete it there with `{prefix}tags delete {tag}`.",
                tag=tag.name,
                count=len(affiliates),
                prefix=ctx.prefix,
            )
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
        return reply(tr("**{tag}** already is one of the network's tags.", tag=local.name))
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
        lambda: tr(
            "🏷️ {author} made **{tag}** (*{category}*) of {affiliate} a tag of the network "
            "{network}: every affiliate has it.",
            author=author,
            tag=local.name,
            category=local.category,
            affiliate=affiliate(ctx.community.ref),
            network=network_name(network),
        ),
    )
    text = (
        tr(
            "**{tag}** is a network tag now: {where} have it, with its aliases, and members here "
            "keep it.",
            tag=local.name,
            where=_in_all(count),
        )
        if promoted.aliases
        else tr(
            "**{tag}** is a network tag now: {where} have it and members here keep it.",
            tag=local.name,
            where=_in_all(count),
        )
    )
    if kept_local:
        text += " " + tr(
            "These aliases stay this community's (the network uses them already): {aliases}.",
            aliases=", ".join(f"“{a}”" for a in kept_local),
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
