"""Rooms coming and going, against the real Synapse: kicks, left DM rooms, `m.direct`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from loguru import logger

from adapters.matrix.translate import community_ref
from communitybot.ports import MissingPermission
from communitybot.replies import Message
from tests.matrix.conftest import World

FIRST_QUESTION = "What best describes your role?"


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    """The bot's WARNING-and-above log lines while the test runs."""
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(str(message)), level="WARNING")
    yield lines
    logger.remove(sink)


async def _until(condition: Callable[[], bool], within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, "condition never became true"
        await asyncio.sleep(0.05)


async def test_a_bot_kicked_from_one_room_says_so_and_keeps_serving_the_others(
    world: World, warnings: list[str]
) -> None:
    mod = await world.member("mod")
    world.general = await mod.create_room(f"General {world.n}")
    other = await mod.create_room(f"Other {world.n}")
    bot = await world.start_bot(rooms=[world.general, other])
    bot_id = world.bot_id
    alice = await world.member("alice")
    await alice.join(world.general)
    await alice.wait_dm(FIRST_QUESTION, sender=bot_id)

    await mod.client.room_kick(world.general, bot_id, reason="spring cleaning")
    await _until(lambda: world.general in bot.platform.departed)
    kicked = [line for line in warnings if world.general in line]
    assert len(kicked) == 1, kicked
    assert "removed" in kicked[0] and mod.user_id in kicked[0] and "spring cleaning" in kicked[0]
    with pytest.raises(MissingPermission, match="no longer in room"):
        await bot.platform.send_to_channel(
            community_ref(world.general), world.general, Message("anyone here?")
        )

    # The DM of that room's member and the other served room still work.
    dm = await alice.wait_direct_room()
    mark = alice.mark()
    await alice.say(dm, "!help")
    await alice.wait_dm("!tags add", after=mark, sender=bot_id)
    bob = await world.member("bob")
    await bob.join(other)
    await bob.wait_dm(FIRST_QUESTION, sender=bot_id)
    mark = bob.mark()
    await bob.say(other, "!tags add science")
    await bob.wait_dm("science", after=mark, sender=bot_id)
    assert world._task is not None and not world._task.done()
    assert len([line for line in warnings if world.general in line]) == 1  # no loop


async def test_dm_rooms_are_listed_in_m_direct_and_a_left_one_is_replaced(world: World) -> None:
    mod = await world.member("mod")
    world.general = await mod.create_room(f"General {world.n}")
    account = world.bot_account
    world.synapse.put_account_data(account, "m.direct", {"@friend:localhost": ["!elsewhere"]})
    await world.start_bot()
    bot_id = world.bot_id
    alice = await world.member("alice")
    await alice.join(world.general)
    first = await alice.wait_dm(FIRST_QUESTION, sender=bot_id)
    direct = world.synapse.account_data(account, "m.direct")
    assert direct == {"@friend:localhost": ["!elsewhere"], alice.user_id: [first.room_id]}

    # Alice leaves her DM room and at once types a command whose answer is personal.
    await alice.client.room_leave(first.room_id)
    mark = alice.mark()
    await alice.say(world.general, "!tags add maths")
    reply = await alice.wait_for(
        lambda s: s.sender == bot_id and "maths" in s.body, after=mark, within=20
    )
    assert reply.room_id != first.room_id  # a fresh DM room, not the one nobody reads
    assert reply.room_id in alice.direct_rooms  # invited as a DM (`is_direct`)
    await _until(
        lambda: (
            world.synapse.account_data(account, "m.direct")
            == {"@friend:localhost": ["!elsewhere"], alice.user_id: [reply.room_id]}
        )
    )
    await _until(lambda: first.room_id not in world.synapse.joined_rooms(account))
    mark = alice.mark()
    await alice.say(reply.room_id, "!help")
    answer = await alice.wait_for(lambda s: s.sender == bot_id, after=mark)
    assert answer.room_id == reply.room_id  # the new room is now the DM room
