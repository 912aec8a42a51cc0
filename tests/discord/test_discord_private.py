"""Private conversations on Discord: typed DM answers, fallback threads and DM channels that
survive a restart, and a burst of joins whose DMs are paced, in order, none lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

from adapters.discord import DiscordBot
from adapters.discord.pacing import Pacer
from communitybot.events import CommunityRef, UserRef
from tests.discord.gateway_double import (
    GUILD_ID,
    OTHER_GUILD_ID,
    WELCOME_CHANNEL,
    DiscordDouble,
)
from tests.discord.helpers import (
    ALICE,
    MOD,
    answer,
    components_of,
    connected,
    pick,
    slash,
)


async def _set_welcome_channel(double: DiscordDouble) -> None:
    await answer(
        double,
        await double.interact(
            MOD, 2, slash("setup", {"type": 7, "name": "welcome_channel", "value": WELCOME_CHANNEL})
        ),
    )


async def _answers_in(bot: DiscordBot, guild_id: str, user_id: str) -> int:
    """How many onboarding answers the member has in that guild's community."""
    community = await bot.bot.store.communities.get(CommunityRef("discord", guild_id))
    assert community is not None
    member = await bot.bot.store.members.get(community.id, UserRef("discord", user_id))
    assert member is not None
    return len(await bot.bot.store.onboarding.answers(member.id))


async def test_a_typed_answer_in_the_dm_brings_the_next_question(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await double.add_member(ALICE, "alice")
    await double.wait_for("POST", "/messages")
    dm = double.dm_channel_of(ALICE)

    assert await double.say_in_dm(ALICE, "classroom TEACHER") == dm
    sent = await double.wait_for("POST", f"/channels/{dm}/messages", count=2)
    assert "Which subjects" in sent[1].body["content"]
    [select] = components_of(sent[1].body)
    assert select["custom_id"] == "onboarding:subjects"

    await double.say_in_dm(ALICE, "1, science")
    sent = await double.wait_for("POST", f"/channels/{dm}/messages", count=3)
    assert "age groups" in sent[2].body["content"]
    assert sent[2].body["allowed_mentions"]["parse"] == []
    assert await _answers_in(bot, GUILD_ID, ALICE) == 2

    await double.say_in_dm(ALICE, "the moon")  # not one of the options: asked again
    sent = await double.wait_for("POST", f"/channels/{dm}/messages", count=4)
    assert "⚠️" in sent[3].body["content"] and "age groups" in sent[3].body["content"]
    assert await _answers_in(bot, GUILD_ID, ALICE) == 2


async def test_a_member_with_closed_dms_keeps_their_thread_after_a_restart(
    double: DiscordDouble, tmp_path: Path
) -> None:
    db = tmp_path / "threads.db"
    double.dm_refusers.add(ALICE)
    async with connected(double, db):
        await _set_welcome_channel(double)
        await double.add_member(ALICE, "alice")
        await double.wait_for("PUT", "/thread-members/")
        [thread] = double.created_threads
        await double.wait_until(lambda: len(double.delivered(thread)) == 1)
        await double.remove_member(ALICE)
    refused_dms = len(double.rest("POST", f"/channels/{double.dm_channel_of(ALICE)}/messages"))

    async with connected(double, db):
        await double.add_member(ALICE, "alice")  # she left and comes back: "welcome back"
        await double.wait_until(lambda: len(double.delivered(thread)) == 2)
        assert "Welcome back" in double.delivered(thread)[1].body["content"]
        clicked = await double.interact(ALICE, 3, pick("role", "Other"), channel_id=thread)
        assert "Which subjects" in (await answer(double, clicked))["data"]["content"]

    assert double.created_threads == [thread]
    assert len(double.rest("PUT", "/thread-members/")) == 1
    # The thread is remembered, so no DM was even attempted after the restart.
    dm_attempts = double.rest("POST", f"/channels/{double.dm_channel_of(ALICE)}/messages")
    assert len(dm_attempts) == refused_dms


async def test_a_typed_answer_in_the_welcome_thread_counts_like_one_in_a_dm(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    double.dm_refusers.add(ALICE)
    await _set_welcome_channel(double)
    await double.add_member(ALICE, "alice")
    await double.wait_for("PUT", "/thread-members/")
    [thread] = double.created_threads
    await double.wait_until(lambda: len(double.delivered(thread)) == 1)

    await double.say_in_channel(ALICE, thread, "classroom TEACHER")
    await double.wait_until(lambda: len(double.delivered(thread)) == 2)
    assert "Which subjects" in double.delivered(thread)[1].body["content"]
    assert await _answers_in(bot, GUILD_ID, ALICE) == 1


async def test_a_deleted_welcome_thread_means_trying_dms_again(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await _set_welcome_channel(double)
    double.dm_refusers.add(ALICE)
    await double.add_member(ALICE, "alice")
    await double.wait_for("PUT", "/thread-members/")
    [thread] = double.created_threads
    await double.wait_until(lambda: len(double.delivered(thread)) == 1)

    double.deleted_channels.add(thread)  # a moderator tidied up the welcome channel
    double.dm_refusers.discard(ALICE)  # and Alice opened her DMs
    await double.remove_member(ALICE)
    await double.add_member(ALICE, "alice")
    dm = double.dm_channel_of(ALICE)
    assert dm is not None
    await double.wait_until(lambda: len(double.delivered(dm)) == 1)
    assert "Welcome back" in double.delivered(dm)[0].body["content"]
    assert double.created_threads == [thread]


async def _dm_guild_saved(bot: DiscordBot) -> str | None:
    """The guild Alice's DM channel serves, as stored (not as cached)."""
    rows = await bot.platform.conversations.export_user(UserRef("discord", ALICE))
    saved = rows.get("discord_dm_channels")
    return str(saved[0]["guild_id"]) if saved else None


async def test_dm_clicks_after_a_restart_reach_the_guild_that_last_wrote(
    double: DiscordDouble, tmp_path: Path
) -> None:
    double.second_guild = True  # Alice is a member of both guilds the bot serves
    db = tmp_path / "two-guilds.db"
    async with connected(double, db) as first:
        await double.add_member(ALICE, "alice", guild_id=GUILD_ID)
        await double.wait_for("POST", "/messages", count=1)
        await double.add_member(ALICE, "alice", guild_id=OTHER_GUILD_ID)
        await double.wait_for("POST", "/messages", count=2)
        # The mapping is saved just after the message went out: stop only once it is.
        for _ in range(500):
            if await _dm_guild_saved(first) == OTHER_GUILD_ID:
                break
            await asyncio.sleep(0.01)
    dm = double.dm_channel_of(ALICE)
    assert dm is not None

    async with connected(double, db) as bot:
        clicked = await double.interact(
            ALICE, 3, pick("role", "Other"), in_guild=False, channel_id=dm
        )
        assert "Which subjects" in (await answer(double, clicked))["data"]["content"]
        await double.say_in_dm(ALICE, "maths")
        await double.wait_until(lambda: len(double.delivered(dm)) == 3)
        assert "age groups" in double.delivered(dm)[2].body["content"]
        assert await _answers_in(bot, OTHER_GUILD_ID, ALICE) == 2
        assert await _answers_in(bot, GUILD_ID, ALICE) == 0


class FakeTime:
    """Monotonic time that moves only when the pacer sleeps: spacing is checked, not waited."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_a_burst_of_joins_gets_every_dm_paced_and_in_order(
    double: DiscordDouble, tmp_path: Path
) -> None:
    interval = 0.5
    time = FakeTime()
    double.rate_limit_every = 7  # Discord pushes back now and then; discord.py retries

    def paced(bot: DiscordBot) -> None:
        bot.platform.pacer = Pacer(interval, time.monotonic, time.sleep)

    joining = [str(970000000000000001 + n) for n in range(40)]
    async with connected(double, tmp_path / "burst.db", dm_interval=interval, prepare=paced):
        for number, user_id in enumerate(joining):
            await double.add_member(user_id, f"teacher{number}")

        def delivered_dms() -> list[str]:
            return [
                recipient
                for call in double.rest("POST", "/messages")
                if call.status == 200
                and (recipient := double.dm_recipient(call.path.split("/")[2])) is not None
            ]

        await double.wait_until(lambda: len(delivered_dms()) == len(joining), within=20)

    assert delivered_dms() == joining  # each member once, in the order they joined
    assert any(call.status == 429 for call in double.rest("POST", "/messages"))
    # The first DM goes at once; each later one waited a full interval after the previous.
    assert time.sleeps == [interval] * (len(joining) - 1)


async def test_a_typed_answer_is_not_queued_behind_a_burst_of_welcome_dms(
    double: DiscordDouble, tmp_path: Path
) -> None:
    queue_moves = asyncio.Event()

    async def held(seconds: float) -> None:
        await queue_moves.wait()

    def paced(bot: DiscordBot) -> None:
        bot.platform.pacer = Pacer(60, sleep=held)

    others = [str(970000000000000101 + n) for n in range(3)]
    async with connected(double, tmp_path / "queue.db", dm_interval=60, prepare=paced):
        await double.add_member(ALICE, "alice")
        await double.wait_for("POST", "/messages")
        dm = double.dm_channel_of(ALICE)
        assert dm is not None
        for number, user_id in enumerate(others):
            await double.add_member(user_id, f"teacher{number}")  # their DMs wait their turn

        await double.say_in_dm(ALICE, "classroom teacher")
        await double.wait_until(lambda: len(double.delivered(dm)) == 2)
        assert "Which subjects" in double.delivered(dm)[1].body["content"]
        assert not any(double.dm_channel_of(user_id) for user_id in others)

        queue_moves.set()
        await double.wait_until(
            lambda: all(
                (channel := double.dm_channel_of(user_id)) and double.delivered(channel)
                for user_id in others
            )
        )
