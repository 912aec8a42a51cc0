"""Files on Discord: uploads (multipart `files[n]`) with interaction replies, follow-ups, DMs,
fallback threads and channel posts; a file over the upload limit becomes a note in the text."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.discord import DiscordBot
from communitybot.events import CommunityRef, Event, UserRef
from communitybot.replies import Attachment, Message
from communitybot.store.store import Store
from tests.discord.gateway_double import (
    APP_ID,
    GUILD_ID,
    UPLOAD_LIMIT,
    WELCOME_CHANNEL,
    DiscordDouble,
)
from tests.discord.helpers import ALICE, BOB, MOD, answer, connected, slash

COMMUNITY = CommunityRef("discord", GUILD_ID)
CALENDAR = Attachment("engchat.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")


def _alice() -> UserRef:
    return UserRef("discord", ALICE, "alice")


async def test_mydata_is_an_ephemeral_reply_with_the_export_as_a_json_upload(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await double.add_member(ALICE, "alice")
    await double.wait_for("POST", "/channels/")
    asked = await double.interact(ALICE, 2, slash("mydata"))
    body = await answer(double, asked)
    assert body["type"] == 4 and body["data"]["flags"] & 64, "only alice sees it"
    assert "attached as JSON" in body["data"]["content"]
    [call] = double.rest("POST", f"/interactions/{asked}/")
    [upload] = call.files
    assert upload.field == "files[0]"
    assert upload.filename.startswith("mydata-") and upload.filename.endswith(".json")
    data = json.loads(upload.content)
    assert data["user_id"] == ALICE and data["memberships"][0]["profile"]["display_name"]
    [listed] = body["data"]["attachments"]
    assert listed["filename"] == upload.filename


async def test_a_deferred_reply_carries_its_file_in_the_follow_up(
    double: DiscordDouble, tmp_path: Path
) -> None:
    def slow(started: DiscordBot) -> None:
        started.config.defer_after = 0
        original = started.bot.handle

        async def slow_handle(event: Any) -> Any:
            await asyncio.sleep(0.2)
            return await original(event)

        started.bot.handle = slow_handle  # type: ignore[method-assign]

    # Bob is someone the bot already knows, so there is data to send.
    store = await Store.open(tmp_path / "slow.db")
    now = datetime.now(UTC)
    community, _ = await store.communities.ensure(COMMUNITY, now)
    await store.members.ensure(community.id, UserRef("discord", BOB, "bob"), now)
    await store.close()
    async with connected(double, tmp_path / "slow.db", prepare=slow):
        asked = await double.interact(BOB, 2, slash("mydata"))
        deferred = await answer(double, asked)
        assert deferred["type"] == 5 and deferred["data"]["flags"] & 64
        [follow_up] = await double.wait_for("POST", f"/webhooks/{APP_ID}/token-{asked}")
        assert follow_up.status == 200 and follow_up.body["flags"] & 64
        [upload] = follow_up.files
        assert json.loads(upload.content)["user_id"] == BOB


async def test_files_go_with_dms_channel_posts_and_the_fallback_thread(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    double.add_user(ALICE, "alice")
    message = Message("Your calendar entry:", attachment=CALENDAR)
    await bot.platform.send_direct(COMMUNITY, _alice(), message)
    dm = double.dm_channel_of(ALICE)
    [sent] = double.delivered(str(dm))
    assert sent.body["content"] == "Your calendar entry:"
    assert [(f.filename, f.content) for f in sent.files] == [("engchat.ics", CALENDAR.content)]

    await bot.platform.send_to_channel(COMMUNITY, WELCOME_CHANNEL, message)
    [posted] = double.delivered(WELCOME_CHANNEL)
    assert [f.content for f in posted.files] == [CALENDAR.content]

    await answer(
        double,
        await double.interact(
            MOD, 2, slash("setup", {"type": 7, "name": "welcome_channel", "value": WELCOME_CHANNEL})
        ),
    )
    double.dm_refusers.add(BOB)
    await bot.platform.send_direct(COMMUNITY, UserRef("discord", BOB, "bob"), message)
    [thread] = double.created_threads
    [in_thread] = double.delivered(thread)
    assert [f.filename for f in in_thread.files] == ["engchat.ics"]
    assert double.uploads(f"/channels/{thread}/")[0].content == CALENDAR.content


async def test_a_file_over_the_upload_limit_is_replaced_by_a_note(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    double.add_user(ALICE, "alice")
    huge = Attachment("engchat-2027-01-05.md", b"x" * (UPLOAD_LIMIT + 1), "text/markdown")
    await bot.platform.send_direct(COMMUNITY, _alice(), Message("The transcript:", attachment=huge))
    [sent] = double.delivered(str(double.dm_channel_of(ALICE)))
    assert sent.files == []
    assert sent.body["content"].startswith("The transcript:")
    assert "couldn't attach `engchat-2027-01-05.md`" in sent.body["content"]
    assert "10.0 MB upload limit" in sent.body["content"]
    assert len(sent.body["content"]) <= 2000


async def test_a_boosted_server_s_bigger_upload_limit_is_used_for_replies(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    """Discord reports the limit with each interaction (`attachment_size_limit`); a boosted
    server's 25 MiB takes a 12 MiB file the default 10 MiB would have refused."""
    big = Attachment("recording-notes.md", b"x" * (12 * 1024 * 1024), "text/markdown")

    async def answer_with_the_file(event: Event) -> list[Any]:
        await bot.platform.reply(event, Message("The notes:", attachment=big), ephemeral=True)
        return []

    bot.bot.dispatch = answer_with_the_file  # type: ignore[method-assign]
    double.interaction_upload_limit = 25 * 1024 * 1024
    boosted = await double.interact(BOB, 2, slash("mydata"))
    body = await answer(double, boosted)
    [call] = double.rest("POST", f"/interactions/{boosted}/")
    assert call.status == 200 and [len(f.content) for f in call.files] == [big.size]
    assert body["data"]["content"] == "The notes:"

    double.interaction_upload_limit = UPLOAD_LIMIT
    plain = await double.interact(BOB, 2, slash("mydata"))
    body = await answer(double, plain)
    [call] = double.rest("POST", f"/interactions/{plain}/")
    assert call.files == []
    assert "over Discord's 10.0 MB upload limit" in body["data"]["content"]
