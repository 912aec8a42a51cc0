"""`/chat`: moderators plan topic chats, members subscribe, reminders arrive on the fake clock.

Driven through the Harness (real Bot, real SQLite store) with a real Scheduler running the chat
jobs; time moves only when a test advances the fake clock (it starts Monday 4 January 2027,
12:00 UTC).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from loguru import logger

from communitybot import registry
from communitybot.chats import jobs as chat_jobs
from communitybot.chats.feature import FEATURE as chats
from communitybot.scheduler import Scheduler
from tests.conftest import Harness, running_scheduler

CREATE = '/chat create engchat "Feedback that works" chats "weekly tuesday" 19:00 Europe/London'

SCHEDULE_KINDS = {
    kind: chats.jobs[kind]
    for kind in (chat_jobs.START, chat_jobs.REMINDER, chat_jobs.CHANNEL_REMINDER)
}
"""The chats' scheduling jobs without the run's (questions, recap): these tests stop at the
start."""


@pytest.fixture
async def scheduler(harness: Harness) -> AsyncIterator[Scheduler]:
    async with running_scheduler(harness, registry.JOB_KINDS) as running:
        yield running


@pytest.fixture
async def mod(harness: Harness) -> str:
    harness.platform.moderators.add("mo")
    await harness.join("mo")
    await harness.join("alice")
    # A set-up community: the first moderator command's "set up your channels" hint is done.
    await harness.command("mo", "/setup welcome_channel=welcome introductions_channel=intros")
    harness.platform.take()
    return "mo"


async def advance_to(harness: Harness, scheduler: Scheduler, moment: datetime) -> None:
    harness.clock.advance(seconds=(moment - harness.clock.now()).total_seconds())
    await scheduler.settle()


async def set_timezone(harness: Harness, name: str, zone: str) -> None:
    member = await harness.member(name)
    async with harness.store.db.transaction():
        await harness.store.members.update(member.id, timezone=zone)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def test_a_moderator_creates_a_weekly_chat_and_members_see_it(
    harness: Harness, mod: str
) -> None:
    text = await harness.reply_text(mod, CREATE)
    assert "Created **#engchat: Feedback that works** in #chats" in text
    assert "every week on Tuesday at 19:00 (Europe/London)" in text
    assert "First chat: Tuesday 05 January 2027, 19:00 (Europe/London)" in text
    listed = await harness.reply_text("alice", "/chat list")
    assert "#engchat" in listed and "every week on Tuesday at 19:00" in listed

    refused = await harness.reply_text("alice", CREATE.replace("engchat", "other"))
    assert "Only moderators" in refused


async def test_stats_count_live_series_and_subscriptions_before_any_chat(
    harness: Harness, mod: str
) -> None:
    await harness.command(mod, CREATE)
    await harness.command("alice", "/chat subscribe engchat")
    await harness.leave("alice")  # a member who left is not counted
    await harness.join("bob")
    await harness.command("bob", "/chat subscribe engchat 1h")
    stats = await harness.reply_text(mod, "/stats")
    assert "• Chats: 1 series, 1 reminder subscription(s); none held yet" in stats


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (CREATE.replace("Europe/London", "Europe/Londn"), "Europe/London"),
        (CREATE.replace("weekly tuesday", "weekly funday"), "not a weekday"),
        (CREATE.replace("weekly tuesday", "daily"), "can't read that schedule"),
        (CREATE.replace("weekly tuesday", "every 20 weeks tuesday"), "1 to 12 weeks"),
        (CREATE.replace("weekly tuesday", "once 2026-12-01"), "is in the past"),
        (CREATE.replace("weekly tuesday", "once 2027-13-01"), "not a date"),
        (CREATE.replace("19:00", "25:00"), "not a time"),
        (CREATE.replace("engchat", "#"), "not a hashtag"),
    ],
)
async def test_bad_chat_plans_are_explained_and_change_nothing(
    harness: Harness, mod: str, line: str, expected: str
) -> None:
    text = await harness.reply_text(mod, line)
    assert expected in text
    assert "Created" not in text
    assert "no chats planned" in await harness.reply_text(mod, "/chat list")
    assert await harness.store.jobs.count("pending") == 0


async def test_a_duplicate_hashtag_is_refused_until_the_first_is_cancelled(
    harness: Harness, mod: str
) -> None:
    await harness.command(mod, CREATE)
    again = await harness.reply_text(mod, CREATE.replace("#engchat", "EngChat"))
    assert "already a chat #engchat" in again
    assert "Cancelled **#engchat**" in await harness.reply_text(mod, "/chat cancel #engchat")
    assert "Created" in await harness.reply_text(mod, CREATE)


async def test_a_time_missing_on_a_dst_day_is_said_with_the_time_it_happens_instead(
    harness: Harness, mod: str
) -> None:
    line = '/chat create nightowls "Night owls" chats "weekly sunday" 02:30 Europe/Berlin'
    text = await harness.reply_text(mod, line)
    assert "Created" in text
    assert (
        "02:30 does not exist on Sunday 28 March 2027 in Europe/Berlin (the clocks jump "
        "forward); it happens at 03:30 instead." in text
    )


async def test_monthly_and_one_off_chats(harness: Harness, mod: str) -> None:
    monthly = await harness.reply_text(
        mod, '/chat create mathchat "Maths" maths "monthly 2nd tuesday" 20:00 America/New_York'
    )
    assert "every month on the 2nd Tuesday" in monthly
    assert "First chat: Tuesday 12 January 2027, 20:00" in monthly
    once = await harness.reply_text(
        mod, '/chat create launch "Launch" general "once 2027-02-01" 17:30 Asia/Kolkata 90'
    )
    assert "First chat: Monday 01 February 2027, 17:30 (Asia/Kolkata)" in once
    assert "90 minutes" in once


async def test_chat_next_shows_times_in_the_member_s_own_zone(harness: Harness, mod: str) -> None:
    await harness.command(mod, CREATE)
    await set_timezone(harness, "alice", "America/New_York")
    text = await harness.reply_text("alice", "/chat next")
    assert "Tuesday 05 January, 14:00 (America/New_York)" in text
    assert "your time, America/New_York" in text
    unset = await harness.reply_text(mod, "/chat next")
    assert "Tuesday 05 January, 19:00 (Europe/London)" in unset
    assert "/profile edit timezone" in unset


@pytest.mark.parametrize("leads", ["0m", "30d", "soon", "1m 2m 3m 4m 5m"])
async def test_absurd_lead_times_are_refused(harness: Harness, mod: str, leads: str) -> None:
    await harness.command(mod, CREATE)
    text = await harness.reply_text("alice", f"/chat subscribe engchat {leads}")
    assert "You'll get" not in text
    assert await harness.store.jobs.count("pending") == 1  # only the chat's own start job


async def test_reminders_arrive_by_dm_in_the_member_s_zone_and_the_next_week_follows(
    harness: Harness, mod: str, scheduler: Scheduler
) -> None:
    await harness.command(mod, CREATE)
    await set_timezone(harness, "alice", "America/New_York")
    text = await harness.reply_text("alice", "/chat subscribe engchat")
    assert "reminder 24 hours and 15 minutes before each **#engchat**" in text
    assert "Next one: Tuesday 05 January, 14:00 (America/New_York)" in text

    start = utc(2027, 1, 5, 19)
    await advance_to(harness, scheduler, utc(2027, 1, 4, 18, 59))
    assert harness.platform.take() == []
    await advance_to(harness, scheduler, utc(2027, 1, 4, 19))
    (day_before,) = harness.platform.texts("dm:alice")
    assert "starts in 24 hours: Tuesday 05 January, 14:00 (America/New_York)" in day_before
    assert "in #chats" in day_before
    await advance_to(harness, scheduler, utc(2027, 1, 5, 18, 45))
    (soon,) = harness.platform.texts("dm:alice")
    assert "starts in 15 minutes" in soon

    await advance_to(harness, scheduler, start)
    (opening,) = harness.platform.texts("#chats")
    assert "#engchat: Feedback that works** starts now" in opening

    await advance_to(harness, scheduler, utc(2027, 1, 11, 19))
    assert "Tuesday 12 January, 14:00" in harness.platform.texts("dm:alice")[0]
    assert "Tuesday 12 January, 14:00" in await harness.reply_text("alice", "/chat next")


async def test_a_weekly_chat_keeps_19_00_london_time_across_the_2027_dst_changes(
    harness: Harness, mod: str, scheduler: Scheduler
) -> None:
    harness.clock.advance(days=62)  # Sunday 7 March 2027, 12:00 UTC
    await harness.command(mod, CREATE)
    await set_timezone(harness, "alice", "America/New_York")
    await harness.command("alice", "/chat subscribe engchat 15m")
    harness.platform.take()
    seen: list[str] = []
    # US clocks change on 14 March, UK clocks on 28 March: New York sees 14:00, 15:00, 14:00.
    for start in (
        utc(2027, 3, 9, 19),
        utc(2027, 3, 16, 19),
        utc(2027, 3, 23, 19),
        utc(2027, 3, 30, 18),
    ):
        await advance_to(harness, scheduler, start.replace(minute=45, hour=start.hour - 1))
        (text,) = harness.platform.texts("dm:alice")
        found = re.search(r", (\d\d:\d\d) \(America/New_York\)", text)
        assert found is not None, text
        seen.append(found[1])
        await advance_to(harness, scheduler, start)
        assert len(harness.platform.texts("#chats")) == 1
    assert seen == ["14:00", "15:00", "15:00", "14:00"]


async def test_a_reminder_for_a_chat_that_already_started_is_dropped_after_downtime(
    harness: Harness, mod: str, scheduler: Scheduler
) -> None:
    await harness.command(mod, CREATE)
    await harness.command("alice", "/chat subscribe engchat 15m")
    await advance_to(harness, scheduler, utc(2027, 1, 5, 18, 30))
    await scheduler.stop()  # the bot goes down before the reminder is due
    harness.platform.take()
    harness.clock.advance(minutes=40)  # back at 19:10, ten minutes into the chat
    logged: list[str] = []
    sink = logger.add(logged.append, level="INFO", format="{message}")
    try:
        restarted = Scheduler(harness.bot, SCHEDULE_KINDS, sleeper=harness.clock)
        async with restarted.running():
            await restarted.settle()
    finally:
        logger.remove(sink)
    assert harness.platform.texts("dm:alice") == []
    assert any("already started" in line for line in logged), logged
    assert "Tuesday 12 January" in await harness.reply_text("alice", "/chat next")


async def test_skip_next_moves_the_chat_and_its_reminders_a_week_on(
    harness: Harness, mod: str, scheduler: Scheduler
) -> None:
    await harness.command(mod, CREATE)
    await harness.command("alice", "/chat subscribe engchat 15m")
    text = await harness.reply_text(mod, "/chat skip-next engchat")
    assert "Skipped #engchat on Tuesday 05 January" in text
    assert "The next one is Tuesday 12 January 2027, 19:00" in text
    await advance_to(harness, scheduler, utc(2027, 1, 5, 19, 30))
    assert harness.platform.take() == []
    await advance_to(harness, scheduler, utc(2027, 1, 12, 18, 45))
    assert "Tuesday 12 January, 19:00" in harness.platform.texts("dm:alice")[0]


async def test_cancel_and_unsubscribe_stop_the_reminders(
    harness: Harness, mod: str, scheduler: Scheduler
) -> None:
    await harness.command(mod, CREATE)
    await harness.command(mod, CREATE.replace("engchat", "scichat"))
    await harness.command("alice", "/chat subscribe engchat 15m")
    await harness.command("alice", "/chat subscribe scichat 15m")
    assert "No more reminders" in await harness.reply_text("alice", "/chat unsubscribe scichat")
    assert "weren't subscribed" in await harness.reply_text("alice", "/chat unsubscribe scichat")
    await harness.command(mod, "/chat cancel engchat")
    await advance_to(harness, scheduler, utc(2027, 1, 5, 20))
    assert harness.platform.texts("dm:alice") == []
    assert "no chat #engchat" in await harness.reply_text("alice", "/chat subscribe engchat")


async def test_a_one_off_chat_happens_once_and_then_frees_its_hashtag(
    harness: Harness, mod: str, scheduler: Scheduler
) -> None:
    line = '/chat create launch "Launch" general "once 2027-01-06" 17:30 Asia/Kolkata'
    await harness.command(mod, line)
    await harness.command("alice", "/chat subscribe launch 1h")
    await advance_to(harness, scheduler, utc(2027, 1, 6, 11))  # 16:30 in Kolkata
    assert (
        "starts in 1 hour: Wednesday 06 January, 17:30 (Asia/Kolkata)"
        in (harness.platform.texts("dm:alice")[0])
    )
    await advance_to(harness, scheduler, utc(2027, 1, 6, 12))
    assert "starts now" in harness.platform.texts("#general")[0]
    assert "no chats planned" in await harness.reply_text(mod, "/chat list")
    await advance_to(harness, scheduler, utc(2027, 1, 6, 13))  # its end: the recap job
    assert await harness.store.jobs.count("pending") == 0


async def test_subscriptions_are_in_mydata_and_gone_after_forgetme(
    harness: Harness, mod: str
) -> None:
    await harness.reply_text(mod, CREATE)
    await harness.reply_text("alice", "/chat subscribe engchat 1h")
    export = (await harness.reply_file("alice", "/mydata")).content.decode()
    assert '"hashtag": "engchat"' in export and '"reminder_minutes_before": [\n' in export
    await harness.command("alice", "/forgetme")
    await harness.say("alice", "yes")
    assert await harness.store.db.fetch_one("SELECT * FROM chat_subscriptions") is None
