"""Time zones as teachers type them: cities, abbreviations and offsets (issue #10/#11)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from communitybot.timezones import TimezoneError, describe_zone, read_timezone
from tests.conftest import Harness

WINTER = datetime(2027, 1, 4, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Mumbai", "Asia/Kolkata"),
        ("delhi", "Asia/Kolkata"),
        ("Bangalore", "Asia/Kolkata"),
        ("Beijing", "Asia/Shanghai"),
        ("San Francisco", "America/Los_Angeles"),
        ("san_francisco", "America/Los_Angeles"),
        ("Washington", "America/New_York"),
        ("Boston", "America/New_York"),
        ("Philadelphia", "America/New_York"),
        ("Seattle", "America/Los_Angeles"),
        ("Miami", "America/New_York"),
        ("Atlanta", "America/New_York"),
        ("Dallas", "America/Chicago"),
        ("Houston", "America/Chicago"),
        ("Munich", "Europe/Berlin"),
        ("Barcelona", "Europe/Madrid"),
        ("Milan", "Europe/Rome"),
        ("Frankfurt", "Europe/Berlin"),
        ("Hamburg", "Europe/Berlin"),
        ("Geneva", "Europe/Zurich"),
        ("Zurich", "Europe/Zurich"),
        ("Osaka", "Asia/Tokyo"),
        ("Kyoto", "Asia/Tokyo"),
        ("Sydney", "Australia/Sydney"),
        ("Melbourne", "Australia/Melbourne"),
        ("Rio", "America/Sao_Paulo"),
        ("Cape Town", "Africa/Johannesburg"),
        ("sao paulo", "America/Sao_Paulo"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
        ("new york", "America/New_York"),
        ("europe/london", "Europe/London"),
        ("PST", "America/Los_Angeles"),
        ("PDT", "America/Los_Angeles"),
        ("PT", "America/Los_Angeles"),
        ("MST", "America/Denver"),
        ("CST", "America/Chicago"),
        ("EST", "America/New_York"),
        ("ET", "America/New_York"),
        ("BST", "Europe/London"),
        ("GMT", "Europe/London"),
        ("CET", "Europe/Paris"),
        ("EET", "Europe/Athens"),
        ("IST", "Asia/Kolkata"),
        ("JST", "Asia/Tokyo"),
        ("AEST", "Australia/Sydney"),
        ("AEDT", "Australia/Sydney"),
        ("NZST", "Pacific/Auckland"),
        ("UTC", "UTC"),
        ("UTC+2", "Etc/GMT-2"),
        ("GMT-5", "Etc/GMT+5"),
        ("+02:00", "Etc/GMT-2"),
        ("utc + 10", "Etc/GMT-10"),
        ("UTC+0", "UTC"),
    ],
)
def test_cities_abbreviations_and_offsets(typed: str, zone: str) -> None:
    assert read_timezone(typed, WINTER).name == zone


def test_ambiguous_abbreviations_say_what_else_they_may_mean() -> None:
    ist = read_timezone("IST", WINTER).note or ""
    assert "Asia/Kolkata" in ist and "Europe/Dublin" in ist and "Did you mean" in ist
    cst = read_timezone("CST", WINTER).note or ""
    assert "America/Chicago" in cst and "Asia/Shanghai" in cst


def test_a_whole_hour_offset_is_fixed_and_says_which_zones_follow_daylight_saving() -> None:
    reading = read_timezone("UTC+2", WINTER)
    assert "does not change for daylight saving" in (reading.note or "")
    assert "Europe/Athens" in (reading.note or "")
    assert describe_zone(reading.name) == "UTC+2 (fixed)"
    assert describe_zone("Etc/GMT+5") == "UTC-5 (fixed)"


def test_a_half_hour_offset_suggests_the_zones_at_that_offset() -> None:
    with pytest.raises(TimezoneError, match="Asia/Kolkata"):
        read_timezone("UTC+05:30", WINTER)
    with pytest.raises(TimezoneError, match="UTC-12 to UTC\\+14"):
        read_timezone("UTC+15", WINTER)


def test_near_misses_suggest_the_right_zone() -> None:
    with pytest.raises(TimezoneError, match="Asia/Kolkata"):
        read_timezone("Mumbay", WINTER)
    with pytest.raises(TimezoneError) as error:
        read_timezone("Mumbai City", WINTER)
    assert "Asia/Dubai" not in str(error.value)


@given(st.text(max_size=40))
def test_reading_a_zone_raises_only_a_friendly_error(text: str) -> None:
    try:
        reading = read_timezone(text, WINTER)
    except TimezoneError:
        return
    assert reading.name


async def test_profile_edit_understands_a_city_and_an_offset(harness: Harness) -> None:
    await harness.join("ana")
    text = await harness.reply_text("ana", "/profile edit timezone Mumbai")
    assert "Asia/Kolkata" in text
    assert (await harness.member("ana")).timezone == "Asia/Kolkata"
    text = await harness.reply_text("ana", "/profile edit timezone UTC+2")
    assert "UTC+2 (fixed)" in text and "daylight saving" in text and "Europe/Athens" in text
    assert (await harness.member("ana")).timezone == "Etc/GMT-2"
    assert "UTC+2 (fixed)" in await harness.reply_text("ana", "/profile show")
    text = await harness.reply_text("ana", "/profile edit timezone UTC+05:30")
    assert "Asia/Kolkata" in text
    assert (await harness.member("ana")).timezone == "Etc/GMT-2"


async def test_a_chat_in_pst_and_rounds_in_bst(harness: Harness) -> None:
    harness.platform.moderators.add("mo")
    await harness.command("mo", "/setup welcome_channel=welcome introductions_channel=intros")
    line = '/chat create sfchat "Bay Area" chats "weekly tuesday" 17:00 PST'
    text = await harness.reply_text("mo", line)
    assert "America/Los_Angeles" in text and "US Pacific time" in text
    text = await harness.reply_text("mo", "/rounds setup weekly monday 09:00 timezone=BST")
    assert "Europe/London" in text and "Asia/Dhaka" in text


async def test_onboarding_accepts_a_city(harness: Harness) -> None:
    await harness.join("alice")
    for answer in ("1", "skip", "skip", "skip"):
        await harness.say("alice", answer)
    await harness.say("alice", "Mumbai")
    assert (await harness.member("alice")).timezone == "Asia/Kolkata"


async def test_onboarding_says_an_offset_ignores_daylight_saving(harness: Harness) -> None:
    await harness.join("alice")
    for answer in ("1", "skip", "skip", "skip"):
        await harness.say("alice", answer)
    harness.platform.take()
    await harness.say("alice", "GMT-5")
    text = "\n".join(harness.platform.texts("reply:alice"))
    assert "fixed offset UTC-5" in text and "America/New_York" in text
    assert (await harness.member("alice")).timezone == "Etc/GMT+5"


async def test_chat_times_show_a_fixed_offset_plainly(harness: Harness) -> None:
    harness.platform.moderators.add("mo")
    await harness.command(
        "mo", '/chat create engchat "Feedback" chats "weekly tuesday" 19:00 Europe/London'
    )
    await harness.join("ana")
    await harness.command("ana", "/profile edit timezone UTC+2")
    text = await harness.reply_text("ana", "/chat next")
    assert "21:00 (UTC+2 (fixed))" in text and "Etc/GMT" not in text
