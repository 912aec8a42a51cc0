"""A join is the hot path of a burst: it costs at most 6 statements (issue 12), counted from
the event going in to its outbox row deleted after delivery, with the peer index loaded.

It was 17: the community and the member read, inserted and read back, progress read, answers
cleared, the question list and the answers each read twice, and one commit per outbox row.
"""

from __future__ import annotations

import pytest

from communitybot.store.onboarding import STATUSES
from tests.conftest import COMMUNITY, Harness
from tests.statements import counting_statements

HOT_PATH_LIMIT = 6


async def _busy_community(harness: Harness) -> int:
    """A community in use: seeded, one member with a tag, its peer index loaded by `/peers`."""
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/help")
    await harness.join("ann")
    await harness.give_tags("ann", "maths")
    await harness.command("ann", "/peers")
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None and harness.bot.peers.is_loaded(community.id)
    harness.platform.take()
    return community.id


@pytest.mark.sqlite_only  # counts statements with SQLite's trace callback
async def test_a_new_members_join_costs_at_most_six_statements(harness: Harness) -> None:
    await _busy_community(harness)
    async with counting_statements(harness.store) as statements:
        await harness.join("bob")
    assert len(statements) <= HOT_PATH_LIMIT, "\n".join(statements)
    assert not any("onboarding_questions" in s or "FROM communities" in s for s in statements)

    (greeting,) = harness.platform.take()  # what bob notices: the same welcome as ever
    assert greeting.where == "dm:bob"
    assert "Welcome to the community" in greeting.text
    assert "**Question 1 of 8:**" in greeting.text
    assert await harness.store.outbox.count() == 0
    bob = await harness.member("bob")
    progress = await harness.store.onboarding.get_progress(bob.id)
    assert progress is not None and progress.status == STATUSES[0]


async def test_a_new_member_is_in_the_loaded_peer_index(harness: Harness) -> None:
    """The join tells the loaded index about the new member without reading the row back."""
    await _busy_community(harness)
    await harness.join("bob")
    await harness.give_tags("bob", "maths")
    harness.platform.take()
    await harness.command("ann", "/peers")
    assert "bob" in harness.platform.texts("reply:ann")[-1].lower()


async def test_a_returning_member_is_welcomed_back_as_before(harness: Harness) -> None:
    await _busy_community(harness)
    await harness.leave("ann")
    await harness.join("ann")
    assert "Welcome back" in harness.platform.texts("dm:ann")[-1]
