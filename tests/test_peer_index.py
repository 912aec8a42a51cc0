"""The peer index gives exactly what a brute-force scan of the store gives, after any changes."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import pytest

from communitybot.events import CommunityRef, UserRef
from communitybot.peers import community as community_module
from communitybot.peers.index import PeerHit, PeerIndex
from communitybot.store.store import Store
from communitybot.timezones import offset_distance, utc_offset_minutes

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
ZONES = [
    None,
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Not/AZone",
]


async def brute_force(
    store: Store,
    community_id: int,
    tag_ids: list[int],
    exclude: int | None,
    timezone: str | None,
    limit: int = 10,
) -> list[tuple[int, float, set[int]]]:
    """The definition of /peers, computed the slow obvious way from the store."""
    members = [
        m
        for m in await store.db.fetch_all(
            "SELECT id, timezone, discoverable FROM members"
            " WHERE community_id = ? AND left_at IS NULL",
            (community_id,),
        )
    ]
    present = {m["id"] for m in members}
    tags_of: dict[int, set[int]] = {m["id"]: set() for m in members}
    for row in await store.db.fetch_all("SELECT member_id, tag_id FROM member_tags"):
        if row["member_id"] in present:
            tags_of[row["member_id"]].add(row["tag_id"])
    n = len(members)
    df = {t: sum(t in tags for tags in tags_of.values()) for t in set(tag_ids)}
    weights = {t: max(1, round(1000 * math.log(n / d))) for t, d in df.items() if d}
    asker = utc_offset_minutes(timezone, NOW)
    ranked = []
    for m in members:
        if not m["discoverable"] or m["id"] == exclude:
            continue
        shared = tags_of[m["id"]] & set(weights)
        if shared:
            score = sum(weights[t] for t in shared)
            distance = offset_distance(asker, utc_offset_minutes(m["timezone"], NOW))
            ranked.append((-score, distance, m["id"], shared))
    ranked.sort(key=lambda r: r[:3])
    return [(member_id, -neg / 1000, shared) for neg, _, member_id, shared in ranked[:limit]]


def as_tuples(hits: list[PeerHit]) -> list[tuple[int, float, set[int]]]:
    return [(h.member_id, h.score, set(h.shared_tag_ids)) for h in hits]


class World:
    """A random community written straight into the store, changed at random."""

    def __init__(self, store: Store, seed: int) -> None:
        self.store = store
        self.rng = random.Random(seed)
        self.community_id = 0
        self.tag_ids: list[int] = []
        self.member_ids: list[int] = []
        self.users = 0

    def zipf_tags(self, k: int) -> list[int]:
        weights = [1 / (rank + 1) ** 1.1 for rank in range(len(self.tag_ids))]
        return list(set(self.rng.choices(self.tag_ids, weights, k=k)))

    async def setup(self, n_tags: int, n_members: int) -> None:
        community, _ = await self.store.communities.ensure(CommunityRef("fake", "c"), NOW)
        self.community_id = community.id
        for i in range(n_tags):
            tag = await self.store.tags.create(community.id, f"tag-{i}", "topic", NOW)
            self.tag_ids.append(tag.id)
        for _ in range(n_members):
            await self.new_member()

    async def new_member(self) -> int:
        self.users += 1
        member, _ = await self.store.members.ensure(
            self.community_id, UserRef("fake", f"u{self.users}"), NOW
        )
        await self.store.members.update(
            member.id,
            timezone=self.rng.choice(ZONES),
            discoverable=int(self.rng.random() < 0.85),
        )
        await self.store.tags.add_member_tags(
            member.id, self.zipf_tags(self.rng.randint(0, 8)), "self", NOW
        )
        self.member_ids.append(member.id)
        return member.id

    async def random_change(self) -> int:
        """Apply one random change through the store; returns the member it touched."""
        store, rng = self.store, self.rng
        member_id = rng.choice(self.member_ids)
        match rng.randrange(7):
            case 0:
                await store.tags.add_member_tags(member_id, self.zipf_tags(2), "self", NOW)
            case 1:
                current = await store.tags.member_tag_ids(member_id)
                await store.tags.remove_member_tags(
                    member_id, rng.sample(current, len(current) // 2)
                )
            case 2:
                await store.members.update(member_id, timezone=rng.choice(ZONES))
            case 3:
                await store.members.update(member_id, discoverable=int(rng.random() < 0.5))
            case 4:
                await store.members.mark_left(member_id, NOW)
            case 5:
                await store.db.execute(
                    "UPDATE members SET left_at = NULL WHERE id = ?", (member_id,)
                )
            case _:
                member_id = await self.new_member()
        return member_id

    async def compare(self, index: PeerIndex, searches: int) -> None:
        for _ in range(searches):
            asker = self.rng.choice(self.member_ids)
            own = await self.store.tags.member_tag_ids(asker)
            tags = own if own and self.rng.random() < 0.7 else self.zipf_tags(3)
            timezone = self.rng.choice(ZONES)
            limit = self.rng.choice([1, 3, 10, 40])
            got = await index.search(
                self.store, self.community_id, tags, asker, timezone, limit, at=NOW
            )
            want = await brute_force(self.store, self.community_id, tags, asker, timezone, limit)
            assert as_tuples(got) == want, (tags, asker, timezone, limit)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_index_matches_brute_force_after_incremental_changes(
    store: Store, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(community_module, "COMPACT_MIN_DEAD", 40)
    world = World(store, seed)
    await world.setup(n_tags=30, n_members=250)
    index = PeerIndex()
    await world.compare(index, 30)
    for _ in range(12):
        for _ in range(25):
            member_id = await world.random_change()
            await index.refresh_member(store, world.community_id, member_id)
        await world.compare(index, 15)


async def test_forgotten_member_disappears(store: Store) -> None:
    world = World(store, 7)
    await world.setup(n_tags=5, n_members=30)
    index = PeerIndex()
    everyone = world.tag_ids
    first = (await index.search(store, world.community_id, everyone, None, None, at=NOW))[0]
    await store.db.execute("DELETE FROM members WHERE id = ?", (first.member_id,))
    await index.refresh_member(store, world.community_id, first.member_id)
    hits = await index.search(store, world.community_id, everyone, None, None, at=NOW)
    assert first.member_id not in {h.member_id for h in hits}
    assert as_tuples(hits) == await brute_force(store, world.community_id, everyone, None, None)


async def test_unknown_and_unshared_tags_give_nothing(store: Store) -> None:
    world = World(store, 8)
    await world.setup(n_tags=3, n_members=10)
    index = PeerIndex()
    assert await index.search(store, world.community_id, [999_999], None, None) == []
    assert await index.search(store, world.community_id, [], None, None) == []


async def test_tag_created_after_loading_is_searchable(store: Store) -> None:
    world = World(store, 9)
    await world.setup(n_tags=3, n_members=10)
    index = PeerIndex()
    await index.search(store, world.community_id, world.tag_ids, None, None)
    fresh = await store.tags.create(world.community_id, "fresh", "topic", NOW)
    a, b = world.member_ids[:2]
    for member_id in (a, b):
        await store.tags.add_member_tags(member_id, [fresh.id], "self", NOW)
        await store.members.update(member_id, discoverable=1)
        await index.refresh_member(store, world.community_id, member_id)
    hits = await index.search(store, world.community_id, [fresh.id], a, None)
    assert [h.member_id for h in hits] == [b]
    assert hits[0].shared_tag_ids == (fresh.id,)
