"""Native calendars (issue #15): a chat series' next chat kept in the platform's own calendar.

The FakePlatform records `publish_calendar` by key (`platform.calendar`). The clock starts on
Monday 4 January 2027, 12:00 UTC; #engchat is on Tuesdays 19:00 London (= UTC in January).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from communitybot.chats.calendar_sync import calendar_key
from communitybot.chats.interested import INTERESTED, OFFER
from communitybot.chats.jobs import reminder_key
from communitybot.registry import JOB_KINDS
from communitybot.replies import CalendarEntry
from communitybot.scheduler import Scheduler
from tests.conftest import Harness, running_scheduler

CREATE = '/chat create engchat "Feedback @everyone likes" chats "weekly tuesday" 19:00 London'


@pytest.fixture
async def mod(harness: Harness) -> str:
    harness.platform.moderators.add("mo")
    await harness.join("mo")
    community = await harness.store.communities.get_by_id(1)
    assert community is not None
    await harness.store.communities.update_settings(community.id, modlog_channel="modlog")
    return "mo"


async def _series_key(harness: Harness) -> str:
    series = await harness.store.chats.find(1, "engchat")
    assert series is not None
    return calendar_key(series.id)


def _entry(harness: Harness, key: str) -> CalendarEntry:
    entry = harness.platform.calendar.get(key)
    assert entry is not None, harness.platform.calendar
    return entry


async def test_creating_a_chat_puts_its_next_occurrence_in_the_calendar(
    harness: Harness, mod: str
) -> None:
    await harness.command(mod, f'{CREATE} duration=45 description="Bring a story"')
    key = await _series_key(harness)
    entry = _entry(harness, key)
    assert entry.title == "#engchat: Feedback @\u200beveryone likes", "no mass ping anywhere"
    assert entry.starts_at == "2027-01-05T19:00:00+00:00"
    assert entry.ends_at == "2027-01-05T19:45:00+00:00"
    assert entry.channel_id == "chats"
    assert entry.description == (
        "Bring a story\n\nEvery week on Tuesday at 19:00 (Europe/London), 45 minutes."
    )
    assert entry.ics.filename == "engchat.ics" and entry.ics.media_type == "text/calendar"
    assert b"DTSTART;TZID=Europe/London:20270105T190000" in entry.ics.content


async def test_an_edit_of_the_time_moves_the_entry_and_a_host_change_does_not_republish(
    harness: Harness, mod: str
) -> None:
    await harness.command(mod, CREATE)
    key = await _series_key(harness)
    await harness.command(mod, "/chat edit engchat time=18:30")
    assert _entry(harness, key).starts_at == "2027-01-05T18:30:00+00:00"
    await harness.command(mod, '/chat edit engchat title="Feedback loops"')
    assert _entry(harness, key).title == "#engchat: Feedback loops"

    harness.platform.calendar.clear()
    await harness.join("alice")
    await harness.command(mod, "/chat edit engchat hosts=alice")
    assert harness.platform.calendar == {}, "hosts are not shown in the calendar entry"


async def test_skipping_the_next_chat_shows_the_one_after(harness: Harness, mod: str) -> None:
    await harness.command(mod, CREATE)
    key = await _series_key(harness)
    await harness.command(mod, "/chat skip-next engchat")
    assert _entry(harness, key).starts_at == "2027-01-12T19:00:00+00:00"


async def test_cancelling_removes_the_entry(harness: Harness, mod: str) -> None:
    await harness.command(mod, CREATE)
    key = await _series_key(harness)
    assert key in harness.platform.calendar
    await harness.command(mod, "/chat cancel engchat")
    assert key not in harness.platform.calendar


@pytest.fixture
async def scheduler(harness: Harness) -> AsyncIterator[Scheduler]:
    async with running_scheduler(harness, JOB_KINDS) as running:
        yield running


async def test_when_a_chat_starts_the_entry_moves_to_the_next_occurrence(
    harness: Harness, mod: str, scheduler: Scheduler
) -> None:
    await harness.command(mod, CREATE)
    key = await _series_key(harness)
    start = datetime(2027, 1, 5, 19, tzinfo=UTC)
    harness.clock.advance(seconds=(start - harness.clock.now()).total_seconds())
    await scheduler.settle()
    assert any("starts now" in text for text in harness.platform.texts("#chats"))
    assert _entry(harness, key).starts_at == "2027-01-12T19:00:00+00:00"


async def test_a_one_off_chat_leaves_the_calendar_once_it_has_started(
    harness: Harness, mod: str, scheduler: Scheduler
) -> None:
    await harness.command(mod, '/chat create once "Kick-off" chats "once 2027-01-06" 17:00 UTC')
    series = await harness.store.chats.find(1, "once")
    assert series is not None
    assert _entry(harness, calendar_key(series.id)).starts_at == "2027-01-06T17:00:00+00:00"
    start = datetime(2027, 1, 6, 17, tzinfo=UTC)
    harness.clock.advance(seconds=(start - harness.clock.now()).total_seconds())
    await scheduler.settle()
    assert calendar_key(series.id) not in harness.platform.calendar


async def test_a_refused_publish_is_reported_once_and_the_command_still_works(
    harness: Harness, mod: str
) -> None:
    harness.platform.calendar_refusal = "I'm not allowed to manage events (Manage Events)"
    harness.platform.take()
    await harness.command(mod, CREATE)
    sent = harness.platform.take()
    replies = [s.text for s in sent if s.where == f"reply:{mod}"]
    assert any("Created **#engchat" in text for text in replies), replies
    warnings = [s.text for s in sent if s.where == "#modlog"]
    assert len(warnings) == 1, warnings
    assert "Feedback" in warnings[0] and "Manage Events" in warnings[0]
    assert "@everyone" not in warnings[0]
    assert await harness.store.chats.find(1, "engchat") is not None


async def test_interested_offers_reminders_by_dm_and_subscribe_subscribes(
    harness: Harness, mod: str
) -> None:
    await harness.command(mod, CREATE)
    series = await harness.store.chats.find(1, "engchat")
    assert series is not None
    await harness.join("alice")
    harness.platform.take()

    await harness.pick("alice", f"{INTERESTED}{series.id}")
    (offer,) = harness.platform.take()
    assert offer.where == "dm:alice"
    assert "#engchat" in offer.text and "reminder 24 hours and 15 minutes before" in offer.text
    prompt = offer.message.prompt
    assert prompt is not None and prompt.custom_id == f"{OFFER}{series.id}"
    assert [c.label for c in prompt.choices] == ["Subscribe", "No thanks"]

    await harness.pick("alice", prompt.custom_id, "subscribe")
    (done,) = harness.platform.take()
    assert "You'll get a reminder" in done.text
    member = await harness.find_member("alice")
    assert member is not None
    subscription = await harness.store.chats.subscription(series.id, member.id)
    assert subscription is not None and subscription.lead_minutes == (24 * 60, 15)
    assert series.next_start is not None
    for lead in (24 * 60, 15):
        job = await harness.store.jobs.get(
            reminder_key(series.id, series.next_start, member.id, lead)
        )
        assert job is not None and job.status == "pending", f"a reminder {lead} minutes before"

    # Already subscribed: marking Interested again sends nothing.
    await harness.pick("alice", f"{INTERESTED}{series.id}")
    assert harness.platform.take() == []
    # An unknown event (series) is ignored.
    await harness.pick("alice", f"{INTERESTED}999")
    assert harness.platform.take() == []


async def test_no_thanks_subscribes_nobody(harness: Harness, mod: str) -> None:
    await harness.command(mod, CREATE)
    series = await harness.store.chats.find(1, "engchat")
    assert series is not None
    await harness.join("bob")
    await harness.pick("bob", f"{INTERESTED}{series.id}")
    harness.platform.take()
    await harness.pick("bob", f"{OFFER}{series.id}", "no")
    (answer,) = harness.platform.texts()
    assert "No reminders" in answer and "/chat subscribe engchat" in answer
    member = await harness.find_member("bob")
    assert member is not None
    assert await harness.store.chats.subscription(series.id, member.id) is None
