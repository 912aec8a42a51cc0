"""A real Matrix member for the tests: a matrix-nio client that joins rooms, types, and reads.

It syncs in the background, accepts the bot's invites (its DM room, tag rooms), and records
every message it sees, so a test can wait for "the next notice in my DM that says …".

Given a key folder (`keys=`), it is an end-to-end encrypting client as Element would be: it
publishes its device keys, fetches others', trusts every device it sees (like a member who
never verifies), shares room keys when it sends, and reads encrypted messages decrypted.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aiohttp import ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinError,
    LoginResponse,
    MegolmEvent,
    RoomCreateResponse,
    RoomPreset,
    RoomSendResponse,
)
from nio.store import SqliteStore

from tests.matrix.synapse import Account

WAIT = 20.0


@dataclass(frozen=True)
class Seen:
    room_id: str
    sender: str
    content: dict[str, Any]
    encrypted: bool = False
    """It came end-to-end encrypted (and this member decrypted it)."""

    @property
    def body(self) -> str:
        return str(self.content.get("body", ""))


class Member:
    def __init__(
        self,
        url: str,
        account: Account,
        *,
        accept_invites_from: str | None,
        keys: Path | None = None,
    ) -> None:
        self.url = url
        self.account = account
        self.user_id = account.user_id
        self.keys = keys
        self.client = AsyncClient(
            url,
            account.user_id,
            device_id=account.device_id,
            store_path=str(keys) if keys else "",
            config=AsyncClientConfig(
                max_timeouts=0,
                encryption_enabled=keys is not None,
                store=SqliteStore,
                store_sync_tokens=False,
            ),
        )
        if keys is not None:
            keys.mkdir(parents=True, exist_ok=True)
            self.client.restore_login(account.user_id, account.device_id, account.access_token)
        self.client.access_token = account.access_token
        self.client.user_id = account.user_id
        self.undecrypted: list[str] = []
        """Event ids of encrypted messages this member could not decrypt."""
        self.accept_from = accept_invites_from
        self.seen: list[Seen] = []
        self.direct_rooms: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def start(self) -> None:
        if self.keys is not None:
            await self.client.keys_upload()
        await self.client.sync(timeout=0, full_state=True)
        await self._exchange_keys()
        self._task = asyncio.create_task(self._loop())

    async def another_device(self, keys: Path) -> Member:
        """The same person logged in on a second device (its own keys), started."""
        client = AsyncClient(self.url, self.user_id)
        response = await client.login(self.account.password, device_name="second device")
        await client.close()
        assert isinstance(response, LoginResponse), response
        account = replace(
            self.account, access_token=response.access_token, device_id=response.device_id
        )
        device = Member(self.url, account, accept_invites_from=self.accept_from, keys=keys)
        await device.start()
        return device

    async def _exchange_keys(self) -> None:
        """What Element does after a sync: publish, fetch and claim keys; trust new devices."""
        client = self.client
        if client.olm is None:
            return
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        for user_id in list(client.device_store.users):
            for device in client.device_store.active_user_devices(user_id):
                if not (device.verified or device.blacklisted):
                    client.verify_device(device)
        await client.send_to_device_messages()

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.client.close()

    async def _loop(self) -> None:
        while True:
            try:
                response = await self.client.sync(timeout=500)
            except (ClientError, TimeoutError, OSError):
                await asyncio.sleep(0.3)
                continue
            rooms = getattr(response, "rooms", None)
            if rooms is None:
                await asyncio.sleep(0.3)
                continue
            for room_id, invite in rooms.invite.items():
                state = [
                    {**e.source, "content": getattr(e, "content", {})} for e in invite.invite_state
                ]
                await self._on_invite(room_id, state)
            for room_id, info in rooms.join.items():
                for event in info.timeline.events:
                    if isinstance(event, MegolmEvent):
                        self.undecrypted.append(event.event_id)
                    source = event.source
                    if source.get("type") == "m.room.message":
                        self.seen.append(
                            Seen(
                                room_id,
                                source["sender"],
                                source["content"],
                                bool(getattr(event, "decrypted", False)),
                            )
                        )
            with contextlib.suppress(ClientError, TimeoutError, OSError):
                await self._exchange_keys()
            self._changed.set()

    async def _on_invite(self, room_id: str, state: list[dict[str, Any]]) -> None:
        own = next(
            (
                e
                for e in state
                if e.get("type") == "m.room.member" and e.get("state_key") == self.user_id
            ),
            {},
        )
        if self.accept_from is None or own.get("sender") != self.accept_from:
            return
        if (own.get("content") or {}).get("is_direct"):
            self.direct_rooms.add(room_id)
        response = await self.client.join(room_id)
        assert not isinstance(response, JoinError), response

    # -- acting ------------------------------------------------------------------------------

    async def join(self, room: str) -> str:
        response = await self.client.join(room)
        assert not isinstance(response, JoinError), response
        return str(response.room_id)

    async def say(self, room_id: str, text: str, **extra: Any) -> str:
        """Send as a person would: a send that fails in transit (a server just restarted, a
        pooled connection it closed) is tried again, and a message that never got through fails
        the test here instead of as a missing reply later."""
        content = {"msgtype": "m.text", "body": text, **extra}
        tx_id = uuid.uuid4().hex  # the same transaction id on a retry: the server dedupes it
        deadline = time.monotonic() + WAIT
        while True:
            try:
                response = await self.client.room_send(
                    room_id,
                    "m.room.message",
                    content,
                    tx_id=tx_id,
                    ignore_unverified_devices=True,
                )
            except (ClientError, TimeoutError, OSError) as error:
                response = error
            if isinstance(response, RoomSendResponse):
                return str(response.event_id)
            if time.monotonic() > deadline:
                raise AssertionError(f"could not send {text!r}: {response}")
            await asyncio.sleep(0.3)

    async def create_room(
        self,
        name: str,
        *,
        alias: str | None = None,
        invite: tuple[str, ...] = (),
        encrypted: bool = False,
        is_direct: bool = False,
    ) -> str:
        response = await self.client.room_create(
            name=name,
            alias=alias,
            preset=RoomPreset.trusted_private_chat if is_direct else RoomPreset.public_chat,
            invite=invite,
            is_direct=is_direct,
            initial_state=[
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            ]
            if encrypted
            else [],
        )
        assert isinstance(response, RoomCreateResponse), response
        return str(response.room_id)

    async def set_power_level(self, room_id: str, user_id: str, level: int) -> None:
        current = await self.client.room_get_state_event(room_id, "m.room.power_levels")
        content = dict(current.content)
        content["users"] = {**content.get("users", {}), user_id: level}
        await self.client.room_put_state(room_id, "m.room.power_levels", content)

    # -- reading -----------------------------------------------------------------------------

    def mark(self) -> int:
        return len(self.seen)

    def since(
        self, mark: int, *, sender: str | None = None, room_id: str | None = None
    ) -> list[Seen]:
        return [
            s
            for s in self.seen[mark:]
            if (sender is None or s.sender == sender) and (room_id is None or s.room_id == room_id)
        ]

    async def wait_for(
        self,
        predicate: Callable[[Seen], bool],
        *,
        after: int = 0,
        within: float = WAIT,
    ) -> Seen:
        """The first message seen after `after` that matches; fails after `within` s."""
        deadline = time.monotonic() + within
        while True:
            for seen in self.seen[after:]:
                if predicate(seen):
                    return seen
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                recent = "\n".join(
                    f"  [{s.room_id}] {s.sender}: {s.body[:120]}" for s in self.seen[-8:]
                )
                raise AssertionError(f"no matching message within {within} s; recent:\n{recent}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))

    async def wait_dm(
        self, text: str, *, after: int = 0, sender: str, within: float = WAIT
    ) -> Seen:
        """The bot's next notice in our DM room that contains `text`."""
        return await self.wait_for(
            lambda s: (
                s.sender == sender
                and s.room_id in self.direct_rooms
                and text.casefold() in s.body.casefold()
            ),
            after=after,
            within=within,
        )

    async def wait_direct_room(self, within: float = WAIT) -> str:
        deadline = time.monotonic() + within
        while not self.direct_rooms:
            if time.monotonic() > deadline:
                raise AssertionError("the bot never opened a DM room with me")
            await asyncio.sleep(0.05)
        return next(iter(self.direct_rooms))
