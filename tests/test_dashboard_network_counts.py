"""The network page's peer-round meetings come from what is written with the groups: each seat's
own community (migration 0039), each group's one community and the per-(community, month)
counts of such groups (0040), instead of grouping a year of seats. These tests hold the figures
to the plain definition — counted through the members — on the seeded network: after a member
in a meeting across affiliate lines is forgotten, after every member of a meeting is forgotten,
after a community leaves the network, after another round, and check that databases made before
0039 and before 0040 get their seats' communities and their groups' counts filled in. The
pairings (totals, months, matrix and active pairs per affiliate: one pass over the pairs) and
onboarding finished (one statement for a page of affiliates) are held to `network stats`' own
queries and plain definitions, and so are members present."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from communitybot.dashboard.network_figures import affiliate_rows, pairings
from communitybot.events import ChoicePicked, ConversationRef
from communitybot.store.db import Database, bundled_migrations
from communitybot.store.store import Store
from tests.conftest import COMMUNITY, Harness, user
from tests.network_dashboard_world import seed_network


async def by_definition(harness: Harness, network_id: int) -> tuple[dict, dict, tuple]:
    """(meetings per affiliate, per month, all-time (meetings, crossing)), from the members."""
    db = harness.store.db
    seats = (
        " FROM round_group_members gm JOIN members m ON m.id = gm.member_id"
        " JOIN network_affiliates a ON a.community_id = m.community_id WHERE a.network_id = ?"
    )
    per_affiliate = {
        int(r[0]): int(r[1])
        for r in await db.fetch_all(
            f"SELECT m.community_id, count(DISTINCT gm.group_id){seats} GROUP BY m.community_id",
            (network_id,),
        )
    }
    groups = await db.fetch_all(
        "SELECT substr(g.created_at, 1, 7) AS month, x.affiliates FROM round_groups g JOIN"
        f" (SELECT gm.group_id, count(DISTINCT m.community_id) AS affiliates{seats}"
        " GROUP BY gm.group_id) AS x ON x.group_id = g.id",
        (network_id,),
    )
    months: dict[str, tuple[int, int]] = {}
    for month, affiliates in groups:
        total, crossing = months.get(str(month), (0, 0))
        months[str(month)] = (total + 1, crossing + (int(affiliates) > 1))
    everything = (len(groups), sum(int(affiliates) > 1 for _, affiliates in groups))
    return per_affiliate, months, everything


async def from_the_page(harness: Harness, network_id: int) -> tuple[dict, dict, tuple]:
    counted = await harness.store.rounds.network_meetings(network_id)
    # an affiliate or a month with no meeting: 0 on the page, absent from the definition
    per_affiliate = {community: n for community, n in counted.per_affiliate.items() if n}
    months = {month: n for month, n in counted.per_month.items() if n != (0, 0)}
    return per_affiliate, months, await harness.store.rounds.network_group_counts(network_id)


async def forget(harness: Harness, name: str) -> None:
    await harness.command(name, "/forgetme")
    await harness.bot.dispatch(
        ChoicePicked(
            COMMUNITY, user(name), ConversationRef("fake", "dm", name), "forgetme", ("yes",)
        )
    )
    assert await harness.find_member(name) is None


async def test_meetings_match_the_definition_before_and_after_a_member_is_forgotten(
    harness: Harness,
) -> None:
    seeded = await seed_network(harness)
    expected = await by_definition(harness, seeded.network_id)
    assert expected[2] == (2, 1)  # {bob, cat} here, {cat, eve} across
    assert expected[0] == {seeded.north: 2, seeded.south: 1}
    assert await from_the_page(harness, seeded.network_id) == expected

    # cat forgets herself: her seats go, and her meeting with eve no longer crossed a line
    await forget(harness, "cat")
    expected = await by_definition(harness, seeded.network_id)
    assert expected[2] == (2, 0)
    assert expected[0] == {seeded.north: 1, seeded.south: 1}
    assert await from_the_page(harness, seeded.network_id) == expected


async def test_a_meeting_whose_members_all_forgot_themselves_no_longer_counts(
    harness: Harness,
) -> None:
    seeded = await seed_network(harness)
    await forget(harness, "bob")
    await forget(harness, "cat")
    # {bob, cat} has nobody left; {cat, eve} has eve, in South, and crosses no line
    expected = await by_definition(harness, seeded.network_id)
    assert expected[2] == (1, 0)
    assert expected[0] == {seeded.south: 1}
    assert await from_the_page(harness, seeded.network_id) == expected
    left = await harness.store.db.fetch_all("SELECT meetings FROM round_meeting_months")
    assert all(int(row[0]) >= 0 for row in left)


async def test_meetings_follow_a_community_leaving_the_network(harness: Harness) -> None:
    seeded = await seed_network(harness)
    await harness.store.networks.remove_affiliate(seeded.network_id, seeded.south)
    # {cat, eve} still has cat in North, but eve's South is no affiliate any more
    expected = await by_definition(harness, seeded.network_id)
    assert expected[2] == (2, 0)
    assert expected[0] == {seeded.north: 2}
    assert await from_the_page(harness, seeded.network_id) == expected


async def test_meetings_of_a_later_round_add_up_by_month(harness: Harness) -> None:
    seeded = await seed_network(harness)
    store = harness.store

    async def member(community_id: int, name: str) -> int:
        found = await store.members.get(community_id, user(name))
        assert found is not None
        return found.id

    ann, bob = await member(seeded.north, "ann"), await member(seeded.north, "bob")
    dan, fay = await member(seeded.south, "dan"), await member(seeded.third, "fay")
    later = harness.clock.now() + timedelta(days=40)
    round_id = await store.rounds.add_round(seeded.north, "w6", "manual", later)
    assert round_id is not None
    groups = [([ann, bob], ""), ([bob, dan, fay], ""), ([dan], "")]
    await store.rounds.add_groups(round_id, seeded.north, groups, later)
    # replayed: nothing new, nothing counted twice
    await store.rounds.add_groups(round_id, seeded.north, groups, later)
    expected = await by_definition(harness, seeded.network_id)
    assert expected[2] == (5, 2)
    assert expected[1][later.strftime("%Y-%m")] == (3, 1)
    assert await from_the_page(harness, seeded.network_id) == expected


async def pairings_by_definition(harness: Harness, network_id: int) -> tuple[dict, dict]:
    """(pairings per month, per ordered pair of different affiliates), straight from the
    pairs and their members."""
    rows = await harness.store.db.fetch_all(
        "SELECT p.created_at, a.community_id, b.community_id FROM mentor_pairs p"
        " JOIN members a ON a.id = p.mentor_id JOIN members b ON b.id = p.mentee_id",
        (),
    )
    affiliates = set(await harness.store.networks.affiliates(network_id))
    months: dict[str, tuple[int, int]] = {}
    between: dict[tuple[int, int], int] = {}
    for created, one, other in rows:
        if one not in affiliates or other not in affiliates:
            continue
        made, across = months.get(str(created)[:7], (0, 0))
        months[str(created)[:7]] = (made + 1, across + (one != other))
        if one != other:
            for key in ((one, other), (other, one)):
                between[key] = between.get(key, 0) + 1
    return months, between


async def active_pairs_by_definition(harness: Harness, network_id: int, community_id: int) -> int:
    """Active pairs with a side in this affiliate (0 when it is not one of the network's)."""
    if community_id not in await harness.store.networks.affiliates(network_id):
        return 0
    row = await harness.store.db.fetch_one(
        "SELECT count(*) FROM mentor_pairs p WHERE p.status = 'active' AND EXISTS"
        " (SELECT 1 FROM members m WHERE m.community_id = ?"
        "  AND m.id IN (p.mentor_id, p.mentee_id))",
        (community_id,),
    )
    assert row is not None
    return int(row[0])


async def test_pairings_and_onboarding_match_network_stats_and_their_definitions(
    harness: Harness,
) -> None:
    seeded = await seed_network(harness)
    store = harness.store
    affiliates = [seeded.north, seeded.south, seeded.third]

    async def check() -> None:
        counted = await pairings(store.db, seeded.network_id)
        totals = (counted.total, counted.active, counted.crossing)
        assert totals == await store.mentoring.network_pair_counts(seeded.network_id)
        assert (counted.per_month, counted.between) == await pairings_by_definition(
            harness, seeded.network_id
        )
        rows = await affiliate_rows(store, seeded.network_id, affiliates)
        counts = await store.networks.affiliate_counts(seeded.network_id)
        assert [row.members for row in rows] == [
            counts[c].present if c in counts else 0 for c in affiliates
        ]
        assert [row.onboarded for row in rows] == [
            (await store.onboarding.completion_counts(c))["completed"] if c in counts else 0
            for c in affiliates
        ]
        assert [row.active_pairs for row in rows] == [
            await active_pairs_by_definition(harness, seeded.network_id, c) for c in affiliates
        ]

    await check()
    counted = await pairings(store.db, seeded.network_id)
    assert (counted.total, counted.active, counted.crossing) == (3, 3, 2)
    assert counted.active_by_affiliate == {seeded.north: 2, seeded.south: 2, seeded.third: 1}
    assert [r.onboarded for r in await affiliate_rows(store, seeded.network_id, affiliates)] == [
        1,
        0,
        0,
    ]

    # a pairing ends, ann (onboarded) leaves, and South leaves the network
    pair = await store.db.fetch_one("SELECT id FROM mentor_pairs ORDER BY id LIMIT 1")
    assert pair is not None
    await store.mentoring.end_pair(int(pair[0]), 0, None, harness.clock.now())
    await harness.leave("ann")
    await check()
    assert [r.onboarded for r in await affiliate_rows(store, seeded.network_id, affiliates)] == [
        0,
        0,
        0,
    ]
    await store.networks.remove_affiliate(seeded.network_id, seeded.south)
    await check()
    counted = await pairings(store.db, seeded.network_id)
    assert (counted.total, counted.active, counted.crossing) == (1, 0, 0)
    # ann's leaving ended ann→dan; eve→fay goes on counting for fay's side, still in the network
    assert counted.active_by_affiliate == {seeded.third: 1}


async def test_a_database_from_before_0039_gets_its_seats_communities(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = await Database.open(path, [m for m in bundled_migrations() if m.version < 39])
    try:
        async with old.transaction():
            stamp = "2027-01-04T12:00:00+00:00"
            community = await old.execute(
                "INSERT INTO communities (platform, space_id, created_at)"
                " VALUES ('console', 'local', ?)",
                (stamp,),
            )
            member = await old.execute(
                "INSERT INTO members (community_id, platform, user_id, joined_at)"
                " VALUES (?, 'console', 'alice', ?)",
                (community, stamp),
            )
            round_id = await old.execute(
                "INSERT INTO rounds (community_id, round_key, trigger, started_at)"
                " VALUES (?, 'w1', 'manual', ?)",
                (community, stamp),
            )
            group = await old.execute(
                "INSERT INTO round_groups (round_id, community_id, idempotency_key, created_at)"
                " VALUES (?, ?, 'k', ?)",
                (round_id, community, stamp),
            )
            await old.execute(
                "INSERT INTO round_group_members (group_id, member_id) VALUES (?, ?)",
                (group, member),
            )
    finally:
        await old.close()
    store = await Store.open(path)
    try:
        seat = await store.db.fetch_one("SELECT community_id FROM round_group_members")
        assert seat is not None and seat[0] == community
    finally:
        await store.close()


async def test_a_database_from_before_0040_gets_its_groups_communities_counted(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    old = await Database.open(path, [m for m in bundled_migrations() if m.version < 40])
    try:
        async with old.transaction():
            stamp = "2027-01-04T12:00:00+00:00"
            here, there = [
                await old.execute(
                    "INSERT INTO communities (platform, space_id, created_at)"
                    " VALUES ('console', ?, ?)",
                    (space, stamp),
                )
                for space in ("here", "there")
            ]
            ann, bob, cat = [
                await old.execute(
                    "INSERT INTO members (community_id, platform, user_id, joined_at)"
                    " VALUES (?, 'console', ?, ?)",
                    (community, name, stamp),
                )
                for community, name in ((here, "ann"), (here, "bob"), (there, "cat"))
            ]
            round_id = await old.execute(
                "INSERT INTO rounds (community_id, round_key, trigger, started_at)"
                " VALUES (?, 'w1', 'manual', ?)",
                (here, stamp),
            )
            within, across, empty = [
                await old.execute(
                    "INSERT INTO round_groups (round_id, community_id, idempotency_key,"
                    " created_at) VALUES (?, ?, ?, ?)",
                    (round_id, here, key, stamp),
                )
                for key in ("a", "b", "c")
            ]
            for group, member, community in (
                (within, ann, here),
                (within, bob, here),
                (across, bob, here),
                (across, cat, there),
            ):
                await old.execute(
                    "INSERT INTO round_group_members (group_id, member_id, community_id)"
                    " VALUES (?, ?, ?)",
                    (group, member, community),
                )
    finally:
        await old.close()
    store = await Store.open(path)
    try:
        groups = await store.db.fetch_all("SELECT id, seat_community FROM round_groups")
        assert {int(r[0]): r[1] for r in groups} == {within: here, across: None, empty: None}
        counts = await store.db.fetch_all(
            "SELECT community_id, month, meetings FROM round_meeting_months"
        )
        assert [tuple(r) for r in counts] == [(here, "2027-01", 1)]
    finally:
        await store.close()
