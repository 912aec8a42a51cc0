"""What the Discord relay remembers (its own tables, `adapters/discord/schema.py` version 3).

- The webhook of each channel the bot posts copies through (id and token). The token lets
  anyone post as that webhook, so it is registered as a secret the moment it is read or
  created, never logged, and not part of `/mydata` (it names no member).
- Every piece of every copy: which Discord message holds it, where in that message, and the
  piece's text as shown, so one piece of a merged post can be edited or cut out and the post
  re-rendered from the others, and a reply to a copy maps back to the original's key.

Every write is one statement through the adapter's state port (its own short transaction).
Rows are keyed by the bot's application id, like the adapter's other tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from communitybot.logging import register_secret
from communitybot.ports import AdapterState


@dataclass(frozen=True)
class Piece:
    """One piece of a copy: the whole copy, or one part of a long one (`seq` orders them)."""

    key: str
    seq: int
    label: str
    """"author · origin", the name a reply to this copy shows."""
    head: str
    """What the copy shows before the text (reply line, the name in a merged post)."""
    tail: str
    """What it shows after the text (attachment links)."""
    content: str
    """The piece's text as shown in its message."""


@dataclass(frozen=True)
class StoredPiece:
    piece: Piece
    channel_id: str
    thread_id: str
    """The thread the message is in ("" when it is in the channel itself)."""
    message_id: str
    webhook_id: str
    """The webhook that posted the message: only it may edit or delete it."""
    position: int
    """Its place among the pieces of `message_id` (a merged post holds several)."""


class RelayStore:
    """Webhooks and copies of one bot application, in the adapter's tables."""

    def __init__(self, state: AdapterState, application_id: str) -> None:
        self._db = state
        self.application_id = application_id

    # -- webhooks ----------------------------------------------------------------------------

    async def webhook(self, channel_id: str) -> tuple[str, str] | None:
        """(id, token) of the channel's relay webhook, if one is known."""
        row = await self._db.fetch_one(
            "SELECT webhook_id, webhook_token FROM discord_relay_webhooks "
            "WHERE application_id = ? AND channel_id = ?",
            (self.application_id, channel_id),
        )
        if row is None:
            return None
        register_secret(str(row["webhook_token"]))
        return str(row["webhook_id"]), str(row["webhook_token"])

    async def save_webhook(self, channel_id: str, webhook_id: str, token: str) -> None:
        register_secret(token)
        await self._db.write(
            "INSERT INTO discord_relay_webhooks "
            "(application_id, channel_id, webhook_id, webhook_token, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (application_id, channel_id) DO UPDATE SET "
            "webhook_id = excluded.webhook_id, webhook_token = excluded.webhook_token, "
            "created_at = excluded.created_at",
            (self.application_id, channel_id, webhook_id, token, _now()),
        )

    async def forget_webhook(self, channel_id: str) -> None:
        await self._db.write(
            "DELETE FROM discord_relay_webhooks WHERE application_id = ? AND channel_id = ?",
            (self.application_id, channel_id),
        )

    # -- copies ------------------------------------------------------------------------------

    async def pieces_of_key(self, conversation_id: str, key: str) -> list[StoredPiece]:
        """The copy's pieces in order (none: it was never copied here, or is gone)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM discord_relay_copies WHERE application_id = ? AND conversation_id = ? "
            "AND relay_key = ? ORDER BY seq",
            (self.application_id, conversation_id, key),
        )
        return [_stored(row) for row in rows]

    async def pieces_of_message(self, message_id: str) -> list[StoredPiece]:
        """What one Discord message is made of, in order."""
        rows = await self._db.fetch_all(
            "SELECT * FROM discord_relay_copies WHERE application_id = ? AND message_id = ? "
            "ORDER BY position",
            (self.application_id, message_id),
        )
        return [_stored(row) for row in rows]

    async def add(self, conversation_id: str, stored: StoredPiece) -> None:
        piece = stored.piece
        await self._db.write(
            "INSERT INTO discord_relay_copies (application_id, conversation_id, relay_key, seq, "
            "channel_id, thread_id, message_id, webhook_id, position, label, head, tail, content, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (application_id, conversation_id, relay_key, seq) DO UPDATE SET "
            "message_id = excluded.message_id, position = excluded.position, "
            "content = excluded.content",
            (
                self.application_id,
                conversation_id,
                piece.key,
                piece.seq,
                stored.channel_id,
                stored.thread_id,
                stored.message_id,
                stored.webhook_id,
                stored.position,
                piece.label,
                piece.head,
                piece.tail,
                piece.content,
                _now(),
            ),
        )

    async def set_content(self, conversation_id: str, key: str, seq: int, content: str) -> None:
        await self._db.write(
            "UPDATE discord_relay_copies SET content = ? WHERE application_id = ? "
            "AND conversation_id = ? AND relay_key = ? AND seq = ?",
            (content, self.application_id, conversation_id, key, seq),
        )

    async def remove(self, conversation_id: str, key: str, seq: int) -> None:
        await self._db.write(
            "DELETE FROM discord_relay_copies WHERE application_id = ? AND conversation_id = ? "
            "AND relay_key = ? AND seq = ?",
            (self.application_id, conversation_id, key, seq),
        )

    async def source_of(self, message_id: str) -> str | None:
        """The original's key when `message_id` is one of our copies (a merged post: the last
        message in it, the one a member most likely answers)."""
        row = await self._db.fetch_one(
            "SELECT relay_key FROM discord_relay_copies WHERE application_id = ? "
            "AND message_id = ? ORDER BY position DESC LIMIT 1",
            (self.application_id, message_id),
        )
        return str(row["relay_key"]) if row else None


def _stored(row: object) -> StoredPiece:
    values = dict(row)  # type: ignore[call-overload]
    return StoredPiece(
        Piece(
            str(values["relay_key"]),
            int(values["seq"]),
            str(values["label"]),
            str(values["head"]),
            str(values["tail"]),
            str(values["content"]),
        ),
        str(values["channel_id"]),
        str(values["thread_id"]),
        str(values["message_id"]),
        str(values["webhook_id"]),
        int(values["position"]),
    )


def _now() -> str:
    return datetime.now(UTC).isoformat()
