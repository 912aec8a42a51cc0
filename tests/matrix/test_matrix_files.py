"""Files on Matrix: uploaded to the real Synapse's media repository, sent as `m.file` events
after the text, and downloadable byte for byte by the member through the client media API."""

from __future__ import annotations

import json
from collections.abc import Callable

from nio import DownloadResponse

from adapters.matrix.translate import community_ref
from communitybot.replies import Attachment, Message
from tests.matrix.conftest import World
from tests.matrix.members import Member, Seen

FIRST_QUESTION = "What best describes your role?"
CALENDAR = Attachment(
    "engchat.ics",
    "BEGIN:VCALENDAR\r\nSUMMARY:Ünïcode\r\nEND:VCALENDAR\r\n".encode(),
    "text/calendar",
)


async def _download(member: Member, seen: Seen) -> bytes:
    url = str(seen.content["url"])
    assert url.startswith("mxc://localhost/")
    response = await member.client.download(mxc=url)
    assert isinstance(response, DownloadResponse), response
    return bytes(response.body)


def _is_file(bot_id: str) -> Callable[[Seen], bool]:
    return lambda s: s.sender == bot_id and s.content.get("msgtype") == "m.file"


async def test_mydata_arrives_in_the_dm_as_a_json_file_after_the_text(world: World) -> None:
    mod = await world.member("mod")
    world.general = await mod.create_room(f"General {world.n}")
    await world.start_bot()
    bot_id = world.bot_id
    alice = await world.member("alice")
    await alice.join(world.general)
    await alice.wait_dm(FIRST_QUESTION, sender=bot_id)

    mark = alice.mark()
    await alice.say(world.general, "!mydata")
    file = await alice.wait_for(_is_file(bot_id), after=mark)
    assert file.room_id in alice.direct_rooms, "a personal export goes to the DM only"
    text = alice.since(mark, sender=bot_id)
    assert text[0].content["msgtype"] == "m.notice" and "attached as JSON" in text[0].body
    assert text.index(file) == 1, "the file follows its text"
    assert file.body.startswith("mydata-") and file.body.endswith(".json")
    assert file.content["info"]["mimetype"] == "application/json"
    content = await _download(alice, file)
    assert file.content["info"]["size"] == len(content)
    data = json.loads(content)
    assert data["user_id"] == alice.user_id and data["platform"] == "matrix"


async def test_a_file_in_a_room_downloads_byte_for_byte_and_a_too_big_one_is_explained(
    world: World,
) -> None:
    mod = await world.member("mod")
    world.general = await mod.create_room(f"General {world.n}")
    bot = await world.start_bot()
    bot_id = world.bot_id
    await world.bot_in(world.general)
    community = community_ref(world.general)

    mark = mod.mark()
    await bot.platform.send_to_channel(
        community, world.general, Message("The calendar:", attachment=CALENDAR)
    )
    file = await mod.wait_for(_is_file(bot_id), after=mark)
    assert file.room_id == world.general
    assert file.body == "engchat.ics" and file.content["info"] == {
        "mimetype": "text/calendar",
        "size": len(CALENDAR.content),
    }
    assert await _download(mod, file) == CALENDAR.content

    huge = Attachment("engchat-2027-01-05.md", b"x" * (3 * 1024 * 1024), "text/markdown")
    mark = mod.mark()
    await bot.platform.send_to_channel(
        community, world.general, Message("The transcript:", attachment=huge)
    )
    note = await mod.wait_for(
        lambda s: s.sender == bot_id and "couldn't attach engchat-2027-01-05.md" in s.body,
        after=mark,
    )
    assert "refuses files this big" in note.body
    assert not [s for s in mod.since(mark) if s.content.get("msgtype") == "m.file"]
