"""What mentor matching and peer rounds across a network share: who may be matched, one
person once, the network's tags, the stewards' right to run rounds, and the preference for
partners outside one's own affiliate.

Used by `communitybot.mentoring.network` (`network mentors …`) and
`communitybot.rounds.network` (`network rounds run`).

- **Tags by name.** Tags still belong to each community, so they are matched by name as
  `peers scope=network` does: an affiliate's tag with the same name, or with that name as an
  alias, is the same tag; rarity weights are the network's (members carrying the tag in any
  affiliate).
- **One person.** Two accounts linked as one person (`person_accounts`), or one platform
  account that is a member of two affiliates, are one person: never paired with themself.
- **Prefer outside.** With the network's `network mentors prefer-outside` on (the default), a
  pair across affiliates scores `OUTSIDE_POINTS` more: "someone outside your school", worth half
  a full time-zone overlap, so a better fit at home still wins over a much weaker one elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from communitybot.affiliates import stewarded_network
from communitybot.context import Context
from communitybot.events import CommunityRef, UserRef
from communitybot.ghosts import is_bridged_ghost
from communitybot.i18n import ptr, tr, use_language
from communitybot.i18n.choice import community_language, member_language
from communitybot.introductions import Namer, Party, introduce
from communitybot.mentoring.scoring import TZ_POINTS, rarity_weights
from communitybot.models import Community, Member, Tag
from communitybot.ports import ChatPlatform
from communitybot.replies import Action, SendDirect, SendToGroup, reply
from communitybot.store.networks import Network

OUTSIDE_POINTS = TZ_POINTS // 2
"""What crossing affiliate lines adds to a pair's score with `prefer-outside` on."""
ROUND_PREFIX = "network:"
"""Network rounds' round keys (`network:<date>`), apart from the community rounds' dates."""


def is_ghost(member: Member) -> bool:
    """A bridge's stand-in for someone on another network (`communitybot.ghosts`): not a person."""
    return is_bridged_ghost(member.ref)


class _Names:
    """Tag names across affiliates, joined by name and alias: one network tag id per name."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, name: str) -> str:
        root = self.parent.setdefault(name, name)
        while root != self.parent[root]:
            root = self.parent[root]
        self.parent[name] = root
        return root

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


async def same_person_groups(
    ctx: Context, network_id: int, members: dict[int, Member]
) -> list[list[int]]:
    """Groups of member ids that are one person: one platform account in several affiliates,
    or accounts linked together (`person_accounts`, read once for the whole network)."""
    people = await ctx.store.mentoring.network_people(network_id)
    by_person: dict[tuple[object, ...], list[int]] = {}
    for member in members.values():
        linked = people.get(member.id)
        key = (
            ("person", linked)
            if linked is not None
            else ("account", member.ref.platform, member.ref.user_id)
        )
        by_person.setdefault(key, []).append(member.id)
    return [sorted(ids) for ids in by_person.values() if len(ids) > 1]


@dataclass
class NetworkTags:
    """The affiliates' tags as the network's: one id per name (names joined by alias)."""

    of_community: dict[int, list[Tag]]
    """Affiliate community id → its tags."""
    network_id: dict[int, int]
    """A community's tag id → the network's tag id."""
    names: dict[int, str]
    """Network tag id → the name shown."""
    weights: dict[int, int]
    """Network tag id → rarity over every affiliate's present members."""


async def network_tags(ctx: Context, affiliates: Iterable[int]) -> NetworkTags:
    """Tags matched by name across `affiliates` (as `peers scope=network`): an affiliate's tag
    with the same name, or with that name as an alias, is the same tag."""
    store = ctx.store
    names = _Names()
    tags_of = {cid: await store.tags.all(cid) for cid in affiliates}
    every_name = {tag.name for tags in tags_of.values() for tag in tags}
    for tags in tags_of.values():
        for tag in tags:
            names.find(tag.name)
            for alias in tag.aliases:
                if alias in every_name:
                    names.join(tag.name, alias)
    roots = sorted({names.find(n) for n in every_name})
    key_of = {root: n for n, root in enumerate(roots, start=1)}
    net_tag = {tag.id: key_of[names.find(tag.name)] for tags in tags_of.values() for tag in tags}
    df: dict[int, int] = {}
    live = 0
    for cid in tags_of:
        for tag_id, count in (await store.tags.member_counts(cid)).items():
            if tag_id in net_tag:
                df[net_tag[tag_id]] = df.get(net_tag[tag_id], 0) + count
        live += await store.members.count(cid)
    shown = {n: root for root, n in key_of.items()}
    return NetworkTags(tags_of, net_tag, shown, rarity_weights(df, live))


def on_off(value: bool) -> str:
    """A setting's state as the reader reads it ("on"/"off" are also typed values, so the
    state has its own context)."""
    return ptr("setting state", "on") if value else ptr("setting state", "off")


async def steward_network(ctx: Context) -> Network | list[Action]:
    """The acting member's network when they steward it, else the reply refusing them."""
    p = ctx.prefix
    return await stewarded_network(
        ctx,
        reply(
            tr(
                "This community is not in a network, so there is nobody to match across it. "
                "`{p}mentoring match` and `{p}rounds run` match within this community.",
                p=p,
            )
        ),
        lambda _: tr(
            "Only the network's stewards run matching across the network (`{p}network show` "
            "lists them). Nothing was changed.",
            p=p,
        ),
    )


@dataclass(frozen=True)
class Readers:
    """Who reads which language in a network introduction: each member their own (their choice,
    else their community's default), a conversation of mixed readers its community's."""

    members: dict[UserRef, str]
    communities: dict[CommunityRef, str]

    def of(self, action: Action) -> str | None:
        """The language an introduction action is written in."""
        if isinstance(action, SendDirect):
            return self.members.get(action.user)
        if isinstance(action, SendToGroup):
            found = {self.members.get(user) for user in action.users}
            return found.pop() if len(found) == 1 else self.communities.get(action.community)
        return None


async def readers(ctx: Context, parties: Sequence[Party]) -> Readers:
    """The languages of `parties` (their communities read from the store once each)."""
    members: dict[UserRef, str] = {}
    communities: dict[CommunityRef, str] = {}
    cache: dict[int, Community | None] = {}  # a job has no acting community: read each one
    for party in parties:
        cid = party.member.community_id
        if cid not in cache:
            cache[cid] = await ctx.store.communities.get_by_id(cid)
        members[party.member.ref] = member_language(party.member, cache[cid])
        communities[party.community] = community_language(cache[cid])
    return Readers(members, communities)


def introduce_translated(
    platform: ChatPlatform,
    here: str,
    title: Callable[[], str],
    parties: Sequence[Party],
    compose: Callable[[Namer], str],
    languages: Readers,
) -> list[Action]:
    """`introductions.introduce`, each copy written in its readers' language: the introduction
    is composed once per language present and each action kept in the language of who reads it
    (a DM in its member's; a shared conversation in its members' common language, else in its
    community's)."""
    wanted = dict.fromkeys([*languages.members.values(), *languages.communities.values()])
    actions: list[Action] = []
    for language in wanted:
        with use_language(language):
            written = introduce(platform, here, title(), parties, compose)
        actions += [a for a in written if languages.of(a) == language]
    return actions
