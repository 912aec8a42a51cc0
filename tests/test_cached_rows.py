"""The community row and its onboarding questions are kept in memory (issue 12, batched I/O):
every moderator edit reaches the next event, and an edit whose transaction rolled back leaves
the list exactly as committed, even if the list was read (and could have been kept) inside it.
"""

from __future__ import annotations

import pytest

from tests.conftest import COMMUNITY, Harness


class EventFailed(Exception):
    """The handler failed after its edits: the transaction rolls back."""


@pytest.fixture
async def mod(harness: Harness) -> Harness:
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/help")  # the community is created (and seeded)
    await harness.join("ann")  # the list is read, and kept
    harness.platform.take()
    return harness


async def _first_question(harness: Harness, name: str) -> str:
    await harness.join(name)
    (greeting,) = harness.platform.texts(f"dm:{name}")
    (line,) = [line for line in greeting.splitlines() if line.startswith("**Question 1 of")]
    return line


async def _community_id(harness: Harness) -> int:
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    return community.id


async def test_every_kind_of_question_edit_reaches_the_next_join(mod: Harness) -> None:
    assert (await _first_question(mod, "bob")).startswith("**Question 1 of 8:**")

    await mod.command("mod", "/onboarding questions add book text none What are you reading?")
    assert (await _first_question(mod, "cat")).startswith("**Question 1 of 9:**")

    await mod.command("mod", "/onboarding questions move book 1")
    assert await _first_question(mod, "dan") == "**Question 1 of 9:** What are you reading?"

    await mod.command("mod", "/onboarding questions edit book prompt Which book?")
    assert await _first_question(mod, "eve") == "**Question 1 of 9:** Which book?"

    await mod.command("mod", "/onboarding questions remove book")
    line = await _first_question(mod, "fay")
    assert line.startswith("**Question 1 of 8:**") and "book" not in line


async def test_an_edit_that_rolled_back_leaves_the_committed_list(mod: Harness) -> None:
    store = mod.store
    community_id = await _community_id(mod)
    committed = await store.onboarding.list_questions(community_id)
    with pytest.raises(EventFailed):
        async with store.db.transaction():
            await store.onboarding.add_question(community_id, "extra", "text", "none", "Extra?")
            await store.onboarding.move_question(community_id, "extra", 1)
            inside = await store.onboarding.list_questions(community_id)
            assert inside[0].key == "extra"  # seen inside, never kept
            raise EventFailed()
    assert (await _first_question(mod, "bob")).startswith("**Question 1 of 8:**")
    assert await store.onboarding.list_questions(community_id) == committed


async def test_a_settings_change_that_rolled_back_is_not_kept(mod: Harness) -> None:
    store = mod.store
    community_id = await _community_id(mod)
    with pytest.raises(EventFailed):
        async with store.db.transaction():
            await store.communities.update_settings(community_id, modlog_channel="secret")
            changed = await store.communities.get(COMMUNITY)
            assert changed is not None and changed.modlog_channel == "secret"
            raise EventFailed()
    mod.platform.closed_dms.add("bob")  # delivery problems go to the moderator log, if any
    await mod.join("bob")
    assert not mod.platform.texts("#secret")


async def test_a_settings_change_reaches_the_next_event(mod: Harness) -> None:
    community_id = await _community_id(mod)
    await mod.store.communities.update_settings(community_id, modlog_channel="modlog")
    mod.platform.closed_dms.add("bob")
    await mod.join("bob")
    assert any("DMs are closed" in text for text in mod.platform.texts("#modlog"))
