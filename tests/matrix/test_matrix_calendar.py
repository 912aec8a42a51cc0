"""A chat series' calendar on Matrix, against the real Synapse: the `.ics` posted as an `m.file`
saying the next date and pinned in the chat's room; a new date swaps the pin and redacts the old
file; the moderators' own pins stay; without the power to pin, nothing is posted."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from nio import DownloadResponse, RoomGetEventResponse, RoomGetStateEventResponse

from adapters.matrix.translate import community_ref
from communitybot.ports import MissingPermission
from communitybot.replies import Attachment, CalendarEntry
from tests.matrix.conftest import World
from tests.matrix.members import Member

KEY = "chat:7"


def entry(room_id: str, starts_at: str, ends_at: str) -> CalendarEntry:
    ics = f"BEGIN:VCALENDAR\r\nSUMMARY:#engchat from {starts_at}\r\nEND:VCALENDAR\r\n".encode()
    return CalendarEntry(
        title="#engchat: Feedback that works",
        description="Every week on Tuesday at 19:00 (Europe/London), 60 minutes.",
        starts_at=starts_at,
        ends_at=ends_at,
        channel_id=room_id,
        ics=Attachment("engchat.ics", ics, "text/calendar"),
    )


async def pins(member: Member, room_id: str) -> list[str]:
    response = await member.client.room_get_state_event(room_id, "m.room.pinned_events")
    if not isinstance(response, RoomGetStateEventResponse):
        return []
    return list(response.content.get("pinned", []))


async def event(member: Member, room_id: str, event_id: str) -> dict[str, Any]:
    response = await member.client.room_get_event(room_id, event_id)
    assert isinstance(response, RoomGetEventResponse), response
    return dict(response.event.source)


async def until(condition: Any, within: float = 10.0) -> None:
    for _ in range(int(within / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("never happened")


async def test_the_ics_is_pinned_replaced_on_a_new_date_and_others_pins_are_kept(
    world: World,
) -> None:
    mod = await world.member("mod")
    world.general = await mod.create_room(f"Chats {world.n}")
    bot = await world.start_bot()
    await world.bot_in(world.general)
    community = community_ref(world.general)
    rules = await mod.say(world.general, "House rules: be kind.")
    await mod.client.room_put_state(world.general, "m.room.pinned_events", {"pinned": [rules]})

    first = entry(world.general, "2027-01-05T19:00:00+00:00", "2027-01-05T20:00:00+00:00")
    with pytest.raises(MissingPermission, match="pin"):
        await bot.platform.publish_calendar(community, KEY, first)
    assert await pins(mod, world.general) == [rules], "nothing posted without the power to pin"

    await mod.set_power_level(world.general, world.bot_id, 50)
    room = bot.client.rooms[world.general]
    await until(lambda: room.power_levels.get_user_level(world.bot_id) >= 50)

    await bot.platform.publish_calendar(community, KEY, first)
    pinned = await pins(mod, world.general)
    assert pinned[0] == rules and len(pinned) == 2
    file = await event(mod, world.general, pinned[1])
    content = file["content"]
    assert file["sender"] == world.bot_id and content["msgtype"] == "m.file"
    assert content["filename"] == "engchat.ics"
    assert "#engchat: Feedback that works" in content["body"]
    assert "next chat Tuesday 05 January 2027, 19:00 UTC" in content["body"]
    assert content["info"] == {"mimetype": "text/calendar", "size": len(first.ics.content)}
    download = await mod.client.download(mxc=content["url"])
    assert isinstance(download, DownloadResponse) and bytes(download.body) == first.ics.content

    moved = entry(world.general, "2027-01-05T18:30:00+00:00", "2027-01-05T19:30:00+00:00")
    await bot.platform.publish_calendar(community, KEY, moved)
    again = await pins(mod, world.general)
    assert again[0] == rules and len(again) == 2 and again[1] != pinned[1]
    assert "18:30 UTC" in (await event(mod, world.general, again[1]))["content"]["body"]
    old = await event(mod, world.general, pinned[1])
    assert old["content"] == {} and "redacted_because" in old.get("unsigned", {})

    await bot.platform.publish_calendar(community, KEY, None)
    assert await pins(mod, world.general) == [rules]
    gone = await event(mod, world.general, again[1])
    assert gone["content"] == {}
    # Removing it again (nothing of ours left) is harmless.
    await bot.platform.publish_calendar(community, KEY, None)
    assert await pins(mod, world.general) == [rules]


async def test_chat_create_pins_the_calendar_and_cancel_unpins_it(world: World) -> None:
    """The whole way: the moderator's command, the core's action, the outbox, the pin."""
    mod = await world.member("mod")
    world.general = await mod.create_room(f"Chats {world.n}")
    await mod.set_power_level(world.general, world.bot_id, 50)  # may pin (state default 50)
    bot = await world.start_bot()
    await world.bot_in(world.general)

    await mod.say(
        world.general,
        f'!chat create engchat "Feedback that works" {world.general} "weekly tuesday" 19:00 '
        "Europe/London",
    )
    pinned: list[str] = []
    for _ in range(200):
        pinned = await pins(mod, world.general)
        if pinned:
            break
        await asyncio.sleep(0.1)
    [file_id] = pinned
    file = await event(mod, world.general, file_id)
    assert file["sender"] == world.bot_id and file["content"]["filename"] == "engchat.ics"
    assert file["content"]["body"].startswith("📅 #engchat: Feedback that works: next chat ")
    assert bot.platform.calendar is not None

    await mod.say(world.general, "!chat cancel engchat")
    for _ in range(200):
        if not await pins(mod, world.general):
            break
        await asyncio.sleep(0.1)
    assert await pins(mod, world.general) == []
    for _ in range(200):  # the old file is redacted right after the pin is swapped
        if (await event(mod, world.general, file_id))["content"] == {}:
            break
        await asyncio.sleep(0.1)
    assert (await event(mod, world.general, file_id))["content"] == {}
