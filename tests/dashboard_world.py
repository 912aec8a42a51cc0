"""Shared set-up for the dashboard tests: a real Dashboard on 127.0.0.1 (a free port) beside
the harness bot, a community with a known funnel, and a moderator's link from the bot's reply."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from communitybot.dashboard.server import Dashboard
from tests.conftest import Harness

LINK = re.compile(r"(https?://\S+/signin\?t=\S+)")


@asynccontextmanager
async def running_dashboard(
    harness: Harness, *, base_url: str | None = None
) -> AsyncIterator[Dashboard]:
    dashboard = Dashboard(
        harness.store,
        harness.clock,
        host="127.0.0.1",
        port=0,
        base_url=base_url,
        lock=harness.bot.lanes.writer,
    )
    async with dashboard.running():
        await dashboard.attach(harness.bot, lambda: True)
        yield dashboard


async def link_for(harness: Harness, name: str) -> str:
    """The sign-in link the bot privately replies to `dashboard` (checked: an ephemeral reply to
    the moderator, and nothing else sent anywhere)."""
    harness.platform.take()
    await harness.command(name, "/dashboard")
    (sent,) = harness.platform.take()
    assert sent.where == f"reply:{name}" and sent.ephemeral, sent
    found = LINK.search(sent.text)
    assert found is not None, sent.text
    return found.group(1)


async def seed_funnel(harness: Harness) -> None:
    """Five present members (mod, ann, bob, cat, dan) and one who left (eve):
    all five started onboarding (a join starts it), ann and bob finished, ann, bob and cat chose
    tags (one named like a script), and ann was paired with bob as mentee."""
    harness.platform.moderators.add("mod")
    for name in ("mod", "ann", "bob", "cat", "dan", "eve"):
        await harness.join(name)
    await harness.leave("eve")
    now = harness.clock.now()
    for name in ("ann", "bob"):
        member = await harness.member(name)
        await harness.store.onboarding.set_status(member.id, "completed", now)
    await harness.give_tags("ann", "maths", "<script>alert(1)</script>")
    await harness.give_tags("bob", "maths")
    await harness.give_tags("cat", "science")
    ann, bob = await harness.member("ann"), await harness.member("bob")
    await harness.store.mentoring.add_pair(ann.community_id, bob.id, ann.id, "r1", 1, "", now)
