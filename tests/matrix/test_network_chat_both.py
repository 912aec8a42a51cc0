"""A network chat between a Discord guild and a Matrix space, in one bot process (issue #15).

The real start-up path (`communitybot.app.run` with both platforms configured, on a real SQLite
file) against the Discord loopback double and a real Synapse. A steward on Discord creates a
network chat; the Matrix space holds it in its lobby. The test moves the bot's clock (every
`SystemClock` reads real time plus a skew it controls) so the chat starts and asks its first
question without waiting minutes. Then: the question reaches both platforms; a Matrix message
arrives on Discord through the channel's webhook under the author's name, and a Discord
message arrives in the Matrix room with the author's name in its body; mentions stay inert; a
reply to a copy is threaded to the original; an edit follows its copy; nothing loops back. The
process is stopped and started again mid-chat: nothing is relayed twice, and a message typed
after the restart is relayed once. The transcript covers both platforms.
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from communitybot.app import EXIT_OK, run
from communitybot.clock import SystemClock, SystemSleeper
from communitybot.settings import Settings
from tests.discord.gateway_double import MOD_ROLE, WELCOME_CHANNEL, DiscordDouble, running_double
from tests.discord.helpers import ALICE, MOD, slash, sub
from tests.matrix.conftest import World
from tests.matrix.members import Member
from tests.matrix.test_one_process_both import (
    CODE,
    _bot_serves,
    _discord_says,
    _matrix_says,
    _option,
    _settings,
    _space,
)
from tests.test_logging import restore_logging

__all__ = ["restore_logging"]  # autouse: `run` configures loguru on this test's stderr

WAIT = 30.0


class Skew:
    """How far ahead of real time the bot's clock runs (moved by the test)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def skew(monkeypatch: pytest.MonkeyPatch) -> Skew:
    """Every `SystemClock` reads the skewed time, and the scheduler's sleep notices a jump
    within a tenth of a second (it sleeps in short steps instead of one long one)."""
    skewed = Skew()
    monkeypatch.setattr(SystemClock, "now", lambda self: skewed.now())

    async def sleep_until(self: SystemSleeper, moment: datetime) -> None:
        while (left := (moment - skewed.now()).total_seconds()) > 0:  # noqa: ASYNC110 - a jump
            await asyncio.sleep(min(left, 0.1))

    monkeypatch.setattr(SystemSleeper, "sleep_until", sleep_until)
    return skewed


async def _until(condition: Any, what: str, within: float = WAIT) -> Any:
    """Poll `condition()` until it returns something truthy; fail saying `what` after `within`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not (found := condition()):
        assert loop.time() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.1)
    return found


def _thread_of_chat(double: DiscordDouble) -> str | None:
    threads = double.created_threads
    return threads[-1] if threads else None


def _posted_in(double: DiscordDouble, channel: str, text: str) -> list[dict[str, Any]]:
    """Every message in `channel` (the bot's, a webhook's or a member's) containing `text`."""
    return [
        m
        for m in double.messages.values()
        if m["channel_id"] == channel
        and text in str(m.get("content", ""))
        and m["id"] not in double.deleted_messages
    ]


def _relayed_from_matrix(double: DiscordDouble, thread: str, text: str) -> list[Any]:
    return [c for c in double.webhook_posts(thread) if text in str(c.body.get("content", ""))]


async def create_network_chat(
    double: DiscordDouble, hashtag: str, title: str, start: datetime, minutes: int
) -> str:
    """The Discord steward's `/chat create … scope=network`, a one-off at `start` (UTC) in the
    guild's welcome channel; the bot's answer."""
    return await _discord_says(
        double,
        MOD,
        slash(
            "chat",
            sub(
                "create",
                _option("hashtag", hashtag),
                _option("title", title),
                {"type": 7, "name": "channel", "value": WELCOME_CHANNEL},
                _option("schedule", f"once {start:%Y-%m-%d}"),
                _option("time", f"{start:%H:%M}"),
                _option("timezone", "UTC"),
                {"type": 4, "name": "duration", "value": minutes},
                _option("scope", "network"),
            ),
        ),
    )


async def _start(settings: Settings) -> asyncio.Task[int]:
    return asyncio.create_task(run(settings))


async def _stop(process: asyncio.Task[int]) -> None:
    if not process.done():
        os.kill(os.getpid(), signal.SIGTERM)  # as `docker stop` does
    assert await asyncio.wait_for(process, 30) == EXIT_OK


async def test_a_network_chat_runs_across_discord_and_matrix_and_survives_a_restart(
    world: World, tmp_path: Path, skew: Skew
) -> None:
    space_mod, space, lobby = await _space(world)
    bot_id = world.bot_id
    alice_m: Member = await world.member("alicem", encrypted=True)
    async with running_double() as double:
        double.add_user(MOD, "mod", roles=[MOD_ROLE])
        double.add_user(ALICE, "alice")
        settings = _settings(double.valid_token, world, tmp_path / "chat.db", [space])
        process = await _start(settings)
        try:
            async with asyncio.timeout(WAIT):
                await double.identified.wait()
            await _bot_serves(world, lobby)

            # The network: created on Discord, joined by the Matrix space.
            await _discord_says(
                double, MOD, slash("network", sub("create", _option("name", "Makers")))
            )
            invite = await _discord_says(double, MOD, slash("network", sub("invite")))
            joined = await _matrix_says(
                space_mod, bot_id, lobby, f"!network join {CODE.findall(invite)[0]}", "Makers"
            )
            assert "now an affiliate" in joined
            await alice_m.join(space)
            await alice_m.join(lobby)

            # A one-off network chat two minutes ahead, with its first question at minute 1.
            start = (skew.now() + timedelta(minutes=2)).replace(second=0, microsecond=0)
            created = await create_network_chat(double, "netchat", "Across platforms", start, 30)
            assert "Created **#netchat: Across platforms**" in created, created
            script = await _discord_says(
                double,
                MOD,
                slash(
                    "chat",
                    sub(
                        "questions",
                        _option("hashtag", "netchat"),
                        _option("script", "Q1 @1 What connects us? | Q2 @20 What next?"),
                    ),
                ),
            )
            assert "Loaded 2 questions" in script, script
            room = await _matrix_says(
                space_mod, bot_id, lobby, f"!chat room netchat {lobby}", "held here"
            )
            assert "netchat" in room

            # The chat starts: a thread on Discord, the lobby on Matrix.
            mark = alice_m.mark()
            skew.offset += start - skew.now() + timedelta(seconds=1)
            await alice_m.wait_for(
                lambda s: s.sender == bot_id and s.room_id == lobby and "starts now" in s.body,
                after=mark,
            )
            thread = await _until(lambda: _thread_of_chat(double), "a Discord thread for the chat")

            # Q1 at minute 1 reaches both, from the one question job.
            skew.offset += timedelta(minutes=1)
            await alice_m.wait_for(
                lambda s: s.sender == bot_id and s.room_id == lobby and "Q1" in s.body,
                after=mark,
            )
            await _until(lambda: _posted_in(double, thread, "What connects us?"), "Q1 on Discord")

            # Matrix → Discord: the webhook shows the author; nothing pings.
            from_matrix = await alice_m.say(
                lobby, "A1 hello from Matrix @room <@960000000000000003>"
            )
            [copy] = await _until(
                lambda: _relayed_from_matrix(double, thread, "hello from Matrix"),
                "the Matrix message on Discord",
            )
            assert "alicem" in copy.body["username"].casefold()
            assert "matrix" in copy.body["username"].casefold()
            assert copy.body["allowed_mentions"]["parse"] == []
            assert "<@960000000000000003>" not in copy.body["content"]

            # Discord → Matrix: the author's name and platform in the body.
            mark = alice_m.mark()
            from_discord = await double.say_in_channel(ALICE, thread, "A1 hi from Discord")
            seen = await alice_m.wait_for(
                lambda s: s.sender == bot_id and s.room_id == lobby and "hi from Discord" in s.body,
                after=mark,
            )
            assert seen.body == "Alice · Discord: A1 hi from Discord"
            assert seen.content["m.mentions"] == {}

            # A Discord reply to the copy of the Matrix message is threaded to the original.
            [copy_id] = [
                m["id"]
                for m in _posted_in(double, thread, "hello from Matrix")
                if m.get("webhook_id")
            ]
            await double.say_in_channel(ALICE, thread, "glad you're here", reply_to=copy_id)
            threaded = await alice_m.wait_for(
                lambda s: s.sender == bot_id and "glad you're here" in s.body, after=mark
            )
            relates = threaded.content.get("m.relates_to", {})
            assert relates.get("m.in_reply_to", {}).get("event_id") == from_matrix

            # An edit on Matrix follows its copy on Discord.
            await alice_m.say(
                lobby,
                "* A1 hello again from Matrix",
                **{
                    "m.new_content": {"msgtype": "m.text", "body": "A1 hello again from Matrix"},
                    "m.relates_to": {"rel_type": "m.replace", "event_id": from_matrix},
                },
            )
            await _until(
                lambda: _posted_in(double, thread, "hello again from Matrix"),
                "the edit on Discord",
            )
        finally:
            await _stop(process)

        # A restart mid-chat: nothing relayed again, and what is said afterwards goes once.
        executes_before = len(double.webhook_posts(thread))
        mark = alice_m.mark()
        double.identified.clear()
        process = await _start(settings)
        try:
            async with asyncio.timeout(WAIT):
                await double.identified.wait()
            await _bot_serves(world, lobby)
            await alice_m.say(lobby, "after the restart")
            await _until(
                lambda: _relayed_from_matrix(double, thread, "after the restart"),
                "a message after the restart on Discord",
            )
            await double.say_in_channel(ALICE, thread, "still here on Discord")
            await alice_m.wait_for(
                lambda s: s.sender == bot_id and "still here on Discord" in s.body, after=mark
            )
            await asyncio.sleep(1.0)  # anything replayed would arrive by now
            assert len(double.webhook_posts(thread)) == executes_before + 1
            copies = [
                s
                for s in alice_m.since(mark, sender=bot_id, room_id=lobby)
                if "hi from Discord" in s.body or "glad you're here" in s.body
            ]
            assert copies == []
            assert len(_relayed_from_matrix(double, thread, "hello from Matrix")) == 1

            # The transcript, asked on Discord, covers both platforms.
            transcript = await _discord_says(
                double, MOD, slash("chat", sub("transcript", _option("hashtag", "netchat")))
            )
            assert transcript
            [upload] = [f for f in double.uploads() if f.filename.startswith("netchat-")][-1:]
            text = upload.content.decode()
            assert "hi from Discord" in text and "hello again from Matrix" in text
            assert "after the restart" in text
        finally:
            await _stop(process)
        assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("communitybot-")]
    del from_discord
