"""Which events in which room are the bot's copies of which network-chat message.

Kept in the adapter's own table (`matrix_relay_copies`, adapter migration 2) because only the
adapter knows Matrix event ids: the core names a message by its `relay_key` everywhere. One row
per event of a copy (a long text is several), written as soon as that event is posted, so a
repeated relay (outbox retry, restart) posts only what is missing, and an edit or deletion
reaches every part. Rows go when the copy is deleted (also what `/forgetme` triggers: the core
sends a deletion for each copy of the member's messages).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.matrix.relay_content import CopyLook
from communitybot.ports import AdapterState

LINK_SEPARATOR = "\n"


@dataclass(frozen=True)
class CopyPart:
    part: int
    event_id: str


@dataclass(frozen=True)
class Copy:
    """A copy in one room: its events in order and how it looks."""

    parts: tuple[CopyPart, ...]
    look: CopyLook

    @property
    def first_event(self) -> str:
        return self.parts[0].event_id


class RelayCopies:
    """The copy table of one bot account."""

    def __init__(self, db: AdapterState, account: str) -> None:
        self._db = db
        self.account = account

    async def find(self, room_id: str, key: str) -> Copy | None:
        rows = await self._db.fetch_all(
            "SELECT part, event_id, author, origin, reply_line, links FROM matrix_relay_copies "
            "WHERE account = ? AND room_id = ? AND relay_key = ? ORDER BY part",
            (self.account, room_id, key),
        )
        if not rows:
            return None
        first = rows[0]
        links = str(first["links"])
        look = CopyLook(
            str(first["author"]),
            str(first["origin"]),
            str(first["reply_line"]),
            tuple(links.split(LINK_SEPARATOR)) if links else (),
        )
        return Copy(tuple(CopyPart(int(r["part"]), str(r["event_id"])) for r in rows), look)

    async def save(self, room_id: str, key: str, part: int, event_id: str, look: CopyLook) -> None:
        await self._db.write(
            "INSERT INTO matrix_relay_copies (account, room_id, relay_key, part, event_id, "
            "author, origin, reply_line, links, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (account, room_id, relay_key, part) DO UPDATE SET "
            "event_id = excluded.event_id",
            (
                self.account,
                room_id,
                key,
                part,
                event_id,
                look.author,
                look.origin,
                look.reply_line,
                LINK_SEPARATOR.join(look.links),
                datetime.now(UTC).isoformat(),
            ),
        )

    async def drop_part(self, room_id: str, key: str, part: int) -> None:
        await self._db.write(
            "DELETE FROM matrix_relay_copies "
            "WHERE account = ? AND room_id = ? AND relay_key = ? AND part = ?",
            (self.account, room_id, key, part),
        )

    async def source_of(self, room_id: str, event_id: str) -> str | None:
        """The relay key of the message `event_id` is a copy of (None: not one of ours)."""
        row = await self._db.fetch_one(
            "SELECT relay_key FROM matrix_relay_copies "
            "WHERE account = ? AND event_id = ? AND room_id = ?",
            (self.account, event_id, room_id),
        )
        return str(row["relay_key"]) if row else None
