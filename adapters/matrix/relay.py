"""Network-chat copies in Matrix rooms: post, edit and redact them (issue #15).

What a copy looks like is `relay_content`; which events are copies of what is `relay_copies`.
This module does the talking to the homeserver, with these rules:

- Idempotent by (room, relay key): each event of a copy is recorded as soon as it is posted, and
  a repeated relay posts only the parts not recorded yet. Transaction ids are derived from the
  room, the key and the part, so even a crash between the post and the record is recognised by
  the homeserver instead of posting twice. (An edit's transaction id is the outbox row's.)
- A reply is threaded (`m.in_reply_to`) to this room's copy of the message answered, or to the
  original when it was said in this very room; otherwise the copy starts with a quoted
  "↪ replying to …" line.
- Rate limits are waited out by matrix-nio (bounded, see `errors.py`); a relay still limited
  after that, or a homeserver that stays unreachable, raises `RelayDeferred`, which is not a
  `PlatformError` on purpose: the outbox keeps the row and tries again later (30 s, 2 min,
  8 min), and the parts already posted are not posted again. A relay is never dropped for
  being early. Refusals (M_FORBIDDEN, the bot is not in the room) are `MissingPermission`.
- Edits are `m.replace` of every part; deletions redact every part. No copy: nothing happens.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from loguru import logger
from nio import AsyncClient, RoomGetEventResponse, RoomRedactError

from adapters.matrix.errors import TRANSIENT, RateLimited, Unreachable, rate_limited
from adapters.matrix.relay_content import (
    CopyLook,
    copy_contents,
    edit_content,
    reply_line,
    with_reply,
)
from adapters.matrix.relay_copies import Copy, RelayCopies
from adapters.matrix.translate import PLATFORM
from communitybot.events import relay_key
from communitybot.i18n import tr
from communitybot.outbox import request_key
from communitybot.ports import MissingPermission, PlatformError, TryLater
from communitybot.replies import Relayed


class SendPath(Protocol):
    """What the relay needs of the Matrix platform: its client, the rooms it was removed
    from, and its send path with retries (`MatrixPlatform` is one; the relay does not import
    it, which imports the relay)."""

    client: AsyncClient
    departed: set[str]

    async def send_content(
        self, room_id: str, content: dict[str, Any], txn: str | None = None
    ) -> str: ...


ORIGINAL_PREFIX = relay_key(PLATFORM, "")
"""How the relay key of a message said on Matrix starts ("matrix:")."""


class RelayDeferred(TryLater):
    """The homeserver could not take a relay now (rate limit, outage): the outbox tries again
    later (`TryLater`; deliberately not a `PlatformError`, which the outbox treats as final)."""


def txn_id(*parts: str | int) -> str:
    """A transaction id that is the same for the same request every time (the homeserver
    answers a repeat with the event it already made)."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()
    return f"relay-{digest[:40]}"


class MatrixRelays:
    """Posts, edits and redacts copies through the platform's send path."""

    def __init__(self, platform: SendPath, copies: RelayCopies) -> None:
        self.platform = platform
        self.copies = copies

    @property
    def account(self) -> str:
        return self.copies.account

    async def relay(self, room_id: str, messages: Sequence[Relayed]) -> None:
        for message in messages:
            await self._post(room_id, message)

    async def _post(self, room_id: str, message: Relayed) -> None:
        existing = await self.copies.find(room_id, message.key)
        done = {part.part for part in existing.parts} if existing else set()
        target = None
        if 0 not in done:
            target = await self.reply_target(room_id, message.reply_to_key)
        if existing is not None:
            look = existing.look
        else:
            missing_target = message.reply_to_key is not None and target is None
            look = CopyLook(
                message.author,
                message.origin,
                reply_line(message.reply_excerpt) if missing_target else "",
                message.attachment_urls,
            )
        for index, content in enumerate(copy_contents(look, message.text)):
            if index in done:
                continue
            if index == 0 and target is not None:
                content = with_reply(content, target)
            txn = txn_id(self.account, room_id, message.key, index)
            event_id = await self._send(room_id, content, txn)
            await self.copies.save(room_id, message.key, index, event_id, look)

    async def reply_target(self, room_id: str, key: str | None) -> str | None:
        """This room's event for the message `key`: our copy of it, or the original itself
        when it was said here. None when neither is (the copy then quotes a line instead)."""
        if not key:
            return None
        copy = await self.copies.find(room_id, key)
        if copy is not None:
            return copy.first_event
        if not key.startswith(ORIGINAL_PREFIX):
            return None
        event_id = key[len(ORIGINAL_PREFIX) :]
        try:
            response = await self.platform.client.room_get_event(room_id, event_id)
        except TRANSIENT as error:
            logger.info("cannot look up {} for a relayed reply: {}", event_id, error)
            return None
        return event_id if isinstance(response, RoomGetEventResponse) else None

    async def edit(self, room_id: str, key: str, text: str) -> None:
        copy = await self.copies.find(room_id, key)
        if copy is None:
            return
        contents = copy_contents(copy.look, text)
        events = {part.part: part.event_id for part in copy.parts}
        for index, content in enumerate(contents):
            # Not derived from the text: an edit back to an earlier text must not be taken for
            # a repeat of that earlier edit. The outbox row's key still makes a retry a repeat.
            txn = request_key() or str(uuid.uuid4())
            if index in events:
                await self._send(room_id, edit_content(content, events[index]), txn)
            else:  # the new text is longer: one more part
                event_id = await self._send(room_id, content, txn)
                await self.copies.save(room_id, key, index, event_id, copy.look)
        for index in sorted(events):
            if index >= len(contents):  # the new text is shorter: the spare part goes
                await self._redact(room_id, events[index])
                await self.copies.drop_part(room_id, key, index)

    async def delete(self, room_id: str, key: str) -> None:
        copy = await self.copies.find(room_id, key)
        if copy is None:
            return
        await self._delete_parts(room_id, key, copy)

    async def _delete_parts(self, room_id: str, key: str, copy: Copy) -> None:
        for part in copy.parts:
            await self._redact(room_id, part.event_id)
            await self.copies.drop_part(room_id, key, part.part)

    async def source_key(self, room_id: str, event_id: str) -> str | None:
        """The relay key of the original when `event_id` is one of our copies in `room_id`."""
        return await self.copies.source_of(room_id, event_id)

    # -- the homeserver ----------------------------------------------------------------------

    async def _send(self, room_id: str, content: dict[str, Any], txn: str) -> str:
        try:
            return await self.platform.send_content(room_id, content, txn)
        except (RateLimited, Unreachable) as error:
            logger.warning("relay to {} postponed, the outbox retries it: {}", room_id, error)
            raise RelayDeferred(str(error)) from error

    async def _redact(self, room_id: str, event_id: str) -> None:
        """Redact one copy event; one already gone counts as done."""
        if room_id in self.platform.departed:
            raise MissingPermission(
                tr("I'm no longer in room {room_id} (I was removed from it)", room_id=room_id)
            )
        try:
            response = await self.platform.client.room_redact(
                room_id, event_id, tx_id=txn_id(self.account, room_id, event_id, "redact")
            )
        except TRANSIENT as error:
            raise RelayDeferred(f"the homeserver is unreachable ({error})") from error
        if rate_limited(response):
            raise RelayDeferred("the homeserver is rate-limiting me")
        if isinstance(response, RoomRedactError):
            if response.status_code == "M_NOT_FOUND":
                return
            if response.status_code == "M_FORBIDDEN":
                raise MissingPermission(
                    tr(
                        "I'm not allowed to remove messages in room {room_id}: {reason}",
                        room_id=room_id,
                        reason=response.message,
                    )
                )
            raise PlatformError(
                tr(
                    "room {room_id} refused the removal: {reason}",
                    room_id=room_id,
                    reason=response.message,
                )
            )
