"""Chat dates stay in a window the bot can show: input is bounded, stored strays never crash."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from communitybot.bot import FAILED_TEXT
from communitybot.chats.input import ChatInputError, parse_schedule
from communitybot.chats.schedule import once
from tests.conftest import COMMUNITY, Harness

NOW = datetime(2027, 1, 4, 12, tzinfo=UTC)


@pytest.fixture
async def mod(harness: Harness) -> str:
    harness.platform.moderators.add("mo")
    await harness.join("mo")
    await harness.join("alice")
    # A set-up community: the first moderator command's "set up your channels" hint is done.
    await harness.command("mo", "/setup welcome_channel=welcome introductions_channel=intros")
    harness.platform.take()
    return "mo"


@pytest.mark.parametrize(
    ("when", "zone", "message"),
    [
        ("once 9999-12-31", "23:00 America/New_York", "too far ahead"),
        ("once 0001-01-01", "00:00 Asia/Tokyo", "is in the past"),
        ("once 9999-12-31", "20:00 UTC", "up to five years ahead"),
        ("once 2032-01-06", "20:00 UTC", "too far ahead"),
    ],
)
async def test_far_dates_are_refused_clearly(
    harness: Harness, mod: str, when: str, zone: str, message: str
) -> None:
    text = await harness.reply_text(mod, f'/chat create far "Far" chats "{when}" {zone}')
    assert message in text and FAILED_TEXT not in text
    assert "no chats planned" in await harness.reply_text(mod, "/chat list")


async def test_a_date_four_years_ahead_is_fine(harness: Harness, mod: str) -> None:
    text = await harness.reply_text(
        mod, '/chat create soon "Soon" chats "once 2031-01-06" 20:00 UTC'
    )
    assert "Created **#soon" in text


async def test_a_stored_year_9999_chat_is_explained_not_crashed(harness: Harness, mod: str) -> None:
    """A database from before the bound may hold one: calendar and next must keep working."""
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    start = datetime(9999, 12, 31, 20, tzinfo=UTC)
    async with harness.store.db.transaction():
        await harness.store.chats.create(
            community.id,
            "far",
            "Far",
            "chats",
            once("UTC", time(20), date(9999, 12, 31)),
            60,
            start,
            None,
            NOW,
        )
        alice = await harness.member("alice")
        await harness.store.members.update(alice.id, timezone="Asia/Tokyo")
    text = await harness.reply_text("alice", "/chat calendar far")
    assert "outside the five years" in text and "chat cancel far" in text
    text = await harness.reply_text("alice", "/chat next")
    assert FAILED_TEXT not in text and "31 December 9999, 20:00 UTC" in text
    assert FAILED_TEXT not in await harness.reply_text("alice", "/chat list")


@settings(max_examples=60, deadline=None)
@given(st.dates(), st.sampled_from(["UTC", "Asia/Tokyo", "America/New_York", "Pacific/Kiritimati"]))
def test_any_one_off_date_is_accepted_or_explained(on: date, zone: str) -> None:
    try:
        schedule = parse_schedule(f"once {on.isoformat()}", zone, time(23, 30), NOW)
    except ChatInputError:
        return
    assert schedule.anchor == on
