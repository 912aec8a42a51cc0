"""`/profile show` and `/profile edit`: what members see, and bad input that changes nothing."""

from __future__ import annotations

import pytest

from communitybot.command_parser import CommandParseError
from communitybot.events import CommandInvoked, ConversationRef
from tests.conftest import COMMUNITY, Harness, user


async def test_own_profile_shows_every_field(harness: Harness) -> None:
    await harness.join("alice")
    await harness.command("alice", "/profile edit role classroom teacher")
    await harness.command("alice", "/profile edit timezone Asia/Kolkata")
    await harness.command("alice", "/profile edit wants_mentor yes")
    await harness.command("alice", "/profile edit offers_mentor off")
    await harness.command("alice", "/profile edit intro I teach maths to 12-year-olds.")
    text = await harness.reply_text("alice", "/profile show")
    assert "Alice" in text and "your profile" in text
    assert "classroom teacher" in text
    assert "Asia/Kolkata (UTC+5:30 now)" in text
    assert "Would like a mentor: yes" in text
    assert "Would like to mentor: no" in text
    assert "I teach maths to 12-year-olds." in text
    assert "Discoverable" in text and "on" in text


async def test_edit_confirms_and_stores(harness: Harness) -> None:
    await harness.join("alice")
    text = await harness.reply_text("alice", "/profile edit timezone new york")
    assert "America/New_York" in text and "UTC-5" in text
    text = await harness.reply_text("alice", "/profile edit role  coach ")
    assert "coach" in text
    member = await harness.member("alice")
    assert member.timezone == "America/New_York"
    assert member.role == "coach"


async def test_wrong_timezone_suggests_and_changes_nothing(harness: Harness) -> None:
    await harness.join("alice")
    await harness.command("alice", "/profile edit timezone Europe/London")
    text = await harness.reply_text("alice", "/profile edit timezone Europe/Londn")
    assert "I don't know the time zone" in text
    assert "Europe/London" in text  # the suggestion
    assert (await harness.member("alice")).timezone == "Europe/London"


async def test_overlong_intro_is_refused_with_its_length(harness: Harness) -> None:
    await harness.join("alice")
    await harness.command("alice", "/profile edit intro Hello!")
    harness.platform.take()
    # Discord would hand the core the raw value; the core checks the length itself.
    await harness.bot.dispatch(
        CommandInvoked(
            COMMUNITY,
            user("alice"),
            ConversationRef("fake", "channel", "general"),
            ("profile", "edit"),
            {"field": "intro", "value": "x" * 5000},
        )
    )
    (text,) = harness.platform.texts("reply:alice")
    assert "5000 characters" in text and "500" in text
    # Typed, the grammar says the same limit (it once said 1,000 while the profile said 500).
    for length in (501, 1200):
        with pytest.raises(CommandParseError, match=f"{length} characters, at most 500"):
            await harness.command("alice", "/profile edit intro " + "y" * length)
    assert (await harness.member("alice")).intro == "Hello!"


async def test_bad_yes_no_and_overlong_role_change_nothing(harness: Harness) -> None:
    await harness.join("alice")
    await harness.command("alice", "/profile edit wants_mentor yes")
    await harness.command("alice", "/profile edit role coach")
    text = await harness.reply_text("alice", "/profile edit wants_mentor maybe")
    assert "yes or no" in text and "maybe" in text
    text = await harness.reply_text("alice", "/profile edit role " + "r" * 81)
    assert "81 characters" in text and "80" in text
    member = await harness.member("alice")
    assert member.wants_mentor is True
    assert member.role == "coach"


async def test_echoed_role_cannot_ping_everyone(harness: Harness) -> None:
    await harness.join("alice")
    text = await harness.reply_text("alice", "/profile edit role @everyone look")
    assert "@everyone" not in text
    text = await harness.reply_text("alice", "/profile show")
    assert "@everyone" not in text


async def test_other_profile_only_when_discoverable(harness: Harness) -> None:
    await harness.join("alice")
    await harness.join("bob")
    await harness.command("bob", "/profile edit role teacher educator")
    text = await harness.reply_text("alice", "/profile show bob")
    assert "Bob" in text and "teacher educator" in text
    assert "teacher educator" in await harness.reply_text("alice", "/profile show @Bob")
    assert "your profile" not in text and "Discoverable" not in text

    await harness.command("bob", "/privacy discoverable off")
    hidden = await harness.reply_text("alice", "/profile show bob")
    assert "teacher educator" not in hidden
    assert "not here or not discoverable" in hidden
    nobody = await harness.reply_text("alice", "/profile show nobody")
    # A hidden member and a missing one get the same answer: nothing leaks.
    assert nobody.replace("Nobody", "Bob") == hidden


async def test_hidden_member_still_sees_own_profile(harness: Harness) -> None:
    await harness.join("bob")
    await harness.command("bob", "/privacy discoverable off")
    text = await harness.reply_text("bob", "/profile show bob")
    assert "your profile" in text and "hidden" in text


async def test_profile_lists_tags(harness: Harness) -> None:
    await harness.join("alice")
    await harness.give_tags("alice", "maths", "edtech")
    text = await harness.reply_text("alice", "/profile show")
    assert "Tags: edtech, maths" in text
