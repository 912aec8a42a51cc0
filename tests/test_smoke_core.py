"""The core's front door: help, unknown commands and the moderator gate."""

from __future__ import annotations

from tests.conftest import Harness


async def test_help_lists_member_commands_and_hides_moderator_ones(harness: Harness) -> None:
    await harness.command("alice", "/help")
    (text,) = harness.platform.texts("reply:alice")
    assert "/peers" in text
    assert "/setup" not in text


async def test_moderator_sees_moderator_commands(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/help")
    (text,) = harness.platform.texts("reply:mod")
    assert "/setup" in text and "For moderators" in text


async def test_moderator_command_refused_for_member(harness: Harness) -> None:
    await harness.command("alice", "/stats")
    (text,) = harness.platform.texts("reply:alice")
    assert "Only moderators" in text


async def test_help_for_a_command_explains_each_option_with_examples(harness: Harness) -> None:
    text = await harness.reply_text("alice", "/help mentor offer")
    assert "Usage: `/mentor offer <capacity> <tags> [note=…]`" in text
    assert "`capacity` — How many mentees at once (1–5) (required; a whole number" in text
    assert (
        "`note` — A short note for your mentees (optional; up to 300 characters; typed as `note=…`)"
        in text
    )
    assert "`/mentor offer 2 maths, assessment note=Happy to help with first lessons`" in text
    text = await harness.reply_text("alice", "/help chat create")
    assert "(moderators only)" in text and '`/chat create engchat "Feedback that works"' in text
    assert "one of" not in text or "`schedule`" in text
    text = await harness.reply_text("alice", "/help rounds met")
    assert "one of `yes`, `no`, `skip`" in text


async def test_help_for_a_group_lists_its_commands(harness: Harness) -> None:
    text = await harness.reply_text("alice", "/help chat")
    assert "`/chat create`" in text and "`/chat subscribe`" in text
    assert "Examples" not in text
