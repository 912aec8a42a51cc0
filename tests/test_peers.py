"""`/peers` as members see it: who is listed, in what order, and who never is."""

from __future__ import annotations

import re
from typing import Any

import pytest

from communitybot.events import MemberLeft
from tests.conftest import COMMUNITY, Harness, user
from tests.test_tags import said


async def profile(harness: Harness, name: str, tags: str = "", **values: Any) -> None:
    """Give `name` tags (as they would type them) and profile values, as onboarding would."""
    if tags:
        await harness.command(name, f"/tags add {tags}")
    m = await harness.member(name)
    if values:
        await harness.store.members.update(m.id, **values)
        await harness.bot.peers.refresh_member(harness.store, m.community_id, m.id)
    harness.platform.take()


def listed(text: str) -> list[str]:
    """Display names in the order the reply lists them."""
    return [
        line.split(". ", 1)[1].split(" (", 1)[0]
        for line in text.splitlines()
        if re.match(r"\d+\. ", line)
    ]


@pytest.fixture
async def tagged(harness: Harness) -> Harness:
    harness.platform.moderators.add("mod")
    for line in ("/tags create common-tag", "/tags create rare-tag", "/tags create other-tag"):
        await harness.command("mod", line)
    harness.platform.take()
    return harness


async def test_rare_shared_tag_beats_a_common_one(tagged: Harness) -> None:
    for name in ("c1", "c2", "c3", "c4", "carol"):
        await profile(tagged, name, "common-tag")
    await profile(tagged, "bob", "rare-tag")
    await profile(tagged, "alice", "common-tag, rare-tag")
    names = listed(await said(tagged, "alice", "/peers"))
    assert names[0] == "Bob"
    assert set(names[1:]) == {"C1", "C2", "C3", "C4", "Carol"}


async def test_more_shared_tags_rank_higher(tagged: Harness) -> None:
    await profile(tagged, "bob", "other-tag")
    await profile(tagged, "carol", "other-tag, common-tag")
    await profile(tagged, "alice", "other-tag, common-tag")
    text = await said(tagged, "alice", "/peers")
    assert listed(text) == ["Carol", "Bob"]
    assert "Carol (time zone unknown) — shares" in text


async def test_time_zone_closeness_breaks_ties(tagged: Harness) -> None:
    await profile(tagged, "alice", "other-tag", timezone="Europe/London")
    await profile(tagged, "nyc", "other-tag", timezone="America/New_York")
    await profile(tagged, "nozone", "other-tag")
    await profile(tagged, "paris", "other-tag", timezone="Europe/Paris")
    text = await said(tagged, "alice", "/peers")
    assert listed(text) == ["Paris", "Nyc", "Nozone"]
    assert "Paris (UTC+1)" in text and "Nyc (UTC-5)" in text


async def test_hidden_and_departed_members_are_never_listed(tagged: Harness) -> None:
    await profile(tagged, "bob", "rare-tag")
    await profile(tagged, "dave", "rare-tag", discoverable=0)
    await profile(tagged, "erin", "rare-tag")
    await tagged.bot.dispatch(MemberLeft(COMMUNITY, user("erin")))
    await profile(tagged, "alice", "rare-tag")
    assert listed(await said(tagged, "alice", "/peers")) == ["Bob"]
    await profile(tagged, "dave", discoverable=1)
    assert listed(await said(tagged, "alice", "/peers")) == ["Bob", "Dave"]


async def test_never_the_asker(tagged: Harness) -> None:
    await profile(tagged, "alice", "rare-tag")
    text = await said(tagged, "alice", "/peers")
    assert "Alice" not in text and "No one else" in text


async def test_at_most_ten_members(tagged: Harness) -> None:
    for i in range(12):
        await profile(tagged, f"m{i:02d}", "other-tag")
    await profile(tagged, "alice", "other-tag")
    assert len(listed(await said(tagged, "alice", "/peers"))) == 10


async def test_no_tags_gets_a_hint(tagged: Harness) -> None:
    text = await said(tagged, "alice", "/peers")
    assert "/tags add" in text


async def test_search_by_named_tags(tagged: Harness) -> None:
    await profile(tagged, "bob", "rare-tag")
    await profile(tagged, "carol", "common-tag")
    await profile(tagged, "alice", "common-tag")
    text = await said(tagged, "alice", "/peers rare tag, rair-tag")
    assert listed(text) == ["Bob"]
    assert "Did you mean `rare-tag`?" in text
    text = await said(tagged, "alice", "/peers nothing-like-it")
    assert "I don't know the tag" in text and "Bob" not in text


async def test_reply_is_private_and_names_are_neutralised(tagged: Harness) -> None:
    await profile(tagged, "bob", "rare-tag", display_name="@everyone Bob")
    await profile(tagged, "alice", "rare-tag")
    await tagged.command("alice", "/peers")
    (sent,) = tagged.platform.take()
    assert sent.ephemeral
    assert "@everyone" not in sent.text and "Bob" in sent.text


async def test_hidden_asker_is_reminded(tagged: Harness) -> None:
    await profile(tagged, "bob", "rare-tag")
    await profile(tagged, "alice", "rare-tag", discoverable=0)
    text = await said(tagged, "alice", "/peers")
    assert "Bob" in text and "hidden" in text
