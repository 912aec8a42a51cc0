"""The outbox on Discord: a post repeated after a crash is created once (nonce + enforce_nonce).

The one window the outbox leaves open (Discord accepted the message, the process died before its
row was deleted) is closed while Discord remembers the nonce: the nonce comes from the row, so
the repeat after the restart returns the message already created instead of a second one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from adapters.discord.platform import outbox_nonces
from adapters.discord.translate import community_ref
from communitybot.outbox_codec import encode
from communitybot.replies import Message, SendToChannel
from tests.discord.gateway_double import GUILD_ID, WELCOME_CHANNEL, DiscordDouble
from tests.discord.helpers import connected


class ProcessDied(BaseException):
    """The process stops here; nothing in the bot catches it."""


async def test_an_outbox_row_sent_again_after_a_crash_is_created_once(
    double: DiscordDouble, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "outbox.db"
    action = SendToChannel(
        community_ref(GUILD_ID), WELCOME_CHANNEL, Message("The chat starts in 15 minutes")
    )
    async with connected(double, db) as bot:
        # What a previous run committed and did not deliver.
        await bot.bot.store.outbox.add([(encode(action), None)], bot.bot.clock.now())

        async def died(row_ids: Sequence[int]) -> None:
            raise ProcessDied()

        # Discord creates the message, then the process dies before the row is marked.
        monkeypatch.setattr(bot.bot.store.outbox, "done_many", died)
        with pytest.raises(ProcessDied):
            await bot.bot.deliver_outbox()
        monkeypatch.undo()

    async with connected(double, db) as restarted:
        assert await restarted.bot.deliver_outbox() == 1
        assert await restarted.bot.store.outbox.count() == 0

    posts = double.delivered(WELCOME_CHANNEL)
    assert len(posts) == 2  # the first send and its repeat after the restart…
    assert posts[0].body["nonce"] == posts[1].body["nonce"] and posts[0].body["enforce_nonce"]
    created = [
        m
        for m in double.messages.values()
        if m["channel_id"] == WELCOME_CHANNEL and "chat starts" in m["content"]
    ]
    assert len(created) == 1  # …created one message


async def test_replies_and_ordinary_sends_carry_no_nonce(
    double: DiscordDouble, bot: object
) -> None:

    assert outbox_nonces(2) == [None, None]  # outside an outbox delivery there is nothing to repeat
