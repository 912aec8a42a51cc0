"""The `ChatPlatform` port on Discord (discord.py).

- A reply answers the interaction being handled (ephemeral when asked); if the interaction was
  already answered or deferred (slow handler), it becomes a follow-up.
- DMs go through a DM channel; when Discord refuses (50007: the member's DMs are closed) the
  bot opens a private thread in the community's welcome channel, adds the member, and talks
  there. Moderators see private threads through Manage Threads.
- Roles map Forbidden (hierarchy, Manage Roles missing) to `MissingPermission`, which delivery
  reports in the moderator-log channel.
- Every message is sent with `allowed_mentions` that pings nobody.
- Moderators: Manage Server, or the configured moderator role.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from dataclasses import dataclass, field
from typing import Any

import discord
from loguru import logger

from adapters.discord.translate import NO_PINGS, PLATFORM, content_of, view_for
from communitybot.events import CommunityRef, ConversationRef, Event, UserRef
from communitybot.ports import DirectMessageRefused, MissingPermission, PlatformError
from communitybot.replies import Message
from communitybot.store.store import Store

DM_CLOSED = 50007


@dataclass
class InteractionSlot:
    """The interaction being handled, with a lock so a defer and a reply never race."""

    interaction: discord.Interaction
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


current_interaction: contextvars.ContextVar[InteractionSlot | None] = contextvars.ContextVar(
    "discord_current_interaction", default=None
)


def _with_view(view: discord.ui.View | None) -> dict[str, Any]:
    """`view=` only when there are components (discord.py treats None and MISSING differently)."""
    return {"view": view} if view is not None else {}


class DiscordPlatform:
    """Delivers the core's actions through one discord.py client."""

    name = PLATFORM

    def __init__(self, client: discord.Client, store: Store, dm_interval: float = 0.0) -> None:
        self.client = client
        self.store = store
        self.dm_interval = dm_interval
        """Seconds between DMs, so a burst (a matching round) is paced, not rate-limited."""
        self._dm_lock = asyncio.Lock()
        self._last_dm = 0.0
        self.fallback_threads: dict[str, int] = {}
        self.dm_community: dict[str, str] = {}
        """Which guild a member's DM conversation belongs to (DM interactions carry none)."""

    # -- sending -----------------------------------------------------------------------------

    async def reply(self, event: Event, message: Message, *, ephemeral: bool) -> None:
        slot = current_interaction.get()
        if slot is None:
            await self.send_direct(event.community, event.user, message)
            return
        view = view_for(message.prompt)
        async with slot.lock:
            interaction = slot.interaction
            try:
                if not interaction.response.is_done():
                    await interaction.response.send_message(
                        content_of(message),
                        ephemeral=ephemeral,
                        allowed_mentions=NO_PINGS,
                        **_with_view(view),
                    )
                else:
                    await interaction.followup.send(
                        content_of(message),
                        ephemeral=ephemeral,
                        allowed_mentions=NO_PINGS,
                        **_with_view(view),
                    )
            except discord.HTTPException as error:
                raise PlatformError(f"Discord refused the reply: {error.text}") from error

    async def defer(self, slot: InteractionSlot, *, ephemeral: bool) -> None:
        """Acknowledge a slow interaction before Discord's 3-second deadline."""
        async with slot.lock:
            if not slot.interaction.response.is_done():
                await slot.interaction.response.defer(ephemeral=ephemeral, thinking=True)

    async def send_to_channel(
        self, community: CommunityRef, channel_id: str, message: Message
    ) -> None:
        channel = self.client.get_partial_messageable(int(channel_id))
        await self._send(channel, message, f"channel {channel_id}")

    async def _send(self, target: discord.abc.Messageable, message: Message, where: str) -> None:
        view = view_for(message.prompt)
        try:
            await target.send(content_of(message), allowed_mentions=NO_PINGS, **_with_view(view))
        except discord.Forbidden as error:
            if error.code == DM_CLOSED:
                raise
            raise MissingPermission(f"I'm not allowed to post in {where}") from error
        except discord.HTTPException as error:
            raise PlatformError(f"Discord refused a message to {where}: {error.text}") from error

    async def send_direct(
        self, community: CommunityRef, user: UserRef, message: Message
    ) -> ConversationRef:
        self.dm_community[user.user_id] = community.space_id
        await self._pace()
        thread_id = self.fallback_threads.get(user.user_id)
        if thread_id is None:
            try:
                channel = await self.client.create_dm(discord.Object(int(user.user_id)))
                await self._send(channel, message, f"a DM to {user.label}")
                return ConversationRef(PLATFORM, "dm", str(channel.id))
            except discord.Forbidden as error:
                if error.code != DM_CLOSED:
                    raise MissingPermission(f"cannot DM {user.label}") from error
                logger.info("DMs of {} are closed; using a private thread", user.user_id)
            thread_id = await self._open_thread(community, user)
        thread = self.client.get_partial_messageable(
            thread_id, type=discord.ChannelType.private_thread
        )
        await self._send(thread, message, "the private welcome thread")
        return ConversationRef(PLATFORM, "thread", str(thread_id))

    async def _pace(self) -> None:
        if self.dm_interval <= 0:
            return
        async with self._dm_lock:
            wait = self._last_dm + self.dm_interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last_dm = time.monotonic()

    async def _open_thread(self, community: CommunityRef, user: UserRef) -> int:
        """A private thread in the welcome channel, with the member added; raises if impossible."""
        record = await self.store.communities.get(community)
        if record is None or not record.welcome_channel:
            raise DirectMessageRefused("their DMs are closed and no welcome channel is set")
        channel = self.client.get_channel(int(record.welcome_channel))
        if not isinstance(channel, discord.TextChannel):
            raise DirectMessageRefused("the welcome channel is not a text channel I can see")
        try:
            thread = await channel.create_thread(
                name=f"Welcome {user.label}"[:100],
                type=discord.ChannelType.private_thread,
                invitable=False,
                reason="the member's DMs are closed",
            )
            await thread.add_user(discord.Object(int(user.user_id)))
        except discord.HTTPException as error:
            raise DirectMessageRefused(
                f"their DMs are closed and I cannot open a private thread ({error.text})"
            ) from error
        self.fallback_threads[user.user_id] = thread.id
        return thread.id

    # -- roles -------------------------------------------------------------------------------

    async def grant_role(self, community: CommunityRef, user: UserRef, role_id: str) -> None:
        await self._role("PUT", community, user, role_id)

    async def revoke_role(self, community: CommunityRef, user: UserRef, role_id: str) -> None:
        await self._role("DELETE", community, user, role_id)

    async def _role(
        self, method: str, community: CommunityRef, user: UserRef, role_id: str
    ) -> None:
        http = self.client.http
        call = http.add_role if method == "PUT" else http.remove_role
        try:
            await call(int(community.space_id), int(user.user_id), int(role_id), reason="tag")
        except discord.Forbidden as error:
            raise MissingPermission(
                f"I may not change role <@&{role_id}> (is it above my role, or do I lack "
                "Manage Roles?)"
            ) from error
        except discord.HTTPException as error:
            raise PlatformError(f"Discord refused the role change: {error.text}") from error

    # -- permissions and names ---------------------------------------------------------------

    async def is_moderator(
        self, community: CommunityRef, user: UserRef, moderator_role: str | None
    ) -> bool:
        """Manage Server (as the interaction reports it, else the cache) or the moderator role."""
        slot = current_interaction.get()
        member: object = None
        if slot is not None and slot.interaction.user.id == int(user.user_id):
            member = slot.interaction.user
        if not isinstance(member, discord.Member):
            guild = self.client.get_guild(int(community.space_id))
            member = guild.get_member(int(user.user_id)) if guild else None
        if not isinstance(member, discord.Member):
            return False
        if slot is not None and member is slot.interaction.user:
            permissions = slot.interaction.permissions
        else:
            permissions = member.guild_permissions
        if permissions.manage_guild:
            return True
        return moderator_role is not None and any(str(r.id) == moderator_role for r in member.roles)

    def mention_channel(self, channel_id: str) -> str:
        return f"<#{channel_id}>"

    def mention_user(self, user: UserRef) -> str:
        """A mention renders the name; `allowed_mentions` keeps it from pinging."""
        return f"<@{user.user_id}>"
