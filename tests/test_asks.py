"""Problems of practice: `/ask`, `/follow`, `/resolve`, `/asks` and the report-back reminder.

Driven through the Harness (real Bot, real SQLite store) with a real Scheduler for the reminder
job; time moves only when a test advances the fake clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from communitybot.asks.feature import FEATURE as asks
from communitybot.command_parser import CommandParseError
from communitybot.scheduler import Scheduler
from tests.conftest import Harness, running_scheduler

DAY = 24 * 3600


@pytest.fixture
async def scheduler(harness: Harness) -> AsyncIterator[Scheduler]:
    async with running_scheduler(harness, asks.jobs) as running:
        yield running


@pytest.fixture
async def members(harness: Harness) -> None:
    """A moderator who has set the welcome channel, and three members."""
    harness.platform.moderators.add("mo")
    for name in ("mo", "alice", "bob", "carol"):
        await harness.join(name)
    await harness.command("mo", "/setup welcome_channel=welcome")
    harness.platform.take()


async def advance_days(harness: Harness, scheduler: Scheduler, days: float) -> None:
    harness.clock.advance(seconds=days * DAY)
    await scheduler.settle()


async def post(harness: Harness, line: str = "/ask How do I get quiet students talking?") -> None:
    await harness.command("alice", line)


@pytest.mark.usefixtures("members")
async def test_an_ask_is_posted_in_the_welcome_channel_without_live_mentions(
    harness: Harness,
) -> None:
    await harness.command("alice", "/ask @everyone how do I mark 200 essays fast?")
    sent = harness.platform.take()
    (posted,) = [s.text for s in sent if s.where == "#welcome"]
    assert "Problem of practice #1" in posted and "Alice" in posted
    assert "mark 200 essays fast?" in posted and "@everyone" not in posted
    (answer,) = [s.text for s in sent if s.where == "reply:alice"]
    assert "Posted as **#1** in #welcome" in answer and "In 7 days" in answer
    listed = await harness.reply_text("bob", "/asks")
    assert "#1" in listed and "mark 200 essays" in listed


@pytest.mark.usefixtures("members")
async def test_an_ask_goes_to_the_channel_given(harness: Harness) -> None:
    await harness.command("alice", "/ask channel=help days=3 Phones in class?")
    (posted,) = harness.platform.texts("#help")
    assert "Phones in class?" in posted


async def test_without_any_channel_a_moderator_must_set_one(harness: Harness) -> None:
    await harness.join("alice")
    text = await harness.reply_text("alice", "/ask Phones in class?")
    assert "a moderator must set" in text
    assert await harness.store.db.fetch_one("SELECT * FROM asks") is None


@pytest.mark.usefixtures("members")
async def test_followers_hear_the_outcome_and_only_the_asker_resolves(harness: Harness) -> None:
    await post(harness)
    assert "You follow #1" in await harness.reply_text("bob", "/follow 1")
    assert "already follow" in await harness.reply_text("bob", "/follow 1")
    await harness.command("carol", "/follow 1")
    refused = await harness.reply_text("bob", "/resolve 1 it went fine")
    assert "Only the member who shared #1" in refused
    assert await harness.store.asks.open_count((await harness.member("alice")).community_id) == 1

    await harness.command("alice", "/resolve 1 Think-pair-share worked")
    assert "already resolved" in await harness.reply_text("alice", "/resolve 1 again")


@pytest.mark.usefixtures("members")
async def test_resolving_dms_every_follower(harness: Harness) -> None:
    await post(harness)
    await harness.command("bob", "/follow 1")
    await harness.command("carol", "/follow 1")
    harness.platform.take()
    await harness.command("alice", "/resolve 1 Think-pair-share worked @here")
    sent = harness.platform.take()
    dms = {s.where: s.text for s in sent if s.where.startswith("dm:")}
    assert set(dms) == {"dm:bob", "dm:carol"}
    assert "Think-pair-share worked" in dms["dm:bob"] and "@here" not in dms["dm:bob"]
    (answer,) = [s.text for s in sent if s.where == "reply:alice"]
    assert "told 2 followers" in answer
    assert "No open problems" in await harness.reply_text("bob", "/asks")


@pytest.mark.usefixtures("members")
async def test_bad_input_is_explained_and_changes_nothing(harness: Harness) -> None:
    with pytest.raises(CommandParseError, match="too long"):
        await harness.command("alice", "/ask " + "x" * 1001)
    assert await harness.store.db.fetch_one("SELECT * FROM asks") is None
    assert "no problem of practice #9" in (await harness.reply_text("bob", "/follow 9")).lower()
    assert (
        "no problem of practice #9"
        in (await harness.reply_text("alice", "/resolve 9 done")).lower()
    )
    await post(harness)
    assert "your own" in await harness.reply_text("alice", "/follow 1")
    with pytest.raises(CommandParseError, match="too long"):
        await harness.command("alice", "/resolve 1 " + "y" * 1001)
    assert await harness.store.db.fetch_one("SELECT * FROM ask_followers") is None
    assert "#1" in await harness.reply_text("bob", "/asks")


@pytest.mark.usefixtures("members")
async def test_the_asker_is_reminded_after_the_chosen_days(
    harness: Harness, scheduler: Scheduler
) -> None:
    await post(harness, "/ask days=3 Phones in class?")
    await scheduler.settle()
    harness.platform.take()
    await advance_days(harness, scheduler, 2.9)
    assert harness.platform.texts("dm:alice") == []
    await advance_days(harness, scheduler, 0.2)
    (nudge,) = harness.platform.texts("dm:alice")
    assert "How did it go" in nudge and "/resolve 1" in nudge
    await advance_days(harness, scheduler, 10)
    assert harness.platform.texts("dm:alice") == []


@pytest.mark.usefixtures("members")
async def test_no_reminder_once_resolved(harness: Harness, scheduler: Scheduler) -> None:
    await post(harness)
    await harness.command("alice", "/resolve 1 Sorted it out")
    await scheduler.settle()
    harness.platform.take()
    await advance_days(harness, scheduler, 8)
    assert harness.platform.texts("dm:alice") == []


@pytest.mark.usefixtures("members")
async def test_open_asks_are_counted_in_stats(harness: Harness) -> None:
    assert "Open problems of practice: 0" in await harness.reply_text("mo", "/stats")
    await post(harness)
    await post(harness, "/ask Another one")
    await harness.command("alice", "/resolve 2 fixed")
    assert "Open problems of practice: 1" in await harness.reply_text("mo", "/stats")


@pytest.mark.usefixtures("members")
async def test_asks_and_follows_are_in_mydata_and_gone_after_forgetme(harness: Harness) -> None:
    await post(harness)
    await harness.command("bob", "/ask Bob's problem")
    await harness.command("alice", "/follow 2")
    export = (await harness.reply_file("alice", "/mydata")).content.decode()
    assert '"problems_of_practice"' in export
    assert "quiet students talking" in export and '"followed_at"' in export
    await harness.command("alice", "/forgetme")
    await harness.say("alice", "yes")
    assert await harness.store.db.fetch_one("SELECT * FROM ask_followers") is None
    rows = await harness.store.db.fetch_all("SELECT problem FROM asks")
    assert [r["problem"] for r in rows] == ["Bob's problem"]
