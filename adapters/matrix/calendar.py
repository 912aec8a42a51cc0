"""Chat series in Matrix rooms' pins: the series' `.ics`, posted and pinned in the chat's room.

Matrix has no shared calendar, so a calendar entry becomes the `.ics` file itself: uploaded to
the media repository (encrypted first, in an encrypted room), posted as an `m.file` whose
caption (`body`, with `filename` beside it) says when the next chat is, and pinned
(`m.room.pinned_events`). Publishing again posts the new
file, pins it in place of our previous one for that key (everyone else's pins are kept, in
their order), then redacts the previous file so the room shows one current calendar. None
unpins and redacts it. Which event shows which key is kept in `matrix_calendar_files`, per
bot account and space. The room topic is the moderators' and is never touched.

Pinning is a state event: without the power to send `m.room.pinned_events` in the room the
core gets `MissingPermission` (reported in the moderator log) before anything is posted.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from loguru import logger
from nio import (
    AsyncClient,
    RoomGetStateEventResponse,
    RoomPutStateResponse,
    RoomRedactResponse,
    UploadResponse,
)

from adapters.matrix.errors import TRANSIENT
from adapters.matrix.translate import file_source
from communitybot.events import CommunityRef
from communitybot.i18n import tr
from communitybot.i18n.dates import full_datetime
from communitybot.ports import AdapterState, MissingPermission, PlatformError
from communitybot.replies import CalendarEntry

PINNED = "m.room.pinned_events"
Send = Callable[[str, dict[str, Any]], Awaitable[str]]
"""Send one `m.room.message` content to a room; its event id (`MatrixPlatform.send_content`)."""
Encrypted = Callable[[str], Awaitable[bool]]
"""Whether a room is end-to-end encrypted (`MatrixPlatform.room_encrypted`)."""


@dataclass(frozen=True)
class Posted:
    room_id: str
    event_id: str


def caption(entry: CalendarEntry) -> str:
    """The file event's body: what it is and when the next chat is."""
    start = datetime.fromisoformat(entry.starts_at).astimezone(UTC)
    return tr(
        "📅 {title}: next chat {when} UTC. Open {filename} to add every chat to your calendar.",
        title=entry.title,
        when=full_datetime(start),
        filename=entry.ics.filename,
    )


def file_event(
    entry: CalendarEntry, url: str, decryption: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The pinned `m.file`; `decryption` for an encrypted upload (see `file_source`)."""
    return {
        "msgtype": "m.file",
        "body": caption(entry),
        "filename": entry.ics.filename,
        "info": {"mimetype": entry.ics.media_type, "size": entry.ics.size},
        **file_source(url, decryption),
        "m.mentions": {},
    }


def repinned(current: list[str], add: str | None, remove: str | None) -> list[str]:
    """The room's pins with ours swapped: `remove` out, `add` at the end, others untouched."""
    kept = [event for event in current if event not in (remove, add)]
    return [*kept, add] if add else kept


class MatrixCalendar:
    """Publishes calendar entries as pinned `.ics` files and remembers which event is which."""

    def __init__(
        self,
        client: AsyncClient,
        db: AdapterState,
        account: str,
        send: Send,
        encrypted: Encrypted | None = None,
    ) -> None:
        self.client = client
        self.db = db
        self.account = account
        self.send = send
        self.encrypted = encrypted
        """Whether a room is end-to-end encrypted (then the `.ics` is uploaded encrypted)."""

    # -- the table -----------------------------------------------------------------------------

    async def posted(self, space_id: str, key: str) -> Posted | None:
        row = await self.db.fetch_one(
            "SELECT room_id, event_id FROM matrix_calendar_files"
            " WHERE account = ? AND space_id = ? AND entry_key = ?",
            (self.account, space_id, key),
        )
        return Posted(str(row["room_id"]), str(row["event_id"])) if row else None

    async def _save(self, space_id: str, key: str, posted: Posted) -> None:
        await self.db.write(
            "INSERT INTO matrix_calendar_files"
            " (account, space_id, entry_key, room_id, event_id, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account, space_id, entry_key) DO UPDATE SET"
            " room_id = excluded.room_id, event_id = excluded.event_id,"
            " updated_at = excluded.updated_at",
            (
                self.account,
                space_id,
                key,
                posted.room_id,
                posted.event_id,
                datetime.now(UTC).isoformat(),
            ),
        )

    async def _forget(self, space_id: str, key: str) -> None:
        await self.db.write(
            "DELETE FROM matrix_calendar_files"
            " WHERE account = ? AND space_id = ? AND entry_key = ?",
            (self.account, space_id, key),
        )

    # -- publishing ----------------------------------------------------------------------------

    async def publish(self, community: CommunityRef, key: str, entry: CalendarEntry | None) -> None:
        space_id = community.space_id
        previous = await self.posted(space_id, key)
        if entry is None:
            if previous is not None:
                await self._withdraw(previous)
                await self._forget(space_id, key)
            return
        room_id = entry.channel_id
        self._check_power(room_id)
        url, decryption = await self._upload(entry)
        event_id = await self.send(room_id, file_event(entry, url, decryption))
        replaced = previous.event_id if previous and previous.room_id == room_id else None
        try:
            await self._set_pins(room_id, add=event_id, remove=replaced)
        except PlatformError:
            await self._redact(Posted(room_id, event_id))  # no unpinned copy left behind
            raise
        await self._save(space_id, key, Posted(room_id, event_id))
        if previous is not None:
            if previous.room_id != room_id:  # the chat moved rooms: clean up the old one
                await self._withdraw(previous)
            else:
                await self._redact(previous)

    def _check_power(self, room_id: str) -> None:
        """MissingPermission now when the cached power levels forbid pinning there."""
        room = self.client.rooms.get(room_id)
        if room is None:
            return  # not cached: the homeserver's answer decides
        if not room.power_levels.can_user_send_state(self.client.user_id, PINNED):
            raise MissingPermission(
                tr(
                    "I can't pin the chat's calendar in room {room_id}: give me a power level "
                    "that may change pinned messages ({level} by default) in that room",
                    room_id=room_id,
                    level=room.power_levels.defaults.state_default,
                )
            )

    async def _upload(self, entry: CalendarEntry) -> tuple[str, dict[str, Any] | None]:
        """The mxc:// URL, and the decryption info when the room is encrypted (the file is
        then encrypted before it leaves the bot, uploaded without its name, as Element does)."""
        try:
            encrypt = self.encrypted is not None and await self.encrypted(entry.channel_id)
            response, decryption = await self.client.upload(
                io.BytesIO(entry.ics.content),
                content_type=entry.ics.media_type,
                filename=None if encrypt else entry.ics.filename,
                encrypt=encrypt,
                filesize=entry.ics.size,
            )
        except TRANSIENT as error:
            raise PlatformError(
                tr("the homeserver is unreachable ({error})", error=error)
            ) from error
        if not isinstance(response, UploadResponse):
            raise PlatformError(
                tr("the homeserver would not store the calendar file: {reason}", reason=response)
            )
        return str(response.content_uri), decryption

    async def _pins(self, room_id: str) -> list[str]:
        response = await self.client.room_get_state_event(room_id, PINNED)
        if isinstance(response, RoomGetStateEventResponse):
            return [str(e) for e in response.content.get("pinned", []) if isinstance(e, str)]
        if getattr(response, "status_code", None) == "M_NOT_FOUND":
            return []
        raise PlatformError(
            tr("cannot read the pins of room {room_id}: {reason}", room_id=room_id, reason=response)
        )

    async def _set_pins(self, room_id: str, *, add: str | None, remove: str | None) -> None:
        current = await self._pins(room_id)
        wanted = repinned(current, add, remove)
        if wanted == current:
            return
        response = await self.client.room_put_state(room_id, PINNED, {"pinned": wanted})
        if isinstance(response, RoomPutStateResponse):
            return
        if getattr(response, "status_code", None) == "M_FORBIDDEN":
            raise MissingPermission(
                tr(
                    "I can't pin the chat's calendar in room {room_id}: my power level there is "
                    "too low to change pinned messages",
                    room_id=room_id,
                )
            )
        raise PlatformError(
            tr("room {room_id} refused the pin: {reason}", room_id=room_id, reason=response)
        )

    async def _withdraw(self, posted: Posted) -> None:
        """Unpin and redact a file we posted (best effort: it may be gone, or our power)."""
        try:
            await self._set_pins(posted.room_id, add=None, remove=posted.event_id)
        except PlatformError as error:
            logger.warning("could not unpin the old calendar in {}: {}", posted.room_id, error)
        await self._redact(posted)

    async def _redact(self, posted: Posted) -> None:
        response = await self.client.room_redact(
            posted.room_id, posted.event_id, reason=tr("replaced by the chat's next date")
        )
        if not isinstance(response, RoomRedactResponse):
            logger.warning("could not redact the old calendar in {}: {}", posted.room_id, response)
