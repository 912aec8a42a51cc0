"""The `ChatPlatform` port on Discord (discord.py).

- A reply answers the interaction its event came from (the event's `reply_handle`, set by the
  runner; ephemeral when asked); if the interaction was already answered or deferred (slow
  handler), it becomes a follow-up. An event without one (a typed DM) is answered privately.
- A text past Discord's 2,000 characters is sent whole as several messages in order (split at
  lines and words, Markdown spans and code blocks kept intact: `communitybot.text_split`): a
  reply's first part answers the interaction and the rest are follow-ups, as ephemeral as it;
  DMs and posts are several messages. Pings lead the first part; buttons, menus and the file
  go with the last. Each part of an outbox delivery has its own nonce.
- DMs go through a DM channel; when Discord refuses (50007: the member's DMs are closed) the
  bot opens a private thread in the community's welcome channel, adds the member, and talks
  there from then on (remembered in SQLite; a deleted thread means trying DMs again).
  Moderators see private threads through Manage Threads.
- DMs are paced: a burst of joins becomes a queue, sent in order, none dropped.
- Roles map Forbidden (hierarchy, Manage Roles missing) to `MissingPermission`, which delivery
  reports in the moderator-log channel.
- Every message is sent with `allowed_mentions` that pings nobody, except a message's
  deliberate `ping_role` (that one role, `<@&id>` leading the text) and the members a private
  group introduction is for.
- A group introduction is a private thread in the introductions channel (bots cannot open
  group DMs); a topic chat runs in a public thread opened on its welcome message.
- A message's file goes with it as an upload (`discord.File`), in interaction responses
  (ephemeral too), follow-ups, DMs, fallback threads and channel posts; a file past the upload
  limit (the interaction's `attachment_size_limit`, else the cached guild's boost tier, else
  Discord's default 10 MiB) is left out and the text says so.
- Moderators: Manage Server, or the configured moderator role.
- Network chats' copies go through channel webhooks (`adapters.discord.relay`).
- Facts for the core's rules, from the guild cache: a role a tag must not hand out (@everyone,
  integration-managed, not below the bot's highest role, or any permission beyond an ordinary
  member's) and whether a member can view a channel (their computed permissions there).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import discord
from loguru import logger

from adapters.discord.calendar import DiscordCalendar
from adapters.discord.conversations import Conversations
from adapters.discord.pacing import Pacer
from adapters.discord.relay import DiscordRelay
from adapters.discord.translate import (
    NO_PINGS,
    PLATFORM,
    UPLOAD_LIMIT,
    contents_of,
    file_of,
    mentions_for,
    view_for,
)
from communitybot.events import (
    CommunityRef,
    ConversationRef,
    Event,
    MessageReceived,
    UserRef,
)
from communitybot.i18n import tr, use_language
from communitybot.outbox import request_key
from communitybot.ports import (
    AdapterState,
    CoreQueries,
    DirectMessageRefused,
    MissingPermission,
    PlatformError,
)
from communitybot.replies import CalendarEntry, Message, Relayed

DM_CLOSED = 50007
THREAD_REFUSALS = (50001, 50013)
"""Missing Access, Missing Permissions."""
GROUP_ARCHIVE_MINUTES: Literal[10080] = 10080
"""A week: an introduction stays in the members' thread list while they get in touch."""
CHAT_ARCHIVE_MINUTES: Literal[1440] = 1440
"""A day: the chat and its follow-up talk stay in the channel's thread list."""


def outbox_nonces(count: int) -> list[str | None]:
    """Discord nonces naming the `count` messages of this request of the outbox row being
    delivered, or Nones outside a delivery.

    discord.py sends them with `enforce_nonce`, so Discord answers a repeat (the same nonce from
    the bot within a few minutes) with the message it already created instead of posting again:
    a delivery repeated after a crash (see `communitybot.outbox`) is posted once, each of its
    parts too. The first part's nonce is the request's (as before splitting); part n's is derived
    from the request key and n. Nonces are at most 25 characters, so the stable keys are hashed.
    """
    key = request_key()
    if key is None:
        return [None] * count
    names = [key] + [f"{key}#{index}" for index in range(1, count)]
    return [hashlib.blake2b(name.encode(), digest_size=12).hexdigest() for name in names]


@dataclass
class InteractionSlot:
    """The interaction being handled, with a lock so a defer and a reply never race."""

    interaction: discord.Interaction
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ActingMembers:
    """Members as the interactions being handled right now carry them, by (guild, member).

    An interaction brings the member with their current roles and permissions, fresher than the
    member cache (members are not chunked at start-up). `is_moderator` and `can_view_channel`
    ask about a member, not an event, so the runner registers each interaction's member for
    exactly as long as its event is handled (`during`); nothing stays behind to go stale.
    """

    def __init__(self) -> None:
        self._by_member: dict[tuple[int, int], tuple[discord.Interaction, int]] = {}

    @contextlib.contextmanager
    def during(self, interaction: discord.Interaction | None) -> Iterator[None]:
        if interaction is None or interaction.guild_id is None:
            yield
            return
        key = (interaction.guild_id, interaction.user.id)
        _, count = self._by_member.get(key, (interaction, 0))
        self._by_member[key] = (interaction, count + 1)
        try:
            yield
        finally:
            latest, count = self._by_member[key]
            if count <= 1:
                del self._by_member[key]
            else:
                self._by_member[key] = (latest, count - 1)

    def interaction_of(self, guild_id: int, user_id: int) -> discord.Interaction | None:
        """The latest interaction of this member in this guild being handled, if any."""
        found = self._by_member.get((guild_id, user_id))
        return found[0] if found is not None else None


def reply_slot(event: Event) -> InteractionSlot | None:
    """The interaction an event came from (its opaque `reply_handle`), if it came from one."""
    handle = getattr(event, "reply_handle", None)
    return handle if isinstance(handle, InteractionSlot) else None


def _with_view(view: discord.ui.View | None) -> dict[str, Any]:
    """`view=` only when there are components (discord.py treats None and MISSING differently)."""
    return {"view": view} if view is not None else {}


def message_sends(
    message: Message, *, ping_users: tuple[str, ...] = (), upload_limit: int = UPLOAD_LIMIT
) -> list[dict[str, Any]]:
    """The keyword arguments of each Discord message a core message becomes, in order.

    A text past Discord's 2,000 characters is split (`contents_of`): the pings lead the first
    part, which alone may notify; the components and the file go with the last part, so the
    buttons sit under the whole question and the file under the text that announces it (a
    too-big-file note ends the text too). `view=` and `file=` appear only when there is
    something to send (discord.py treats None and MISSING differently); a `discord.File` is
    read once, so these are built per send.
    """
    contents = contents_of(message, ping_users=ping_users, upload_limit=upload_limit)
    sends: list[dict[str, Any]] = []
    for index, content in enumerate(contents):
        send: dict[str, Any] = {
            "content": content,
            "allowed_mentions": mentions_for(message, ping_users=ping_users)
            if index == 0
            else NO_PINGS,
        }
        if index == len(contents) - 1:
            with use_language(message.language):
                send |= _with_view(view_for(message.prompt))
            upload = file_of(message, upload_limit)
            if upload is not None:
                send["file"] = upload
        sends.append(send)
    return sends


MEMBER_PERMISSIONS = discord.Permissions(
    create_instant_invite=True,
    add_reactions=True,
    stream=True,
    view_channel=True,
    send_messages=True,
    send_tts_messages=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    external_emojis=True,
    connect=True,
    speak=True,
    use_voice_activation=True,
    change_nickname=True,
    use_application_commands=True,
    request_to_speak=True,
    create_public_threads=True,
    create_private_threads=True,
    external_stickers=True,
    send_messages_in_threads=True,
    use_embedded_activities=True,
    use_soundboard=True,
    use_external_sounds=True,
    send_voice_messages=True,
    send_polls=True,
    use_external_apps=True,
)
"""What an ordinary member may do (Discord's defaults for @everyone): a role granting anything
more (Manage Server, Administrator, Manage Roles, Kick/Ban, Manage Messages, Mention Everyone,
Timeout, …) gives rights over the community."""


PERMISSION_NAMES = {"manage_guild": "Manage Server", "moderate_members": "Timeout Members"}
"""discord.py flag names that Discord's own screens call otherwise."""


def role_refusal(role: discord.Role, me: discord.Member | None) -> str | None:
    """Why a tag must not hand out `role`: @everyone, integration-managed, above the bot's
    highest role, or carrying a permission beyond an ordinary member's; None when it may."""
    if role.is_default():
        return tr("that is the everyone role, which every member already has")
    if role.managed:
        return tr("that role is managed by an integration (a bot, boosts or subscriptions)")
    if me is not None and role >= me.top_role:
        return tr("that role is not below my highest role, so Discord would not let me grant it")
    extra = discord.Permissions(role.permissions.value & ~MEMBER_PERMISSIONS.value)
    names = [PERMISSION_NAMES.get(name, name.replace("_", " ").title()) for name, on in extra if on]
    if names:
        return tr("that role carries moderation rights ({names})", names=", ".join(names))
    return None


class DiscordPlatform:
    """Delivers the core's actions through one discord.py client."""

    name = PLATFORM

    def __init__(
        self,
        client: discord.Client,
        queries: CoreQueries,
        state: AdapterState | None = None,
        dm_interval: float = 0.0,
        *,
        pacer: Pacer | None = None,
        conversations: Conversations | None = None,
        relays: DiscordRelay | None = None,
    ) -> None:
        """`state`: the adapter's own tables (None: remember in memory only)."""
        self.client = client
        self.queries = queries
        """What the adapter may ask the core (the community's channels, its tags)."""
        self.pacer = pacer or Pacer(dm_interval)
        """Spaces DMs `dm_interval` seconds apart, so a burst is queued, not rate-limited."""
        self.conversations = conversations or Conversations(state)
        """Fallback threads and which guild each DM channel serves (persisted once attached)."""
        self.acting = ActingMembers()
        """The members of the interactions being handled (see `ActingMembers`)."""
        self.relays = relays or DiscordRelay(client, state)
        """Network-chat copies through channel webhooks (`adapters.discord.relay`)."""
        self.calendar = DiscordCalendar(client, state)
        """Chat series as Guild Scheduled Events (`adapters.discord.calendar`)."""

    # -- sending -----------------------------------------------------------------------------

    async def reply(self, event: Event, message: Message, *, ephemeral: bool) -> None:
        slot = reply_slot(event)
        if slot is None:
            if isinstance(event, MessageReceived) and event.conversation.kind == "dm":
                await self._answer_in_dm(event, message)
            else:
                await self.send_direct(event.community, event.user, message)
            return
        async with slot.lock:
            interaction = slot.interaction
            limit = getattr(interaction, "filesize_limit", None) or UPLOAD_LIMIT
            try:
                for send in message_sends(message, upload_limit=limit):
                    if not interaction.response.is_done():
                        await interaction.response.send_message(ephemeral=ephemeral, **send)
                    else:
                        await interaction.followup.send(ephemeral=ephemeral, **send)
            except discord.HTTPException as error:
                raise PlatformError(f"Discord refused the reply: {error.text}") from error

    async def _answer_in_dm(self, event: MessageReceived, message: Message) -> None:
        """Answer a typed DM right where it was typed, unpaced.

        The pacer is for bulk sends; a member waiting for the next question must not queue
        behind a burst of welcome DMs to others.
        """
        channel_id = event.conversation.conversation_id
        channel = self.client.get_partial_messageable(
            int(channel_id), type=discord.ChannelType.private
        )
        await self._send(channel, message, f"a DM to {event.user.label}")
        await self.conversations.save_dm(event.user.user_id, channel_id, event.community.space_id)

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

    async def _post(
        self,
        target: discord.abc.Messageable,
        message: Message,
        *,
        ping_users: tuple[str, ...] = (),
    ) -> list[discord.Message]:
        """Send the message's parts in order, with components and only the deliberate pings;
        the messages created. discord.py's exceptions pass through."""
        limit = self._upload_limit(target)
        sends = message_sends(message, ping_users=ping_users, upload_limit=limit)
        posted: list[discord.Message] = []
        for send, nonce in zip(sends, outbox_nonces(len(sends)), strict=True):
            if nonce is not None:
                send["nonce"] = nonce
            content = send.pop("content")
            posted.append(await target.send(content, **send))
        return posted

    def _upload_limit(self, target: object) -> int:
        """The upload limit where `target` is: its guild's (boosts raise it) when the channel
        or guild is cached, else Discord's default (DMs, unknown channels)."""
        channel = self.client.get_channel(int(getattr(target, "id", 0) or 0))
        guild = getattr(channel, "guild", None) or getattr(target, "guild", None)
        if not isinstance(guild, discord.Guild):
            guild_id = getattr(target, "guild_id", None)
            guild = self.client.get_guild(int(guild_id)) if guild_id else None
        return guild.filesize_limit if guild is not None else UPLOAD_LIMIT

    async def _send(self, target: discord.abc.Messageable, message: Message, where: str) -> None:
        try:
            await self._post(target, message)
        except discord.Forbidden as error:
            raise MissingPermission(f"I'm not allowed to post in {where}") from error
        except discord.HTTPException as error:
            raise PlatformError(f"Discord refused a message to {where}: {error.text}") from error

    async def send_direct(
        self, community: CommunityRef, user: UserRef, message: Message
    ) -> ConversationRef:
        """DM the member, or write in their private welcome thread when their DMs are closed.

        Paced (bulk DMs queue, see `Pacer`) and remembered (see `Conversations`): a member
        with a fallback thread keeps it, and the DM channel is mapped to this guild.
        """
        guild_id, user_id = community.space_id, user.user_id
        async with self.pacer.turn():
            thread_id = await self.conversations.fallback_thread(guild_id, user_id)
            if thread_id is not None:
                try:
                    return await self._in_thread(thread_id, message)
                except discord.NotFound:
                    logger.info("the welcome thread of {} is gone; trying DMs again", user_id)
                    await self.conversations.forget_fallback_thread(guild_id, user_id)
            try:
                channel = await self.client.create_dm(discord.Object(int(user_id)))
                await self._post(channel, message)
            except discord.Forbidden as error:
                if error.code != DM_CLOSED:
                    raise MissingPermission(f"cannot DM {user.label}") from error
                logger.info("DMs of {} are closed; using a private thread", user_id)
            except discord.HTTPException as error:
                raise PlatformError(f"Discord refused a DM to {user.label}: {error.text}") from (
                    error
                )
            else:
                await self.conversations.save_dm(user_id, str(channel.id), guild_id)
                return ConversationRef(PLATFORM, "dm", str(channel.id))
            thread_id = await self._open_thread(community, user)
            await self.conversations.save_fallback_thread(guild_id, user_id, thread_id)
            try:
                return await self._in_thread(thread_id, message)
            except discord.NotFound as error:
                raise PlatformError("the new welcome thread vanished") from error

    async def _in_thread(self, thread_id: int, message: Message) -> ConversationRef:
        """Post in a private thread; NotFound (deleted thread) is left to the caller."""
        thread = self.client.get_partial_messageable(
            thread_id, type=discord.ChannelType.private_thread
        )
        try:
            await self._post(thread, message)
        except discord.NotFound:
            raise
        except discord.Forbidden as error:
            raise MissingPermission("I'm not allowed to post in the private welcome thread") from (
                error
            )
        except discord.HTTPException as error:
            raise PlatformError(f"Discord refused a message to a thread: {error.text}") from error
        return ConversationRef(PLATFORM, "thread", str(thread_id))

    async def _open_thread(self, community: CommunityRef, user: UserRef) -> int:
        """A private thread in the welcome channel, with the member added; raises if impossible."""
        welcome = (await self.queries.channels(community)).welcome
        if not welcome:
            raise DirectMessageRefused("their DMs are closed and no welcome channel is set")
        channel = self.client.get_channel(int(welcome))
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
        return thread.id

    # -- group introductions and chat threads ------------------------------------------------

    async def open_group(
        self, community: CommunityRef, users: tuple[UserRef, ...], title: str, message: Message
    ) -> ConversationRef:
        """A private thread in the introductions channel with exactly these members in it.

        Bots cannot open group DMs, so the members are added to a private (type 12),
        non-invitable thread and the message pings exactly them (their notification, as a DM
        would give). Paced like DMs: a round of introductions is a burst too. Raises
        PlatformError (delivery then DMs each member) when no channel is set or Discord
        refuses; a half-made thread is deleted again.
        """
        channel = await self._introductions_channel(community)
        async with self.pacer.turn():
            try:
                thread = await channel.create_thread(
                    name=(title or "Introduction")[:100],
                    type=discord.ChannelType.private_thread,
                    invitable=False,
                    auto_archive_duration=GROUP_ARCHIVE_MINUTES,
                    reason="introducing members to each other",
                )
            except discord.Forbidden as error:
                raise MissingPermission(
                    f"I'm not allowed to create private threads in <#{channel.id}>"
                ) from error
            except discord.HTTPException as error:
                raise PlatformError(f"Discord refused a private thread: {error.text}") from error
            try:
                for user in users:
                    await thread.add_user(discord.Object(int(user.user_id)))
                await self._post(thread, message, ping_users=tuple(u.user_id for u in users))
            except discord.HTTPException as error:
                with contextlib.suppress(discord.HTTPException):
                    await thread.delete(reason="the introduction could not be completed")
                raise PlatformError(
                    f"Discord refused the introduction thread's members or message: {error.text}"
                ) from error
        return ConversationRef(PLATFORM, "thread", str(thread.id))

    async def _introductions_channel(self, community: CommunityRef) -> discord.TextChannel:
        """Where group threads are opened: the introductions channel, else the welcome one."""
        channels = await self.queries.channels(community)
        channel_id = channels.introductions or channels.welcome
        if not channel_id:
            raise PlatformError("no introductions channel is set for private group threads")
        channel = self.client.get_channel(int(channel_id))
        if not isinstance(channel, discord.TextChannel):
            raise PlatformError(f"<#{channel_id}> is not a text channel I can see")
        return channel

    async def open_chat_thread(
        self, community: CommunityRef, channel_id: str, title: str, message: Message
    ) -> str:
        """Post the welcome in the channel and open a public thread on it; the thread's id.

        The thread's id is the welcome message's id (Discord's rule for threads made from a
        message). Missing thread permissions are found before posting when the channel is
        cached; if Discord still refuses the thread, the welcome is deleted again so the
        caller's fallback (running the chat in the channel) does not post it twice.
        """
        self._check_thread_permissions(channel_id)
        channel = self.client.get_partial_messageable(int(channel_id))
        try:
            posted = await self._post(channel, message)
            welcome = posted[0]
        except discord.Forbidden as error:
            raise MissingPermission(f"I'm not allowed to post in <#{channel_id}>") from error
        except discord.HTTPException as error:
            raise PlatformError(f"Discord refused the chat's welcome: {error.text}") from error
        try:
            data = await self.client.http.start_thread_with_message(
                int(channel_id),
                welcome.id,
                name=(title or "Chat")[:100],
                auto_archive_duration=CHAT_ARCHIVE_MINUTES,
                rate_limit_per_user=None,
                reason="a topic chat starts",
            )
        except discord.HTTPException as error:
            for part in posted:
                with contextlib.suppress(discord.HTTPException):
                    await part.delete()
            if isinstance(error, discord.Forbidden) or error.code in THREAD_REFUSALS:
                raise MissingPermission(
                    f"I'm not allowed to create threads in <#{channel_id}> (Create Public "
                    "Threads, Send Messages in Threads)"
                ) from error
            raise PlatformError(f"Discord refused the chat thread: {error.text}") from error
        return str(data["id"])

    def _check_thread_permissions(self, channel_id: str) -> None:
        """MissingPermission now if the cache shows the bot may not run a thread there."""
        channel = self.client.get_channel(int(channel_id))
        if not isinstance(channel, discord.TextChannel) or channel.guild.me is None:
            return  # not cached: Discord's answer to the thread request decides
        permissions = channel.permissions_for(channel.guild.me)
        if not (permissions.create_public_threads and permissions.send_messages_in_threads):
            raise MissingPermission(
                f"I'm not allowed to create threads in <#{channel_id}> (Create Public Threads, "
                "Send Messages in Threads)"
            )

    # -- roles -------------------------------------------------------------------------------

    async def relay(
        self, community: CommunityRef, conversation_id: str, messages: Sequence[Relayed]
    ) -> None:
        await self.relays.relay(community, conversation_id, messages)

    async def relay_edit(
        self, community: CommunityRef, conversation_id: str, key: str, text: str
    ) -> None:
        await self.relays.edit(community, conversation_id, key, text)

    async def relay_delete(self, community: CommunityRef, conversation_id: str, key: str) -> None:
        await self.relays.delete(community, conversation_id, key)

    async def publish_calendar(
        self, community: CommunityRef, key: str, entry: CalendarEntry | None
    ) -> None:
        await self.calendar.publish(community, key, entry)

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
        interaction = self.acting.interaction_of(int(community.space_id), int(user.user_id))
        member: object = interaction.user if interaction is not None else None
        if not isinstance(member, discord.Member):
            guild = self.client.get_guild(int(community.space_id))
            member = guild.get_member(int(user.user_id)) if guild else None
        if not isinstance(member, discord.Member):
            return False
        if interaction is not None and member is interaction.user:
            permissions = interaction.permissions
        else:
            permissions = member.guild_permissions
        if permissions.manage_guild:
            return True
        return moderator_role is not None and any(str(r.id) == moderator_role for r in member.roles)

    async def role_refusal(self, community: CommunityRef, role_id: str) -> str | None:
        """Why the bot must not hand out this role, from the cached guild (see `role_facts`)."""
        guild = self.client.get_guild(int(community.space_id))
        if guild is None:
            return tr("I can't see this server's roles right now; try again in a minute")
        role = guild.get_role(int(role_id)) if role_id.isdigit() else None
        if role is None:
            return tr("there is no such role in this server")
        return role_refusal(role, guild.me)

    async def can_view_channel(
        self, community: CommunityRef, user: UserRef, channel_id: str
    ) -> bool:
        """View Channel in the member's permissions there (roles and overwrites, from the cache).

        The member comes from the interaction being handled, else the member cache; one the
        cache does not hold (members are not chunked at start-up) counts as a member without
        roles, so they see what @everyone sees. A channel the cache does not know is not
        visible (a deleted channel shows nothing).
        """
        guild = self.client.get_guild(int(community.space_id))
        if guild is None or not channel_id.isdigit() or not user.user_id.isdigit():
            return False
        channel = guild.get_channel_or_thread(int(channel_id))
        if channel is None:
            return False
        member = self._cached_member(guild, user)
        return channel.permissions_for(member or guild.default_role).view_channel

    def _cached_member(self, guild: discord.Guild, user: UserRef) -> discord.Member | None:
        """The member as an interaction being handled carries it, else from the member cache."""
        interaction = self.acting.interaction_of(guild.id, int(user.user_id))
        acting = interaction.user if interaction is not None else None
        if isinstance(acting, discord.Member):
            return acting
        return guild.get_member(int(user.user_id))

    def mention_channel(self, channel_id: str) -> str:
        return f"<#{channel_id}>"

    def mention_user(self, user: UserRef) -> str:
        """A mention renders the name; `allowed_mentions` keeps it from pinging."""
        return f"<@{user.user_id}>"
