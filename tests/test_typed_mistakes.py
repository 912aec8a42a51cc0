"""Typed mistakes through the bot's front door: refused with a pointer to the mistake, and
nothing changes (the console and Matrix adapters show the CommandParseError as the reply)."""

from __future__ import annotations

import pytest

from communitybot.command_parser import CommandParseError
from tests.conftest import COMMUNITY, Harness

CREATE = '/chat create bb "Book banter" chats "weekly tuesday" 19:00 UTC'


@pytest.fixture
async def mod(harness: Harness) -> str:
    harness.platform.moderators.add("mo")
    await harness.join("mo")
    harness.platform.take()
    return "mo"


async def _refused(harness: Harness, name: str, line: str) -> str:
    with pytest.raises(CommandParseError) as error:
        await harness.command(name, line)
    return str(error.value)


async def test_a_misspelt_option_does_not_retitle_the_chat(harness: Harness, mod: str) -> None:
    await harness.command(mod, CREATE)
    text = await _refused(harness, mod, "/chat edit bb titel=Hello")
    assert "Did you mean `title`?" in text and "Nothing was changed" in text
    assert "Book banter" in await harness.reply_text(mod, "/chat list")
    assert "titel" not in await harness.reply_text(mod, "/chat list")


async def test_a_misspelt_setup_option_does_not_set_a_channel(harness: Harness, mod: str) -> None:
    text = await _refused(harness, mod, "/setup intro_channel=intros")
    assert "Did you mean `introductions_channel`?" in text
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None and community.introductions_channel is None


async def test_an_unquoted_schedule_is_pointed_out(harness: Harness, mod: str) -> None:
    line = '/chat create engchat "English chat" general weekly tuesday 19:00 UTC'
    text = await _refused(harness, mod, line)
    assert 'put it in quotes, e.g. `"weekly tuesday"`' in text and "too long" not in text
    assert "no chats planned" in await harness.reply_text(mod, "/chat list")


async def test_a_split_title_shows_how_the_values_were_read(harness: Harness, mod: str) -> None:
    line = "/chat create engchat English chat general weekly tuesday 19:00 UTC"
    text = await _refused(harness, mod, line)
    assert "I read “weekly” as `time`" in text
    assert "Before it I read: `hashtag`=“engchat”, `title`=“English”, `channel`=“chat”" in text
    assert 'Example: `/chat create engchat "Feedback that works"' in text


async def test_an_unreadable_schedule_is_quoted_back(harness: Harness, mod: str) -> None:
    text = await harness.reply_text(mod, CREATE.replace('"weekly tuesday"', "fortnightly"))
    assert "I can't read that schedule (“fortnightly”)" in text
