"""`/chat create` details and `/chat edit`: description, hosts, pings, re-timed reminders.

Driven through the Harness (real Bot, real SQLite store) with a real Scheduler on the fake clock
(Monday 4 January 2027, 12:00 UTC); the chat is weekly on Tuesday at 19:00 London time (UTC in
January), so its first start is Tuesday 5 January, 19:00 UTC.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from communitybot.chats import jobs as chat_jobs
from communitybot.chats.feature import FEATURE as chats
from communitybot.command_parser import CommandParseError
from communitybot.events import CommandInvoked, ConversationRef
from communitybot.scheduler import Scheduler
from tests.conftest import COMMUNITY, Harness, running_scheduler, user

CREATE = '/chat create engchat "Feedback that works" chats "weekly tuesday" 19:00 Europe/London'

SCHEDULE_KINDS = {
    kind: chats.jobs[kind]
    for kind in (chat_jobs.START, chat_jobs.REMINDER, chat_jobs.CHANNEL_REMINDER)
}
"""The chats' scheduling jobs without the run's (questions, recap): these tests stop at the
start."""


@pytest.fixture
async def scheduler(harness: Harness) -> AsyncIterator[Scheduler]:
    async with running_scheduler(harness, SCHEDULE_KINDS) as running:
        yield running


@pytest.fixture
async def mod(harness: Harness) -> str:
    harness.platform.moderators.add("mo")
    for name in ("mo", "alice", "bob", "cy"):
        await harness.join(name)
    await harness.command("mo", "/setup modlog_channel=modlog")
    harness.platform.take()
    return "mo"


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 1, day, hour, minute, tzinfo=UTC)


async def advance_to(harness: Harness, scheduler: Scheduler, moment: datetime) -> None:
    harness.clock.advance(seconds=(moment - harness.clock.now()).total_seconds())
    await scheduler.settle()


async def invoke(harness: Harness, name: str, path: tuple[str, ...], **options: Any) -> str:
    """A command with options as Discord would send them (no text grammar in between)."""
    harness.platform.take()
    event = CommandInvoked(
        COMMUNITY, user(name), ConversationRef("fake", "channel", "general"), path, options
    )
    await harness.bot.dispatch(event)
    (text,) = harness.platform.texts(f"reply:{name}")
    return text


async def pending_keys(harness: Harness) -> list[str]:
    rows = await harness.store.db.fetch_all(
        "SELECT idempotency_key FROM jobs WHERE status = 'pending' ORDER BY idempotency_key"
    )
    return [str(row[0]) for row in rows]


# Create: description, hosts, ping -------------------------------------------------------------


async def test_create_takes_a_description_hosts_and_a_ping_shown_in_list_and_at_the_start(
    harness: Harness, mod: str, scheduler: Scheduler
) -> None:
    text = await harness.reply_text(
        mod,
        CREATE
        + ' description="Share one @everyone piece of feedback" hosts="@bob cy" ping=teachers',
    )
    assert "Hosted by Bob and Cy." in text
    assert "About: Share one @\u200beveryone piece of feedback" in text
    assert "I'll ping the chosen role at the start and 15 minutes before." in text
    listed = await harness.reply_text("alice", "/chat list")
    assert "Hosted by Bob and Cy." in listed and "Share one" in listed

    await advance_to(harness, scheduler, utc(5, 18, 45))
    (last_call,) = harness.platform.take()
    assert last_call.where == "#chats" and last_call.message.ping_role == "teachers"
    assert (
        "starts here in 15 minutes" in last_call.text and "Hosted by Bob and Cy." in last_call.text
    )
    await advance_to(harness, scheduler, utc(5, 19))
    (start,) = harness.platform.take()
    assert start.where == "#chats" and start.message.ping_role == "teachers"
    assert "starts now" in start.text and "Hosted by Bob and Cy." in start.text
    assert "About this chat: Share one @\u200beveryone piece of feedback" in start.text


async def test_without_a_ping_nothing_pings_and_the_creator_hosts(
    harness: Harness, mod: str, scheduler: Scheduler
) -> None:
    assert "Hosted by Mo." in await harness.reply_text(mod, CREATE)
    assert await pending_keys(harness) == ["chat-start:1:2027-01-05T19:00+00:00"]
    await advance_to(harness, scheduler, utc(5, 19))
    (start,) = harness.platform.take()
    assert start.message.ping_role is None and "Hosted by Mo." in start.text


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"description": "x" * 501}, "description is 501 characters long: keep it to 500"),
        ({"duration": 5}, "A chat lasts from 15 minutes to 8 hours"),
        ({"duration": 100_000}, "100000 minutes won't work"),
        ({"hosts": "@zed"}, "I don't know “@zed” here"),
        ({"hosts": "a b c d e f"}, "at most 5 hosts"),
        ({"title": "   "}, "give the chat a title"),
        ({"ping": "not a role!"}, "is not a role I can ping"),
    ],
)
async def test_bad_details_are_explained_and_create_nothing(
    harness: Harness, mod: str, options: dict[str, Any], expected: str
) -> None:
    base: dict[str, Any] = {
        "hashtag": "engchat",
        "title": "Feedback",
        "channel": "chats",
        "schedule": "weekly tuesday",
        "time": "19:00",
        "timezone": "Europe/London",
    }
    text = await invoke(harness, mod, ("chat", "create"), **{**base, **options})
    assert expected in text
    assert "no chats planned" in await harness.reply_text(mod, "/chat list")
    assert await harness.store.jobs.count("pending") == 0


async def test_a_host_who_has_left_cannot_be_named(harness: Harness, mod: str) -> None:
    await harness.leave("bob")
    text = await harness.reply_text(mod, CREATE + " hosts=bob")
    assert "Bob has left the community, so they can't host." in text
    assert "no chats planned" in await harness.reply_text(mod, "/chat list")


async def test_the_text_grammar_refuses_absurd_durations_and_long_descriptions(
    harness: Harness, mod: str
) -> None:
    with pytest.raises(CommandParseError, match="between 15 and 480"):
        await harness.command(mod, CREATE + " 5")
    with pytest.raises(CommandParseError, match="at most 500"):
        await harness.command(mod, CREATE + f' description="{"x" * 501}"')


# Edit ----------------------------------------------------------------------------------------


async def test_an_edited_time_moves_every_reminder_and_the_old_ones_never_fire(
    harness: Harness, mod: str, scheduler: Scheduler
) -> None:
    await harness.command(mod, CREATE)
    await harness.command("alice", "/chat subscribe engchat 24h 15m")
    text = await harness.reply_text(mod, "/chat edit engchat time=18:00")
    assert "Updated **#engchat**" in text
    assert (
        "Schedule: every week on Tuesday at 19:00 (Europe/London) → every week on Tuesday at 18:00"
        in text
    )
    assert "Next chat: Tuesday 05 January 2027, 18:00 (Europe/London)" in text

    await advance_to(harness, scheduler, utc(4, 18))
    (day_before,) = harness.platform.texts("dm:alice")
    assert "starts in 24 hours: Tuesday 05 January, 18:00" in day_before
    await advance_to(harness, scheduler, utc(4, 19))  # the old time's 24-hour reminder
    assert harness.platform.take() == []
    await advance_to(harness, scheduler, utc(5, 17, 45))
    (soon,) = harness.platform.texts("dm:alice")
    assert "starts in 15 minutes: Tuesday 05 January, 18:00" in soon
    await advance_to(harness, scheduler, utc(5, 18))
    assert "starts now" in harness.platform.texts("#chats")[0]
    await advance_to(harness, scheduler, utc(5, 19, 30))  # the old start and 15-minute reminder
    assert harness.platform.take() == []
    assert "Tuesday 12 January, 18:00" in await harness.reply_text("alice", "/chat next")


async def test_a_new_schedule_zone_and_channel_are_summarised_and_used(
    harness: Harness, mod: str, scheduler: Scheduler
) -> None:
    await harness.command(mod, CREATE)
    text = await harness.reply_text(
        mod,
        '/chat edit engchat schedule="every 2 weeks thursday" timezone=America/New_York '
        "channel=english duration=90",
    )
    assert "→ every 2 weeks on Thursday at 19:00 (America/New_York)" in text
    assert "Next chat: Thursday 07 January 2027, 19:00 (America/New_York)" in text
    assert "Channel: #chats → #english" in text and "Duration: 60 → 90 minutes" in text
    await advance_to(harness, scheduler, utc(6, 20))
    assert harness.platform.take() == []
    await advance_to(harness, scheduler, utc(8, 0))  # 19:00 in New York
    (start,) = harness.platform.take()
    assert start.where == "#english" and "(90 minutes)" in start.text
    assert "Thursday 21 January, 19:00" in await harness.reply_text("alice", "/chat next")


async def test_a_dst_problem_in_an_edit_is_reported_with_the_time_it_happens(
    harness: Harness, mod: str
) -> None:
    await harness.command(mod, CREATE)
    text = await harness.reply_text(
        mod, '/chat edit engchat schedule="weekly sunday" time=02:30 timezone=Europe/Berlin'
    )
    assert (
        "02:30 does not exist on Sunday 28 March 2027 in Europe/Berlin (the clocks jump "
        "forward); it happens at 03:30 instead." in text
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/chat edit engchat time=25:00", "not a time"),
        ("/chat edit engchat timezone=Mars/Base", "time zone"),
        ('/chat edit engchat schedule="weekly funday"', "not a weekday"),
        ('/chat edit engchat schedule="once 2026-12-01"', "is in the past"),
        ("/chat edit engchat hosts=zed", "I don't know “zed” here"),
        ("/chat edit engchat ping=teachers no_ping=yes", "either `ping` or `no_ping`"),
        ("/chat edit nochat time=18:00", "There is no chat #nochat"),
        ("/chat edit engchat", "Nothing to change"),
        ("/chat edit engchat duration=60", "Nothing changed"),
    ],
)
async def test_a_bad_edit_is_explained_and_changes_nothing(
    harness: Harness, mod: str, line: str, expected: str
) -> None:
    await harness.command(mod, CREATE)
    await harness.command("alice", "/chat subscribe engchat")
    before = await pending_keys(harness)
    listed = await harness.reply_text(mod, "/chat list")
    text = await harness.reply_text(mod, line)
    assert expected in text and "Updated" not in text
    assert await harness.reply_text(mod, "/chat list") == listed
    assert await pending_keys(harness) == before


async def test_hosts_may_edit_the_title_and_description_only_and_others_nothing(
    harness: Harness, mod: str
) -> None:
    await harness.command(mod, CREATE + " hosts=bob")
    refused = await harness.reply_text("alice", '/chat edit engchat title="Mine now"')
    assert "Only moderators and the hosts of #engchat can edit it." in refused
    barred = await harness.reply_text("bob", "/chat edit engchat time=18:00 ping=teachers")
    assert "ask a moderator to change `ping`, `time`" in barred
    done = await harness.reply_text(
        "bob", '/chat edit engchat title="Feedback, really" description="Bring one example"'
    )
    assert "Title: Feedback that works → **Feedback, really**" in done
    assert "Description: Bring one example" in done
    listed = await harness.reply_text("alice", "/chat list")
    assert "Feedback, really" in listed and "Bring one example" in listed
    assert "every week on Tuesday at 19:00" in listed


async def test_edit_replaces_hosts_and_adds_or_removes_the_ping(
    harness: Harness, mod: str, scheduler: Scheduler
) -> None:
    await harness.command(mod, CREATE)
    text = await harness.reply_text(mod, "/chat edit engchat hosts=alice,bob ping=teachers")
    assert "Hosts: Mo → Alice and Bob" in text
    assert "Ping: the chosen role at the start and 15 minutes before" in text
    assert "chat-channel-reminder:1:2027-01-05T19:00+00:00" in await pending_keys(harness)
    assert "Ping: nobody" in await harness.reply_text(mod, "/chat edit engchat no_ping=yes")
    await advance_to(harness, scheduler, utc(5, 19))
    (start,) = harness.platform.take()  # no last call in the channel: the ping was removed
    assert start.message.ping_role is None and "Hosted by Alice and Bob." in start.text


async def test_a_time_moved_later_on_the_day_a_chat_was_held_waits_a_week(
    harness: Harness, mod: str, scheduler: Scheduler
) -> None:
    await harness.command(mod, CREATE)
    await advance_to(harness, scheduler, utc(5, 19, 5))
    harness.platform.take()
    text = await harness.reply_text(mod, "/chat edit engchat time=21:00")
    assert "Next chat: Tuesday 12 January 2027, 21:00" in text


# Hosts leaving -------------------------------------------------------------------------------


async def test_a_host_leaving_is_told_to_the_moderators_and_the_chat_still_runs(
    harness: Harness, mod: str, scheduler: Scheduler
) -> None:
    await harness.command(mod, CREATE + " hosts=bob")
    await harness.command(mod, CREATE.replace("engchat", "scichat") + " hosts=bob,cy")
    harness.platform.take()
    await harness.leave("bob")
    notes = harness.platform.texts("#modlog")
    assert len(notes) == 2
    assert any(
        "**#engchat** has no host now" in n and "`/chat edit engchat hosts=@someone`" in n
        for n in notes
    )
    assert any("a host of **#scichat**, has left" in n and "Cy still hosts it" in n for n in notes)
    assert "No host at the moment." in await harness.reply_text(mod, "/chat list")
    await advance_to(harness, scheduler, utc(5, 19))
    starts = {s.text.split("**")[1]: s.text for s in harness.platform.take()}
    assert "Hosted by" not in starts["#engchat: Feedback that works"]
    assert "Hosted by Cy." in starts["#scichat: Feedback that works"]


async def test_a_member_who_hosts_nothing_leaves_quietly(harness: Harness, mod: str) -> None:
    await harness.command(mod, CREATE)
    harness.platform.take()
    await harness.leave("alice")
    assert harness.platform.texts("#modlog") == []


# Calendar ------------------------------------------------------------------------------------


async def test_the_calendar_file_carries_the_description(harness: Harness, mod: str) -> None:
    await harness.command(mod, CREATE + ' description="Bring one example; we share, then reflect"')
    text = (await harness.reply_file("alice", "/chat calendar engchat")).content.decode()
    assert "DESCRIPTION:Bring one example\\; we share\\, then reflect\\n\\nevery week on" in text


async def test_hosting_is_in_mydata_and_gone_after_forgetme(harness: Harness, mod: str) -> None:
    await harness.command(mod, CREATE + " hosts=bob")
    export = (await harness.reply_file("bob", "/mydata")).content.decode()
    assert '"chats_hosted": [' in export and '"hashtag": "engchat"' in export
    await harness.command("bob", "/forgetme")
    await harness.say("bob", "yes")
    assert await harness.store.db.fetch_one("SELECT * FROM chat_hosts") is None
    assert "No host at the moment." in await harness.reply_text(mod, "/chat list")
