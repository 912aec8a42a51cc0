"""End-to-end encryption for the Matrix adapter (issue #18), on matrix-nio's own support.

Why these choices:
- matrix-nio ≥ 0.26 encrypts with vodozemac (the Matrix Foundation's maintained Rust Olm/Megolm,
  audited), not the deprecated libolm: installed as a wheel with `matrix-nio[e2e]`.
- The keys live in nio's SqliteStore, one file per device in `crypto_store` (folder 0700, file
  0600). Its pickles are encrypted with a random passphrase kept in the bot's own database
  (`matrix_state`), so the key file alone is not enough to read them; neither is ever logged.
- The device id is the one saved with the access token (`login.py`), so a restart is the same
  device with the same keys: members' clients keep trusting it and nothing is re-shared.
- Trust: `tofu` marks a member's device verified the first time the bot sees it; `verified`
  blacklists every device an operator did not trust (below), so it gets no room keys. Either
  decision makes nio start a new room session in the rooms shared with that member, so a
  member's new device gets the keys of the bot's next message there. A device whose keys
  changed is logged (ids only, never key material); nio keeps the key it first saw, and under
  `verified` the device is blacklisted.
- An operator trusts a device by hand (`communitybot matrix trust`, `trusted_devices.py`): the
  entries are read once per sync; a device whose ed25519 key matches its entry is verified, one
  whose key differs is blacklisted (logged, ids only), and a device whose entry was removed is
  unverified and blacklisted again. Under `verified` a member's device verified without an entry
  is unverified too, so the table is the whole truth; under `tofu` only an entry removed while
  the bot runs is noticed (the key store keeps the earlier decision otherwise).
- An event the bot cannot decrypt (its room key has not arrived) waits: the key is asked for
  (from the bot's own devices and the sender's), and the event is tried again after every sync.
  Decrypted late, it is handled like any other, once; still locked after `KEY_WAIT` seconds,
  the room gets one short note asking to send it again. The waiting events are saved in
  `matrix_state`, so a restart meanwhile neither drops them nor answers them twice.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loguru import logger
from nio import (
    AsyncClient,
    KeysQueryResponse,
    KeysUploadError,
    LocalProtocolError,
    MatrixRoom,
    MegolmEvent,
    RoomGetStateEventResponse,
)
from nio.api import Api
from nio.crypto import OlmDevice
from nio.exceptions import EncryptionError

from adapters.matrix.errors import TRANSIENT
from adapters.matrix.login import MatrixStartupError
from adapters.matrix.schema import NAMESPACE
from adapters.matrix.sync_state import MatrixState
from adapters.matrix.trusted_devices import Entries, TrustedDevices, TrustedDevicesData
from communitybot.events import UserRef
from communitybot.file_modes import create_private, loose, make_private_dirs
from communitybot.i18n import N_
from communitybot.logging import register_secret
from communitybot.ports import UserRows

TRUST_POLICIES = ("tofu", "verified")
KEY_WAIT = 60.0
"""Seconds an undecryptable event waits for its keys before the room is asked to resend."""
WAITING = "crypto_waiting"
"""`matrix_state` key of the events still waiting for their room keys (JSON)."""
PICKLE_KEY = "crypto_pickle_key"
"""`matrix_state` key of the passphrase nio encrypts its key store with."""
MEGOLM = "m.megolm.v1.aes-sha2"
ENCRYPTION_STATE = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": MEGOLM}}
REMEMBERED_OUTCOMES = 10_000
RESEND_NOTE = N_(
    "🔒 I couldn't decrypt a message sent here at {time} UTC: its keys never reached me. "
    "If it was meant for me, please send it again."
)


@dataclass
class Waiting:
    room_id: str
    event: MegolmEvent
    since: float


class Crypto:
    """The encryption side of one logged-in client: store, keys, trust, late decryption."""

    def __init__(
        self,
        client: AsyncClient,
        state: MatrixState,
        store_dir: Path,
        trust: str = "tofu",
        *,
        key_wait: float = KEY_WAIT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if trust not in TRUST_POLICIES:
            raise ValueError(f"trust must be one of {TRUST_POLICIES}")
        self.client = client
        self.state = state
        self.store_dir = store_dir
        self.trust = trust
        self.key_wait = key_wait
        self._clock = clock
        self._dirty = False
        """The waiting events changed since they were last saved."""
        self._waiting: dict[str, Waiting] = {}
        self._saved: list[str] = []
        self._settled: OrderedDict[str, None] = OrderedDict()
        """Event ids already decrypted late or given up on (bounded): each is handled once."""
        self.operator: Entries = {}
        """The devices an operator trusts: (user id, device id) → ed25519 key."""
        self._removed: set[tuple[str, str]] = set()
        """Entries removed while the bot runs, not yet applied."""
        self._mismatch_logged: set[tuple[str, str]] = set()
        self._changed: set[tuple[str, str]] = set()
        """Devices seen showing other keys than first (nio keeps the first ones)."""
        state.db.declare_personal_data(MemberDevices(self))
        state.db.declare_personal_data(TrustedDevicesData(state.db))

    # -- start-up ----------------------------------------------------------------------------

    def store_file(self) -> Path:
        return self.store_dir / f"{self.client.user_id}_{self.client.device_id}.db"

    async def keys_lost(self) -> bool:
        """True when this device has no key file here but its keys are on the homeserver: the
        folder was lost or moved, and the device can never decrypt again (a new one is needed).
        """
        if self.store_file().exists():
            return False
        client = self.client
        path = Api._build_path(["keys", "query"])
        body = json.dumps({"device_keys": {client.user_id: [client.device_id]}})
        response = await client.send(
            "POST",
            path,
            body,
            headers={
                "Authorization": f"Bearer {client.access_token}",
                "Content-Type": "application/json",
            },
        )
        if response.status != 200:
            return False
        answer = await response.json()
        devices = (answer.get("device_keys") or {}).get(client.user_id) or {}
        return client.device_id in devices

    async def open(self) -> None:
        """Load (or create) this device's key store and publish its keys; after log-in."""
        client = self.client
        if not client.device_id:
            raise MatrixStartupError("end-to-end encryption needs the bot's device id")
        pickle_key = await self.state.get(PICKLE_KEY)
        if pickle_key is None:
            pickle_key = secrets.token_urlsafe(32)
            await self.state.put(PICKLE_KEY, pickle_key)
        register_secret(pickle_key)
        make_private_dirs(self.store_dir)
        if loose(self.store_dir) is not None:
            logger.warning(
                "the Matrix key folder {} can be read by other users; chmod 700 it", self.store_dir
            )
        create_private(self.store_file())
        client.config = replace(client.config, pickle_key=pickle_key)
        client.store_path = str(self.store_dir)
        try:
            client.load_store()
        except Exception as error:  # nio/vodozemac cannot unpickle: wrong passphrase, bad file
            raise MatrixStartupError(
                f"cannot open the Matrix key store {self.store_file()} "
                f"({type(error).__name__}); was the database restored without it, or it "
                "without the database? Restore both from the same backup"
            ) from None
        if client.olm is None:
            raise MatrixStartupError("matrix-nio could not open the encryption key store")
        if client.should_upload_keys:
            response = await client.keys_upload()
            if isinstance(response, KeysUploadError):
                raise MatrixStartupError(
                    f"the homeserver refused device {client.device_id}'s encryption keys "
                    f"({response.status_code or 'no reason given'}); if {self.store_dir} was "
                    "lost, log the bot in as a new device (a new access token)"
                )
        await self.load_waiting()
        logger.info("Matrix end-to-end encryption on (device {})", client.device_id)

    # -- after each sync ---------------------------------------------------------------------

    async def after_sync(self) -> None:
        """Publish, fetch and claim keys as nio asks, apply the trust policy, and send the
        to-device messages (room keys, key requests) nio queued. A network failure waits for
        the next sync."""
        client = self.client
        await self.load_operator_trust()
        try:
            if client.should_upload_keys:
                await client.keys_upload()
            if client.should_query_keys:
                await self._query_keys()
            if client.should_claim_keys:
                await client.keys_claim(client.get_users_for_key_claiming())
            if not client.should_query_keys:
                self.apply_trust()
            await client.send_to_device_messages()
        except TRANSIENT as error:
            logger.info("Matrix key exchange postponed ({})", type(error).__name__)

    async def load_operator_trust(self) -> None:
        """Read the operator's entries (one small query per sync); entries that disappeared
        since the last read are remembered until applied."""
        entries = await TrustedDevices(self.state.db, self.state.account).entries()
        self.set_operator_trust(entries)

    def set_operator_trust(self, entries: Entries) -> None:
        self._removed |= self.operator.keys() - entries.keys()
        self._removed -= entries.keys()
        self.operator = entries

    async def _query_keys(self) -> None:
        before = {
            (device.user_id, device.id): (device.ed25519, device.curve25519)
            for device in self._devices()
        }
        response = await self.client.keys_query()
        if isinstance(response, KeysQueryResponse):
            for user_id, devices in response.device_keys.items():
                for device_id, payload in devices.items():
                    known = before.get((user_id, device_id))
                    keys = payload.get("keys") or {} if isinstance(payload, dict) else {}
                    if known is not None and known != (
                        keys.get(f"ed25519:{device_id}"),
                        keys.get(f"curve25519:{device_id}"),
                    ):
                        self._key_changed(user_id, device_id)
        self.apply_trust()

    def _key_changed(self, user_id: str, device_id: str) -> None:
        self._changed.add((user_id, device_id))
        if self.trust == "verified":
            logger.warning(
                "device {} of {} now shows different keys; it gets no more room keys",
                device_id,
                user_id,
            )
            device = self.client.device_store[user_id].get(device_id)
            if device is not None:
                self.client.unverify_device(device)
                self.client.blacklist_device(device)
        else:
            logger.warning(
                "device {} of {} now shows different keys; keeping the ones first seen",
                device_id,
                user_id,
            )

    def _devices(self) -> Iterable[OlmDevice]:
        olm = self.client.olm
        if olm is None:
            return []
        return [
            device
            for user_id in list(olm.device_store.users)
            for device in olm.device_store.active_user_devices(user_id)
        ]

    def apply_trust(self) -> None:
        """Apply the operator's entries, then decide every device seen for the first time:
        trusted (tofu, or the bot's own devices) or blacklisted (verified)."""
        removed, self._removed = self._removed, set()
        for device in self._devices():
            who = (device.user_id, device.id)
            key = self.operator.get(who)
            if key is not None:
                self._apply_entry(device, key)
                continue
            own = device.user_id == self.client.user_id
            if device.verified and not own and (who in removed or self.trust == "verified"):
                self.client.unverify_device(device)
                self.client.blacklist_device(device)
                logger.info(
                    "device {} of {} is no longer trusted by an operator: it gets no room keys",
                    device.id,
                    device.user_id,
                )
                continue
            if device.verified or device.blacklisted or device.ignored:
                continue
            if own or self.trust == "tofu":
                self.client.verify_device(device)
                logger.info("trusting device {} of {} (first seen)", device.id, device.user_id)
            else:
                self.client.blacklist_device(device)
                logger.info(
                    "device {} of {} is not verified: it gets no room keys",
                    device.id,
                    device.user_id,
                )

    def _apply_entry(self, device: OlmDevice, key: str) -> None:
        """The operator said which key is right: verify a match, refuse anything else."""
        who = (device.user_id, device.id)
        if device.ed25519 == key and who not in self._changed:
            self._mismatch_logged.discard(who)
            if device.blacklisted:
                self.client.unblacklist_device(device)
            if not device.verified:
                self.client.verify_device(device)
                logger.info(
                    "trusting device {} of {} (checked by an operator)", device.id, device.user_id
                )
            return
        if device.verified:
            self.client.unverify_device(device)
        if not device.blacklisted:
            self.client.blacklist_device(device)
        if who not in self._mismatch_logged:
            self._mismatch_logged.add(who)
            logger.warning(
                "device {} of {} shows another key than the one an operator trusted: "
                "it gets no room keys (check the key and run `communitybot matrix trust` again)",
                device.id,
                device.user_id,
            )

    # -- sending -----------------------------------------------------------------------------

    async def prepare_send(self, room_id: str) -> None:
        """Before a send: know the room (nio refuses unknown ones once encryption is on) and,
        in an encrypted room, have every member's devices fetched and decided."""
        client = self.client
        if not await self.room_encrypted(room_id):
            return
        room = client.rooms[room_id]
        if not room.members_synced:
            await client.joined_members(room_id)
        if client.olm is not None:
            client.olm.update_tracked_users(room)  # members whose devices were forgotten
        if client.should_query_keys:
            await self._query_keys()
        else:
            self.apply_trust()

    async def room_encrypted(self, room_id: str) -> bool:
        """Whether the room is encrypted, asking the homeserver about a room nio has not synced
        yet (and telling nio about it: it refuses to send to rooms it does not know)."""
        client = self.client
        room = client.rooms.get(room_id)
        if room is None:
            response = await client.room_get_state_event(room_id, "m.room.encryption")
            encrypted = isinstance(response, RoomGetStateEventResponse) and bool(response.content)
            room = self.know_room(room_id, encrypted=encrypted)
        return bool(room.encrypted)

    def know_room(
        self, room_id: str, *, encrypted: bool, invited: Iterable[str] = ()
    ) -> MatrixRoom:
        """Tell nio about a room it has not synced yet (one the bot just created)."""
        client = self.client
        room = client.rooms.get(room_id)
        if room is None:
            room = MatrixRoom(room_id, client.user_id, encrypted)
            room.add_member(client.user_id, None, None)
            client.rooms[room_id] = room
        for user_id in invited:
            room.add_member(user_id, None, None, invited=True)
        if encrypted:
            room.encrypted = True
            client.encrypted_rooms.add(room_id)
            if client.olm is not None:
                client.olm.update_tracked_users(room)
        return room

    # -- events that could not be decrypted --------------------------------------------------

    async def undecryptable(self, room_id: str, source: dict[str, Any]) -> None:
        """A member's event the bot cannot read yet: ask for its key and wait for it."""
        event_id = source.get("event_id")
        if not isinstance(event_id, str) or event_id in self._waiting or event_id in self._settled:
            return
        if source.get("sender") == self.client.user_id:
            return
        event = MegolmEvent.from_dict(source)
        if not isinstance(event, MegolmEvent):
            return
        event.room_id = room_id
        self._waiting[event_id] = Waiting(room_id, event, self._clock())
        await self.save_waiting()
        logger.info("cannot decrypt {} in {} yet; asking for its key", event_id, room_id)
        try:
            await self.client.request_room_key(event)
            await self.client.to_device(
                event.as_key_request(event.sender, self.client.device_id, None, event.device_id)
            )
        except LocalProtocolError:
            pass  # this session's key was asked for already
        except TRANSIENT as error:
            logger.info("could not ask for a room key ({})", type(error).__name__)

    def decrypted_late(self) -> list[tuple[str, dict[str, Any]]]:
        """Waiting events whose keys have arrived, decrypted, in arrival order: each once."""
        ready = []
        for event_id, waiting in list(self._waiting.items()):
            try:
                event = self.client.decrypt_event(waiting.event)
            except (EncryptionError, LocalProtocolError):
                continue
            self._settle(event_id)
            source = dict(getattr(event, "source", {}) or {})
            if source:
                logger.info("decrypted {} after its key arrived", event_id)
                ready.append((waiting.room_id, source))
        return ready

    def given_up(self) -> dict[str, float]:
        """Rooms whose events waited past `key_wait` → when the oldest was first seen
        (wall clock); those events are dropped from waiting for good."""
        now = self._clock()
        rooms: dict[str, float] = {}
        for event_id, waiting in list(self._waiting.items()):
            if now - waiting.since < self.key_wait:
                continue
            self._settle(event_id)
            server_ts = waiting.event.server_timestamp / 1000
            rooms[waiting.room_id] = min(rooms.get(waiting.room_id, server_ts), server_ts)
            logger.warning("the key of {} never arrived; asking to resend", event_id)
        return rooms

    async def save_waiting(self) -> None:
        """Keep the waiting events in the database: the sync position moves past them, so a
        restart would otherwise forget them (neither handled nor answered with the note)."""
        if not self._dirty and self._waiting.keys() == set(self._saved):
            return
        rows = [
            {"room_id": w.room_id, "since": w.since, "event": w.event.source}
            for w in self._waiting.values()
        ]
        await self.state.put(WAITING, json.dumps(rows))
        self._saved = list(self._waiting)
        self._dirty = False

    async def load_waiting(self) -> None:
        """The events still waiting for their keys when the bot stopped."""
        saved = await self.state.get(WAITING)
        for row in json.loads(saved) if saved else []:
            event = MegolmEvent.from_dict(row.get("event") or {})
            if isinstance(event, MegolmEvent) and event.event_id:
                event.room_id = row["room_id"]
                self._waiting[event.event_id] = Waiting(row["room_id"], event, row["since"])
        self._saved = list(self._waiting)

    def _settle(self, event_id: str) -> None:
        self._waiting.pop(event_id, None)
        self._dirty = True
        self._settled[event_id] = None
        if len(self._settled) > REMEMBERED_OUTCOMES:
            self._settled.popitem(last=False)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    # -- members' devices as personal data ---------------------------------------------------

    def member_devices(self, user_id: str) -> list[dict[str, Any]]:
        olm = self.client.olm
        if olm is None or user_id not in olm.device_store.users:
            return []
        return [
            {
                "device_id": device.id,
                "display_name": device.display_name,
                "trust": device.trust_state.name,
                "deleted": device.deleted,
            }
            for device in olm.device_store[user_id].values()
        ]

    def forget_member_devices(self, user_id: str) -> int:
        """Delete the member's device keys and trust decisions from the store and memory."""
        olm, store = self.client.olm, self.client.store
        if olm is None or store is None:
            return 0
        devices = olm.device_store._entries.pop(user_id, {})
        olm.tracked_users.discard(user_id)  # fetched anew only when the bot writes to them
        olm.users_for_key_query.discard(user_id)
        account = store._get_account()
        if account is not None:
            database = store.database
            with database.atomic():
                owned = "SELECT id FROM devicekeys WHERE user_id = ? AND account_id = ?"
                args = (user_id, account.id)
                database.execute_sql(f"DELETE FROM keys WHERE device_id IN ({owned})", args)
                database.execute_sql(
                    f"DELETE FROM devicetruststate WHERE device_id IN ({owned})", args
                )
                database.execute_sql(
                    "DELETE FROM devicekeys WHERE user_id = ? AND account_id = ?", args
                )
        return len(devices)


class MemberDevices:
    """Declares the members' device keys the bot's key store holds as personal data:
    `/mydata` lists them (ids, names, trust; no key material), `/forgetme` deletes them."""

    def __init__(self, crypto: Crypto) -> None:
        self.crypto = crypto

    async def export_user(self, user: UserRef) -> UserRows:
        if user.platform != NAMESPACE:
            return {}
        rows = self.crypto.member_devices(user.user_id)
        return {"matrix_member_devices": rows} if rows else {}

    async def forget_user(self, user: UserRef) -> int:
        if user.platform != NAMESPACE:
            return 0
        return self.crypto.forget_member_devices(user.user_id)


def note_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%H:%M")
