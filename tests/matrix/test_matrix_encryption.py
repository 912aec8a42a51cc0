"""End-to-end encryption (issue #18): the real bot with encryption on, real encrypting members
(matrix-nio with vodozemac, each with its own key store), a real Synapse."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import stat
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from nio import Api, ShareGroupSessionResponse
from nio.crypto import OlmDevice

from adapters.matrix import MatrixBot
from adapters.matrix.crypto import PICKLE_KEY as PICKLE
from adapters.matrix.login import MatrixStartupError
from communitybot.events import UserRef
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


async def _bob_asked_his_first_question(world: World) -> tuple[MatrixBot, Member]:
    """An encrypted world, the bot running, and Bob (encrypting) in its room, asked his first
    onboarding question in an encrypted DM."""
    await _encrypted_world(world)
    bot = await world.start_bot()
    bob = await world.member("bob", encrypted=True)
    await bob.join(world.general)
    await bob.wait_dm(FIRST_QUESTION, sender=world.bot_id)
    return bot, bob


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


def _bot_device(member: Member, bot_id: str) -> OlmDevice:
    return next(iter(member.client.device_store.active_user_devices(bot_id)))


async def _send_with_room_keys_held(member: Member, room_id: str, text: str) -> list[Any]:
    """Send `text` encrypted with a new room session whose keys are not delivered yet (as when
    a member's to-device messages are delayed); the held key messages are returned."""
    client = member.client
    assert client.olm is not None
    missing = client.get_missing_sessions(room_id)
    if missing:
        await client.keys_claim(missing)
    room = client.rooms[room_id]
    held = list(
        client.olm.share_group_session_parallel(
            room_id, list(room.users), ignore_unverified_devices=True
        )
    )
    client.olm.outbound_group_sessions[room_id].shared = True
    await member.say(room_id, text)
    return held


async def _deliver(member: Member, room_id: str, held: list[Any]) -> None:
    client = member.client
    for sharing_with, to_device in held:
        method, path, data = Api.to_device(
            client.access_token, "m.room.encrypted", to_device, uuid.uuid4()
        )
        await client._send(ShareGroupSessionResponse, method, path, data, (room_id, sharing_with))


async def test_a_message_whose_keys_arrive_late_is_handled_once(world: World) -> None:
    bot, bob = await _bob_asked_his_first_question(world)
    bot_id = world.bot_id

    mark = bob.mark()
    held = await _send_with_room_keys_held(bob, world.general, "!tags add maths")
    crypto = bot.platform.crypto
    assert crypto is not None
    await _until(lambda: crypto.waiting == 1)  # the bot waits, having asked for the key
    await asyncio.sleep(1.5)
    assert not bob.since(mark, sender=bot_id)

    await _deliver(bob, world.general, held)  # the key arrives: the command runs, once
    await bob.wait_dm("maths", after=mark, sender=bot_id)
    await asyncio.sleep(1.5)
    assert len(bob.since(mark, sender=bot_id)) == 1
    assert crypto.waiting == 0


async def test_a_message_still_waiting_for_its_keys_survives_a_restart(world: World) -> None:
    bot, bob = await _bob_asked_his_first_question(world)
    bot_id = world.bot_id

    mark = bob.mark()
    held = await _send_with_room_keys_held(bob, world.general, "!tags add maths")
    crypto = bot.platform.crypto
    assert crypto is not None
    await _until(lambda: crypto.waiting == 1)
    await asyncio.sleep(1.5)  # a sync or two: the sync position moves past the message
    await world.stop_bot()
    await _deliver(bob, world.general, held)  # the key comes while the bot is down

    restarted = await world.start_bot()
    await bob.wait_dm("maths", after=mark, sender=bot_id)
    await asyncio.sleep(1.5)
    assert len(bob.since(mark, sender=bot_id)) == 1
    assert restarted.platform.crypto is not None and restarted.platform.crypto.waiting == 0


async def test_a_message_whose_keys_never_arrive_gets_one_note(world: World) -> None:
    world.key_wait = 1.0
    bot, bob = await _bob_asked_his_first_question(world)
    bot_id = world.bot_id
    bob.client.blacklist_device(_bot_device(bob, bot_id))

    mark = bob.mark()
    await bob.say(world.general, "!peers")
    await bob.say(world.general, "!tags list")
    note = await bob.wait_for(
        lambda s: s.sender == bot_id and s.room_id == world.general, after=mark
    )
    assert "send it again" in note.body and note.encrypted
    await asyncio.sleep(2.5)
    assert len(bob.since(mark, sender=bot_id)) == 1  # one note for both, nothing else
    assert bot.platform.crypto is not None and bot.platform.crypto.waiting == 0


async def _until(condition: Callable[[], bool], within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, "condition never became true"
        await asyncio.sleep(0.05)


async def test_mydata_lists_and_forgetme_deletes_a_members_device_keys(world: World) -> None:
    await _encrypted_world(world)
    bot = await world.start_bot()
    alice = await world.member("alice", encrypted=True)
    await alice.join(world.general)
    await alice.wait_dm(FIRST_QUESTION, sender=world.bot_id)
    assert world.store is not None
    who = UserRef("matrix", alice.user_id)

    exported = await world.store.adapter_data.export(who)
    devices = exported["matrix_member_devices"]
    assert [d["device_id"] for d in devices] == [alice.account.device_id]
    assert devices[0]["trust"] == "verified"  # trusted on first use
    assert all("key" not in name for name in devices[0])  # no key material in the export

    crypto = bot.platform.crypto
    assert crypto is not None and bot.client.device_id is not None
    assert crypto.forget_member_devices(alice.user_id) == 1  # what /forgetme calls
    assert crypto.member_devices(alice.user_id) == []
    store = world.directory / "bot-keys" / f"{world.bot_id}_{bot.client.device_id}.db"
    with sqlite3.connect(store) as db:
        left = db.execute("SELECT COUNT(*) FROM devicekeys WHERE user_id = ?", (alice.user_id,))
        assert left.fetchone()[0] == 0
        trust = db.execute("SELECT COUNT(*) FROM devicetruststate").fetchone()[0]
        keys = db.execute("SELECT COUNT(*) FROM keys").fetchone()[0]
        rows = db.execute("SELECT COUNT(*) FROM devicekeys").fetchone()[0]
        assert trust <= rows and keys == 2 * rows  # nothing of hers left behind

    mark = alice.mark()  # the bot fetches her public keys again when it writes to her
    await _answer(alice, world.bot_id, "1", "subjects")
    assert all(seen.encrypted for seen in alice.since(mark, sender=world.bot_id))


async def test_under_the_verified_policy_unverified_devices_get_no_keys(world: World) -> None:
    world.trust = "verified"
    await _encrypted_world(world)
    await world.start_bot()
    alice = await world.member("alice", encrypted=True)
    await alice.join(world.general)
    dm = await alice.wait_direct_room()
    await _until(lambda: bool(alice.undecrypted), within=20)  # the welcome came, locked
    await asyncio.sleep(1.0)
    assert not alice.since(0, sender=world.bot_id, room_id=dm)  # nothing readable


async def test_under_the_verified_policy_an_operator_trusts_a_device_by_its_key(
    world: World,
) -> None:
    from communitybot.__main__ import main

    world.trust = "verified"
    await _encrypted_world(world)
    await world.start_bot()
    alice = await world.member("alice", encrypted=True)
    await alice.join(world.general)
    dm = await alice.wait_direct_room()
    await _until(lambda: bool(alice.undecrypted), within=20)  # the welcome came, locked
    assert not alice.since(0, sender=world.bot_id, room_id=dm)

    assert alice.client.olm is not None
    key = alice.client.olm.account.identity_keys["ed25519"]  # what Element shows her
    where = ["--db", str(world.directory / "bot.db"), "--account", world.bot_id]
    command = ["matrix", "trust", alice.user_id, alice.client.device_id, key, *where]
    assert await asyncio.to_thread(main, command) == 0  # while the bot runs
    await asyncio.sleep(1.5)  # a sync: the bot reads the entry
    await _answer(alice, world.bot_id, "1", "subjects")  # her answer gets a readable reply


async def test_a_lost_key_folder_means_a_new_device_not_a_changed_one(world: World) -> None:
    await _encrypted_world(world)
    bot = await world.start_bot()
    bot_id = world.bot_id
    old_device = bot.client.device_id
    alice = await world.member("alice", encrypted=True)
    await alice.join(world.general)
    await alice.wait_dm(FIRST_QUESTION, sender=bot_id)
    await world.stop_bot()
    shutil.rmtree(world.directory / "bot-keys")

    restarted = await world.start_bot()
    assert restarted.client.device_id != old_device  # keys never change under a device id
    mark = alice.mark()
    dm = await alice.wait_direct_room()
    await asyncio.sleep(1.0)  # alice's client hears of the bot's new device
    await alice.say(dm, "1")
    reply = await alice.wait_dm("subjects", after=mark, sender=bot_id)
    assert reply.encrypted


async def test_a_key_store_without_its_database_is_one_clear_error(world: World) -> None:
    await _encrypted_world(world)
    await world.start_bot()
    await world.stop_bot()
    with sqlite3.connect(world.directory / "bot.db") as db:  # e.g. a database from elsewhere
        db.execute("UPDATE matrix_state SET value = 'not-the-passphrase' WHERE key = ?", (PICKLE,))
    with pytest.raises(MatrixStartupError, match="cannot open the Matrix key store"):
        await world.start_bot()
