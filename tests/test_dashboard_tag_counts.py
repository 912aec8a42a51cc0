"""The tags page's numbers come from indexes (migration 0039: all taggings of a tag, minus those
of members who left, and a range of recent ones) instead of reading every member's tags. These
tests hold them to the plain definition — counted through the members — on a community whose
members join, are tagged over weeks, leave, come back and are forgotten, whose tags are merged
and deleted, next to another community with tags of the same names. Runs on SQLite and, when the
suite has it, PostgreSQL."""

from __future__ import annotations

import random
from datetime import datetime

from communitybot.dashboard.tag_stats import WINDOW, tag_table
from communitybot.events import (
    ChoicePicked,
    CommunityRef,
    ConversationRef,
    MemberJoined,
    MemberLeft,
)
from communitybot.store.timefmt import to_db
from tests.conftest import COMMUNITY, Harness, user

OTHER = CommunityRef("fake", "community-2")


async def by_definition(harness: Harness, community_id: int, now: datetime) -> dict[str, tuple]:
    """Present members per tag and taggings per window, counted through the community's
    members (the way the page counted before the indexes)."""
    rows = await harness.store.db.fetch_all(
        "SELECT t.name AS name,"
        " sum(CASE WHEN m.left_at IS NULL THEN 1 ELSE 0 END) AS members,"
        " sum(CASE WHEN mt.added_at >= ? THEN 1 ELSE 0 END) AS recent,"
        " sum(CASE WHEN mt.added_at >= ? AND mt.added_at < ? THEN 1 ELSE 0 END) AS earlier"
        " FROM members m JOIN member_tags mt ON mt.member_id = m.id"
        " JOIN tags t ON t.id = mt.tag_id"
        " WHERE m.community_id = ? GROUP BY t.name",
        (to_db(now - WINDOW), to_db(now - 2 * WINDOW), to_db(now - WINDOW), community_id),
    )
    names = await harness.store.tags.names(community_id)
    counted = {name: (0, 0, 0) for name in names.values()}
    counted.update(
        {
            str(row["name"]): (int(row["members"]), int(row["recent"]), int(row["earlier"]))
            for row in rows
        }
    )
    return counted


async def page_numbers(harness: Harness, community_id: int) -> dict[str, tuple]:
    table = await tag_table(harness.store.db, community_id, harness.clock.now())
    return {row.name: (row.members, row.recent, row.before) for row in table.rows}


async def test_the_counts_match_the_definition_through_a_communitys_life(
    harness: Harness,
) -> None:
    rng = random.Random(16)
    names = [f"n{i}" for i in range(30)]
    tags = ["maths", "science", "art", "music", "history", "reading"]
    here = set()
    for name in names:
        await harness.join(name)
        await harness.bot.dispatch(MemberJoined(OTHER, user(name)))
    for week in range(12):
        for name in rng.sample(names, 8):
            await harness.give_tags(name, *rng.sample(tags, rng.randint(1, 3)))
            here.add(name)
        for name in rng.sample(sorted(here), 2):
            await harness.leave(name)
        if week % 3 == 0:
            await harness.join(rng.choice(names))  # someone comes back
        harness.clock.advance(days=rng.randint(3, 9))
    other = await harness.store.communities.get(OTHER)
    assert other is not None
    for name in names[:10]:  # the other community has the same tag names, and leavers
        member = await harness.store.members.get(other.id, user(name))
        assert member is not None
        now = harness.clock.now()
        tag = await harness.store.tags.ensure_tag(other.id, "maths", "topic", now)
        await harness.store.tags.add_member_tags(member.id, [tag.id], "self", now)
        await harness.bot.dispatch(MemberLeft(OTHER, user(name)))
    community = (await harness.member("n0")).community_id
    now = harness.clock.now()
    expected = await by_definition(harness, community, now)
    assert await page_numbers(harness, community) == expected
    assert sum(members for members, _, _ in expected.values()) > 0
    assert sum(recent for _, recent, _ in expected.values()) > 0
    assert sum(earlier for _, _, earlier in expected.values()) > 0

    # a merge, a deleted tag and a forgotten member: counted again a minute later, still right
    store = harness.store
    art = await store.tags.get_by_name(community, "art")
    music = await store.tags.get_by_name(community, "music")
    history = await store.tags.get_by_name(community, "history")
    assert art and music and history
    await store.tags.merge(art.id, music.id)
    await store.tags.delete(history.id)
    await harness.command("n1", "/forgetme")
    await harness.bot.dispatch(
        ChoicePicked(
            COMMUNITY, user("n1"), ConversationRef("fake", "dm", "n1"), "forgetme", ("yes",)
        )
    )
    assert await harness.find_member("n1") is None
    harness.clock.advance(minutes=1)
    now = harness.clock.now()
    expected = await by_definition(harness, community, now)
    assert "art" not in expected and "history" not in expected
    assert await page_numbers(harness, community) == expected


async def test_a_member_who_left_is_not_counted_but_their_recent_tagging_is(
    harness: Harness,
) -> None:
    for name in ("ann", "bob"):
        await harness.join(name)
    await harness.give_tags("ann", "maths")
    await harness.give_tags("bob", "maths")
    await harness.leave("bob")
    community = (await harness.member("ann")).community_id
    assert (await page_numbers(harness, community))["maths"] == (1, 2, 0)
