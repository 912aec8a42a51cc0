"""Running a topic chat: questions loaded by hosts, the thread, Q1…Qn on time, answers, recap.

Driven through the Harness (real Bot, real SQLite store) with a real Scheduler running every
job kind; time moves only when a test advances the fake clock (Monday 4 January 2027, 12:00
UTC). The chat #engchat is on Tuesdays 19:00 London (= UTC in January), 60 minutes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from loguru import logger

from communitybot.bot import Bot
from communitybot.chats import run as chat_run
from communitybot.chats.script import parse_script, planned
from communitybot.chats.transcript import cap
from communitybot.context import Context
from communitybot.events import CommandInvoked, ConversationRef
from communitybot.peers.index import PeerIndex
from communitybot.registry import JOB_KINDS
from communitybot.scheduler import Scheduler
from communitybot.store.chat_runs import ChatRun, RunQuestion, ScriptQuestion
from tests.conftest import COMMUNITY, Harness, running_scheduler, user

CREATE = '/chat create engchat "Feedback that works" chats "weekly tuesday" 19:00 Europe/London'
SCRIPT = "/chat questions engchat Q1 @10 What feedback works? | Q2 @30 How do you follow up?"
START = datetime(2027, 1, 5, 19, tzinfo=UTC)
THREAD = "#chats/thread"


def at(minute: int) -> datetime:
    return START.replace(minute=minute) if minute < 60 else START.replace(hour=20)


@pytest.fixture
async def scheduler(harness: Harness) -> AsyncIterator[Scheduler]:
    async with running_scheduler(harness, JOB_KINDS) as running:
        yield running


@pytest.fixture
async def chat(harness: Harness) -> str:
    """#engchat created by the moderator "mo", hosted by alice; bob, carol, dave and eve joined."""
    harness.platform.moderators.add("mo")
    for name in ("mo", "alice", "bob", "carol", "dave", "eve"):
        await harness.join(name)
    await harness.command("mo", f"{CREATE} hosts=alice")
    harness.platform.take()
    return "engchat"


async def advance_to(harness: Harness, scheduler: Scheduler, moment: datetime) -> None:
    harness.clock.advance(seconds=(moment - harness.clock.now()).total_seconds())
    await scheduler.settle()


async def hide(harness: Harness, name: str) -> None:
    await harness.command(name, "/privacy discoverable off")
    harness.platform.take()


async def test_a_full_chat_from_the_welcome_in_a_thread_to_the_recap(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    loaded = await harness.reply_text("alice", SCRIPT)
    assert "Loaded 2 questions for the next #engchat" in loaded
    assert "**Q1** (minute 10): What feedback works?" in loaded
    await hide(harness, "eve")

    await advance_to(harness, scheduler, START)
    (welcome,) = harness.platform.texts("#chats")
    assert "**#engchat: Feedback that works** starts now (60 minutes)" in welcome
    assert "Hosted by Alice." in welcome
    assert "2 questions will come as **Q1**" in welcome and "`A1 I use exit tickets`" in welcome

    await harness.post("bob", "chats/thread", "Hello from Leeds!")
    await advance_to(harness, scheduler, at(9))
    assert harness.platform.take() == []
    await advance_to(harness, scheduler, at(10))
    (q1,) = harness.platform.texts(THREAD)
    assert "**Q1** What feedback works?" in q1 and "**A1**" in q1

    await harness.post("bob", "chats/thread", "A1 exit tickets, every lesson")
    await harness.post("carol", "chats/thread", "a1: peer review with a rubric", reply_to="bob")
    await harness.post("dave", "chats/thread", "A1 - what @carol said", mentions=("carol",))
    await harness.post("eve", "chats/thread", "A1 same as Bob", reply_to="bob")
    await advance_to(harness, scheduler, at(30))
    (q2,) = harness.platform.texts(THREAD)
    assert "**Q2** How do you follow up?" in q2
    await harness.post("bob", "chats/thread", "A2 a quick re-teach")
    await harness.post("carol", "chats/thread", "agreed, and exit tickets again")

    await advance_to(harness, scheduler, at(60))
    (recap,) = harness.platform.texts(THREAD)
    assert "**#engchat recap: Feedback that works**" in recap
    assert "7 messages from 4 participants" in recap
    assert "• Before Q1: 1" in recap
    assert "• Q1 What feedback works?: 4" in recap
    assert "• Q2 How do you follow up?: 2" in recap
    assert "• Bob ↔ Carol\n" in recap
    assert "• Carol ↔ Dave\n" in recap  # each pair once: Bob is named with Carol above
    assert "• Dave ↔" not in recap and "Carol ↔ Bob" not in recap
    assert "Eve" not in recap, "a hidden member is never named"
    assert "/peers" in recap and "/chat transcript engchat" in recap

    stats = await harness.reply_text("mo", "/stats")
    assert (
        "• Chats: 1 series, 0 reminder subscription(s); the last, #engchat on Tue 05 Jan: "
        "4 participant(s), 7 message(s)" in stats
    )

    # The chat is over: nothing more is recorded.
    await harness.post("bob", "chats/thread", "A2 late thought")
    transcript = (await harness.reply_file("bob", "/chat transcript engchat")).content.decode()
    assert "late thought" not in transcript


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("A1 exit tickets", 1),
        ("a1: exit tickets", 1),
        ("A2 - re-teach", 2),
        ("**A2** bold answer", 2),
        ("A2:answer", 2),
        ("A3 there is no third question", None),
        ("Awesome chat", None),
        ("A12 nope", None),
        ("I think A1 is hard", None),
    ],
)
def test_answers_are_recognised_by_their_number(text: str, number: int | None) -> None:
    run = ChatRun(
        1,
        1,
        1,
        START,
        at(60),
        "c",
        False,
        "t",
        (RunQuestion(1, "one", 10), RunQuestion(2, "two", 30)),
        1,
        "running",
    )
    assert chat_run.answered(text, run) == number


async def test_untimed_questions_are_spaced_evenly_and_answers_default_to_the_current_one(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    text = await harness.reply_text("mo", "/chat questions engchat One? | Two? | Three?")
    assert "(minute 15): One?" in text and "(minute 30): Two?" in text
    assert "(minute 45): Three?" in text
    await advance_to(harness, scheduler, at(14))
    harness.platform.take()
    await advance_to(harness, scheduler, at(15))
    assert "**Q1** One?" in harness.platform.texts(THREAD)[0]
    await harness.post("bob", "chats/thread", "no number, still about Q1")
    await advance_to(harness, scheduler, at(30))  # one jump to 45 would skip Q2 (late_start)
    await advance_to(harness, scheduler, at(45))
    assert len(harness.platform.texts(THREAD)) == 2
    await harness.post("bob", "chats/thread", "A1 going back to the first one")
    await advance_to(harness, scheduler, at(60))
    recap = harness.platform.texts(THREAD)[0]
    assert "• Q1 One?: 2" in recap and "• Q3 Three?: 0" in recap
    assert "Before Q1" not in recap


async def test_a_restart_mid_chat_neither_reopens_the_thread_nor_repeats_a_question(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    await harness.reply_text("alice", SCRIPT)
    await advance_to(harness, scheduler, at(10))
    sent = harness.platform.take()
    assert [s.where for s in sent] == ["#chats", THREAD]
    await scheduler.stop()

    restarted_bot = Bot(harness.store, harness.platform, harness.clock, PeerIndex(), prefix="/")
    harness.bot = restarted_bot
    harness.clock.advance(minutes=5)
    again = Scheduler(restarted_bot, JOB_KINDS, sleeper=harness.clock)
    async with again.running():
        await again.settle()
        assert harness.platform.take() == []
        await harness.post("bob", "chats/thread", "A1 still listening after the restart")
        await advance_to(harness, again, at(30))
        (q2,) = harness.platform.texts(THREAD)
        assert "**Q2**" in q2
        # Starting the same occurrence again (a re-run start job) opens nothing.
        series = await harness.store.chats.get(1)
        community = await harness.store.communities.get_by_id(1)
        assert series is not None and community is not None
        ctx = Context(
            harness.store,
            harness.clock,
            harness.platform,
            restarted_bot.peers,
            "/",
            START,
            restarted_bot.features,
        )
        async with harness.store.db.transaction():
            assert await chat_run.begin(ctx, community, series, START) == []
        assert harness.platform.take() == []
        await advance_to(harness, again, at(60))
        assert "1 message from 1 participant" in harness.platform.texts(THREAD)[0]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (" | ".join(f"Question {n}?" for n in range(1, 14)), "at most 12"),
        ("Q1 " + "x" * 281, "Q1 is too long (281 characters, at most 280)"),
        ("Q1 @10 Fine | Q2 @60 Too late", "timed at minute 60, but the chat lasts 60 minutes"),
        ("Q1 @10 Timed | Q2 Untimed", "Give every question a time"),
        ("Q1 @30 Later | Q2 @10 Earlier", "Q2 must come after Q1"),
        ("Q2 First | Q1 Second", "labelled Q2"),
        ("Q1 @10", "Q1 has no question text"),
    ],
)
async def test_bad_scripts_are_explained_and_change_nothing(
    harness: Harness, chat: str, script: str, expected: str
) -> None:
    await harness.command("alice", "/chat questions engchat Keep me?")
    text = await harness.reply_text("alice", f"/chat questions engchat {script}")
    assert expected in text
    assert "Loaded" not in text
    shown = await harness.reply_text("alice", "/chat questions engchat")
    assert "(minute 30): Keep me?" in shown


async def test_a_script_over_the_length_limit_is_refused_even_past_the_parser(
    harness: Harness, chat: str
) -> None:
    """Discord and the text parser cap the option; the core checks again all the same."""
    event = CommandInvoked(
        COMMUNITY,
        user("alice"),
        ConversationRef("fake", "channel", "general"),
        ("chat", "questions"),
        {"hashtag": "engchat", "script": "Why? | " * 700},
    )
    await harness.bot.dispatch(event)
    (text,) = harness.platform.texts("reply:alice")
    assert "too long (4899 characters, at most 4000)" in text and "Nothing was changed" in text
    assert "No questions" in await harness.reply_text("alice", "/chat questions engchat")


async def test_only_moderators_and_hosts_may_load_or_see_the_questions(
    harness: Harness, chat: str
) -> None:
    refused = await harness.reply_text("bob", SCRIPT)
    assert "Only moderators and the hosts of #engchat" in refused
    assert "Only moderators" in await harness.reply_text("bob", "/chat questions engchat")
    assert "Loaded 2" in await harness.reply_text("mo", SCRIPT)
    shown = await harness.reply_text("alice", "/chat questions engchat")
    assert "**Questions for the next #engchat**, Tuesday 05 January, 19:00" in shown
    assert "Removed the questions" in await harness.reply_text(
        "alice", "/chat questions engchat clear"
    )
    assert "No questions are loaded" in await harness.reply_text("alice", "/chat questions engchat")
    assert "no chat #nochat" in await harness.reply_text("mo", "/chat questions nochat Q?")


async def test_a_script_serves_one_chat_and_a_chat_without_one_is_open(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    await harness.command("alice", SCRIPT)
    await advance_to(harness, scheduler, START)
    assert "No questions are loaded for the next #engchat, Tuesday 12 January" in (
        await harness.reply_text("alice", "/chat questions engchat")
    )
    await advance_to(harness, scheduler, datetime(2027, 1, 12, 19, tzinfo=UTC))
    (welcome,) = harness.platform.texts("#chats")
    assert "An open conversation today" in welcome
    await harness.post("bob", "chats/thread", "Q? What Q?")
    await advance_to(harness, scheduler, datetime(2027, 1, 12, 20, tzinfo=UTC))
    (recap,) = harness.platform.texts(THREAD)
    assert "1 message from 1 participant" in recap and "per question" not in recap


async def test_without_thread_permission_the_chat_runs_in_the_channel(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    harness.platform.threads_supported = False
    await harness.command("alice", SCRIPT)
    await advance_to(harness, scheduler, at(10))
    welcome, q1 = harness.platform.texts("#chats")
    assert "starts now" in welcome and "**Q1**" in q1
    await harness.post("bob", "chats", "A1 in the channel")
    await harness.post("carol", "chats", "A1 me too", reply_to="bob")
    await advance_to(harness, scheduler, at(60))
    recap = harness.platform.texts("#chats")[-1]
    assert "2 messages from 2 participants" in recap and "• Bob ↔ Carol" in recap


async def test_messages_where_no_chat_runs_are_ignored_without_a_trace(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    assert await harness.post("zed", "chats", "A1 before the chat") == []
    await advance_to(harness, scheduler, START)
    await harness.post("zed", "general", "elsewhere during the chat")
    await harness.post("zed", "chats", "in the channel, not the thread")
    assert await harness.find_member("zed") is None, "no member row for a passer-by"
    rows = await harness.store.db.fetch_all("SELECT * FROM chat_run_messages")
    assert rows == []
    # A message in a thread opened inside a chat that runs in the channel counts.
    await harness.post("bob", "side", "A sub-thread", parent="chats/thread")
    await harness.post("bob", "chats/thread", "counted once", message_id="same")
    await harness.post("bob", "chats/thread", "counted once", message_id="same")
    count = await harness.store.db.fetch_one("SELECT count(*) FROM chat_run_messages")
    assert count is not None and count[0] == 2


async def test_the_transcript_groups_messages_by_question_with_names_and_no_live_mentions(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    await harness.command("alice", SCRIPT)
    await advance_to(harness, scheduler, START)
    await harness.post("bob", "chats/thread", "Hi @everyone, <@123> here")
    await advance_to(harness, scheduler, at(11))
    await harness.post("carol", "chats/thread", "A1 peer\nreview")
    await advance_to(harness, scheduler, at(31))
    await harness.post("bob", "chats/thread", "A2 re-teach")

    live = await harness.reply_text("dave", "/chat transcript #EngChat")
    assert "still running" in live
    await advance_to(harness, scheduler, at(60))
    summary = await harness.reply_text("dave", "/chat transcript engchat")
    assert summary.startswith("**#engchat: Feedback that works**\n")
    assert "3 messages from 2 participants" in summary and "`engchat-2027-01-05.md`" in summary
    assert "A1 peer" not in summary, "the messages are in the file"
    file = await harness.reply_file("dave", "/chat transcript engchat")
    assert file.filename == "engchat-2027-01-05.md" and file.media_type == "text/markdown"
    text = file.content.decode()
    assert text.startswith("# #engchat: Feedback that works\n")
    assert "Tuesday 05 January 2027, 19:00–20:00 (Europe/London)" in text
    assert "3 messages from 2 participants" in text and "still running" not in text
    assert "## Questions\n1. What feedback works?\n2. How do you follow up?" in text
    assert "## Before Q1\n**Bob** (19:00): Hi @\u200beveryone, <@\u200b123> here" in text
    assert "## Q1. What feedback works?\n**Carol** (19:11): A1 peer review" in text
    assert "## Q2. How do you follow up?\n**Bob** (19:31): A2 re-teach" in text

    assert "19:00–20:00" in await harness.reply_text("dave", "/chat transcript engchat 2027-01-05")
    wrong = await harness.reply_text("dave", "/chat transcript engchat 2027-01-06")
    assert "no #engchat chat on 2027-01-06. The latest: 2027-01-05" in wrong
    assert "not a date" in await harness.reply_text("dave", "/chat transcript engchat 5/1/27")
    assert "No #scichat chat has taken place" in await harness.reply_text(
        "dave", "/chat transcript scichat"
    )


async def test_a_long_transcript_is_one_file_with_every_message(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    await advance_to(harness, scheduler, START)
    for n in range(60):
        await harness.post("bob", "chats/thread", f"message {n} " + "words " * 30)
    harness.platform.take()
    await harness.command("carol", "/chat transcript engchat")
    (sent,) = [s for s in harness.platform.take() if s.where == "reply:carol"]
    assert len(sent.text) < 500 and "60 messages from 1 participant" in sent.text
    assert sent.message.attachment is not None
    text = sent.message.attachment.content.decode()
    assert text.count("**Bob**") == 60 and "message 59 words" in text
    assert "did not fit" not in text and "stops" not in sent.text


def test_a_transcript_past_the_file_limit_stops_with_a_note() -> None:
    lines = ["# #engchat: Big", "summary", "", "## Messages"]
    lines += [f"**Bob** (19:{n % 60:02d}): " + "x" * 900 for n in range(50)]
    document, left_out = cap(lines, limit=10_000)
    assert len(document.encode()) <= 10_000
    kept = document.count("**Bob**")
    assert 0 < kept < 50 and left_out == 50 - kept
    note = f"*(The transcript stops here: {left_out} more messages did not fit.)*\n"
    assert document.endswith(note)
    assert cap(lines[:6]) == ("\n".join(lines[:6]) + "\n", 0)


async def test_forgetme_removes_a_member_s_chat_messages_and_mydata_lists_them(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    await advance_to(harness, scheduler, START)
    await harness.post("bob", "chats/thread", "A thought worth keeping")
    await harness.post("carol", "chats/thread", "Replying to Bob", reply_to="bob")
    export = (await harness.reply_file("bob", "/mydata")).content.decode()
    assert '"chat_messages"' in export and "A thought worth keeping" in export
    await harness.command("bob", "/forgetme")
    await harness.say("bob", "yes")
    await advance_to(harness, scheduler, at(60))
    recap = harness.platform.texts(THREAD)[0]
    assert "1 message from 1 participant" in recap and "Bob" not in recap
    text = (await harness.reply_file("carol", "/chat transcript engchat")).content.decode()
    assert "A thought worth keeping" not in text and "Replying to Bob" in text
    assert await harness.store.db.fetch_one("SELECT * FROM chat_run_exchanges") is None


async def test_names_in_the_recap_are_quoted_and_never_ping(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    await advance_to(harness, scheduler, START)
    await harness.post("bob", "chats/thread", "Hi Carol", mentions=("carol",))
    bob = await harness.member("bob")
    async with harness.store.db.transaction():
        await harness.store.db.execute(
            "UPDATE members SET display_name = '@everyone <@&42>' WHERE id = ?", (bob.id,)
        )
    await advance_to(harness, scheduler, at(60))
    (recap,) = harness.platform.texts(THREAD)
    assert "• @\u200beveryone <@&\u200b42> ↔ Carol" in recap
    assert "@everyone" not in recap


async def test_a_recap_days_late_is_not_posted_but_the_chat_stops_listening(
    harness: Harness, chat: str, scheduler: Scheduler
) -> None:
    await advance_to(harness, scheduler, at(30))
    await scheduler.stop()  # down from 19:30 until two days later
    harness.platform.take()
    harness.clock.advance(days=2)
    again = Scheduler(harness.bot, JOB_KINDS, sleeper=harness.clock)
    async with again.running():
        await again.settle()
    assert harness.platform.texts(THREAD) == []
    assert await harness.post("bob", "chats/thread", "anyone?") == []
    assert await harness.find_member("zed") is None
    count = await harness.store.db.fetch_one("SELECT count(*) FROM chat_run_messages")
    assert count is not None and count[0] == 0


def test_question_times_follow_the_chat_length() -> None:
    script = parse_script("Q1 @10 a | Q2 @50 b", 60)
    assert [q.offset for q in planned(script, 60)] == [10, 50]
    assert [q.offset for q in planned(script, 45)] == [10, 44], "kept inside a shortened chat"
    even = parse_script("a\nb\nc\nd", 90)
    assert [q.offset for q in planned(even, 90)] == [18, 36, 54, 72]
    assert parse_script("Q1: @ 5 min - Why?", 60) == [ScriptQuestion("Why?", 5)]


async def test_a_channel_message_where_no_chat_runs_needs_no_write_lock(
    harness: Harness, chat: str, db_path: Path
) -> None:
    """Another writer holds the database: an ordinary channel message is still just passed by."""
    logged: list[str] = []
    sink = logger.add(logged.append, level="WARNING", format="{message}")
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        assert await harness.post("zed", "general", "just chatting") == []
    finally:
        other.execute("ROLLBACK")
        other.close()
        logger.remove(sink)
    assert logged == []
    assert await harness.find_member("zed") is None
