"""Chat series in the server's own calendar: one Guild Scheduled Event per calendar key.

- An entry becomes an EXTERNAL event (Discord's only kind that is not a voice/stage channel),
  its location naming the chat's channel ("#weekly-chat", ≤ 100 characters), visible to the
  server's members only (GUILD_ONLY), with the chat's start and end; name ≤ 100 and
  description ≤ 1,000 characters (cut with an ellipsis: the full text is in `/chat list`).
- The event's id is kept per (application, guild, key) in `discord_calendar_events`, so a
  later publish edits it in place (PATCH, same id) and None deletes it. An event a moderator
  deleted by hand answers 404 (Unknown Guild Scheduled Event) and is simply created again; one
  they started or ended by hand can no longer be rescheduled (400), so a new one replaces it.
- A chat held in a channel @everyone cannot see is never published (and its event is removed):
  a server-wide event would reveal a private channel's chat to everyone.
- Without Manage Events Discord answers 403: `MissingPermission`, which delivery reports in
  the moderator-log channel.
- "Interested": Discord sends GUILD_SCHEDULED_EVENT_USER_ADD (with the Guild Scheduled Events
  intent). discord.py 2.x drops it unless the event AND the user are already in its cache
  (members are not chunked here), so `listen_for_interest` reads the raw dispatch instead
  (wrapping discord.py's parser for it, which still runs). The runner turns it into a
  `ChoicePicked(CALENDAR_INTERESTED + key)` (`interest`); an event not ours is ignored.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

import discord
from loguru import logger

from adapters.discord.translate import PLATFORM, community_ref, user_ref
from communitybot.events import ChoicePicked, CommunityRef, ConversationRef
from communitybot.ports import AdapterState, MissingPermission, PlatformError
from communitybot.replies import CALENDAR_INTERESTED, CalendarEntry

EXTERNAL = 3
GUILD_ONLY = 2
MAX_NAME = 100
MAX_DESCRIPTION = 1000
MAX_LOCATION = 100
UNKNOWN_EVENT = 10070
INTEREST_EVENT = "chat_calendar_interest"
"""The client event `listen_for_interest` dispatches: on_chat_calendar_interest(guild, event,
user), ids as strings."""


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def event_payload(entry: CalendarEntry, location: str) -> dict[str, Any]:
    """The scheduled event's fields for `entry`, within Discord's limits."""
    return {
        "name": _cut(" ".join(entry.title.split()), MAX_NAME),
        "description": _cut(entry.description, MAX_DESCRIPTION),
        "scheduled_start_time": entry.starts_at,
        "scheduled_end_time": entry.ends_at,
        "privacy_level": GUILD_ONLY,
        "entity_type": EXTERNAL,
        "entity_metadata": {"location": _cut(location, MAX_LOCATION)},
        "channel_id": None,
    }


def listen_for_interest(client: discord.Client) -> None:
    """Dispatch `INTEREST_EVENT` for every GUILD_SCHEDULED_EVENT_USER_ADD, cached or not."""
    parsers = client._connection.parsers
    original = parsers.get("GUILD_SCHEDULED_EVENT_USER_ADD")

    def parse(data: Any) -> None:
        client.dispatch(
            INTEREST_EVENT,
            str(data["guild_id"]),
            str(data["guild_scheduled_event_id"]),
            str(data["user_id"]),
        )
        if original is not None:
            original(data)

    parsers["GUILD_SCHEDULED_EVENT_USER_ADD"] = parse


class DiscordCalendar:
    """Publishes calendar entries as scheduled events and remembers which event is which."""

    def __init__(self, client: discord.Client, state: AdapterState | None) -> None:
        self.client = client
        self.state = state
        self._memory: dict[tuple[str, str], str] = {}
        """(guild, key) → event id, when there is no state (tests of the platform alone)."""

    def _application(self) -> str:
        return str(self.client.application_id or "")

    # -- the table -----------------------------------------------------------------------------

    async def event_of(self, guild_id: str, key: str) -> str | None:
        if self.state is None:
            return self._memory.get((guild_id, key))
        row = await self.state.fetch_one(
            "SELECT event_id FROM discord_calendar_events"
            " WHERE application_id = ? AND guild_id = ? AND entry_key = ?",
            (self._application(), guild_id, key),
        )
        return str(row["event_id"]) if row else None

    async def key_of(self, guild_id: str, event_id: str) -> str | None:
        """The calendar key an event of ours shows, None for anyone else's event."""
        if self.state is None:
            found = [k for (g, k), e in self._memory.items() if g == guild_id and e == event_id]
            return found[0] if found else None
        row = await self.state.fetch_one(
            "SELECT entry_key FROM discord_calendar_events"
            " WHERE application_id = ? AND event_id = ? AND guild_id = ?",
            (self._application(), event_id, guild_id),
        )
        return str(row["entry_key"]) if row else None

    async def _save(self, guild_id: str, key: str, event_id: str) -> None:
        if self.state is None:
            self._memory[guild_id, key] = event_id
            return
        await self.state.write(
            "INSERT INTO discord_calendar_events"
            " (application_id, guild_id, entry_key, event_id, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (application_id, guild_id, entry_key) DO UPDATE SET"
            " event_id = excluded.event_id, updated_at = excluded.updated_at",
            (self._application(), guild_id, key, event_id, datetime.now(UTC).isoformat()),
        )

    async def _forget(self, guild_id: str, key: str) -> None:
        if self.state is None:
            self._memory.pop((guild_id, key), None)
            return
        await self.state.write(
            "DELETE FROM discord_calendar_events"
            " WHERE application_id = ? AND guild_id = ? AND entry_key = ?",
            (self._application(), guild_id, key),
        )

    # -- publishing ----------------------------------------------------------------------------

    async def publish(self, community: CommunityRef, key: str, entry: CalendarEntry | None) -> None:
        """Create, edit in place or (None) delete the event showing `key`."""
        guild_id = community.space_id
        if entry is not None and not self._public(guild_id, entry.channel_id):
            logger.info("calendar entry {} is for a private channel: not on the calendar", key)
            entry = None
        known = await self.event_of(guild_id, key)
        http = self.client.http
        if entry is None:
            if known is not None:
                with contextlib.suppress(_Gone):  # deleted by hand already
                    await self._call(http.delete_scheduled_event(int(guild_id), int(known)))
                await self._forget(guild_id, key)
            return
        payload = event_payload(entry, self._location(guild_id, entry.channel_id))
        reason = "a chat series' next chat"
        if known is not None:
            try:
                await self._call(
                    http.edit_scheduled_event(int(guild_id), int(known), reason=reason, **payload),
                    editing=True,
                )
                return
            except _Gone:
                logger.info("the event of {} was deleted by hand; creating it again", key)
            except _Unmovable:
                logger.info("the event of {} was started or ended by hand; replacing it", key)
                with contextlib.suppress(_Gone, PlatformError):
                    await self._call(http.delete_scheduled_event(int(guild_id), int(known)))
        created = await self._call(
            http.create_guild_scheduled_event(int(guild_id), reason=reason, **payload)
        )
        await self._save(guild_id, key, str(created["id"]))

    async def _call(self, request: Any, *, editing: bool = False) -> Any:
        """Await a request, mapping Discord's refusals to the port's errors (an edit Discord
        refuses as a bad request is `_Unmovable`: an active or finished event keeps its start)."""
        try:
            return await request
        except discord.NotFound as error:
            if error.code == UNKNOWN_EVENT:
                raise _Gone from error
            raise PlatformError(f"Discord refused the calendar event: {error.text}") from error
        except discord.Forbidden as error:
            raise MissingPermission(
                "I'm not allowed to manage this server's events: give my role the Manage "
                "Events permission (Server Settings → Roles)"
            ) from error
        except discord.HTTPException as error:
            if editing and error.status == 400:
                raise _Unmovable from error
            raise PlatformError(f"Discord refused the calendar event: {error.text}") from error

    def _public(self, guild_id: str, channel_id: str) -> bool:
        """Whether @everyone sees the channel (True when the cache cannot tell)."""
        guild = self.client.get_guild(int(guild_id))
        channel = guild.get_channel(int(channel_id)) if guild and channel_id.isdigit() else None
        if guild is None or channel is None:
            return True
        return channel.permissions_for(guild.default_role).view_channel

    def _location(self, guild_id: str, channel_id: str) -> str:
        guild = self.client.get_guild(int(guild_id))
        channel = guild.get_channel(int(channel_id)) if guild and channel_id.isdigit() else None
        return f"#{channel.name}" if channel is not None else "this server's chat channel"

    # -- "Interested" --------------------------------------------------------------------------

    async def interest(self, guild_id: str, event_id: str, user_id: str) -> ChoicePicked | None:
        """The core event for a member marking one of our events Interested (None: not ours,
        or the bot itself)."""
        key = await self.key_of(guild_id, event_id)
        if key is None or str(self.client.application_id) == user_id:
            return None
        user = self.client.get_user(int(user_id))
        name = user.display_name if user is not None else ""
        return ChoicePicked(
            community_ref(guild_id),
            user_ref(user_id, name),
            ConversationRef(PLATFORM, "dm", ""),
            CALENDAR_INTERESTED + key,
            (),
        )


class _Gone(Exception):
    """The event is no longer there (deleted by hand)."""


class _Unmovable(Exception):
    """Discord will not edit the event (someone started or ended it by hand)."""
