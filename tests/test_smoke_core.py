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
