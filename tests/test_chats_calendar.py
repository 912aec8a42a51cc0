"""`/chat calendar`: the .ics a member imports repeats at the chat's local time, DST and all."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

from communitybot.chats.schedule import occurrences
from tests.conftest import Harness


@pytest.fixture
async def mod(harness: Harness) -> str:
    harness.platform.moderators.add("mo")
    await harness.join("mo")
    return "mo"


async def calendar_file(harness: Harness, name: str, hashtag: str) -> tuple[str, str]:
    """`/chat calendar <hashtag>`: the reply's text and the attached .ics (checked to be one)."""
    harness.platform.take()
    await harness.command(name, f"/chat calendar {hashtag}")
    (sent,) = [s for s in harness.platform.take() if s.where == f"reply:{name}"]
    file = sent.message.attachment
    assert file is not None, sent.text
    assert file.filename == f"{hashtag}.ics" and file.media_type == "text/calendar"
    return sent.text, file.content.decode()


def unfolded(ics: str) -> list[str]:
    return ics.replace("\r\n ", "").split("\r\n")


async def test_the_calendar_repeats_in_the_chat_s_zone_on_the_same_dates_as_the_bot(
    harness: Harness, mod: str
) -> None:
    await harness.command(
        mod, '/chat create engchat "Feedback, that works" chats "every 2 weeks tue" 19:00 London'
    )
    await harness.command(mod, "/chat skip-next engchat")
    text, ics = await calendar_file(harness, "alice", "engchat")
    assert "attached `engchat.ics`" in text and "BEGIN:" not in text
    lines = unfolded(ics)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert "DTSTART;TZID=Europe/London:20270119T190000" in lines
    assert "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU" in lines
    assert "SUMMARY:#engchat: Feedback\\, that works" in lines
    assert "DURATION:PT60M" in lines
    # The zone's yearly changes, as calendars expect them: last Sunday of March and October.
    assert "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU" in lines
    assert "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU" in lines
    onsets = [line for line in lines if line.startswith("DTSTART:")]
    assert onsets and all(line < "DTSTART:20270119" for line in onsets), "defined from the start"

    series = await harness.store.chats.find(1, "engchat")
    assert series is not None
    start = datetime(2027, 1, 19, 19, tzinfo=ZoneInfo("Europe/London"))
    (weekly,) = [line for line in lines if line.startswith("RRULE:FREQ=WEEKLY")]
    rule = rrulestr(weekly.removeprefix("RRULE:"), dtstart=start)
    theirs = [d.astimezone(UTC) for d in list(rule[:30])]
    ours = [
        o.start for o in occurrences(series.schedule, datetime(2027, 1, 18, tzinfo=UTC), count=30)
    ]
    assert theirs == ours
    assert {d.astimezone(ZoneInfo("Europe/London")).hour for d in theirs} == {19}


async def test_a_monthly_chat_in_a_zone_without_dst_and_lines_stay_short(
    harness: Harness, mod: str
) -> None:
    title = "Über-long “title” " * 6
    await harness.command(
        mod,
        f'/chat create kolkata "{title.strip()}" chats "monthly last friday" 18:00 Asia/Kolkata',
    )
    text, ics = await calendar_file(harness, mod, "kolkata")
    assert len(text) < 1900, "fits one Discord message"
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    lines = unfolded(ics)
    assert "RRULE:FREQ=MONTHLY;BYDAY=-1FR" in lines
    assert "TZOFFSETTO:+0530" in lines
    assert "no chat #nope" in await harness.reply_text(mod, "/chat calendar nope")
