"""Slash-command options as Discord shows them: channel pickers list only channels the bot can
use, and tag autocomplete offers real tags."""

from __future__ import annotations

from typing import Any

from adapters.discord import DiscordBot
from adapters.discord.translate import community_ref, tag_suggestions
from communitybot.models import Tag
from tests.discord.gateway_double import APP_ID, GUILD_ID, DiscordDouble
from tests.discord.helpers import BOB, answer, slash

VOICE, CATEGORY, STAGE, FORUM, MEDIA = 2, 4, 13, 15, 16


def channel_options(payload: list[dict[str, Any]]) -> dict[str, list[int]]:
    """`command path:option` → channel_types, for every channel option in a sync payload."""
    found: dict[str, list[int]] = {}

    def walk(node: dict[str, Any], path: str) -> None:
        for option in node.get("options") or []:
            if option["type"] in (1, 2):
                walk(option, f"{path} {option['name']}")
            elif option["type"] == 7:
                found[f"{path}:{option['name']}"] = option.get("channel_types")

    for command in payload:
        walk(command, command["name"])
    return found


async def test_channel_options_list_only_text_like_channels(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    [synced] = double.rest("PUT", f"/applications/{APP_ID}/")
    options = channel_options(synced.body)
    assert {
        "setup:welcome_channel",
        "setup:introductions_channel",
        "setup:modlog_channel",
        "chat create:channel",
        "chat edit:channel",
        "ask:channel",
        "tags link:channel",
    } <= set(options)
    for name, types in options.items():
        assert types, f"{name} lists every channel type"
        assert not {VOICE, CATEGORY, STAGE, FORUM, MEDIA} & set(types), name
    # Private threads (fallback welcomes, group introductions) need a text channel.
    assert options["setup:welcome_channel"] == [0]
    assert options["setup:introductions_channel"] == [0]
    assert options["chat create:channel"] == [0, 5]


def _tags(*names: str) -> list[Tag]:
    return [
        Tag(n, 1, name, aliases=("algebra",) if name == "maths" else ())
        for n, name in enumerate(names)
    ]


def test_tag_suggestions_complete_the_last_piece_with_real_tags() -> None:
    tags = _tags("maths", "science", "computer-science", "music")
    assert tag_suggestions("m", tags) == ["maths", "music", "computer-science"], "starts first"
    assert tag_suggestions("alg", tags) == ["maths"], "by alias"
    assert tag_suggestions("maths, sci", tags) == ["maths, science", "maths, computer-science"]
    assert tag_suggestions("maths sci", tags)[0] == "maths, science", "spaces separate too"
    assert tag_suggestions("maths, ", tags) == [
        "maths, science",
        "maths, computer-science",
        "maths, music",
    ], "listed tags are not offered again"
    assert tag_suggestions("scince", tags) == ["science"], "the closest real tag"
    assert tag_suggestions("zzzzzz", tags) == []


def test_a_long_typed_list_gets_no_useless_suggestions() -> None:
    tags = _tags(*(f"tag{n}" for n in range(40)))
    typed = ", ".join(["special-educational-needs"] * 5) + ", ta"
    assert len(typed) > 100
    assert tag_suggestions(typed, tags) == []


async def test_autocomplete_after_a_long_list_offers_no_repeats_of_it(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    community, _ = await bot.bot.store.communities.ensure(
        community_ref(GUILD_ID), bot.bot.clock.now()
    )
    for n in range(30):
        await bot.bot.store.tags.create(community.id, f"topic-{n:02}", "topic", bot.bot.clock.now())
    typed = ", ".join(["a-very-long-tag-name-someone-typed"] * 4) + ", top"
    assert len(typed) > 100
    asked = await double.interact(
        BOB, 4, slash("peers", {"type": 3, "name": "tags", "value": typed, "focused": True})
    )
    choices = (await answer(double, asked))["data"]["choices"]
    assert len({c["value"] for c in choices}) == len(choices), "no repeats"
    assert all(c["value"].endswith(tuple(f"topic-{n:02}" for n in range(30))) for c in choices)

    asked = await double.interact(
        BOB, 4, slash("peers", {"type": 3, "name": "tags", "value": "topic-1", "focused": True})
    )
    choices = (await answer(double, asked))["data"]["choices"]
    assert [c["value"] for c in choices][:3] == ["topic-10", "topic-11", "topic-12"]
    assert all(c["value"].startswith("topic-1") for c in choices)
