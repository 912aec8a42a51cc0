"""The read-only questions adapters ask the core (`communitybot.queries`), on committed state."""

from __future__ import annotations

from communitybot.events import CommunityRef
from communitybot.queries import StoreQueries
from tests.conftest import COMMUNITY, Harness, user

ELSEWHERE = CommunityRef("fake", "another-community")


async def test_tags_for_autocomplete_come_from_the_core_with_their_aliases(
    harness: Harness,
) -> None:
    queries = StoreQueries(harness.store)
    assert await queries.tags(COMMUNITY) == [], "an unknown community has no tags"
    await harness.join("alice")
    await harness.give_tags("alice", "maths", "quantum-optics")
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    maths = await harness.store.tags.get_by_name(community.id, "maths")
    assert maths is not None
    await harness.store.tags.add_alias(maths.id, "math")
    tags = {tag.name: tag.aliases for tag in await queries.tags(COMMUNITY)}
    assert {"maths", "quantum-optics"} <= set(tags), "the default tags and the new one"
    assert "math" in tags["maths"]
    assert await queries.tags(ELSEWHERE) == []


async def test_channels_are_the_communitys_welcome_and_introductions(harness: Harness) -> None:
    queries = StoreQueries(harness.store)
    assert (await queries.channels(COMMUNITY)).welcome is None
    await harness.join("alice")
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    await harness.store.communities.update_settings(
        community.id, welcome_channel="w1", introductions_channel="i1"
    )
    channels = await queries.channels(COMMUNITY)
    assert (channels.welcome, channels.introductions) == ("w1", "i1")


async def test_membership_is_joined_and_not_left(harness: Harness) -> None:
    queries = StoreQueries(harness.store)
    assert not await queries.is_member(COMMUNITY, user("alice"))
    await harness.join("alice")
    assert await queries.is_member(COMMUNITY, user("alice"))
    assert not await queries.is_member(ELSEWHERE, user("alice"))
    await harness.leave("alice")
    assert not await queries.is_member(COMMUNITY, user("alice"))
