"""Rights on Discord, through the real discord.py client and its guild cache: which roles a tag
may hand out, and who sees a chat held in a private channel."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from adapters.discord import DiscordBot
from communitybot.events import CommunityRef, UserRef
from tests.discord.gateway_double import (
    ADMIN_ROLE,
    ADMINISTRATOR,
    BOT_ROLE,
    GUILD_ID,
    MOD_ROLE,
    MODLOG_CHANNEL,
    PRIVATE_CHANNEL,
    TAG_ROLE,
    WELCOME_CHANNEL,
    DiscordDouble,
    role_payload,
)
from tests.discord.helpers import ALICE, BOB, MOD, answer, connected, slash, sub

COMMUNITY = CommunityRef("discord", GUILD_ID)


def link(tag: str, role: str) -> dict[str, Any]:
    return slash(
        "tags",
        sub(
            "link",
            {"type": 3, "name": "tag", "value": tag},
            {"type": 8, "name": "role", "value": role},
        ),
    )


async def said(double: DiscordDouble, user: str, data: dict[str, Any]) -> str:
    return str((await answer(double, await double.interact(user, 2, data)))["data"]["content"])


async def test_roles_with_rights_over_the_server_are_never_linked(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    admin = await said(double, MOD, link("maths", ADMIN_ROLE))
    assert "can't link **maths**" in admin and "Administrator" in admin
    moderators = await said(double, MOD, link("maths", MOD_ROLE))
    assert "moderation rights" in moderators and "Manage Server" in moderators
    managed = await said(double, MOD, link("maths", BOT_ROLE))
    assert "managed by an integration" in managed
    everyone = await said(double, MOD, link("maths", GUILD_ID))
    assert "everyone role" in everyone
    assert "grants the role" in await said(double, MOD, link("maths", TAG_ROLE))

    await said(
        double, BOB, slash("tags", sub("add", {"type": 3, "name": "tags", "value": "maths"}))
    )
    [grant] = await double.wait_for("PUT", "/roles/")
    assert grant.path.endswith(f"/members/{BOB}/roles/{TAG_ROLE}")


async def test_a_linked_role_that_gained_administrator_is_withheld_and_reported(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await said(
        double, MOD, slash("setup", {"type": 7, "name": "modlog_channel", "value": MODLOG_CHANNEL})
    )
    assert "grants the role" in await said(double, MOD, link("maths", TAG_ROLE))
    updated = asyncio.ensure_future(bot.client.wait_for("guild_role_update", timeout=5))
    await double.push(
        "GUILD_ROLE_UPDATE",
        {"guild_id": GUILD_ID, "role": role_payload(TAG_ROLE, "Maths teachers", 2, ADMINISTRATOR)},
    )
    _, role = await updated  # the gateway event reached the client's cache
    assert role.permissions.administrator

    added = await said(
        double, BOB, slash("tags", sub("add", {"type": 3, "name": "tags", "value": "maths"}))
    )
    assert "Added **maths**" in added
    [report] = await double.wait_for("POST", f"/channels/{MODLOG_CHANNEL}/messages", saying="role")
    assert "did not give" in report.body["content"] and "Administrator" in report.body["content"]
    assert report.body["allowed_mentions"]["parse"] == []
    assert double.rest("PUT", "/roles/") == []


async def test_a_chat_in_a_private_channel_is_shown_only_to_those_who_can_see_it(
    double: DiscordDouble, tmp_path: Path
) -> None:
    double.add_user(BOB, "bob")
    double.add_user(MOD, "mod", roles=[MOD_ROLE])
    double.add_user(ALICE, "alice", roles=[TAG_ROLE])  # the channel's overwrite lets TAG_ROLE in
    async with connected(double, tmp_path / "bot.db") as bot:
        platform = bot.platform
        for user, sees in ((ALICE, True), (BOB, False), (MOD, False)):
            assert (
                await platform.can_view_channel(
                    COMMUNITY, UserRef("discord", user), PRIVATE_CHANNEL
                )
                is sees
            )
        assert await platform.can_view_channel(COMMUNITY, UserRef("discord", BOB), WELCOME_CHANNEL)
        stranger = UserRef("discord", "960000000000000099")  # not in the member cache
        assert await platform.can_view_channel(COMMUNITY, stranger, WELCOME_CHANNEL)
        assert not await platform.can_view_channel(COMMUNITY, stranger, PRIVATE_CHANNEL)

        created = await said(
            double,
            MOD,
            slash(
                "chat",
                sub(
                    "create",
                    {"type": 3, "name": "hashtag", "value": "staffchat"},
                    {"type": 3, "name": "title", "value": "Staff matters"},
                    {"type": 7, "name": "channel", "value": PRIVATE_CHANNEL},
                    {"type": 3, "name": "schedule", "value": "weekly tuesday"},
                    {"type": 3, "name": "time", "value": "19:00"},
                    {"type": 3, "name": "timezone", "value": "Europe/London"},
                ),
            ),
        )
        assert "Created **#staffchat" in created
        listing = slash("chat", sub("list"))
        assert "staffchat" not in await said(double, BOB, listing)
        assert "#staffchat" in await said(double, ALICE, listing)
        assert "#staffchat" in await said(double, MOD, listing)  # moderators see every chat
