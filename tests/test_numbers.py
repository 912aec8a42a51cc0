"""Numbers members type: ASCII digits only, always within a range, never a crash (issue #10/#11)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from communitybot.bot import FAILED_TEXT
from communitybot.command_parser import CommandParseError, convert_option, parse_command_line
from communitybot.commands import Option
from communitybot.events import CommandInvoked, ConversationRef, UserRef
from communitybot.numbers import MAX_ID, parse_id, parse_int
from tests.conftest import COMMUNITY, Harness, user
from tests.mentoring_setup import ann_mentors_cat

HUGE = "99999999999999999999"


def make_user(raw: str) -> UserRef:
    return UserRef("console", raw, raw)


@pytest.mark.parametrize("text", ["²", "₃", "٣", "1_000", "", " ", "+", "1e3", "0x10", HUGE])
def test_only_ascii_digits_in_range_are_numbers(text: str) -> None:
    assert parse_int(text) is None


def test_ascii_numbers_and_their_bounds() -> None:
    assert parse_int(" 42 ") == 42
    assert parse_int("-3") == -3
    assert parse_int("7", 1, 5) is None
    assert parse_id(str(MAX_ID)) == MAX_ID
    assert parse_id(str(MAX_ID + 1)) is None
    assert parse_id("0") is None


@given(st.text(max_size=30))
def test_parse_int_never_raises(text: str) -> None:
    value = parse_int(text, 1, 5)
    assert value is None or 1 <= value <= 5


@given(st.text(max_size=30), st.integers(-10, 10), st.integers(-10, 10) | st.none())
def test_integer_options_raise_only_friendly_errors(text: str, low: int, high: int | None) -> None:
    option = Option("n", "a number", type="integer", min_value=low, max_value=high)
    try:
        value = convert_option(option, text, make_user)
    except CommandParseError:
        return
    assert low <= value and (high is None or value <= high)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (f"/follow {HUGE}", "far too large"),
        ("/follow ²", "digits 0-9"),
        ("/follow 0", "at least 1"),
        ("/ask Something days=99", "between 1 and 60"),
        ("/ask Something days=₃", "whole number between 1 and 60"),
    ],
)
def test_typed_numbers_are_bounded_with_a_clear_answer(line: str, message: str) -> None:
    with pytest.raises(CommandParseError, match=message):
        parse_command_line(line, "/", make_user)


async def test_follow_and_resolve_with_an_unstorable_number_answer_clearly(
    harness: Harness,
) -> None:
    """Discord delivers integers itself: a number past SQLite's range must not crash."""
    await harness.command("ann", "/ask How do I run a seminar? channel=general")
    harness.platform.take()
    for path in (("follow",), ("resolve",)):
        event = CommandInvoked(
            COMMUNITY,
            user("bo"),
            ConversationRef("fake", "channel", "general"),
            path,
            {"number": 10**20, "outcome": "x"},
        )
        await harness.bot.dispatch(event)
        (text,) = harness.platform.texts("reply:bo")
        assert f"There is no problem of practice #{10**20}; numbers go up to #1." in text


async def test_a_superscript_digit_in_onboarding_is_asked_again(harness: Harness) -> None:
    await harness.join("alice")
    harness.platform.take()
    await harness.say("alice", "²")
    (text,) = harness.platform.texts("reply:alice")
    assert FAILED_TEXT not in text
    assert "What best describes your role?" in text


async def test_rounds_pause_with_a_superscript_is_explained(harness: Harness) -> None:
    await harness.join("ann")
    await harness.command("ann", "/rounds join")
    text = await harness.reply_text("ann", "/rounds pause ²")
    assert "from 1 to 12" in text


async def test_every_superscript_weeks_is_explained(harness: Harness) -> None:
    harness.platform.moderators.add("mo")
    line = '/chat create engchat "Feedback" chats "every ² weeks monday" 19:00 Europe/London'
    text = await harness.reply_text("mo", line)
    assert "choose an interval from 1 to 12 weeks" in text


@pytest.mark.parametrize("raw_id", ["₃", HUGE, "-1", "0"])
async def test_a_check_in_button_with_a_strange_id_is_no_longer_open(
    harness: Harness, raw_id: str
) -> None:
    await harness.join("ann")
    harness.platform.take()
    await harness.pick("ann", f"mentoring:checkin:{raw_id}", "met")
    (text,) = harness.platform.texts("reply:ann")
    assert "That check-in is no longer open" in text


async def test_a_superscript_typed_to_an_open_check_in_does_not_crash(harness: Harness) -> None:
    await ann_mentors_cat(harness)
    async with harness.store.db.transaction():
        ann = await harness.member("ann")
        from communitybot.replies import Choice

        await harness.store.open_prompts.put(
            ann.id, "mentoring:checkin:1", (Choice("met", "Met"),), harness.clock.now()
        )
    harness.platform.take()
    await harness.say("ann", "²")
    assert FAILED_TEXT not in " ".join(harness.platform.texts())
