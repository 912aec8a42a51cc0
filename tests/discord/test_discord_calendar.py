"""A chat series as a Guild Scheduled Event, with the real discord.py client against the double:
created with Discord's fields, edited in place, deleted on cancel, recreated when deleted by
hand; "Interested" brings a private offer of reminders; no Manage Events → the moderators hear.

The bot's clock is the FakeClock (Monday 4 January 2027, 12:00 UTC); #engchat is on Tuesdays
19:00 London (= UTC in January).
"""

from __future__ import annotations

import asyncio
from typing import Any

from adapters.discord import DiscordBot
from communitybot.chats.jobs import reminder_key
from communitybot.events import ChoicePicked, UserRef
from tests.discord.gateway_double import (
    GUILD_ID,
    GUILD_SCHEDULED_EVENTS_INTENT,
    MODLOG_CHANNEL,
    PRIVATE_CHANNEL,
    WELCOME_CHANNEL,
    DiscordDouble,
)
from tests.discord.helpers import BOB, MOD, answer, components_of, slash, sub
from tests.discord.test_discord_threads import recording

EVENTS = f"/guilds/{GUILD_ID}/scheduled-events"


def _text(name: str, value: str) -> dict[str, Any]:
    return {"type": 3, "name": name, "value": value}


def create(channel: str = WELCOME_CHANNEL, title: str = "Feedback that works") -> dict[str, Any]:
    return slash(
        "chat",
        sub(
            "create",
            _text("hashtag", "engchat"),
            _text("title", title),
            {"type": 7, "name": "channel", "value": channel},
            _text("schedule", "weekly tuesday"),
            _text("time", "19:00"),
            _text("timezone", "Europe/London"),
            _text("description", "Bring one piece of feedback that changed your teaching."),
        ),
    )


async def remembered(bot: DiscordBot, event_id: str) -> None:
    """Wait until the adapter stored the event's id (just after Discord answered the POST)."""
    for _ in range(500):
        if await bot.platform.calendar.key_of(GUILD_ID, event_id) is not None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"event {event_id} was never stored")


async def said(double: DiscordDouble, user: str, data: dict[str, Any]) -> str:
    return str((await answer(double, await double.interact(user, 2, data)))["data"]["content"])


async def test_a_chat_becomes_an_external_event_edited_in_place_and_deleted_on_cancel(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    assert "Created **#engchat" in await said(double, MOD, create())
    [created] = await double.wait_for("POST", EVENTS)
    assert created.status == 200, created
    [event] = double.scheduled_events.values()
    await remembered(bot, event["id"])
    assert event["name"] == "#engchat: Feedback that works"
    assert event["entity_type"] == 3 and event["privacy_level"] == 2
    assert event["channel_id"] is None
    assert event["entity_metadata"] == {"location": "#welcome"}
    assert event["scheduled_start_time"] == "2027-01-05T19:00:00+00:00"
    assert event["scheduled_end_time"] == "2027-01-05T20:00:00+00:00"
    assert event["description"].startswith("Bring one piece of feedback")
    assert "Every week on Tuesday at 19:00" in event["description"]

    edit = slash("chat", sub("edit", _text("hashtag", "engchat"), _text("time", "18:30")))
    assert "Updated **#engchat**" in await said(double, MOD, edit)
    [patched] = await double.wait_for("PATCH", EVENTS)
    assert patched.status == 200 and patched.path == f"{EVENTS}/{event['id']}"
    [same] = double.scheduled_events.values()
    assert same["id"] == event["id"], "edited in place"
    assert same["scheduled_start_time"] == "2027-01-05T18:30:00+00:00"
    assert len(double.rest("POST", EVENTS)) == 1

    assert "Cancelled" in await said(
        double, MOD, slash("chat", sub("cancel", _text("hashtag", "engchat")))
    )
    [deleted] = await double.wait_for("DELETE", EVENTS)
    assert deleted.status == 204 and double.scheduled_events == {}


async def test_an_event_deleted_by_hand_is_created_again_on_the_next_publish(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await said(double, MOD, create())
    await double.wait_for("POST", EVENTS)
    [first] = list(double.scheduled_events)
    await remembered(bot, first)
    await double.delete_event_by_hand(first)

    await said(double, MOD, slash("chat", sub("skip-next", _text("hashtag", "engchat"))))
    await double.wait_for("POST", EVENTS, count=2)
    [again] = double.scheduled_events.values()
    await remembered(bot, again["id"])
    assert again["id"] != first
    assert again["scheduled_start_time"] == "2027-01-12T19:00:00+00:00"
    # …and the new id is the one edited from then on.
    edit = slash("chat", sub("edit", _text("hashtag", "engchat"), _text("title", "Feedback loops")))
    await said(double, MOD, edit)
    await double.wait_for("PATCH", f"{EVENTS}/{again['id']}", count=1)
    assert double.scheduled_events[again["id"]]["name"] == "#engchat: Feedback loops"


async def test_an_event_started_by_hand_is_replaced_when_the_chat_moves_on(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await said(double, MOD, create())
    await double.wait_for("POST", EVENTS)
    [first] = list(double.scheduled_events)
    await remembered(bot, first)
    await double.start_event_by_hand(first)

    await said(double, MOD, slash("chat", sub("skip-next", _text("hashtag", "engchat"))))
    await double.wait_for("POST", EVENTS, count=2)
    [refused] = double.rest("PATCH", EVENTS)
    assert refused.status == 400
    [replacement] = double.scheduled_events.values()
    assert replacement["id"] != first and replacement["status"] == 1
    assert replacement["scheduled_start_time"] == "2027-01-12T19:00:00+00:00"


async def test_a_chat_in_a_private_channel_is_not_put_on_the_server_calendar(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    assert "Created" in await said(double, MOD, create(channel=PRIVATE_CHANNEL))
    await said(double, MOD, slash("chat", sub("list")))  # a later delivery: the first is done
    assert double.rest("POST", EVENTS) == [] and double.scheduled_events == {}


async def test_interested_brings_a_dm_offer_and_subscribe_subscribes(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await said(double, MOD, create())
    await double.wait_for("POST", EVENTS)
    [event_id] = list(double.scheduled_events)

    assert double.intents & GUILD_SCHEDULED_EVENTS_INTENT, "asked for the intent"
    await remembered(bot, event_id)
    await double.mark_interested(BOB, event_id)
    await double.wait_until(lambda: double.dm_channel_of(BOB) is not None)
    dm = double.dm_channel_of(BOB)
    assert dm is not None
    [offer] = await double.wait_for("POST", f"/channels/{dm}/messages")
    assert "#engchat: Feedback that works" in offer.body["content"]
    assert "reminder 24 hours and 15 minutes before" in offer.body["content"]
    buttons = {c["label"]: c["custom_id"] for c in components_of(offer.body)}
    assert set(buttons) == {"Subscribe", "No thanks"}

    pressed = await double.interact(
        BOB,
        3,
        {"custom_id": buttons["Subscribe"], "component_type": 2},
        in_guild=False,
        channel_id=dm,
    )
    reply = await answer(double, pressed)
    assert "You'll get a reminder" in reply["data"]["content"]

    store = bot.bot.store
    community = await store.communities.get_by_id(1)
    assert community is not None
    series = await store.chats.find(community.id, "engchat")
    member = await store.members.get(community.id, UserRef("discord", BOB, ""))
    assert series is not None and series.next_start is not None and member is not None
    assert await store.chats.subscription(series.id, member.id) is not None
    for lead in (24 * 60, 15):
        job = await store.jobs.get(reminder_key(series.id, series.next_start, member.id, lead))
        assert job is not None and job.status == "pending"

    # Interested again (already subscribed), or on someone else's event: nothing more is sent.
    posts = len(double.rest("POST", f"/channels/{dm}/messages"))
    with recording(bot) as handled:
        await double.mark_interested(BOB, event_id)
        await handled.wait(ChoicePicked, 1)
    await double.mark_interested(BOB, "999999999999999999")  # not ours: never reaches the core
    await said(double, MOD, slash("chat", sub("list")))
    assert len(double.rest("POST", f"/channels/{dm}/messages")) == posts


async def test_without_manage_events_the_moderators_are_told_and_the_command_works(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    double.manage_events = False
    await said(
        double, MOD, slash("setup", {"type": 7, "name": "modlog_channel", "value": MODLOG_CHANNEL})
    )
    assert "Created **#engchat" in await said(double, MOD, create())
    [report] = await double.wait_for(
        "POST", f"/channels/{MODLOG_CHANNEL}/messages", saying="Manage Events"
    )
    assert "#engchat: Feedback that works" in report.body["content"]
    assert report.body["allowed_mentions"]["parse"] == []
    assert double.scheduled_events == {}
