"""Chats held in a private channel are only shown to members who can see that channel.

The fake platform's `hidden_channels` plays Discord's private channel / Matrix's invite-only
room: only the listed members can see "staff". Moderators see every chat.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from communitybot.registry import JOB_KINDS
from communitybot.scheduler import Scheduler
from tests.conftest import Harness, running_scheduler

PRIVATE = '/chat create staffchat "Staff matters" staff "weekly tuesday" 19:00 Europe/London'
PUBLIC = '/chat create engchat "Feedback that works" chats "weekly tuesday" 19:00 Europe/London'
START = datetime(2027, 1, 5, 19, tzinfo=UTC)


@pytest.fixture
async def scheduler(harness: Harness) -> AsyncIterator[Scheduler]:
    async with running_scheduler(harness, JOB_KINDS) as running:
        yield running


@pytest.fixture
async def chats(harness: Harness) -> Harness:
    """#staffchat in the private "staff" channel (alice can see it, bob cannot), #engchat in
    the public "chats" channel; "mo" is a moderator."""
    harness.platform.moderators.add("mo")
    harness.platform.hidden_channels["staff"] = {"alice"}
    for name in ("mo", "alice", "bob"):
        await harness.join(name)
    await harness.command("mo", PRIVATE)
    await harness.command("mo", PUBLIC)
    harness.platform.take()
    return harness


async def test_list_and_next_leave_out_chats_in_channels_the_member_cannot_see(
    chats: Harness,
) -> None:
    for line in ("/chat list", "/chat next"):
        seen_by_bob = await chats.reply_text("bob", line)
        assert "#engchat" in seen_by_bob and "staffchat" not in seen_by_bob
        assert "#staffchat" in await chats.reply_text("alice", line)
        assert "#staffchat" in await chats.reply_text("mo", line)


async def test_subscribe_and_calendar_answer_as_if_there_were_no_such_chat(
    chats: Harness,
) -> None:
    for line in ("/chat subscribe staffchat", "/chat calendar staffchat"):
        assert "There is no chat #staffchat" in await chats.reply_text("bob", line)
    assert "You'll get a reminder" in await chats.reply_text("alice", "/chat subscribe staffchat")
    assert (await chats.reply_file("alice", "/chat calendar staffchat")).filename.endswith(".ics")
    assert "You'll get a reminder" in await chats.reply_text("mo", "/chat subscribe staffchat")


async def test_a_transcript_of_a_private_chat_is_only_for_those_who_can_see_it(
    chats: Harness, scheduler: Scheduler
) -> None:
    chats.clock.advance(seconds=(START - chats.clock.now()).total_seconds())
    await scheduler.settle()
    await chats.post("alice", "staff/thread", "The budget is confidential")
    chats.clock.advance(seconds=3600)
    await scheduler.settle()
    chats.platform.take()

    refused = await chats.reply_text("bob", "/chat transcript staffchat")
    assert "No #staffchat chat has taken place yet." in refused
    assert chats.platform.attachments() == []
    for name in ("alice", "mo"):
        document = (await chats.reply_file(name, "/chat transcript staffchat")).content.decode()
        assert "The budget is confidential" in document
