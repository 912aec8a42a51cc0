"""Long messages on Matrix, with a real Synapse: a text past one event's 64 KiB arrives whole, as
several notices in order, and a repeat after a crash posts each of them once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from adapters.matrix.translate import (
    BODY_LIMIT,
    CONTENT_BUDGET,
    community_ref,
    content_size,
    notice_contents,
)
from communitybot.outbox_codec import encode
from communitybot.replies import Message, SendToChannel
from tests.matrix.conftest import World


def squeezed(text: str) -> str:
    """Without whitespace: splitting drops only the whitespace where it cuts."""
    return "".join(text.split())


def long_text(line: str, size: int) -> str:
    lines = [f"{n:05} {line}" for n in range(size // (len(line) + 6) + 1)]
    return "\n".join([*lines, "END-MARK"])


def test_a_long_text_becomes_notices_within_synapse_s_event_size() -> None:
    text = long_text("**Week** plan: read `chapter` & discuss — https://example.org/x", 70_000)
    contents = notice_contents(Message(text, ping_role="room"))
    assert len(contents) >= 5
    assert all(len(c["body"]) <= BODY_LIMIT for c in contents)
    assert all(content_size(c) <= CONTENT_BUDGET for c in contents)
    assert [c["m.mentions"] for c in contents] == [{"room": True}] + [{}] * (len(contents) - 1)
    joined = "\n".join(c["body"] for c in contents)
    assert squeezed(joined) == squeezed(f"@room {text}")
    emoji = long_text("🍎🍐🍊🍋🍌🍉🍇🍓 " * 6, 70_000)
    heavy = notice_contents(Message(emoji))
    assert all(content_size(c) <= CONTENT_BUDGET for c in heavy), "measured, not only counted"
    assert len(heavy) > len(contents)


async def test_a_70k_character_message_arrives_whole_in_order(world: World) -> None:
    mod = await world.member("mod")
    world.general = await mod.create_room(f"General {world.n}")
    bot = await world.start_bot()
    await world.bot_in(world.general)
    lines = ("Plan for the **term**: chapters, `code` & links", "🍎🍐🍊🍋 emoji-heavy text " * 3)
    for line in lines:
        mark = mod.mark()
        text = long_text(line, 70_000)
        await bot.platform.send_message(world.general, Message(text))
        await mod.wait_for(lambda s: s.body.endswith("END-MARK"), after=mark)
        notices = mod.since(mark, sender=world.bot_id, room_id=world.general)
        assert len(notices) >= 5
        assert squeezed("\n".join(s.body for s in notices)) == squeezed(text)


class ProcessDied(BaseException):
    """The process stops here; nothing in the bot catches it."""


async def test_a_long_outbox_post_repeated_after_a_crash_posts_each_part_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    mod = await world.member("mod")
    world.general = await mod.create_room(f"General {world.n}")
    bot = await world.start_bot()
    await world.bot_in(world.general)
    mark = mod.mark()
    text = long_text("The chat's agenda goes on and on", 40_000)
    action = SendToChannel(community_ref(world.general), world.general, Message(text))
    await bot.bot.store.outbox.add([(encode(action), None)], datetime.now(UTC))

    async def died(row_ids: Sequence[int]) -> None:
        raise ProcessDied()

    monkeypatch.setattr(bot.bot.store.outbox, "done_many", died)
    with pytest.raises(ProcessDied):
        await bot.bot.deliver_outbox()
    await mod.wait_for(lambda s: s.body.endswith("END-MARK"), after=mark)
    await world.stop_bot()

    restarted = await world.start_bot()
    assert await restarted.bot.deliver_outbox() == 1
    await restarted.platform.send_message(world.general, Message("after the replay"))
    await mod.wait_for(lambda s: s.body == "after the replay", after=mark)
    parts = [
        s.body
        for s in mod.since(mark, sender=world.bot_id, room_id=world.general)
        if s.body != "after the replay"
    ]
    assert len(parts) == len(notice_contents(Message(text))) >= 3, "each part posted once"
    assert squeezed("\n".join(parts)) == squeezed(text)
