"""What the Matrix adapter must remember across restarts, kept in the bot's own SQLite file.

- the sync token (`next_batch`), saved after each sync response is fully handled, so a restart
  neither replays history nor misses what was said while the bot was down;
- the access token and device id from a password login, so the next start reuses the device
  instead of piling up new ones;
- the DM room shared with each member, so onboarding always continues in the same room. That
  one is personal data: `MatrixDmRooms` declares it, so `/mydata` shows it and `/forgetme`
  deletes it (the core never names this adapter's tables).

One database file, one backup: the adapter's own tables (`adapters/matrix/schema.py`) beside the
core's, reached only through the `AdapterState` port the bootstrap hands over. Each write is one
statement in its own short transaction, never inside an event's: a rolled-back event no longer
takes a DM room record with it. The sync token is written only after every event of its
response was handled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.matrix.schema import NAMESPACE
from communitybot.events import UserRef
from communitybot.ports import AdapterState, UserRows

NEXT_BATCH = "next_batch"
ACCESS_TOKEN = "access_token"
DEVICE_ID = "device_id"


@dataclass(frozen=True)
class DirectRoom:
    user_id: str
    room_id: str
    space_id: str


class MatrixState:
    """Adapter state for one bot account (`account` is its Matrix user id)."""

    def __init__(self, db: AdapterState, account: str) -> None:
        self._db = db
        self.db = db
        """The adapter's tables, for the parts that keep their own (e.g. `calendar`)."""
        self.account = account
        db.declare_personal_data(MatrixDmRooms(db))

    async def get(self, key: str) -> str | None:
        row = await self._db.fetch_one(
            "SELECT value FROM matrix_state WHERE account = ? AND key = ?", (self.account, key)
        )
        return str(row["value"]) if row else None

    async def put(self, key: str, value: str) -> None:
        await self._db.write(
            "INSERT INTO matrix_state (account, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (account, key) DO UPDATE SET value = excluded.value",
            (self.account, key, value),
        )

    async def forget(self, key: str) -> None:
        await self._db.write(
            "DELETE FROM matrix_state WHERE account = ? AND key = ?", (self.account, key)
        )

    async def next_batch(self) -> str | None:
        return await self.get(NEXT_BATCH)

    async def save_next_batch(self, token: str) -> None:
        await self.put(NEXT_BATCH, token)

    async def login(self) -> tuple[str, str] | None:
        """(access token, device id) saved by an earlier password login."""
        token, device = await self.get(ACCESS_TOKEN), await self.get(DEVICE_ID)
        return (token, device) if token and device else None

    async def save_login(self, access_token: str, device_id: str) -> None:
        await self.put(ACCESS_TOKEN, access_token)
        await self.put(DEVICE_ID, device_id)

    async def forget_login(self) -> None:
        await self.forget(ACCESS_TOKEN)

    async def dm_room(self, user_id: str) -> DirectRoom | None:
        row = await self._db.fetch_one(
            "SELECT user_id, room_id, space_id FROM matrix_dm_rooms "
            "WHERE account = ? AND user_id = ?",
            (self.account, user_id),
        )
        return DirectRoom(row["user_id"], row["room_id"], row["space_id"]) if row else None

    async def dm_by_room(self, room_id: str) -> DirectRoom | None:
        row = await self._db.fetch_one(
            "SELECT user_id, room_id, space_id FROM matrix_dm_rooms "
            "WHERE account = ? AND room_id = ?",
            (self.account, room_id),
        )
        return DirectRoom(row["user_id"], row["room_id"], row["space_id"]) if row else None

    async def save_dm_room(self, user_id: str, room_id: str, space_id: str) -> None:
        await self._db.write(
            "INSERT INTO matrix_dm_rooms (account, user_id, room_id, space_id, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, user_id) DO UPDATE SET "
            "room_id = excluded.room_id, space_id = excluded.space_id",
            (self.account, user_id, room_id, space_id, datetime.now(UTC).isoformat()),
        )

    async def set_dm_community(self, user_id: str, space_id: str) -> None:
        """The DM serves the community the member last acted in (one bot, several spaces)."""
        await self._db.write(
            "UPDATE matrix_dm_rooms SET space_id = ? WHERE account = ? AND user_id = ?",
            (space_id, self.account, user_id),
        )

    async def forget_dm_room(self, user_id: str, room_id: str) -> None:
        """Drop the record only if it still names `room_id` (a newer DM room stays)."""
        await self._db.write(
            "DELETE FROM matrix_dm_rooms WHERE account = ? AND user_id = ? AND room_id = ?",
            (self.account, user_id, room_id),
        )


class MatrixDmRooms:
    """The DM rooms the bot shares with a member (every bot account in this database), declared
    as personal data (`PersonalData`). The adapter's table names are its platform's name."""

    def __init__(self, db: AdapterState) -> None:
        self._db = db

    async def export_user(self, user: UserRef) -> UserRows:
        if user.platform != NAMESPACE:
            return {}
        rows = await self._db.fetch_all(
            "SELECT * FROM matrix_dm_rooms WHERE user_id = ? ORDER BY account", (user.user_id,)
        )
        return {"matrix_dm_rooms": [dict(row) for row in rows]} if rows else {}

    async def forget_user(self, user: UserRef) -> int:
        if user.platform != NAMESPACE:
            return 0
        return await self._db.write(
            "DELETE FROM matrix_dm_rooms WHERE user_id = ?", (user.user_id,)
        )
