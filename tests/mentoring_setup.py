"""The mentoring tests' shared set-up: a community with a moderator and a moderator-log channel."""

from __future__ import annotations

from tests.conftest import COMMUNITY, Harness


async def mentoring_community(harness: Harness, *names: str, auto: bool = False) -> None:
    """Members with the community's tags in place; a moderator "mod"; a "modlog" channel;
    automatic matching on when `auto`. Output cleared."""
    for name in ("mod", *names):
        await harness.join(name)
    await harness.give_tags("mod", "maths", "robotics", "assessment", "science")
    harness.platform.moderators.add("mod")
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    await harness.store.communities.update_settings(community.id, modlog_channel="modlog")
    if auto:
        await harness.command("mod", "/mentoring settings auto_match=on")
    harness.platform.take()


async def ann_mentors_cat(harness: Harness) -> int:
    """Ann (mentor, 2 seats, maths) paired with Cat (mentee, maths) by a round; the pair's id.
    Output cleared."""
    await mentoring_community(harness, "ann", "cat")
    await harness.command("ann", "/mentor offer 2 maths")
    await harness.command("cat", "/mentor request maths")
    await harness.command("mod", "/mentoring match")
    harness.platform.take()
    cat = await harness.member("cat")
    (pair,) = await harness.store.mentoring.active_pairs_of(cat.id)
    return pair.id
