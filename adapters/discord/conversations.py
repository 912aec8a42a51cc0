"""Where the bot talks privately to each member, remembered in SQLite so a restart changes nothing.

Two facts only Discord's adapter needs (its own tables, `adapters/discord/schema.py`):
- the private welcome thread used instead of DMs when a member's DMs are closed, per guild and
  member: every later message goes to the same thread, before and after a restart, instead of
  a failed DM and a new thread each time;
- the guild a member's DM channel serves: DM interactions and DM messages carry no guild id,
  so a click on a button sent before a restart must still reach the right community's flow.
  It is the guild the bot last wrote from (one bot, several guilds, one DM channel per member).

Reads are cached in memory (this process is the only writer). Writes go through the adapter's
state port (`AdapterState`): each is its own short transaction, never part of an event's, so a
rolled-back event can no longer take one with it. The DM mapping is still re-asserted on every
DM (one cheap UPSERT, no fsync in WAL mode), which also heals a mapping `/forgetme` removed for
a member the bot writes to again. Until `attach()` is called (the application id is known only
after login) the facts live in memory only.

Both facts name a member, so they are personal data: `Conversations` declares itself through the
state (`PersonalData`), `/mydata` shows its rows and `/forgetme` deletes them (and what is
cached here), for every application id in this database.
"""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.discord.schema import NAMESPACE
from communitybot.events import UserRef
from communitybot.ports import AdapterState, UserRows

PERSONAL_TABLES = ("discord_dm_channels", "discord_fallback_threads")
"""This adapter's tables with a row per member (`user_id`), in `/mydata`'s order."""


class Conversations:
    """Fallback threads and DM channels of one bot application."""

    def __init__(self, state: AdapterState | None = None) -> None:
        self._state = state
        self._db: AdapterState | None = None
        """The state, once attached (None before: memory only)."""
        self.application_id = ""
        self._threads: dict[tuple[str, str], int | None] = {}
        """(guild, user) → thread id; None caches "no thread" so DMs need no lookup each time."""
        self._guild_by_channel: dict[str, str] = {}
        if state is not None:
            state.declare_personal_data(self)

    def attach(self, application_id: int | str) -> None:
        """Persist from now on (when there is a state), under this application's id."""
        self._db = self._state
        self.application_id = str(application_id)

    # -- fallback threads ---------------------------------------------------------------------

    async def fallback_thread(self, guild_id: str, user_id: str) -> int | None:
        """The member's private welcome thread in this guild, if one was opened."""
        key = (guild_id, user_id)
        if key in self._threads:
            return self._threads[key]
        thread: int | None = None
        if self._db is not None:
            row = await self._db.fetch_one(
                "SELECT thread_id FROM discord_fallback_threads "
                "WHERE application_id = ? AND guild_id = ? AND user_id = ?",
                (self.application_id, guild_id, user_id),
            )
            thread = int(row["thread_id"]) if row else None
        self._threads[key] = thread
        return thread

    async def save_fallback_thread(self, guild_id: str, user_id: str, thread_id: int) -> None:
        self._threads[(guild_id, user_id)] = thread_id
        if self._db is not None:
            await self._db.write(
                "INSERT INTO discord_fallback_threads "
                "(application_id, guild_id, user_id, thread_id, created_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (application_id, guild_id, user_id) DO UPDATE SET "
                "thread_id = excluded.thread_id, created_at = excluded.created_at",
                (self.application_id, guild_id, user_id, str(thread_id), _now()),
            )

    async def forget_fallback_thread(self, guild_id: str, user_id: str) -> None:
        """The thread is gone (deleted by a moderator): the next message tries DMs again."""
        self._threads[(guild_id, user_id)] = None
        if self._db is not None:
            await self._db.write(
                "DELETE FROM discord_fallback_threads "
                "WHERE application_id = ? AND guild_id = ? AND user_id = ?",
                (self.application_id, guild_id, user_id),
            )

    # -- DM channels --------------------------------------------------------------------------

    async def dm_guild(self, channel_id: str) -> str | None:
        """The guild this DM channel currently serves, if the bot ever wrote in it."""
        known = self._guild_by_channel.get(channel_id)
        if known is not None or self._db is None:
            return known
        row = await self._db.fetch_one(
            "SELECT guild_id FROM discord_dm_channels WHERE application_id = ? AND channel_id = ?",
            (self.application_id, channel_id),
        )
        if row is None:
            return None
        self._guild_by_channel[channel_id] = str(row["guild_id"])
        return self._guild_by_channel[channel_id]

    async def save_dm(self, user_id: str, channel_id: str, guild_id: str) -> None:
        """The bot just wrote to `user_id` in `channel_id` on behalf of `guild_id`."""
        self._guild_by_channel[channel_id] = guild_id
        if self._db is not None:
            await self._db.write(
                "INSERT INTO discord_dm_channels "
                "(application_id, user_id, channel_id, guild_id, updated_at) "
                "VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (application_id, user_id) DO UPDATE SET "
                "channel_id = excluded.channel_id, guild_id = excluded.guild_id, "
                "updated_at = excluded.updated_at",
                (self.application_id, user_id, channel_id, guild_id, _now()),
            )

    # -- personal data (`PersonalData`) ------------------------------------------------------

    async def export_user(self, user: UserRef) -> UserRows:
        """The member's DM channels and fallback threads, under every application id."""
        if self._state is None or user.platform != NAMESPACE:
            return {}
        out: UserRows = {}
        for table in PERSONAL_TABLES:
            rows = await self._state.fetch_all(
                f"SELECT * FROM {table} WHERE user_id = ? ORDER BY application_id",
                (user.user_id,),
            )
            if rows:
                out[table] = [dict(row) for row in rows]
        return out

    async def forget_user(self, user: UserRef) -> int:
        """Delete the member's rows and what is cached about them here: the next message to
        them opens a DM (or a new fallback thread) as for someone new."""
        if user.platform != NAMESPACE:
            return 0
        for key in [key for key in self._threads if key[1] == user.user_id]:
            del self._threads[key]
        if self._state is None:
            return 0
        channels = await self._state.fetch_all(
            "SELECT channel_id FROM discord_dm_channels WHERE user_id = ?", (user.user_id,)
        )
        for row in channels:
            self._guild_by_channel.pop(str(row["channel_id"]), None)
        deleted = 0
        for table in PERSONAL_TABLES:
            deleted += await self._state.write(
                f"DELETE FROM {table} WHERE user_id = ?", (user.user_id,)
            )
        return deleted


def _now() -> str:
    return datetime.now(UTC).isoformat()
