"""Host tools for a running chat (issue #15): pause, resume, next question, end early; late starts.

Driven like tests/test_chat_run.py: the Harness (real Bot, real store) with a real Scheduler
running every job kind, time moving only when a test advances the fake clock. #engchat is on
Tuesdays 19:00 London (= UTC in January), 60 minutes, hosted by alice; mo is a moderator.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console.platform import ConsolePlatform
from adapters.console.runner import ConsoleSession
from communitybot.bot import Bot
from communitybot.clock import FakeClock
from communitybot.events import CommunityRef
from communitybot.peers.index import PeerIndex
from communitybot.registry import JOB_KINDS
from communitybot.scheduler import Scheduler
from communitybot.store.store import Store
from tests.conftest import Harness, running_scheduler
from tests.fakes import FakePlatform

CREATE = '/chat create engchat "Feedback that works" chats "weekly tuesday" 19:00 Europe/London'
SCRIPT = "/chat questions engchat Q1 @10 First? | Q2 @30 Second? | Q3 @45 Third?"
START = datetime(2027, 1, 5, 19, tzinfo=UTC)
THREAD = "#chats/thread"
PAUSED = "⏸️ The host paused the questions."


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


@pytest.fixture
async def scheduler(harness: Harness) -> AsyncIterator[Scheduler]:
    async with running_scheduler(harness, JOB_KINDS) as running:
        yield running


@pytest.fixture
async def chat(harness: Harness) -> str:
    """#engchat created by the moderator "mo", hosted by alice, with three questions loaded."""
    harness.platform.moderators.add("mo")
    for name in ("mo", "alice", "bob"):
        await harness.join(name)
    await harness.command("mo", f"{CREATE} hosts=alice")
    await harness.command("alice", SCRIPT)
    harness.platform.take()
    return "engchat"


async def advance_to(harness: Harness, scheduler: Scheduler, moment: datetime) -> None:
    harness.clock.advance(seconds=(moment - harness.clock.now()).total_seconds())
    await scheduler.settle()


def questions_in(texts: list[str]) -> list[str]:
    return [text.split("**")[1] for text in texts if text.startswith("❓")]


async def test_a_pause_holds_the_questions_and_resume_moves_them_and_the_end_later(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    await advance_to(harness, scheduler, at(10))
    assert questions_in(harness.platform.texts(THREAD)) == ["Q1"]
    await advance_to(harness, scheduler, at(20))
    await harness.command("alice", "/chat pause engchat")
    sent = harness.platform.take()
    assert [s.text for s in sent if s.where == THREAD] == [PAUSED]
    (answer,) = [s.text for s in sent if s.where == "reply:alice"]
    assert "Paused the questions of #engchat" in answer
    assert "still paused 100 minutes from now" in answer, "the cap: the chat's own length"

    await advance_to(harness, scheduler, at(30))
    assert harness.platform.texts(THREAD) == [], "no question while paused"
    await advance_to(harness, scheduler, at(35))
    await harness.command("alice", "/chat resume engchat")
    sent = harness.platform.take()
    (note,) = [s.text for s in sent if s.where == THREAD]
    assert note == (
        "▶️ Questions resume. The questions still to come and the chat's end move 15 minutes later."
    )
    (answer,) = [s.text for s in sent if s.where == "reply:alice"]
    assert "moved 15 minutes later" in answer

    await advance_to(harness, scheduler, at(44))
    assert harness.platform.texts(THREAD) == []
    await advance_to(harness, scheduler, at(45))  # Q2: minute 30 + the 15-minute pause
    assert questions_in(harness.platform.texts(THREAD)) == ["Q2"]
    await advance_to(harness, scheduler, at(59))
    assert harness.platform.texts(THREAD) == []
    await advance_to(harness, scheduler, at(60))  # Q3: minute 45 + 15; the chat goes on
    assert questions_in(harness.platform.texts(THREAD)) == ["Q3"]
    await harness.post("bob", "chats/thread", "A3 still listening after the usual end")
    await advance_to(harness, scheduler, at(74))
    assert harness.platform.texts(THREAD) == []
    await advance_to(harness, scheduler, at(75))  # the end: 20:00 + 15
    (recap,) = harness.platform.texts(THREAD)
    assert "**#engchat recap" in recap and "• Q3 Third?: 1" in recap
    transcript = (await harness.reply_file("bob", "/chat transcript engchat")).content.decode()
    assert "19:00–20:15" in transcript


async def test_a_moderator_may_pause_and_resume_too(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    await advance_to(harness, scheduler, at(5))
    harness.platform.take()
    await harness.command("mo", "/chat pause engchat")
    await harness.command("mo", "/chat resume engchat")
    paused, resumed = harness.platform.texts(THREAD)
    assert paused == PAUSED and "move less than a minute later" in resumed
    await advance_to(harness, scheduler, at(10))
    assert questions_in(harness.platform.texts(THREAD)) == ["Q1"]


async def test_pausing_twice_or_resuming_without_a_pause_changes_nothing(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    await advance_to(harness, scheduler, at(5))
    harness.platform.take()
    not_paused = await harness.reply_text("alice", "/chat resume engchat")
    assert "are not paused: nothing to resume" in not_paused
    await harness.command("alice", "/chat pause engchat")
    harness.platform.take()
    await advance_to(harness, scheduler, at(8))
    again = await harness.reply_text("alice", "/chat pause engchat")
    assert "already paused (for 3 minutes now)" in again and "/chat resume engchat" in again
    assert harness.platform.texts(THREAD) == [], "no second note"
    await advance_to(harness, scheduler, at(9))
    await harness.command("alice", "/chat resume engchat")
    harness.platform.take()
    await advance_to(harness, scheduler, at(13))
    assert harness.platform.texts(THREAD) == [], "moved by the one pause (4 minutes), not more"
    await advance_to(harness, scheduler, at(14))
    assert questions_in(harness.platform.texts(THREAD)) == ["Q1"]


async def test_next_question_posts_it_now_and_its_job_later_posts_nothing(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    await advance_to(harness, scheduler, at(10))
    harness.platform.take()
    await advance_to(harness, scheduler, at(12))
    await harness.command("alice", "/chat next-question engchat")
    sent = harness.platform.take()
    assert questions_in([s.text for s in sent if s.where == THREAD]) == ["Q2"]
    (answer,) = [s.text for s in sent if s.where == "reply:alice"]
    assert "Posted **Q2** in #engchat now; the questions after it keep their times" in answer
    await harness.post("bob", "chats/thread", "no number: this belongs to Q2 now")
    await advance_to(harness, scheduler, at(30))
    assert harness.platform.texts(THREAD) == [], "Q2's job finds it posted"
    await advance_to(harness, scheduler, at(44))
    assert harness.platform.texts(THREAD) == []
    await advance_to(harness, scheduler, at(45))
    assert questions_in(harness.platform.texts(THREAD)) == ["Q3"], "Q3 keeps its time"
    none_left = await harness.reply_text("alice", "/chat next-question engchat")
    assert "All 3 questions of #engchat have been posted: there is no next one" in none_left
    assert harness.platform.texts(THREAD) == []
    await advance_to(harness, scheduler, at(60))
    (recap,) = harness.platform.texts(THREAD)
    assert "• Q2 Second?: 1" in recap


async def test_next_question_while_paused_does_not_resume_and_later_ones_keep_their_times(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    await advance_to(harness, scheduler, at(10))
    await advance_to(harness, scheduler, at(15))
    await harness.command("alice", "/chat pause engchat")
    harness.platform.take()
    answer = await harness.reply_text("alice", "/chat next-question engchat")
    assert "Posted **Q2**" in answer and "The questions stay paused" in answer
    await harness.command("alice", "/chat next-question engchat")
    (q3,) = harness.platform.texts(THREAD)
    assert q3.startswith("❓ **Q3** Third?")
    await advance_to(harness, scheduler, at(20))
    await harness.command("alice", "/chat resume engchat")
    harness.platform.take()
    await advance_to(harness, scheduler, at(64))
    assert harness.platform.texts(THREAD) == [], "nothing left to post"
    await advance_to(harness, scheduler, at(65))  # the end: 20:00 + the 5-minute pause
    (recap,) = harness.platform.texts(THREAD)
    assert "**#engchat recap" in recap


async def test_next_question_keeps_the_later_times_and_an_open_chat_has_none(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    await advance_to(harness, scheduler, at(5))
    harness.platform.take()
    await harness.command("alice", "/chat next-question engchat")
    assert questions_in(harness.platform.texts(THREAD)) == ["Q1"]
    await advance_to(harness, scheduler, at(10))
    assert harness.platform.texts(THREAD) == []
    await advance_to(harness, scheduler, at(30))
    assert questions_in(harness.platform.texts(THREAD)) == ["Q2"], "Q2 keeps minute 30"
    await advance_to(harness, scheduler, START + timedelta(days=7))  # next week: no script
    harness.platform.take()
    open_chat = await harness.reply_text("alice", "/chat next-question engchat")
    assert "#engchat has no questions: it is an open conversation" in open_chat


async def test_ending_early_posts_the_recap_now_and_the_end_job_stays_silent(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    await advance_to(harness, scheduler, at(10))
    await harness.post("bob", "chats/thread", "A1 exit tickets")
    harness.platform.take()
    await advance_to(harness, scheduler, at(25))
    await harness.command("alice", "/chat pause engchat")  # an early end also ends a pause
    harness.platform.take()
    await harness.command("alice", "/chat end engchat")
    sent = harness.platform.take()
    (recap,) = [s.text for s in sent if s.where == THREAD]
    assert "**#engchat recap" in recap and "1 message from 1 participant" in recap
    (ended,) = [s.text for s in sent if s.where == "reply:alice"]
    assert ended == "Ended #engchat now: the recap is posted in the chat."
    again = await harness.reply_text("mo", "/chat end engchat")
    assert again == (
        "#engchat is not running now; it next starts Tuesday 12 January, 19:00 (Europe/London)."
    )
    assert await harness.post("bob", "chats/thread", "A1 after the end") == []
    await advance_to(harness, scheduler, at(200))  # Q2, Q3, the end and the cap all pass
    assert harness.platform.texts(THREAD) == []
    text = (await harness.reply_file("bob", "/chat transcript engchat")).content.decode()
    assert "19:00–19:25" in text and "after the end" not in text


async def test_members_are_refused_and_a_chat_not_running_is_explained(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    for command in ("pause", "resume", "next-question", "end"):
        early = await harness.reply_text("alice", f"/chat {command} engchat")
        assert early == (
            "#engchat is not running now; it next starts Tuesday 05 January, 19:00 (Europe/London)."
        )
    assert "There is no chat #nochat" in await harness.reply_text("mo", "/chat pause nochat")
    await advance_to(harness, scheduler, at(5))
    harness.platform.take()
    for command in ("pause", "resume", "next-question", "end"):
        refused = await harness.reply_text("bob", f"/chat {command} #EngChat")
        assert refused == "Only moderators and the hosts of #engchat can steer its chat."
    await advance_to(harness, scheduler, at(10))
    assert questions_in(harness.platform.texts(THREAD)) == ["Q1"], "bob changed nothing"


async def test_a_forgotten_pause_ends_the_chat_at_the_cap(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    await advance_to(harness, scheduler, at(20))
    await harness.post("bob", "chats/thread", "A1 before the pause")
    await harness.command("alice", "/chat pause engchat")
    harness.platform.take()
    await advance_to(harness, scheduler, at(119))
    assert harness.platform.texts(THREAD) == [], "no question, no recap during the pause"
    await advance_to(harness, scheduler, at(120))  # 20:00 + the chat's 60 minutes
    (recap,) = harness.platform.texts(THREAD)
    assert "**#engchat recap" in recap and "• Q2 Second?: 0" in recap
    gone = await harness.reply_text("alice", "/chat resume engchat")
    assert "#engchat is not running now" in gone


async def test_pauses_add_up_to_at_most_the_chat_s_length(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    await advance_to(harness, scheduler, at(5))
    await harness.command("alice", "/chat pause engchat")
    await advance_to(harness, scheduler, at(45))
    await harness.command("alice", "/chat resume engchat")  # 40 minutes
    await harness.command("alice", "/chat pause engchat")
    await advance_to(harness, scheduler, at(75))  # 30 more asked for, 20 allowed
    resumed = await harness.reply_text("alice", "/chat resume engchat")
    assert "moved 20 minutes later" in resumed
    refused = await harness.reply_text("alice", "/chat pause engchat")
    assert "paused for 60 minutes in all" in refused and "can't be paused again" in refused
    harness.platform.take()
    await advance_to(harness, scheduler, at(119))
    assert "**#engchat recap" not in "".join(harness.platform.texts(THREAD))
    await advance_to(harness, scheduler, at(120))
    assert any("**#engchat recap" in text for text in harness.platform.texts(THREAD))


async def test_a_restart_during_a_pause_keeps_it(
    harness: Harness, chat: str, scheduler: Scheduler, store_target: Path | str
) -> None:
    await advance_to(harness, scheduler, at(20))
    await harness.command("alice", "/chat pause engchat")
    harness.platform.take()
    await scheduler.stop()
    await harness.store.close()  # the bot stops during the pause…

    store = await Store.open(store_target)  # …and starts again on the same database
    platform = FakePlatform(moderators={"mo"})
    try:
        bot = Bot(store, platform, harness.clock, PeerIndex(), prefix="/")
        restarted = Harness(bot, platform, harness.clock, store)
        async with running_scheduler(restarted, JOB_KINDS) as again:
            await advance_to(restarted, again, at(40))
            assert platform.texts(THREAD) == [], "Q2 (minute 30) stays paused"
            again_paused = await restarted.reply_text("alice", "/chat pause engchat")
            assert "already paused (for 20 minutes now)" in again_paused
            await restarted.command("alice", "/chat resume engchat")
            note = platform.texts(THREAD)
            assert len(note) == 1 and "20 minutes later" in note[0]
            await advance_to(restarted, again, at(49))
            assert platform.texts(THREAD) == []
            await advance_to(restarted, again, at(50))
            assert questions_in(platform.texts(THREAD)) == ["Q2"]
            await advance_to(restarted, again, at(64))
            assert platform.texts(THREAD) == []
            await advance_to(restarted, again, at(65))
            assert questions_in(platform.texts(THREAD)) == ["Q3"]
            await advance_to(restarted, again, at(79))
            assert platform.texts(THREAD) == []
            await advance_to(restarted, again, at(80))
            (recap,) = platform.texts(THREAD)
            assert "**#engchat recap" in recap
    finally:
        await store.close()


async def test_a_late_start_posts_one_note_and_only_the_latest_due_question(
    harness: Harness,
) -> None:
    harness.platform.moderators.add("mo")
    for name in ("mo", "alice", "bob"):
        await harness.join(name)
    await harness.command("mo", f"{CREATE} hosts=alice")
    await harness.command(
        "alice", "/chat questions engchat Q1 @10 One? | Q2 @20 Two? | Q3 @40 Three?"
    )
    harness.platform.take()
    harness.clock.advance(seconds=(at(25) - harness.clock.now()).total_seconds())  # bot down
    async with running_scheduler(harness, JOB_KINDS) as scheduler:
        sent = harness.platform.take()
        (welcome,) = [s.text for s in sent if s.where == "#chats"]
        assert "starts now (60 minutes)" in welcome
        assert "started 25 minutes late (the bot was away); it still ends at its usual time" in (
            welcome
        )
        assert "Skipped, their time had passed: **Q1** One?." in welcome
        assert "Q2" not in welcome.split("Skipped")[1]
        assert questions_in([s.text for s in sent if s.where == THREAD]) == ["Q2"]
        await advance_to(harness, scheduler, at(39))
        assert harness.platform.texts(THREAD) == []
        await advance_to(harness, scheduler, at(40))
        assert questions_in(harness.platform.texts(THREAD)) == ["Q3"]
        await advance_to(harness, scheduler, at(60))
        (recap,) = harness.platform.texts(THREAD)
        assert "**#engchat recap" in recap


async def test_a_start_on_time_has_no_late_note(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    await advance_to(harness, scheduler, START)
    (welcome,) = harness.platform.texts("#chats")
    assert "late" not in welcome and "Skipped" not in welcome


async def test_pause_and_resume_typed_in_the_console(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bot.db")
    out = io.StringIO()
    platform = ConsolePlatform(out, tmp_path / "files")
    clock = FakeClock()
    bot = Bot(store, platform, clock, PeerIndex(), prefix="/")
    session = ConsoleSession(bot, platform, CommunityRef("console", "local"))
    scheduler = Scheduler(bot, JOB_KINDS, sleeper=clock)
    setup = [
        ":mod mo",
        ":join mo",
        CREATE,
        "/chat questions engchat Q1 @10 What feedback works?",
    ]
    try:
        async with scheduler.running():
            for line in setup:
                assert await session.handle(line)
            clock.advance(seconds=(at(5) - clock.now()).total_seconds())
            await scheduler.settle()
            await session.handle("/chat pause engchat")
            clock.advance(minutes=10)
            await scheduler.settle()
            chats = [line for line in out.getvalue().splitlines() if line.startswith("[#chats]")]
            assert any(PAUSED in line for line in chats)
            assert not any("❓ **Q1**" in line for line in chats)
            await session.handle("/chat resume engchat")
            clock.advance(minutes=15)
            await scheduler.settle()
            chats = [line for line in out.getvalue().splitlines() if line.startswith("[#chats]")]
            assert any("Questions resume" in line for line in chats)
            assert any("**Q1** What feedback works?" in line for line in chats)
    finally:
        await store.close()
