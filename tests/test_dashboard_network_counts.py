"""The network page's peer-round meetings come from each seat's own community (migration 0039
stores it on `round_group_members`) instead of looking every seat's member up. These tests hold
the figures to the plain definition — counted through the members — on the seeded network,
after a member in a meeting across affiliate lines is forgotten, and check that a database made
before 0039 gets its seats' communities filled in."""

from __future__ import annotations

from pathlib import Path

from communitybot.dashboard.network_figures import _MEETINGS, _per_affiliate, meetings_by_month
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
    # an affiliate with no meeting: 0 on the page, absent from the definition's grouping
    counted = await _per_affiliate(harness.store.db, _MEETINGS, network_id)
    per_affiliate = {community: n for community, n in counted.items() if n}
    months = await meetings_by_month(harness.store.db, network_id)
    return per_affiliate, months, await harness.store.rounds.network_group_counts(network_id)


async def test_meetings_match_the_definition_before_and_after_a_member_is_forgotten(
    harness: Harness,
) -> None:
    seeded = await seed_network(harness)
    expected = await by_definition(harness, seeded.network_id)
    assert expected[2] == (2, 1)  # {bob, cat} here, {cat, eve} across
    assert expected[0] == {seeded.north: 2, seeded.south: 1}
    assert await from_the_page(harness, seeded.network_id) == expected

    # cat forgets herself: her seats go, and her meeting with eve no longer crossed a line
    await harness.command("cat", "/forgetme")
    await harness.bot.dispatch(
        ChoicePicked(
            COMMUNITY, user("cat"), ConversationRef("fake", "dm", "cat"), "forgetme", ("yes",)
        )
    )
    assert await harness.find_member("cat") is None
    expected = await by_definition(harness, seeded.network_id)
    assert expected[2] == (2, 0)
    assert expected[0] == {seeded.north: 1, seeded.south: 1}
    assert await from_the_page(harness, seeded.network_id) == expected


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
