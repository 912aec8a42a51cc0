"""Interest tags: members add/remove/list theirs; moderators curate the taxonomy.

Names are normalised (`text.normalize_tag`: case, `#`, spaces/underscores → hyphens) before any
lookup, and an alias resolves exactly like the name it stands for, so "#Special Education",
"special_education" and a moderator-made alias "sped" all reach the same tag.

Unknown tags in `/tags add` / `/tags remove`: the known ones are applied and each unknown one
is reported with "did you mean …" suggestions. Refusing the whole command would make a member
retype the names that were fine; the reply says exactly what changed and what did not, so no
change is silent. Anything else that is wrong (no names, too many, a full profile) changes nothing.

Roles: adding a tag linked to a role grants it, removing the last tag linked to a role revokes
it (GrantRole/RevokeRole actions; a refused grant is reported in the moderator-log channel by
delivery). Moderator edits (link, merge, delete) do not touch roles members already hold.
A tag never hands out a role that gives rights over the community (`tags.roles`): such a link is
refused, and such a grant withheld and reported; the moderator role is never revoked by a tag.

In a network, some of a community's tags are copies of the network's tags (`tags.network`,
`tags.mirror`): their names, aliases and existence are the stewards', the same in every
affiliate, so `rename`, `alias`, `delete` and merging one away are refused here with a pointer to
the stewards; linking them to this community's channels and roles works as for any tag.

A person's tags are one (`communitybot.person_sync`): `tags add` and `tags remove` make the same
change in the member's other memberships in the network (the same account in another affiliate,
a linked account), each tag resolved there as network tags are and skipped where that community
has no such tag; the reply says where. Onboarding answers change this membership only.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from loguru import logger

from communitybot import person_sync
from communitybot.context import Context
from communitybot.feature import handles
from communitybot.i18n import N_, ntr, tr
from communitybot.models import Tag
from communitybot.replies import Action, GrantRole, RevokeRole, reply
from communitybot.tags import roles as tag_roles
from communitybot.text import MAX_TAG_LENGTH, normalize_tag, quote, split_list

SOURCE_SELF = "self"
DEFAULT_CATEGORY = "topic"
MAX_TAGS_PER_COMMAND = 25
MAX_TAGS_PER_MEMBER = 40
LIST_LIMIT = 1800
"""Stay under Discord's 2,000-character message limit, with room for the footer."""


# Lookups shared by every command ----------------------------------------------------------------
@dataclass(frozen=True)
class _TagBook:
    """Every tag of the community by name and by alias, read once per command."""

    by_key: dict[str, Tag]

    def suggestions(self, name: str) -> list[str]:
        return suggestions(name, self.by_key)


def suggestions(name: str, known: Iterable[str]) -> list[str]:
    """Up to three of the `known` names close to `name`: prefix matches first, then similar
    spellings (a community's tags here, the network's in `tags.network`)."""
    keys = sorted(known)
    prefixed = [k for k in keys if k.startswith(name) or name.startswith(k)]
    close = difflib.get_close_matches(name, keys, n=3, cutoff=0.6)
    return list(dict.fromkeys([*prefixed[:3], *close]))[:3]


async def _book(ctx: Context) -> _TagBook:
    by_key: dict[str, Tag] = {}
    for tag in await ctx.store.tags.all(ctx.community.id):
        by_key[tag.name] = tag
        for alias in tag.aliases:
            by_key.setdefault(alias, tag)
    return _TagBook(by_key)


def _names(tags: Iterable[Tag]) -> str:
    return ", ".join(f"**{tag.name}**" for tag in tags)


def _unknown_line(ctx: Context, raw: str, name: str, book: _TagBook) -> str:
    if not name:
        return tr("“{typed}” isn't a tag name: use letters or digits.", typed=quote(raw, 40))
    hint = book.suggestions(name)
    if hint:
        return tr(
            "I don't know the tag “{name}”. Did you mean {suggestions}?",
            name=quote(name, 40),
            suggestions=or_list(hint),
        )
    return tr(
        "I don't know the tag “{name}”. Type `{prefix}tags list` to see the tags there are.",
        name=quote(name, 40),
        prefix=ctx.prefix,
    )


def or_list(names: list[str]) -> str:
    """`a`, `b` or `c` (the last "or" is the reader's language's)."""
    quoted = [f"`{n}`" for n in names]
    if len(quoted) == 1:
        return quoted[0]
    return tr("{first} or {last}", first=", ".join(quoted[:-1]), last=quoted[-1])


def and_join(parts: list[str]) -> str:
    """Clauses joined with the reader's "and" ("a and b and c", as the English always said)."""
    joined = parts[0]
    for part in parts[1:]:
        joined = tr("{first} and {second}", first=joined, second=part)
    return joined


async def resolve_tags(ctx: Context, raw_names: list[str]) -> tuple[list[Tag], list[str]]:
    """(known tags, in order and without repeats; a friendly line per unknown name).

    `raw_names` are as typed: each is normalised here, and aliases resolve to their tag.
    """
    book = await _book(ctx)
    known: dict[int, Tag] = {}
    errors: list[str] = []
    for raw in raw_names:
        name = normalize_tag(raw)
        tag = book.by_key.get(name) if name else None
        if tag is None:
            errors.append(_unknown_line(ctx, raw, name, book))
        else:
            known.setdefault(tag.id, tag)
    return list(known.values()), list(dict.fromkeys(errors))


async def _one_tag(ctx: Context, raw: str) -> tuple[Tag | None, list[Action]]:
    """Resolve a single tag option; on failure, the error reply to return."""
    known, errors = await resolve_tags(ctx, [raw])
    return (known[0], []) if known else (None, reply("\n".join(errors)))


def channel_suggestions(ctx: Context, tags: list[Tag]) -> list[str]:
    """One line per channel linked to these tags (a channel named once), for the member to join."""
    by_channel: dict[str, list[str]] = {}
    for tag in tags:
        if tag.channel_id:
            by_channel.setdefault(tag.channel_id, []).append(tag.name)
    return [
        tr(
            "• {channel} — for {tags}",
            channel=ctx.platform.mention_channel(channel),
            tags=", ".join(names),
        )
        for channel, names in by_channel.items()
    ]


# Changing a member's tags --------------------------------------------------------------------
async def change_tags(
    ctx: Context, add: list[Tag], remove: list[Tag], source: str, *, judge_roles: bool = True
) -> tuple[list[Tag], list[Tag], list[Action]]:
    """Store the change for `ctx.member` in `ctx.community` (another membership of the person:
    `person_sync.acting_as`); returns (newly added, actually removed, role actions).

    `judge_roles=False`: the community is on another platform than this process's, which cannot
    tell whether a role there carries moderation rights, so new grants are withheld (logged);
    revocations still go out (the outbox routes them to that platform).
    """
    before = await ctx.store.tags.tags_of_member(ctx.member.id)
    held = {tag.id for tag in before}
    adding = list({t.id: t for t in add if t.id not in held}.values())
    removing = list({t.id: t for t in remove if t.id in held}.values())
    if not adding and not removing:
        return [], [], []
    now = ctx.clock.now()
    if removing:
        await ctx.store.tags.remove_member_tags(ctx.member.id, [t.id for t in removing])
    if adding:
        await ctx.store.tags.add_member_tags(ctx.member.id, [t.id for t in adding], source, now)
    await ctx.member_changed()
    after = await ctx.store.tags.tags_of_member(ctx.member.id)
    roles_before = {t.role_id for t in before if t.role_id}
    roles_after = {t.role_id for t in after if t.role_id}
    community, user = ctx.community.ref, ctx.member.ref
    new_roles = sorted(roles_after - roles_before)
    if judge_roles:
        granting, notes = await tag_roles.allowed_grants(ctx, new_roles)
    else:
        granting, notes = [], []
        if new_roles:
            logger.info(
                "not granting {} tag role(s) in a {} community from another platform's process",
                len(new_roles),
                community.platform,
            )
    actions: list[Action] = [GrantRole(community, user, role) for role in granting]
    actions += [
        RevokeRole(community, user, role)
        for role in sorted(roles_before - roles_after)
        if role != ctx.community.moderator_role  # a tag never took a moderator's role away
    ]
    return adding, removing, [*actions, *notes]


async def apply_member_tags(
    ctx: Context, add: list[Tag], remove: list[Tag], source: str
) -> list[Action]:
    """Give `ctx.member` the `add` tags and take the `remove` ones; keep the peer index in step.

    Returns GrantRole/RevokeRole for roles linked to the tags (a role stays while any of the
    member's remaining tags still links to it). This membership only (onboarding answers).
    """
    _, _, actions = await change_tags(ctx, add, remove, source)
    return actions


@dataclass
class _Elsewhere:
    """What a member's `tags add`/`tags remove` did in their other memberships (`person_sync`)."""

    changed: list[str] = field(default_factory=list)
    missing: list[tuple[str, list[Tag]]] = field(default_factory=list)
    full: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)

    def lines(self, verb: str) -> list[str]:
        """`verb`: "added" or "removed" (which change was made elsewhere)."""
        out = []
        if self.changed:
            where = ", ".join(self.changed)
            n = len(self.changed)
            out.append(
                ntr(
                    "Also added in {n} other membership of yours ({where}).",
                    "Also added in {n} other memberships of yours ({where}).",
                    n,
                    where=where,
                )
                if verb == "added"
                else ntr(
                    "Also removed in {n} other membership of yours ({where}).",
                    "Also removed in {n} other memberships of yours ({where}).",
                    n,
                    where=where,
                )
            )
        for where, tags in self.missing:
            out.append(
                tr("Not added in {where}: it has no tag {tags}.", where=where, tags=_names(tags))
            )
        for where in self.full:
            out.append(
                tr(
                    "Not added in {where}: your profile there already carries {limit} tags.",
                    where=where,
                    limit=MAX_TAGS_PER_MEMBER,
                )
            )
        return out


async def _in_other_memberships(ctx: Context, add: list[Tag], remove: list[Tag]) -> _Elsewhere:
    """The same change in the person's other memberships (`person_sync.elsewhere`): each tag
    resolved there (network link, name, alias; a tag it lacks is skipped, never created), each
    community's tag limit kept, roles granted or revoked there, its peer index refreshed."""
    done = _Elsewhere()
    others = await person_sync.elsewhere(ctx)
    if not others:
        return done
    resolver = person_sync.TagResolver(ctx.store, [*add, *remove])
    for other in others:
        there_add, missing = await resolver.in_community(other.community.id, add)
        there_remove, _ = await resolver.in_community(other.community.id, remove)
        if there_add:
            held = {t.id for t in await ctx.store.tags.tags_of_member(other.member.id)}
            fresh = [t for t in there_add if t.id not in held]
            if len(held) + len(fresh) > MAX_TAGS_PER_MEMBER:
                done.full.append(other.where)
                there_add = []
        added, removed, actions = await change_tags(
            person_sync.acting_as(ctx, other),
            there_add,
            there_remove,
            SOURCE_SELF,
            judge_roles=person_sync.same_platform(ctx, other),
        )
        if added or removed:
            done.changed.append(other.where)
        if missing:
            done.missing.append((other.where, missing))
        done.actions += actions
    return done


def _requested(ctx: Context, options: dict[str, Any], verb: str) -> tuple[list[str], list[Action]]:
    """The typed tag names, or an error reply when there are none or too many."""
    raw = split_list(str(options.get("tags") or ""))
    if not raw:
        return [], reply(
            tr(
                "Which tags? For example: `{prefix}tags {verb} maths, science`.",
                prefix=ctx.prefix,
                verb=verb,
            )
        )
    if len(raw) > MAX_TAGS_PER_COMMAND:
        return [], reply(
            tr(
                "That's {count} tags at once; please send at most {limit}. Nothing was changed.",
                count=len(raw),
                limit=MAX_TAGS_PER_COMMAND,
            )
        )
    return raw, []


@handles("tags", "add")
async def add_tags(ctx: Context, options: dict[str, Any]) -> list[Action]:
    raw, error = _requested(ctx, options, "add")
    if error:
        return error
    known, errors = await resolve_tags(ctx, raw)
    held = {tag.id for tag in await ctx.store.tags.tags_of_member(ctx.member.id)}
    fresh = [t for t in known if t.id not in held]
    if len(held) + len(fresh) > MAX_TAGS_PER_MEMBER:
        return reply(
            tr(
                "A profile can carry at most {limit} tags and you have {count}. "
                "Remove some with `{prefix}tags remove …` first. Nothing was changed.",
                limit=MAX_TAGS_PER_MEMBER,
                count=len(held),
                prefix=ctx.prefix,
            )
        )
    added, _, actions = await change_tags(ctx, fresh, [], SOURCE_SELF)
    elsewhere = await _in_other_memberships(ctx, known, []) if known else _Elsewhere()
    lines = []
    if added:
        lines.append(tr("Added {tags} to your profile.", tags=_names(added)))
    already = [t for t in known if t.id in held]
    if already:
        lines.append(tr("You already had {tags}.", tags=_names(already)))
    lines += elsewhere.lines("added")
    lines += errors
    if not added and not elsewhere.changed:
        lines.append(tr("Nothing was changed."))
    channels = channel_suggestions(ctx, added)
    if channels:
        lines += ["", tr("Channels you might like:"), *channels]
    return [*reply("\n".join(lines)), *actions, *elsewhere.actions]


@handles("tags", "remove")
async def remove_tags(ctx: Context, options: dict[str, Any]) -> list[Action]:
    raw, error = _requested(ctx, options, "remove")
    if error:
        return error
    known, errors = await resolve_tags(ctx, raw)
    _, removed, actions = await change_tags(ctx, [], known, SOURCE_SELF)
    elsewhere = await _in_other_memberships(ctx, [], known) if known else _Elsewhere()
    lines = []
    if removed:
        lines.append(tr("Removed {tags} from your profile.", tags=_names(removed)))
    missing = [t for t in known if t not in removed]
    if missing:
        lines.append(tr("You didn't have {tags}.", tags=_names(missing)))
    lines += elsewhere.lines("removed")
    lines += errors
    if not removed and not elsewhere.changed:
        lines.append(tr("Nothing was changed."))
    return [*reply("\n".join(lines)), *actions, *elsewhere.actions]


@handles("tags", "list")
async def list_tags(ctx: Context, options: dict[str, Any]) -> list[Action]:
    tags = await ctx.store.tags.all(ctx.community.id)
    if not tags:
        if ctx.is_moderator:
            return reply(
                tr(
                    "There are no tags yet. Create one with "
                    "`{prefix}tags create <name> [category]`.",
                    prefix=ctx.prefix,
                )
            )
        return reply(tr("There are no tags yet."))
    wanted = normalize_tag(str(options.get("category") or ""))
    categories = sorted({t.category for t in tags})
    if wanted:
        if wanted not in categories:
            return reply(
                tr(
                    "There's no category “{category}”. Categories: {categories}.",
                    category=quote(wanted, 32),
                    categories=", ".join(f"`{c}`" for c in categories),
                )
            )
        tags = [t for t in tags if t.category == wanted]
    mine = {t.id for t in await ctx.store.tags.tags_of_member(ctx.member.id)}
    shared = await ctx.store.tags.network.linked_in(ctx.community.id)
    legend = tr("✓ = yours; 🌐 = the network's") if shared else tr("✓ = yours")
    header = tr(
        "**Tags** ({legend}; add with `{prefix}tags add <tags>`)", legend=legend, prefix=ctx.prefix
    )
    return reply(
        by_category(
            header,
            tags,
            lambda t: _list_entry(ctx, t, t.id in mine, t.id in shared),
            tr("…and more: try `{prefix}tags list <category>`.", prefix=ctx.prefix),
        )
    )


class _Categorised(Protocol):
    @property
    def category(self) -> str: ...


T = TypeVar("T", bound=_Categorised)


def by_category(header: str, tags: Sequence[T], entry: Callable[[T], str], more: str) -> str:
    """A tag list as `tags list` shows it: a line per category, cut with `more` before it
    outgrows one message (`LIST_LIMIT`)."""
    lines = [header]
    for category in sorted({t.category for t in tags}):
        line = f"**{quote(category, 32)}**: " + ", ".join(
            entry(t) for t in tags if t.category == category
        )
        if sum(len(x) + 1 for x in lines) + len(line) > LIST_LIMIT:
            lines.append(more)
            break
        lines.append(line)
    return "\n".join(lines)


def _list_entry(ctx: Context, tag: Tag, mine: bool, shared: bool = False) -> str:
    entry = tag.name + (" 🌐" if shared else "") + (" ✓" if mine else "")
    if tag.channel_id:
        entry += f" ({ctx.platform.mention_channel(tag.channel_id)})"
    return entry


# Moderators ------------------------------------------------------------------------------------
def _typed_differently(raw: str, name: str) -> str:
    """A note when normalising dropped more than case, spaces, hyphens/underscores and a
    leading `#` (`@everyone` → `everyone`), so a moderator is never surprised by the name."""
    light = unicodedata.normalize("NFKC", raw).strip().lstrip("#").casefold()
    light = re.sub(r"[\s_\-]+", "-", light).strip("-")
    if light == name:
        return ""
    dropped = "".join(dict.fromkeys(c for c in light if c not in name and c != "-"))
    typed = quote(raw, 40)
    if dropped:
        note = ntr(
            "(you typed “{typed}”: the {chars} was removed; names keep letters, digits and - + .)",
            "(you typed “{typed}”: the {chars} were removed; names keep letters, digits and - + .)",
            len(dropped),
            typed=typed,
            chars=" ".join(dropped),
        )
    else:
        note = tr(
            "(you typed “{typed}”: it was tidied; names keep letters, digits and - + .)",
            typed=typed,
        )
    return " " + note


_TOO_LONG = {
    "Tag names": N_(
        "Tag names can be at most {limit} characters; “{name}” has {length}. Nothing was changed."
    ),
    "Aliases": N_(
        "Aliases can be at most {limit} characters; “{name}” has {length}. Nothing was changed."
    ),
}
"""`_valid_name`'s refusal of a long name, by what is being named."""


def _valid_name(raw: str, what: str = "Tag names") -> tuple[str, list[Action]]:
    """The normalised name, or an error reply explaining what is wrong with it (`what`:
    "Tag names" or "Aliases")."""
    name = normalize_tag(raw)
    if not name:
        return "", reply(
            tr("“{typed}” has no letters or digits I can use as a name.", typed=quote(raw, 40))
        )
    if len(name) > MAX_TAG_LENGTH:
        return "", reply(
            tr(_TOO_LONG[what], limit=MAX_TAG_LENGTH, name=quote(name, 40), length=len(name))
        )
    return name, []


_NETWORK_OWNED = {
    "rename": N_(
        "**{tag}** is one of the network's shared tags, so only the network's stewards can "
        "rename it (`{prefix}network tags …`; `{prefix}network show` lists the stewards). "
        "Linking it to a channel or role here still works: "
        "`{prefix}tags link {tag} <channel> <role>`. Nothing was changed."
    ),
    "add aliases to": N_(
        "**{tag}** is one of the network's shared tags, so only the network's stewards can "
        "add aliases to it (`{prefix}network tags …`; `{prefix}network show` lists the "
        "stewards). Linking it to a channel or role here still works: "
        "`{prefix}tags link {tag} <channel> <role>`. Nothing was changed."
    ),
    "merge away": N_(
        "**{tag}** is one of the network's shared tags, so only the network's stewards can "
        "merge away it (`{prefix}network tags …`; `{prefix}network show` lists the "
        "stewards). Linking it to a channel or role here still works: "
        "`{prefix}tags link {tag} <channel> <role>`. Nothing was changed."
    ),
    "delete": N_(
        "**{tag}** is one of the network's shared tags, so only the network's stewards can "
        "delete it (`{prefix}network tags …`; `{prefix}network show` lists the stewards). "
        "Linking it to a channel or role here still works: "
        "`{prefix}tags link {tag} <channel> <role>`. Nothing was changed."
    ),
}
"""`_network_owned`'s refusal, by what the moderator tried (one whole sentence each)."""


async def _network_owned(ctx: Context, tag: Tag, verb: str) -> list[Action]:
    """A refusal when `tag` is a copy of one of the network's tags: its name, aliases and
    existence are the stewards' (`network tags …`), the same in every affiliate. Its channel and
    role links stay this community's (`tags link`)."""
    if await ctx.store.tags.network.link_of(tag.id) is None:
        return []
    return reply(tr(_NETWORK_OWNED[verb], tag=tag.name, prefix=ctx.prefix))


async def _clash(ctx: Context, name: str, owner: Tag | None = None) -> list[Action]:
    """An error when `name` is already taken by another tag's name or alias."""
    existing = await ctx.store.tags.get_by_name(ctx.community.id, name)
    if existing is None or (owner is not None and existing.id == owner.id):
        return []
    if existing.name == name:
        return reply(tr("There's already a tag **{name}**. Nothing was changed.", name=name))
    return reply(
        tr(
            "“{name}” is already an alias of **{tag}**. Nothing was changed.",
            name=name,
            tag=existing.name,
        )
    )


@handles("tags", "create")
async def create_tag(ctx: Context, options: dict[str, Any]) -> list[Action]:
    name, error = _valid_name(str(options.get("name") or ""))
    if error:
        return error
    category = normalize_tag(str(options.get("category") or "")) or DEFAULT_CATEGORY
    if len(category) > MAX_TAG_LENGTH:
        return reply(tr("Categories can be at most {limit} characters.", limit=MAX_TAG_LENGTH))
    if clash := await _clash(ctx, name):
        return clash
    description = " ".join(str(options.get("description") or "").split())[:200]
    await ctx.store.tags.create(ctx.community.id, name, category, ctx.clock.now(), description)
    return reply(
        tr(
            "Created the tag **{name}**{note} in *{category}*. Link it to a channel or role with "
            "`{prefix}tags link {name} <channel> <role>`.",
            name=name,
            note=_typed_differently(str(options.get("name") or ""), name),
            category=category,
            prefix=ctx.prefix,
        )
    )


@handles("tags", "rename")
async def rename_tag(ctx: Context, options: dict[str, Any]) -> list[Action]:
    tag, error = await _one_tag(ctx, str(options.get("tag") or ""))
    if tag is None:
        return error
    if refused := await _network_owned(ctx, tag, "rename"):
        return refused
    name, error = _valid_name(str(options.get("new_name") or ""))
    if error:
        return error
    if name == tag.name:
        return reply(tr("The tag is already called **{name}**.", name=name))
    if clash := await _clash(ctx, name, owner=tag):
        return clash
    if name in tag.aliases:
        await ctx.store.tags.remove_alias(ctx.community.id, name)
    await ctx.store.tags.rename(tag.id, name)
    ctx.peers.invalidate(ctx.community.id)
    note = _typed_differently(str(options.get("new_name") or ""), name)
    return reply(
        tr(
            "Renamed **{old}** to **{name}**{note}. Members who had it keep it.",
            old=tag.name,
            name=name,
            note=note,
        )
    )


@handles("tags", "alias")
async def alias_tag(ctx: Context, options: dict[str, Any]) -> list[Action]:
    tag, error = await _one_tag(ctx, str(options.get("tag") or ""))
    if tag is None:
        return error
    if refused := await _network_owned(ctx, tag, "add aliases to"):
        return refused
    alias, error = _valid_name(str(options.get("alias") or ""), "Aliases")
    if error:
        return error
    if alias == tag.name or alias in tag.aliases:
        return reply(tr("“{alias}” already leads to **{tag}**.", alias=alias, tag=tag.name))
    if clash := await _clash(ctx, alias):
        return clash
    await ctx.store.tags.add_alias(tag.id, alias)
    note = _typed_differently(str(options.get("alias") or ""), alias)
    return reply(
        tr(
            "“{alias}”{note} now works as another name for **{tag}**.",
            alias=alias,
            note=note,
            tag=tag.name,
        )
    )


@handles("tags", "merge")
async def merge_tags(ctx: Context, options: dict[str, Any]) -> list[Action]:
    source, error = await _one_tag(ctx, str(options.get("source") or ""))
    if source is None:
        return error
    target, error = await _one_tag(ctx, str(options.get("target") or ""))
    if target is None:
        return error
    if source.id == target.id:
        return reply(
            tr("Those are the same tag (**{tag}**). Nothing was changed.", tag=source.name)
        )
    if refused := await _network_owned(ctx, source, "merge away"):
        return refused  # a local tag may still be merged into a network tag: it is this one's
    moved = await ctx.store.tags.merge(source.id, target.id)
    ctx.peers.invalidate(ctx.community.id)
    return reply(
        ntr(
            "Merged **{source}** into **{target}**: {n} member gained **{target}**, and "
            "“{source}” now works as another name for it.",
            "Merged **{source}** into **{target}**: {n} members gained **{target}**, and "
            "“{source}” now works as another name for it.",
            moved,
            source=source.name,
            target=target.name,
        )
    )


@handles("tags", "delete")
async def delete_tag(ctx: Context, options: dict[str, Any]) -> list[Action]:
    tag, error = await _one_tag(ctx, str(options.get("tag") or ""))
    if tag is None:
        return error
    if refused := await _network_owned(ctx, tag, "delete"):
        return refused
    carriers = (await ctx.store.tags.member_counts(ctx.community.id)).get(tag.id, 0)
    await ctx.store.tags.delete(tag.id)
    ctx.peers.invalidate(ctx.community.id)
    return reply(
        ntr(
            "Deleted the tag **{tag}** (it was on {n} member' profiles).",
            "Deleted the tag **{tag}** (it was on {n} members' profiles).",
            carriers,
            tag=tag.name,
        )
        if carriers
        else tr("Deleted the tag **{tag}**.", tag=tag.name)
    )


_CLEAR_WORD = "none"
"""What a moderator types for `channel` or `role` to remove that link (as the help says; the
Matrix adapter passes it through rather than looking for a room of that name)."""


def _link_value(options: dict[str, Any], key: str, current: str | None) -> str | None:
    """The new channel or role link: the option typed, None for a clearing word or `clear`,
    and the current link when the option was left out (a link is only changed on purpose)."""
    if str(options.get("clear") or "") in (key, "both"):
        return None
    raw = str(options.get(key) or "").strip()
    if not raw:
        return current
    return None if raw.casefold() == _CLEAR_WORD else raw


@handles("tags", "link")
async def link_tag(ctx: Context, options: dict[str, Any]) -> list[Action]:
    tag, error = await _one_tag(ctx, str(options.get("tag") or ""))
    if tag is None:
        return error
    cleared = str(options.get("clear") or "")
    for key in ("channel", "role"):
        if cleared in (key, "both") and str(options.get(key) or "").strip():
            return reply(tr(_NOT_BOTH[key]))
    channel = _link_value(options, "channel", tag.channel_id)
    role = _link_value(options, "role", tag.role_id)
    if (
        role is not None
        and role != tag.role_id
        and (refused := await _role_refused(ctx, tag, role))
    ):
        return refused
    if (channel, role) == (tag.channel_id, tag.role_id):
        return reply(
            tr(
                "Nothing changed: {links} Give a `channel` or `role` to link; `none` (or "
                "`clear`) removes that link.",
                links=_links(ctx, tag.name, channel, role),
            )
        )
    await ctx.store.tags.link(tag.id, channel, role)
    changes = []
    if channel != tag.channel_id:
        changes.append(
            tr("now suggests {channel}", channel=ctx.platform.mention_channel(channel))
            if channel
            else tr("no longer suggests a channel")
        )
    if role != tag.role_id:
        changes.append(
            tr("now grants the role `{role}` to members who add it", role=quote(role, 60))
            if role
            else tr("no longer grants a role")
        )
    kept = []
    if channel == tag.channel_id and channel:
        kept.append(tr("still suggests {channel}", channel=ctx.platform.mention_channel(channel)))
    if role == tag.role_id and role:
        kept.append(tr("still grants `{role}`", role=quote(role, 60)))
    text = tr("**{tag}** {changes}.", tag=tag.name, changes=and_join(changes))
    if kept:
        text += " " + tr("It {kept}.", kept=and_join(kept))
    return reply(text)


_NOT_BOTH = {
    "channel": N_("Give a new channel or clear it, not both. Nothing was changed."),
    "role": N_("Give a new role or clear it, not both. Nothing was changed."),
}


def _links(ctx: Context, name: str, channel: str | None, role: str | None) -> str:
    """A tag's links in a sentence."""
    parts = []
    if channel:
        parts.append(tr("suggests {channel}", channel=ctx.platform.mention_channel(channel)))
    if role:
        parts.append(tr("grants the role `{role}`", role=quote(role, 60)))
    if not parts:
        return tr("**{tag}** is not linked to a channel or role.", tag=name)
    return tr("**{tag}** {links}.", tag=name, links=and_join(parts))


async def _role_refused(ctx: Context, tag: Tag, role: str) -> list[Action]:
    """The reply refusing to link `tag` to `role`, or nothing when the role may be handed out."""
    reason = await tag_roles.refusal(ctx, role)
    if reason is None:
        return []
    return reply(
        tr(
            "I can't link **{tag}** to the role {role}: {reason}. Tags may only hand out roles "
            "without moderation rights. Nothing was changed.",
            tag=tag.name,
            role=tag_roles.role_label(role),
            reason=reason,
        )
    )
