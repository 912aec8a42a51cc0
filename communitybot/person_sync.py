"""One person, one profile: a member's tags and profile fields kept the same in every membership
of theirs that shares a context (see docs/linking.md, "One profile in a network").

A person is an account and the accounts linked with it (`store.people`); the same platform
account in two communities is the same person too. Which of their memberships are one:

* those in the communities of the acting community's **network** (every affiliate), and
* those in the acting community itself (two linked accounts of one person in one community).

A person's communities outside that network stay separate on purpose: another community is
another context (a school's staff server is not the subject network), and a tag or intro written
for one should not turn up in the other unasked. Memberships the person has left are not
touched (their rows wait as they were for a return).

The writes go to other communities' rows in the acting unit of work, so the commands that call
this hold the lanes of every community of the person (`Command.spans == "person"`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from communitybot.context import Acting, Context
from communitybot.events import UserRef
from communitybot.models import Community, Member, Tag
from communitybot.naming import affiliate
from communitybot.store.store import Store

SHARED_FIELDS = ("role", "timezone", "intro", "wants_mentor", "offers_mentor", "language")
"""The profile fields a person has once (`profile edit`); display name, discoverability and
onboarding progress stay each membership's."""


@dataclass(frozen=True)
class Elsewhere:
    """Another membership of the acting person that shares this one's profile."""

    community: Community
    member: Member

    @property
    def where(self) -> str:
        return affiliate(self.community.ref)


async def elsewhere(ctx: Context) -> list[Elsewhere]:
    """The acting member's other present memberships that share its profile: in the affiliates
    of its community's network, or in its community alone when that is in no network; by id.

    A member with no linked account in a community of no network costs two small reads, and
    nothing else is read.
    """
    store = ctx.store
    network = await store.networks.of_community(ctx.community.id)
    linked = [a.user for a in await store.people.accounts_of(ctx.member.ref)]
    if network is None and not linked:
        return []
    scope = (
        set(await store.networks.affiliates(network.id))
        if network is not None
        else {ctx.community.id}
    )
    return await memberships(store, [ctx.member.ref, *linked], scope, skip=ctx.member.id)


async def memberships(
    store: Store,
    users: Iterable[UserRef],
    scope: set[int] | None = None,
    *,
    skip: int | None = None,
) -> list[Elsewhere]:
    """The present memberships of these accounts (in `scope`'s communities; None: anywhere),
    but `skip`'s, by member id."""
    found: list[Elsewhere] = []
    communities: dict[int, Community | None] = {}
    for user in dict.fromkeys(users):
        for member in await store.members.all_for_user(user):
            if member.id == skip or member.left_at is not None:
                continue
            if scope is not None and member.community_id not in scope:
                continue
            if member.community_id not in communities:
                communities[member.community_id] = await store.communities.get_by_id(
                    member.community_id
                )
            community = communities[member.community_id]
            if community is not None:
                found.append(Elsewhere(community, member))
    return sorted(found, key=lambda e: e.member.id)


def acting_as(ctx: Context, other: Elsewhere) -> Context:
    """`ctx` acting for the person's other membership: the same store, unit, clock and peer
    index, that community and member (never a moderator there by this)."""
    return replace(
        ctx,
        acting=Acting(other.community, other.member, ctx.event, False),
        member_is_new=False,
        joined_fresh=False,
    )


# Tags -------------------------------------------------------------------------------------------
class TagResolver:
    """The same tags in other communities: a network tag by its link (`tags.network_tag_id`),
    anything else by name, then by alias. Reads each community's tags once."""

    def __init__(self, store: Store, tags: list[Tag]) -> None:
        self._store = store
        self._tags = tags
        self._copies: dict[int, dict[int, int]] | None = None
        self._books: dict[int, tuple[dict[int, Tag], dict[str, Tag]]] = {}

    async def _book(self, community_id: int) -> tuple[dict[int, Tag], dict[str, Tag]]:
        if community_id not in self._books:
            by_id: dict[int, Tag] = {}
            by_key: dict[str, Tag] = {}
            for tag in await self._store.tags.all(community_id):
                by_id[tag.id] = tag
                by_key[tag.name] = tag
            for tag in by_id.values():
                for alias in tag.aliases:
                    by_key.setdefault(alias, tag)
            self._books[community_id] = (by_id, by_key)
        return self._books[community_id]

    async def in_community(self, community_id: int, tags: list[Tag]) -> tuple[list[Tag], list[Tag]]:
        """(that community's tags for `tags`, the ones of `tags` it has no tag for)."""
        if self._copies is None:
            self._copies = await self._store.tags.network_copies([t.id for t in self._tags])
        by_id, by_key = await self._book(community_id)
        found: dict[int, Tag] = {}
        missing: list[Tag] = []
        for tag in tags:
            copy = self._copies.get(tag.id, {}).get(community_id)
            there = by_id.get(copy) if copy is not None else None
            for key in (tag.name, *tag.aliases):
                if there is None:
                    there = by_key.get(key)
            if there is None:
                missing.append(tag)
            else:
                found.setdefault(there.id, there)
        return list(found.values()), missing


def same_platform(ctx: Context, other: Elsewhere) -> bool:
    """Whether this process's platform can judge the other community's roles (`tags.roles`)."""
    return other.community.ref.platform == ctx.community.ref.platform


# Profile fields ---------------------------------------------------------------------------------
async def copy_fields(ctx: Context, values: dict[str, Any]) -> list[Elsewhere]:
    """Write these profile fields (`SHARED_FIELDS`) in the acting member's other memberships;
    returns the ones changed. A new time zone is told to each community's peer index."""
    assert set(values) <= set(SHARED_FIELDS), values
    changed: list[Elsewhere] = []
    for other in await elsewhere(ctx):
        if all(getattr(other.member, k) == v for k, v in values.items()):
            continue
        await ctx.store.members.update(other.member.id, **values)
        if "timezone" in values:
            await ctx.peers.refresh_member(ctx.store, other.community.id, other.member.id)
        changed.append(other)
    return changed
