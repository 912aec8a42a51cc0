"""Long replies on Discord arrive whole: split into messages of at most 2,000 characters, in order.

The double refuses content past 2,000 characters as Discord does, so anything cut or overflowing
fails here. What the core answered is recorded from `Bot.dispatch`, to compare with what arrived.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from adapters.discord import DiscordBot
from adapters.discord.platform import message_sends
from adapters.discord.translate import community_ref
from communitybot.events import Event
from communitybot.outbox_codec import encode
from communitybot.replies import Action, Choice, Message, Prompt, Reply, SendToChannel
from tests.discord.gateway_double import (
    APP_ID,
    GUILD_ID,
    MAX_CONTENT,
    WELCOME_CHANNEL,
    DiscordDouble,
)
from tests.discord.helpers import ALICE, MOD, answer, components_of, connected, slash

COMMUNITY = community_ref(GUILD_ID)


@dataclass
class Replies:
    """The messages the core replied with, each added once its event is fully delivered."""

    messages: list[Message] = field(default_factory=list)
    delivered: asyncio.Event = field(default_factory=asyncio.Event)

    async def one(self) -> Message:
        async with asyncio.timeout(10):
            await self.delivered.wait()
        [message] = self.messages
        return message


def record_replies(bot: DiscordBot) -> Replies:
    replies = Replies()
    original = bot.bot.dispatch

    async def dispatch(event: Event) -> list[Action]:
        actions = await original(event)
        replies.messages.extend(a.message for a in actions if isinstance(a, Reply))
        replies.delivered.set()
        return actions

    bot.bot.dispatch = dispatch  # type: ignore[method-assign]
    return replies


def arrived(double: DiscordDouble, interaction_id: str) -> list[dict[str, Any]]:
    """The interaction's response data, then its follow-ups, in the order they were sent."""
    response = [c.body["data"] for c in double.rest("POST", f"/interactions/{interaction_id}/")]
    followups = [c.body for c in double.rest("POST", f"/webhooks/{APP_ID}/token-{interaction_id}")]
    return response + followups


def squeezed(text: str) -> str:
    """The text without whitespace: splitting drops only the whitespace where it cuts."""
    return "".join(text.split())


async def test_a_moderator_s_help_arrives_complete_in_order_as_ephemeral_messages(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    replies = record_replies(bot)
    asked = await double.interact(MOD, 2, slash("help"))
    sent = await replies.one()
    assert len(sent.text) > MAX_CONTENT, "the stock /help for a moderator is long"
    parts = arrived(double, asked)
    assert len(parts) >= 2
    assert all(len(part["content"]) <= MAX_CONTENT for part in parts)
    assert all(part["flags"] & 64 for part in parts), "every part stays ephemeral"
    assert squeezed("\n".join(part["content"] for part in parts)) == squeezed(sent.text)
    assert all(c.status == 200 for c in double.calls if asked in c.path or c.path.endswith(asked))


async def test_a_list_of_fifty_long_questions_arrives_whole(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    community, _ = await bot.bot.store.communities.ensure(COMMUNITY, bot.bot.clock.now())
    for n in range(1, 51):
        await bot.bot.store.onboarding.add_question(
            community.id,
            f"q{n:02}",
            "single",
            "none",
            f"Question {n}: " + "which of these describes your school best? " * 6,
            tuple(f"Option {n}.{c}: a fairly long description of a school" for c in range(20)),
        )
    replies = record_replies(bot)
    asked = await double.interact(
        MOD,
        2,
        slash("onboarding", {"type": 2, "name": "questions", "options": [sub_list()]}),
    )
    sent = await replies.one()
    assert len(sent.text) > 40_000
    parts = arrived(double, asked)
    assert len(parts) >= len(sent.text) // MAX_CONTENT
    assert all(len(part["content"]) <= MAX_CONTENT for part in parts)
    joined = "\n".join(part["content"] for part in parts)
    assert squeezed(joined) == squeezed(sent.text)
    assert joined.index("Question 1:") < joined.index("Question 25:") < joined.index("Question 50:")


def sub_list() -> dict[str, Any]:
    return {"type": 1, "name": "list", "options": []}


async def test_a_question_with_25_long_choices_is_split_with_the_menu_on_the_last_part(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    community, _ = await bot.bot.store.communities.ensure(COMMUNITY, bot.bot.clock.now())
    choices = tuple(
        f"School {n}: " + "a long and winding name of a school with many words " * 3
        for n in range(1, 26)
    )
    await bot.bot.store.onboarding.add_question(
        community.id, "school", "single", "none", "Which school? " + "Think. " * 40, choices
    )
    await bot.bot.store.onboarding.move_question(community.id, "school", 1)
    await double.add_member(ALICE, "alice")
    await double.wait_for("POST", "/channels/", count=2)
    dm = str(double.dm_channel_of(ALICE))
    posts = [c.body for c in double.delivered(dm)]
    assert len(posts) >= 2 and all(len(p["content"]) <= MAX_CONTENT for p in posts)
    assert [bool(p.get("components")) for p in posts] == [False] * (len(posts) - 1) + [True]
    [select] = components_of(posts[-1])
    assert len(select["options"]) == 25
    assert all(len(o["label"]) <= 100 and len(o["description"]) <= 100 for o in select["options"])
    picked = await double.interact(
        ALICE,
        3,
        {"custom_id": "onboarding:school", "component_type": 3, "values": ["25"]},
        in_guild=False,
        channel_id=dm,
    )
    noted = (await answer(double, picked))["data"]["content"]
    assert "**school**: School 25:" in noted, "the 25th school was taken"


async def test_the_answer_form_allows_exactly_the_question_s_limit(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    community, _ = await bot.bot.store.communities.ensure(COMMUNITY, bot.bot.clock.now())
    await bot.bot.store.onboarding.add_question(
        community.id, "bio", "text", "none", "Tell us about you", max_length=500
    )
    await bot.bot.store.onboarding.move_question(community.id, "bio", 1)
    await double.add_member(ALICE, "alice")
    await double.wait_for("POST", "/channels/")
    dm = str(double.dm_channel_of(ALICE))
    [button] = components_of(double.delivered(dm)[-1].body)
    clicked = await double.interact(
        ALICE,
        3,
        {"custom_id": button["custom_id"], "component_type": 2},
        in_guild=False,
        channel_id=dm,
    )
    modal = await answer(double, clicked)
    [label] = modal["data"]["components"]
    assert label["component"]["max_length"] == 500, "not Discord's 4,000: the question keeps 500"


async def test_a_long_channel_post_from_the_outbox_is_posted_once_after_a_crash(
    double: DiscordDouble, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "outbox.db"
    text = "\n".join(f"Line {n}: the chat's agenda goes on and on" for n in range(150))
    action = SendToChannel(COMMUNITY, WELCOME_CHANNEL, Message(text))

    class ProcessDied(BaseException):
        pass

    async with connected(double, db) as started:
        await started.bot.store.outbox.add([(encode(action), None)], started.bot.clock.now())

        async def died(row_ids: Sequence[int]) -> None:
            raise ProcessDied()

        monkeypatch.setattr(started.bot.store.outbox, "done_many", died)
        with pytest.raises(ProcessDied):
            await started.bot.deliver_outbox()
        monkeypatch.undo()

    async with connected(double, db) as restarted:
        assert await restarted.bot.deliver_outbox() == 1

    posts = double.delivered(WELCOME_CHANNEL)
    nonces = [p.body["nonce"] for p in posts]
    half = len(posts) // 2
    assert half >= 3 and nonces[:half] == nonces[half:], "the repeat names the same parts"
    assert len(set(nonces[:half])) == half, "each part has its own nonce"
    created = [m for m in double.messages.values() if m["channel_id"] == WELCOME_CHANNEL]
    assert len(created) == half, "each part created once"
    assert squeezed("\n".join(m["content"] for m in created)) == squeezed(text)


def test_pings_lead_the_first_part_only_and_the_components_follow_the_last() -> None:
    prompt = Prompt("checkin:1", "single", (Choice("met", "We've met"), Choice("no", "Not yet")))
    message = Message("Hello\n" + "word " * 900, prompt=prompt)
    sends = message_sends(message, ping_users=("960000000000000001",))
    assert len(sends) >= 3
    assert sends[0]["content"].startswith("<@960000000000000001>")
    assert sends[0]["allowed_mentions"].users
    assert not any(send["allowed_mentions"].users for send in sends[1:])
    assert ["view" in send for send in sends] == [False] * (len(sends) - 1) + [True]
