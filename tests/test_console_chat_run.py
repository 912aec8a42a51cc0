"""A topic chat typed in the console: the console grammar, the real Bot and scheduler, the
console's printed lines. In-process (the chat's time comes from a fake clock, not a wait)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from adapters.console.platform import ConsolePlatform
from adapters.console.runner import ConsoleSession
from communitybot.bot import Bot
from communitybot.clock import FakeClock
from communitybot.events import CommunityRef
from communitybot.peers.index import PeerIndex
from communitybot.registry import JOB_KINDS
from communitybot.scheduler import Scheduler
from communitybot.store.store import Store

SETUP = """\
:mod mo
:join mo
/chat create engchat "Feedback that works" chats "weekly tuesday" 19:00 Europe/London
/chat questions engchat Q1 @10 What feedback works?
:join ann
:join bob
"""


def lines_at(out: io.StringIO, where: str) -> list[str]:
    prefix = f"[{where}]"
    return [
        line[len(prefix) :].strip()
        for line in out.getvalue().splitlines()
        if line.startswith(prefix)
    ]


async def test_answers_typed_in_the_console_reach_the_recap_and_the_transcript(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "bot.db")
    out = io.StringIO()
    platform = ConsolePlatform(out, tmp_path / "files")
    clock = FakeClock()
    bot = Bot(store, platform, clock, PeerIndex(), prefix="/")
    session = ConsoleSession(bot, platform, CommunityRef("console", "local"))
    scheduler = Scheduler(bot, JOB_KINDS, sleeper=clock)
    try:
        async with scheduler.running():
            for line in SETUP.splitlines():
                assert await session.handle(line)
            clock.advance(
                seconds=(datetime(2027, 1, 5, 19, 10, tzinfo=UTC) - clock.now()).total_seconds()
            )
            await scheduler.settle()
            posted = lines_at(out, "#chats")
            assert any("#engchat: Feedback that works** starts now" in line for line in posted)
            assert any("**Q1** What feedback works?" in line for line in posted)

            await session.handle("ann#chats> A1 exit tickets every lesson")
            await session.handle(":as bob")
            await session.handle("#chats> ^ann A1 same here, and @mo's rubric")
            await session.handle("#general> not part of the chat")
            clock.advance(minutes=50)
            await scheduler.settle()
            recap = "\n".join(lines_at(out, "#chats"))
            assert "2 messages from 2 participants" in recap
            assert "• Q1 What feedback works?: 2" in recap
            assert "• ann ↔ bob" in recap and "• bob ↔ mo" in recap  # each pair once

            await session.handle("/chat transcript engchat")
            saved = tmp_path / "files" / "engchat-2027-01-05.md"
            assert f"📎 saved {saved} ({saved.stat().st_size} bytes)" in lines_at(out, "reply:bob")
            transcript = saved.read_text().splitlines()
            assert "**ann** (19:10): A1 exit tickets every lesson" in transcript
            assert "**bob** (19:10): A1 same here, and @mo's rubric" in transcript
            assert not any("not part of the chat" in line for line in transcript)
    finally:
        await store.close()
