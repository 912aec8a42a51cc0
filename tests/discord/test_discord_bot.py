"""The Discord adapter with the real discord.py client against the loopback Discord double."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest

from adapters.discord import DiscordBot, DiscordConfig, DiscordStartupError
from adapters.discord.commands import command_payloads
from communitybot.events import CommunityRef
from communitybot.store.store import Store
from tests.discord.gateway_double import (
    APP_ID,
    GUILD_ID,
    HIGH_ROLE,
    OWNER_ID,
    TAG_ROLE,
    WELCOME_CHANNEL,
    DiscordDouble,
)
from tests.discord.helpers import (
    ALICE,
    BOB,
    MOD,
    answer,
    built,
    callback_data,
    components_of,
    connected,
    slash,
    sub,
)

COMMUNITY = CommunityRef("discord", GUILD_ID)


async def test_a_member_join_sends_a_dm_with_the_first_question_as_buttons(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await double.add_member(ALICE, "alice")
    [message] = await double.wait_for("POST", "/channels/", count=1)
    assert message.path == f"/channels/{double.dm_channel_of(ALICE)}/messages"
    assert "What best describes your role?" in message.body["content"]
    assert message.body["allowed_mentions"]["parse"] == []
    buttons_or_select = components_of(message.body)
    # Seven roles: more than five buttons fit, so a select menu with every role.
    [select] = buttons_or_select
    assert select["type"] == 3 and select["custom_id"] == "onboarding:role"
    assert "Classroom teacher" in [o["value"] for o in select["options"]]


async def test_choosing_in_a_select_advances_to_a_multi_select(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await double.add_member(ALICE, "alice")
    await double.wait_for("POST", "/channels/")
    dm = double.dm_channel_of(ALICE)
    picked = await double.interact(
        ALICE,
        3,
        {"custom_id": "onboarding:role", "component_type": 3, "values": ["Classroom teacher"]},
        in_guild=False,
        channel_id=str(dm),
    )
    body = await answer(double, picked)
    assert body["type"] == 4
    assert "Which subjects" in body["data"]["content"]
    [select] = components_of(body["data"])
    assert select["custom_id"] == "onboarding:subjects"
    assert select["max_values"] > 1

    chosen = await double.interact(
        ALICE,
        3,
        {
            "custom_id": "onboarding:subjects",
            "component_type": 3,
            "values": ["Maths", "Science"],
        },
        in_guild=False,
        channel_id=str(dm),
    )
    assert "age groups" in (await answer(double, chosen))["data"]["content"]


async def test_a_button_and_a_modal_answer_questions(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await double.add_member(ALICE, "alice")
    await double.wait_for("POST", "/channels/")
    dm = str(double.dm_channel_of(ALICE))
    for key, value in (("role", "Other"), ("subjects", "Maths"), ("grades", "Elementary")):
        await answer(
            double,
            await double.interact(
                ALICE,
                3,
                {"custom_id": f"onboarding:{key}", "component_type": 3, "values": [value]},
                in_guild=False,
                channel_id=dm,
            ),
        )
    topics = await double.interact(
        ALICE,
        3,
        {"custom_id": "onboarding:topics", "component_type": 3, "values": ["EdTech"]},
        in_guild=False,
        channel_id=dm,
    )
    timezone_question = (await answer(double, topics))["data"]
    [open_modal] = components_of(timezone_question)
    assert open_modal["type"] == 2 and open_modal["custom_id"] == "onboarding:timezone|__modal__"

    clicked = await double.interact(
        ALICE,
        3,
        {"custom_id": open_modal["custom_id"], "component_type": 2},
        in_guild=False,
        channel_id=dm,
    )
    modal = await answer(double, clicked)
    assert modal["type"] == 9 and modal["data"]["custom_id"] == "onboarding:timezone"
    [label] = modal["data"]["components"]
    assert label["type"] == 18 and label["component"]["type"] == 4, "a Label, not an action row"
    assert double.modals == [modal["data"]], "the double accepted its shape"

    submitted = await double.interact(
        ALICE,
        5,
        {
            "custom_id": "onboarding:timezone",
            "components": [  # a Label modal's submission, as Discord sends it
                {
                    "type": 18,
                    "id": 1,
                    "component": {
                        "type": 4,
                        "id": 2,
                        "custom_id": "answer",
                        "value": "Europe/London",
                    },
                }
            ],
        },
        in_guild=False,
        channel_id=dm,
    )
    mentor = (await answer(double, submitted))["data"]
    assert "mentor" in mentor["content"]
    yes, no = components_of(mentor)
    assert (yes["custom_id"], no["custom_id"]) == (
        "onboarding:wants-mentor|Yes",
        "onboarding:wants-mentor|No",
    )

    pressed = await double.interact(
        ALICE,
        3,
        {"custom_id": yes["custom_id"], "component_type": 2},
        in_guild=False,
        channel_id=dm,
    )
    assert "mentor someone" in (await answer(double, pressed))["data"]["content"]


async def test_closed_dms_fall_back_to_a_private_thread_in_the_welcome_channel(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await answer(
        double,
        await double.interact(
            MOD, 2, slash("setup", {"type": 7, "name": "welcome_channel", "value": WELCOME_CHANNEL})
        ),
    )
    double.dm_refusers.add(ALICE)
    await double.add_member(ALICE, "alice")
    [thread] = await double.wait_for("POST", f"/channels/{WELCOME_CHANNEL}/threads")
    assert thread.body["type"] == 12 and thread.body["invitable"] is False
    [added] = await double.wait_for("PUT", "/thread-members/")
    assert added.path.endswith(f"/thread-members/{ALICE}")
    messages = await double.wait_for("POST", "/messages", count=2)
    refused, in_thread, *_ = messages
    assert refused.path == f"/channels/{double.dm_channel_of(ALICE)}/messages"
    assert in_thread.path.startswith("/channels/") and in_thread.path != refused.path
    assert "What best describes your role?" in in_thread.body["content"]


async def test_peers_answers_ephemerally_and_tags_autocomplete(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await double.add_member(ALICE, "alice")
    await double.wait_for("POST", "/channels/")
    completion = await double.interact(
        ALICE, 4, slash("peers", {"type": 3, "name": "tags", "value": "ma", "focused": True})
    )
    completed = await answer(double, completion)
    assert completed["type"] == 8
    assert {"name": "maths", "value": "maths"} in completed["data"]["choices"]

    listed = await double.interact(
        ALICE,
        4,
        slash("peers", {"type": 3, "name": "tags", "value": "maths, sci", "focused": True}),
    )
    assert {"name": "maths, science", "value": "maths, science"} in (await answer(double, listed))[
        "data"
    ]["choices"]

    searched = await double.interact(
        ALICE, 2, slash("peers", {"type": 3, "name": "tags", "value": "maths"})
    )
    body = await answer(double, searched)
    assert body["type"] == 4 and body["data"]["flags"] & 64
    assert body["data"]["allowed_mentions"]["parse"] == []


async def test_a_moderator_command_from_a_member_without_manage_server_is_refused(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    refused = await double.interact(
        BOB, 2, slash("tags", sub("create", {"type": 3, "name": "name", "value": "robotics"}))
    )
    assert "Only moderators" in (await answer(double, refused))["data"]["content"]

    allowed = await double.interact(
        MOD, 2, slash("tags", sub("create", {"type": 3, "name": "name", "value": "robotics"}))
    )
    assert "robotics" in (await answer(double, allowed))["data"]["content"]
    assert "Only moderators" not in callback_data(double, allowed)["data"]["content"]


async def test_a_tag_linked_to_a_role_grants_it_and_a_role_above_the_bot_is_refused(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    replies = {}
    for role in (TAG_ROLE, HIGH_ROLE):
        name = "maths" if role == TAG_ROLE else "science"
        replies[role] = await answer(
            double,
            await double.interact(
                MOD,
                2,
                slash(
                    "tags",
                    sub(
                        "link",
                        {"type": 3, "name": "tag", "value": name},
                        {"type": 8, "name": "role", "value": role},
                    ),
                ),
            ),
        )
    assert "grants the role" in replies[TAG_ROLE]["data"]["content"]
    refused = replies[HIGH_ROLE]["data"]["content"]
    assert "can't link **science**" in refused and "not below my highest role" in refused
    added = await double.interact(
        BOB, 2, slash("tags", sub("add", {"type": 3, "name": "tags", "value": "maths science"}))
    )
    await answer(double, added)
    [grant] = await double.wait_for("PUT", f"/roles/{TAG_ROLE}")
    assert grant.path == f"/guilds/{GUILD_ID}/members/{BOB}/roles/{TAG_ROLE}"
    assert double.rest("PUT", f"/roles/{HIGH_ROLE}") == []


async def test_user_options_are_resolved_to_members(double: DiscordDouble, bot: DiscordBot) -> None:
    shown = await double.interact(
        BOB,
        2,
        slash(
            "profile",
            sub("show", {"type": 6, "name": "member", "value": OWNER_ID}),
            resolved={"users": {OWNER_ID: double.users[OWNER_ID]}},
        ),
    )
    assert (await answer(double, shown))["type"] == 4


async def test_commands_sync_once_per_catalogue_and_buttons_survive_a_restart(
    double: DiscordDouble, tmp_path: Path
) -> None:
    db = tmp_path / "restart.db"
    async with connected(double, db) as first:
        assert first.synced_commands
        [sync] = double.rest("PUT", f"/applications/{APP_ID}/commands")
        assert [c["name"] for c in sync.body] == [c["name"] for c in command_payloads()]
        tags = next(c for c in sync.body if c["name"] == "tags")
        assert tags["default_member_permissions"] is None
        setup = next(c for c in sync.body if c["name"] == "setup")
        assert setup["default_member_permissions"] == str(1 << 5)
        await double.add_member(ALICE, "alice")
        await double.wait_for("POST", "/channels/")
    async with connected(double, db) as second:
        assert not second.synced_commands
        assert len(double.rest("PUT", "/commands")) == 1
        picked = await double.interact(
            ALICE,
            3,
            {"custom_id": "onboarding:role", "component_type": 3, "values": ["Other"]},
            in_guild=False,
            channel_id=str(double.dm_channel_of(ALICE)),
        )
        assert "Which subjects" in (await answer(double, picked))["data"]["content"]


async def test_a_bad_token_is_one_clear_start_up_error(
    double: DiscordDouble, tmp_path: Path
) -> None:
    store = await Store.open(tmp_path / "bad.db")
    bot = await built(DiscordConfig(token="wrong"), store)
    try:
        with pytest.raises(DiscordStartupError, match="rejected the bot token"):
            await bot.start()
    finally:
        await bot.close()
        await store.close()


async def test_communitybot_run_with_a_bad_discord_token_stops_with_one_line(
    double: DiscordDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from communitybot.app import run
    from communitybot.settings import load_settings

    settings = load_settings(
        _env_file=None,
        adapter="discord",
        database_path=tmp_path / "app.db",
        discord={"token": "MTk4NjIy.Gq1x2y.rejected-by-the-double"},
    )
    assert await run(settings) == 2
    err = capsys.readouterr().err
    assert "rejected the bot token" in err
    assert "rejected-by-the-double" not in err
    assert "Traceback" not in err


async def test_a_changed_catalogue_is_synced_exactly_once(
    double: DiscordDouble, tmp_path: Path
) -> None:
    db = tmp_path / "sync.db"
    async with connected(double, db):
        pass
    # An older release synced a different catalogue: its hash is what the database remembers.
    store = await Store.open(db)
    await store.db.execute("UPDATE discord_state SET value = 'older-catalogue'")
    await store.close()
    async with connected(double, db) as upgraded:
        assert upgraded.synced_commands
    async with connected(double, db) as again:
        assert not again.synced_commands
    assert len(double.rest("PUT", f"/applications/{APP_ID}/commands")) == 2


async def test_a_slow_answer_is_deferred_then_sent_as_a_follow_up(
    double: DiscordDouble, tmp_path: Path
) -> None:
    store = await Store.open(tmp_path / "slow.db")
    bot = await built(
        DiscordConfig(token=double.valid_token, guild_ready_timeout=0.05, defer_after=0), store
    )
    original = bot.bot.handle

    async def slow_handle(event: Any) -> Any:
        await asyncio.sleep(0.2)
        return await original(event)

    bot.bot.handle = slow_handle  # type: ignore[method-assign]
    await bot.start()
    task = asyncio.create_task(bot.run())
    try:
        async with asyncio.timeout(5):
            await bot.ready.wait()
        asked = await double.interact(BOB, 2, slash("privacy", sub("show")))
        deferred = await answer(double, asked)
        assert deferred["type"] == 5 and deferred["data"]["flags"] & 64
        [follow_up] = await double.wait_for("POST", f"/webhooks/{APP_ID}/token-{asked}")
        assert follow_up.body["flags"] & 64 and follow_up.body["content"]
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        await store.close()
