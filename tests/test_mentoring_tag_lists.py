"""`/mentor offer|request` take a whole tag list, and the note/goals only when clearly separated.

Typed (console, Matrix) and as slash-command options (Discord: `tags` and `note` are separate
fields) the same handler decides, so both behave the same.
"""

from __future__ import annotations

from typing import Any

from communitybot.events import CommandInvoked, ConversationRef
from tests.conftest import COMMUNITY, Harness, user
from tests.mentoring_setup import mentoring_community


async def _offer_tags(harness: Harness, name: str) -> tuple[set[str], str] | None:
    member = await harness.member(name)
    offered = await harness.store.mentoring.get_offer(member.id)
    if offered is None:
        return None
    names = await harness.store.tags.names(member.community_id)
    return {names[t] for t in offered.tag_ids}, offered.note


async def _request_tags(harness: Harness, name: str) -> tuple[set[str], str] | None:
    member = await harness.member(name)
    asked = await harness.store.mentoring.get_request(member.id)
    if asked is None:
        return None
    names = await harness.store.tags.names(member.community_id)
    return {names[t] for t in asked.tag_ids}, asked.goals


async def _slash(
    harness: Harness, name: str, path: tuple[str, ...], options: dict[str, Any]
) -> str:
    """A Discord-style invocation: the adapter passes the options as a dict, no parsing."""
    harness.platform.take()
    event = CommandInvoked(
        COMMUNITY, user(name), ConversationRef("fake", "channel", "general"), path, options
    )
    await harness.bot.dispatch(event)
    (text,) = harness.platform.texts(f"reply:{name}")
    return text


async def test_an_offer_keeps_every_tag_and_the_note_given_by_name(harness: Harness) -> None:
    await mentoring_community(harness, "ann")
    text = await harness.reply_text("ann", "/mentor offer 2 maths, assessment note=Happy to help")
    assert "**maths**, **assessment**" in text and "Your note: “Happy to help”" in text
    assert await _offer_tags(harness, "ann") == ({"maths", "assessment"}, "Happy to help")


async def test_a_request_keeps_every_tag_written_either_way(harness: Harness) -> None:
    await mentoring_community(harness, "cat", "dan")
    text = await harness.reply_text("cat", "/mentor request maths, robotics")
    assert "**maths**, **robotics**" in text
    assert await _request_tags(harness, "cat") == ({"maths", "robotics"}, "")
    await harness.command("dan", "/mentor request #maths #robotics goals=Start a club")
    assert await _request_tags(harness, "dan") == ({"maths", "robotics"}, "Start a club")


async def test_words_after_the_tags_are_never_swallowed_into_the_note(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat")
    text = await harness.reply_text("ann", "/mentor offer 2 maths, assessment Happy to help")
    assert "Nothing was saved" in text
    assert "I don't know the tag" in text and "Did you mean `assessment`?" in text
    assert "`maths, assessment note=Happy to help`" in text
    assert await _offer_tags(harness, "ann") is None
    text = await harness.reply_text("cat", "/mentor request maths fractions please")
    assert "Nothing was saved" in text and "`maths goals=fractions please`" in text
    assert await _request_tags(harness, "cat") is None


async def test_an_unknown_tag_with_a_note_given_is_just_unknown(harness: Harness) -> None:
    await mentoring_community(harness, "ann")
    text = await harness.reply_text("ann", "/mentor offer 2 maths, asessment note=Hi")
    assert "Did you mean `assessment`?" in text and "Nothing was saved" in text
    assert "note=" not in text
    assert await _offer_tags(harness, "ann") is None


async def test_slash_options_behave_like_the_typed_line(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat")
    text = await _slash(
        harness,
        "ann",
        ("mentor", "offer"),
        {"capacity": 2, "tags": "maths, assessment", "note": "Happy to help"},
    )
    assert "**maths**, **assessment**" in text
    assert await _offer_tags(harness, "ann") == ({"maths", "assessment"}, "Happy to help")
    # The whole line typed into Discord's `tags` field: refused just like the typed command.
    text = await _slash(
        harness, "cat", ("mentor", "request"), {"tags": "maths, robotics Start a club"}
    )
    assert "Nothing was saved" in text and "goals=Start a club" in text
    assert await _request_tags(harness, "cat") is None
