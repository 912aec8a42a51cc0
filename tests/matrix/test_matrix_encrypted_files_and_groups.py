"""Encryption (issue #18) for what the bot opens and uploads: files into encrypted rooms are
uploaded encrypted, and group-introduction rooms are created encrypted. The real bot with
encryption on, real encrypting members (matrix-nio with vodozemac), a real Synapse."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
from nio import DownloadResponse, RoomGetStateResponse
from nio.crypto import decrypt_attachment

from adapters.matrix.translate import community_ref, user_ref
from communitybot.delivery import deliver
from communitybot.replies import Attachment, CalendarEntry, Message, SendToGroup
from tests.matrix.conftest import World
from tests.matrix.members import Member, Seen

pytest.importorskip("vodozemac", reason="install the encryption extra: pip install -e .")

FIRST_QUESTION = "What best describes your role?"
CALENDAR = Attachment(
    "engchat.ics",
    "BEGIN:VCALENDAR\r\nSUMMARY:Ünïcode secret\r\nEND:VCALENDAR\r\n".encode(),
    "text/calendar",
)


async def _encrypted_world(world: World) -> Member:
    """Encryption on; a moderator who created an encrypted served room."""
    world.encryption = True
    mod = await world.member("mod", encrypted=True)
    world.general = await mod.create_room(f"General {world.n}", encrypted=True)
    return mod


def _is_file(bot_id: str) -> Callable[[Seen], bool]:
    return lambda s: s.sender == bot_id and s.content.get("msgtype") == "m.file"


async def _stored_and_opened(member: Member, seen: Seen) -> tuple[bytes, bytes]:
    """The bytes the homeserver stores for an encrypted `m.file`, and what the member's client
    decrypts them to with the key from the (decrypted) event."""
    assert seen.encrypted, "the m.file event itself came encrypted"
    assert "url" not in seen.content, "an encrypted file is described by `file`, not `url`"
    file = seen.content["file"]
    assert file["v"] == "v2" and str(file["url"]).startswith("mxc://localhost/")
    response = await member.client.download(mxc=file["url"])
    assert isinstance(response, DownloadResponse), response
    stored = bytes(response.body)
    opened = decrypt_attachment(stored, file["key"]["k"], file["hashes"]["sha256"], file["iv"])
    return stored, opened


async def test_mydata_in_an_encrypted_dm_is_uploaded_encrypted(world: World) -> None:
    await _encrypted_world(world)
    await world.start_bot()
    bot_id = world.bot_id
    alice = await world.member("alice", encrypted=True)
    await alice.join(world.general)
    await alice.wait_dm(FIRST_QUESTION, sender=bot_id)
    dm = await alice.wait_direct_room()

    mark = alice.mark()
    await alice.say(dm, "!mydata")
    file = await alice.wait_for(_is_file(bot_id), after=mark)
    assert file.room_id == dm
    assert file.body.startswith("mydata-") and file.body.endswith(".json")
    assert file.content["info"]["mimetype"] == "application/json"

    stored, opened = await _stored_and_opened(alice, file)
    assert stored != opened and alice.user_id.encode() not in stored  # the homeserver: noise
    assert file.content["info"]["size"] == len(opened)
    data = json.loads(opened)  # the member's client opens the exact export
    assert data["user_id"] == alice.user_id and data["platform"] == "matrix"
    assert not alice.undecrypted


async def test_a_file_in_an_encrypted_room_is_encrypted_and_a_plain_room_stays_plain(
    world: World,
) -> None:
    mod = await _encrypted_world(world)
    plain = await mod.create_room(f"Plain {world.n}")
    bot = await world.start_bot(rooms=[world.general, plain])
    bot_id = world.bot_id
    await world.bot_in(world.general)
    await world.bot_in(plain)
    community = community_ref(world.general)

    mark = mod.mark()
    await bot.platform.send_to_channel(
        community, world.general, Message("The calendar:", attachment=CALENDAR)
    )
    file = await mod.wait_for(_is_file(bot_id), after=mark)
    assert file.room_id == world.general and file.body == "engchat.ics"
    stored, opened = await _stored_and_opened(mod, file)
    assert opened == CALENDAR.content and b"secret" not in stored

    mark = mod.mark()
    await bot.platform.send_to_channel(
        community, plain, Message("The calendar:", attachment=CALENDAR)
    )
    file = await mod.wait_for(_is_file(bot_id), after=mark)
    assert file.room_id == plain and not file.encrypted and "file" not in file.content
    response = await mod.client.download(mxc=str(file.content["url"]))
    assert isinstance(response, DownloadResponse) and response.body == CALENDAR.content


async def test_a_chats_pinned_calendar_in_an_encrypted_room_is_uploaded_encrypted(
    world: World,
) -> None:
    mod = await _encrypted_world(world)
    bot = await world.start_bot()
    await world.bot_in(world.general)
    await mod.set_power_level(world.general, world.bot_id, 50)  # may pin
    room = bot.client.rooms[world.general]
    for _ in range(200):  # the bot hears of its new power level on its next sync
        if room.power_levels.get_user_level(world.bot_id) >= 50:
            break
        await asyncio.sleep(0.05)
    entry = CalendarEntry(
        title="#engchat",
        description="Every week.",
        starts_at="2027-01-05T19:00:00+00:00",
        ends_at="2027-01-05T20:00:00+00:00",
        channel_id=world.general,
        ics=CALENDAR,
    )

    mark = mod.mark()
    await bot.platform.publish_calendar(community_ref(world.general), "chat:1", entry)
    file = await mod.wait_for(_is_file(world.bot_id), after=mark)
    assert file.content["filename"] == "engchat.ics" and "next chat" in file.body
    stored, opened = await _stored_and_opened(mod, file)
    assert opened == CALENDAR.content and b"secret" not in stored


async def test_a_group_introduction_room_is_encrypted_and_its_members_read_it(
    world: World,
) -> None:
    await _encrypted_world(world)
    bot = await world.start_bot()
    alice = await world.member("alice", encrypted=True)
    bob = await world.member("bob", encrypted=True)
    community = community_ref(world.general)
    users = (user_ref(alice.user_id, "Alice"), user_ref(bob.user_id, "Bob"))
    mark_a, mark_b = alice.mark(), bob.mark()

    group = SendToGroup(community, users, "Alice & Bob", Message("Meet each other: **maths**!"))
    assert await deliver(bot.platform, None, [group], None) == []

    seen_a = await alice.wait_for(lambda s: "Meet each other" in s.body, after=mark_a)
    seen_b = await bob.wait_for(lambda s: "Meet each other" in s.body, after=mark_b)
    room_id = seen_a.room_id
    assert seen_b.room_id == room_id != world.general
    assert seen_a.encrypted and seen_b.encrypted  # sent encrypted, and both could read it
    assert room_id not in alice.direct_rooms  # still a room, not a DM
    response = await bot.client.room_get_state(room_id)
    assert isinstance(response, RoomGetStateResponse), response
    [encryption] = [e for e in response.events if e["type"] == "m.room.encryption"]
    assert encryption["content"]["algorithm"] == "m.megolm.v1.aes-sha2"

    # What follows in the room is encrypted too, both ways.
    mark = bob.mark()
    await alice.say(room_id, "Hello Bob!")
    hello = await bob.wait_for(lambda s: s.body == "Hello Bob!", after=mark)
    assert hello.encrypted
    assert not alice.undecrypted and not bob.undecrypted
