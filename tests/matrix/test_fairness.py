"""Fairness on Matrix (issue #11): one member's burst does not hold up another member.

The burst and the other member's command are typed while the bot is down, so they arrive in
one sync response: the proof is the order in which the core finished them, never a duration.
"""

from __future__ import annotations

import asyncio

from communitybot.events import Event
from communitybot.replies import Action
from communitybot.store.store import Store
from tests.matrix.conftest import World, built
from tests.matrix.members import Member

FIRST_QUESTION = "What best describes your role?"
BURST = 50


async def test_a_burst_of_50_commands_does_not_hold_up_another_member(world: World) -> None:
    """Also: a burst of 30 typos gets ten explanations and one notice, not 30 DMs."""
    mod = await world.member("mod")
    world.general = await mod.create_room(f"General {world.n}")
    await world.start_bot()
    bot_id = world.bot_id
    alice = await world.member("alice")
    bob = await world.member("bob")
    carol = await world.member("carol")
    for member in (alice, bob, carol):
        await member.join(world.general)
        await member.wait_dm(FIRST_QUESTION, sender=bot_id)
    await world.stop_bot()

    alice_mark, bob_mark, carol_mark = alice.mark(), bob.mark(), carol.mark()
    for _ in range(BURST):
        await alice.say(world.general, "!help")
    await bob.say(world.general, "!tags add maths")
    for _ in range(30):  # typos are explained by the adapter itself: limited all the same
        await carol.say(world.general, "!frobnicate")

    finished: list[str] = []
    world.store = await Store.open(world.directory / "bot.db")
    bot = await built(world.config([world.general]), world.store)
    handle = bot.bot.dispatch

    async def recording(event: Event) -> list[Action]:
        actions = await handle(event)
        finished.append(event.user.user_id)
        return actions

    bot.bot.dispatch = recording  # type: ignore[method-assign]
    world.bot = bot
    await bot.start()  # the catch-up sync holds the whole burst and Bob's command
    world._task = asyncio.create_task(bot.run())

    await bob.wait_dm("maths", after=bob_mark, sender=bot_id)
    await alice.wait_dm("faster than this community allows", after=alice_mark, sender=bot_id)
    assert finished.count(alice.user_id) == BURST
    assert finished.index(bob.user_id) < BURST  # answered before the burst was done
    assert finished.index(bob.user_id) <= 5  # and not behind the 10 admitted replies

    await asyncio.sleep(1.0)  # time for any (wrong) extra reply to arrive
    replies = [reply.body for reply in alice.since(alice_mark, sender=bot_id)]
    # Ten at once and one notice; a slow machine refills a token every 3 s meanwhile, but the
    # bot never echoes a burst back: the rest is dropped silently.
    for answers, burst in ((replies, BURST), (typos(carol, carol_mark, bot_id), 30)):
        assert 11 <= len(answers) < burst * 2 // 3, [answer[:60] for answer in answers]
        notices = sum("faster than this community allows" in answer for answer in answers)
        assert 1 <= notices < len(answers) // 2


def typos(member: Member, mark: int, bot_id: str) -> list[str]:
    return [reply.body for reply in member.since(mark, sender=bot_id)]
