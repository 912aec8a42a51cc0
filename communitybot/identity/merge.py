"""At link time: what two newly linked accounts hold becomes one, within each shared context.

From the link on, `tags add`/`tags remove` and `profile edit` keep a person's memberships in a
network the same (`communitybot.person_sync`). What the accounts held before is merged once,
when the link is confirmed, wherever they share a context (a network's affiliates, or one
community):

* **tags**: the union, each tag resolved in each community as network tags are (by the network
  link, then by name or alias); a tag a community lacks is not created there, and a membership
  never goes over the tag limit (`tags.commands.MAX_TAGS_PER_MEMBER`);
* **profile fields** (`person_sync.SHARED_FIELDS`): an empty field is filled from the first
  membership that has it set (the confirming account's memberships first); a set field is never
  overwritten, so two different set values stay as they are until the person edits one.

Nothing else is merged: onboarding answers, mentoring and rounds stay each membership's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from communitybot import person_sync
from communitybot.context import Context
from communitybot.events import UserRef
from communitybot.i18n import N_, tr
from communitybot.models import Tag
from communitybot.person_sync import Elsewhere
from communitybot.replies import Action
from communitybot.tags.commands import MAX_TAGS_PER_MEMBER, change_tags
from communitybot.text import quote

SOURCE_LINK = "link"
"""`member_tags.source` of a tag a membership got from a linked account's at link time."""

_FIELD_NAMES = {
    "role": N_("role"),
    "timezone": N_("time zone"),
    "intro": N_("intro"),
    "wants_mentor": N_("wants a mentor"),
    "offers_mentor": N_("offers mentoring"),
}
"""How the confirmation names a profile field a membership got (translated where said)."""


@dataclass
class _Merged:
    """What one membership got."""

    where: str
    tags: list[Tag] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    full: bool = False


async def _groups(ctx: Context, users: list[UserRef]) -> list[tuple[str, list[Elsewhere]]]:
    """The person's present memberships by shared context (a network, or a community of none),
    each group's memberships the confirming account's first, under the heading the confirmation
    gives it; only groups of two or more."""
    store = ctx.store
    found = await person_sync.memberships(store, users)
    rank = {user: i for i, user in enumerate(dict.fromkeys(users))}
    groups: dict[tuple[str, int], list[Elsewhere]] = {}
    headings: dict[tuple[str, int], str] = {}
    for membership in found:
        network = await store.networks.of_community(membership.community.id)
        key = ("network", network.id) if network else ("community", membership.community.id)
        headings[key] = (
            tr(
                "In the network “{network}” your profiles are now one:",
                network=quote(network.name, 80),
            )
            if network
            else tr("In {community} your profiles are now one:", community=membership.where)
        )
        groups.setdefault(key, []).append(membership)
    return [
        (
            headings[key],
            sorted(members, key=lambda e: (rank.get(e.member.ref, len(rank)), e.member.id)),
        )
        for key, members in groups.items()
        if len(members) > 1
    ]


async def merge_linked(ctx: Context, users: list[UserRef]) -> tuple[list[str], list[Action]]:
    """Merge the memberships of `users` (the confirming account first, then the others of the
    person) within each shared context; returns (lines for the confirmation, role actions)."""
    lines: list[str] = []
    actions: list[Action] = []
    for heading, group in await _groups(ctx, users):
        merged = [_Merged(m.where) for m in group]
        await _fill_fields(ctx, group, merged)
        actions += await _union_tags(ctx, group, merged)
        said = [_said(m) for m in merged if m.tags or m.fields or m.full]
        if said:
            lines.append(heading)
            lines += said
    return lines, actions


async def _fill_fields(ctx: Context, group: list[Elsewhere], merged: list[_Merged]) -> None:
    for name in person_sync.SHARED_FIELDS:
        value = next(
            (getattr(m.member, name) for m in group if getattr(m.member, name) is not None),
            None,
        )
        if value is None:
            continue
        for membership, done in zip(group, merged, strict=True):
            if getattr(membership.member, name) is None:
                await ctx.store.members.update(membership.member.id, **{name: value})
                done.fields.append(tr(_FIELD_NAMES[name]))
                if name == "timezone":
                    await ctx.peers.refresh_member(
                        ctx.store, membership.community.id, membership.member.id
                    )


async def _union_tags(ctx: Context, group: list[Elsewhere], merged: list[_Merged]) -> list[Action]:
    held = {m.member.id: await ctx.store.tags.tags_of_member(m.member.id) for m in group}
    every = list({t.id: t for tags in held.values() for t in tags}.values())
    if not every:
        return []
    resolver = person_sync.TagResolver(ctx.store, every)
    actions: list[Action] = []
    for membership, done in zip(group, merged, strict=True):
        mine = {t.id for t in held[membership.member.id]}
        there, _ = await resolver.in_community(membership.community.id, every)
        fresh = [t for t in there if t.id not in mine]
        room = max(0, MAX_TAGS_PER_MEMBER - len(mine))
        done.full = len(fresh) > room
        added, _, more = await change_tags(
            person_sync.acting_as(ctx, membership),
            fresh[:room],
            [],
            SOURCE_LINK,
            judge_roles=person_sync.same_platform(ctx, membership),
        )
        done.tags = sorted(added, key=lambda t: t.name)
        actions += more
    return actions


def _said(merged: _Merged) -> str:
    parts = []
    if merged.tags:
        parts.append(tr("added {tags}", tags=", ".join(f"**{t.name}**" for t in merged.tags)))
    if merged.fields:
        parts.append(tr("filled {fields}", fields=", ".join(merged.fields)))
    if merged.full:
        parts.append(tr("some tags did not fit (at most {limit})", limit=MAX_TAGS_PER_MEMBER))
    return f"• {merged.where}: {'; '.join(parts)}"
