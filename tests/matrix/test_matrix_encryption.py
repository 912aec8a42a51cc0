"""End-to-end encryption (issue #18): the real bot with encryption on, real encrypting members
(matrix-nio with vodozemac, each with its own key store), a real Synapse."""

from __future__ import annotations

import asyncio
import os
import stat

import pytest

from tests.matrix.conftest import World
from tests.matrix.members import Member

pytest.importorskip("vodozemac", reason="install the encryption extra: pip install -e .")

FIRST_QUESTION = "What best describes your role?"


async def _encrypted_world(world: World) -> Member:
    """Encryption on; a moderator who created an encrypted served room."""
    world.encryption = True
    mod = await world.member("mod", encrypted=True)
    world.general = await mod.create_room(f"General {world.n}", encrypted=True)
    return mod


def _encrypted_on_the_wire(member: Member, room_id: str) -> bool:
    room = member.client.rooms.get(room_id)
    return room is not None and room.encrypted


async def _answer(member: Member, bot_id: str, answer: str, expect: str) -> None:
    mark = member.mark()
    room = await member.wait_direct_room()
    await member.say(room, answer)
    await member.wait_dm(expect, after=mark, sender=bot_id)


async def test_peers_in_an_encrypted_room_and_onboarding_in_an_encrypted_dm(
    world: World,
) -> None:
    await _encrypted_world(world)
    bot = await world.start_bot()
    bot_id = world.bot_id
    alice = await world.member("alice", encrypted=True)
    bob = await world.member("bob", encrypted=True)
    await alice.join(world.general)
    await bob.join(world.general)

    # The welcome arrives in a DM room the bot opened encrypted, and alice can read it.
    welcome = await alice.wait_dm(FIRST_QUESTION, sender=bot_id)
    assert welcome.encrypted
    dm = await alice.wait_direct_room()
    assert _encrypted_on_the_wire(alice, dm)
    await _answer(alice, bot_id, "1", "subjects")  # an encrypted answer reaches onboarding
    await _answer(alice, bot_id, "Maths", "grade")

    # Commands typed in the encrypted served room are read; answers come back readable.
    await bob.wait_dm(FIRST_QUESTION, sender=bot_id)
    mark = bob.mark()
    await bob.say(world.general, "!tags add maths")
    await bob.wait_dm("maths", after=mark, sender=bot_id)
    mark = bob.mark()
    await bob.say(world.general, "!peers")
    peers = await bob.wait_dm("alice", after=mark, sender=bot_id)
    assert "maths" in peers.body and peers.encrypted
    assert not alice.undecrypted and not bob.undecrypted  # every message of the bot readable
    assert bot.platform.crypto is not None and bot.platform.crypto.waiting == 0

    # The key store is private to the bot's user.
    keys = world.directory / "bot-keys"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    for path in keys.iterdir():
        if path.suffix == ".db":
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


async def test_a_members_own_encrypted_dm_is_accepted_and_answered(world: World) -> None:
    await _encrypted_world(world)
    await world.start_bot()
    bot_id = world.bot_id
    bob = await world.member("bob", encrypted=True)
    await bob.join(world.general)
    await bob.wait_dm(FIRST_QUESTION, sender=bot_id)

    own = await bob.create_room("us", invite=(bot_id,), encrypted=True, is_direct=True)
    await world.bot_in(own)
    await asyncio.sleep(0.5)  # let bob see the bot's join (and fetch its keys) before typing
    mark = bob.mark()
    await bob.say(own, "!privacy show")
    answer = await bob.wait_for(lambda s: s.sender == bot_id, after=mark)
    assert answer.room_id == own and answer.encrypted  # adopted as the DM room, not declined
    assert "can't read" not in answer.body
    direct = world.synapse.account_data(world.bot_account, "m.direct") or {}
    assert own in direct[bob.user_id]


async def test_a_restart_keeps_the_device_and_its_keys_and_answers_once(world: World) -> None:
    await _encrypted_world(world)
    bot = await world.start_bot()
    bot_id = world.bot_id
    device = bot.client.device_id
    assert bot.client.olm is not None
    identity = bot.client.olm.account.identity_keys["ed25519"]
    alice = await world.member("alice", encrypted=True)
    await alice.join(world.general)
    await alice.wait_dm(FIRST_QUESTION, sender=bot_id)
    await _answer(alice, bot_id, "1", "subjects")

    await world.stop_bot()
    dm = await alice.wait_direct_room()
    mark = alice.mark()
    await alice.say(dm, "Maths")  # encrypted while the bot is down

    restarted = await world.start_bot()
    assert restarted.client.device_id == device  # the saved login: the same device …
    assert restarted.client.olm is not None
    assert restarted.client.olm.account.identity_keys["ed25519"] == identity  # … same keys
    reply = await alice.wait_dm("grade", after=mark, sender=bot_id)
    assert reply.encrypted
    await asyncio.sleep(1.5)  # time for any replayed history to be (wrongly) answered
    replies = alice.since(mark, sender=bot_id)
    assert len(replies) == 1, [r.body for r in replies]
    assert not alice.undecrypted
    # Alice's client still knows the bot's device by the keys it first saw.
    assert alice.client.device_store[bot_id][device].ed25519 == identity


async def test_a_members_second_device_reads_the_answers(world: World) -> None:
    await _encrypted_world(world)
    await world.start_bot()
    bot_id = world.bot_id
    alice = await world.member("alice", encrypted=True)
    await alice.join(world.general)
    await alice.wait_dm(FIRST_QUESTION, sender=bot_id)
    await _answer(alice, bot_id, "1", "subjects")

    phone = await alice.another_device(world.directory / "alice-phone-keys")
    world.members.append(phone)
    dm = await alice.wait_direct_room()
    phone.direct_rooms.add(dm)
    await asyncio.sleep(2.0)  # the bot hears of the new device on its next sync
    mark = phone.mark()
    await phone.say(dm, "Maths")  # typed on the new device
    reply = await phone.wait_dm("grade", after=mark, sender=bot_id)
    assert reply.encrypted  # … and the answer is readable there
    assert not phone.undecrypted
