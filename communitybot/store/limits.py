"""Per-community rate-limit settings (`community_limits`, migration 0018).

Only the moderators' choices are stored; the limiter's counters live in memory
(`communitybot.rate_limits`), so a refused command never touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from communitybot.store.db import Database

DEFAULT_COMMANDS_PER_MINUTE = 20
DEFAULT_POSTS_PER_HOUR = 5


@dataclass(frozen=True)
class LimitSettings:
    """How often a member may act: 0 means no limit."""

    commands_per_minute: int = DEFAULT_COMMANDS_PER_MINUTE
    posts_per_hour: int = DEFAULT_POSTS_PER_HOUR


class LimitsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, community_id: int) -> LimitSettings:
        row = await self._db.fetch_one(
            "SELECT commands_per_minute, posts_per_hour FROM community_limits "
            "WHERE community_id = ?",
            (community_id,),
        )
        if row is None:
            return LimitSettings()
        return LimitSettings(
            DEFAULT_COMMANDS_PER_MINUTE
            if row["commands_per_minute"] is None
            else int(row["commands_per_minute"]),
            DEFAULT_POSTS_PER_HOUR if row["posts_per_hour"] is None else int(row["posts_per_hour"]),
        )

    async def set(self, community_id: int, settings: LimitSettings) -> None:
        await self._db.execute(
            "INSERT INTO community_limits (community_id, commands_per_minute, posts_per_hour) "
            "VALUES (?, ?, ?) ON CONFLICT (community_id) DO UPDATE SET "
            "commands_per_minute = excluded.commands_per_minute, "
            "posts_per_hour = excluded.posts_per_hour",
            (community_id, settings.commands_per_minute, settings.posts_per_hour),
        )
