"""Where the adapters reach each person privately (Matrix DM rooms, Discord DM channels and
fallback threads): personal data too, so `/mydata` shows it and `/forgetme` deletes it.

The adapters own these tables (their own migrations, see `communitybot.adapter_state`); a table
an adapter has not created yet in this database (it never ran here) holds nobody.
"""

from __future__ import annotations

from typing import Any

from communitybot.events import UserRef
from communitybot.store.db import Database

ROUTING_TABLES: dict[str, tuple[str, ...]] = {
    "matrix": ("matrix_dm_rooms",),
    "discord": ("discord_dm_channels", "discord_fallback_threads"),
}
"""platform → tables with a `user_id` column naming that platform's users."""


class RoutingRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def export(self, user: UserRef) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for table in await self._present(user):
            rows = await self._db.fetch_all(
                f"SELECT * FROM {table} WHERE user_id = ?", (user.user_id,)
            )
            if rows:
                out[table] = [dict(row) for row in rows]
        return out

    async def forget(self, user: UserRef) -> int:
        deleted = 0
        for table in await self._present(user):
            deleted += await self._db.execute(
                f"DELETE FROM {table} WHERE user_id = ?", (user.user_id,)
            )
        return deleted

    async def _present(self, user: UserRef) -> list[str]:
        """The routing tables of the user's platform that exist in this database."""
        wanted = ROUTING_TABLES.get(user.platform, ())
        if not wanted:
            return []
        rows = await self._db.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN "
            f"({', '.join('?' for _ in wanted)})",
            wanted,
        )
        present = {row["name"] for row in rows}
        return [table for table in wanted if table in present]
