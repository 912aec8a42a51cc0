"""The Discord bot's life: log in, sync commands if the catalogue changed, then serve events.

Decisions worth knowing:
- Intents: guilds, members (privileged: enable "Server Members Intent" in the developer
  portal), guild messages, DMs and guild scheduled events ("Interested" on a chat's event).
  Guild chunking at start-up is off; members arrive with events. Message content
  (privileged) only when configured (`message_content`): without it Discord sends other
  members' channel messages with empty text, so a topic chat still counts who took part,
  replied and mentioned whom, but cannot read answers such as "A1 …".
- Members' messages in guild channels and threads become `ChannelMessage` (a running topic
  chat listens), and so do their edits and deletions (`change`; a network chat relays them);
  bots', webhooks' (our relayed copies among them) and system messages are ignored. A reply
  carries the replied message's relay key, the original's when it answers one of our copies.
  Commands are slash commands (interactions), so no typed message is a command here.
- Interactions are routed by their raw data, not by discord.py views: component custom_ids are
  stable ("onboarding:<key>", "forgetme", with a `|value` suffix on buttons), so every button
  or select the bot ever sent keeps working after a restart without re-registering anything.
- A handler slower than `defer_after` seconds is deferred first (Discord's 3-second deadline);
  the answer then arrives as a follow-up.
- A bad token is one `DiscordStartupError`, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import discord
from loguru import logger

from adapters.discord.calendar import listen_for_interest
from adapters.discord.commands import MAX_AUTOCOMPLETE, CommandSync
from adapters.discord.platform import DiscordPlatform, InteractionSlot
from adapters.discord.translate import (
    PLATFORM,
    answer_modal,
    channel_message,
    choice_picked,
    command_invoked,
    community_ref,
    conversation,
    focused_option,
    member_joined,
    modal_max_length,
    modal_submitted,
    opens_modal,
    prompt_id_of,
    tag_suggestions,
    user_ref,
)
from communitybot.bot import Bot
from communitybot.commands import find_command
from communitybot.events import (
    ChoicePicked,
    CommandInvoked,
    CommunityRef,
    ConversationRef,
    Event,
    MemberLeft,
    MessageChange,
    MessageReceived,
    relay_key,
)
from communitybot.i18n import tr, use_language
from communitybot.logging import INTERACTION_TOKEN_TTL, register_secret
from communitybot.ports import AdapterState

Parent = int | Literal[False] | None
"""A thread's parent channel id; None: a text channel; False: no channel members chat in."""


def _parent_of(channel: object) -> Parent:
    if isinstance(channel, discord.Thread):
        return channel.parent_id
    if isinstance(channel, discord.TextChannel):
        return None
    return False


class DiscordStartupError(Exception):
    """Start-up cannot continue; the message is one line for the operator."""


@dataclass
class DiscordConfig:
    token: str
    application_id: int | None = None
    dev_guild_ids: list[int] = field(default_factory=list)
    shard: bool = False
    defer_after: float = 2.0
    dm_interval: float = 0.05
    guild_ready_timeout: float = 2.0
    message_content: bool = False
    """Ask for the privileged Message Content intent (enable it in the developer portal)."""

    @classmethod
    def from_settings(cls, discord_settings: Any) -> DiscordConfig:
        return cls(
            token=discord_settings.token.get_secret_value(),
            application_id=discord_settings.application_id,
            dev_guild_ids=list(discord_settings.dev_guild_ids),
            shard=discord_settings.shard,
            dm_interval=discord_settings.dm_interval,
            message_content=discord_settings.message_content,
        )


def intents(*, message_content: bool = False) -> discord.Intents:
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.members = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.guild_scheduled_events = True  # "Interested" on a chat's event (not privileged)
    wanted.message_content = message_content
    return wanted


CHAT_MESSAGE_TYPES = (discord.MessageType.default, discord.MessageType.reply)
"""What members type; joins, pins, thread-created notices and the like are not."""


def discord_client(config: DiscordConfig) -> discord.Client:
    """The discord.py client for this configuration (the bootstrap builds the platform on it)."""
    client_class = discord.AutoShardedClient if config.shard else discord.Client
    optional: dict[str, Any] = {}
    if config.application_id:
        optional["application_id"] = config.application_id
    return client_class(
        intents=intents(message_content=config.message_content),
        chunk_guilds_at_startup=False,
        guild_ready_timeout=config.guild_ready_timeout,
        allowed_mentions=discord.AllowedMentions.none(),
        **optional,
    )


def gateway_silence(client: discord.Client) -> float | None:
    """Seconds since the quietest shard's gateway websocket last received anything.

    discord.py exposes only `latency` (heartbeat round trip), not its age, so this reads the
    keep-alive handler's receive time (`_last_recv`, set on every gateway message and
    heartbeat ack, in `time.perf_counter()` seconds). Unknown (None) when discord.py has no
    such handler yet or no longer spells it so: readiness then rests on "connected" alone.
    """
    shards: Any = getattr(client, "shards", None)
    sockets = (
        [getattr(getattr(info, "_parent", None), "ws", None) for info in shards.values()]
        if isinstance(shards, dict) and shards
        else [getattr(client, "ws", None)]
    )
    received = [getattr(getattr(ws, "_keep_alive", None), "_last_recv", None) for ws in sockets]
    times = [t for t in received if isinstance(t, float)]
    if not times:
        return None
    return max(0.0, time.perf_counter() - min(times))


class DiscordBot:
    """One bot application serving its guilds with the shared core.

    It builds nothing of the core: `communitybot.bootstrap` hands it the platform (on the
    client from `discord_client`), the core's `Bot` on that platform and the adapter's state.
    """

    def __init__(
        self, config: DiscordConfig, platform: DiscordPlatform, bot: Bot, state: AdapterState
    ) -> None:
        self.config = config
        self.client = platform.client
        self.platform = platform
        self.bot = bot
        self.state = state
        self.ready = asyncio.Event()
        self.synced_commands = False
        self._parents: dict[int, asyncio.Future[Parent]] = {}
        """What `_thread_parent` found for channels missing from discord.py's cache."""
        client: Any = self.client
        client.on_ready = self._on_ready
        client.on_member_join = self._on_member_join
        client.on_member_remove = self._on_member_remove
        client.on_interaction = self._on_interaction
        client.on_message = self._on_message
        client.on_raw_message_edit = self._on_raw_message_edit
        client.on_raw_message_delete = self._on_raw_message_delete
        client.on_chat_calendar_interest = self._on_calendar_interest
        listen_for_interest(self.client)

    # -- life --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Log in and sync commands if needed; raises DiscordStartupError."""
        try:
            await self.client.login(self.config.token)
        except discord.LoginFailure:
            raise DiscordStartupError(
                "Discord rejected the bot token (COMMUNITYBOT_DISCORD__TOKEN); copy it again "
                "from the developer portal's Bot page"
            ) from None
        except (discord.HTTPException, OSError) as error:
            raise DiscordStartupError(f"cannot reach Discord ({type(error).__name__})") from None
        application_id = self.client.application_id
        assert application_id is not None  # login() fetched the application
        self.platform.conversations.attach(application_id)
        sync = CommandSync(self.state, application_id, self.config.dev_guild_ids)
        self.synced_commands = await sync.sync_if_changed(self.client.http)
        if self.synced_commands:
            logger.info("slash commands registered (the command catalogue changed)")

    async def run(self) -> None:
        """Stay connected until cancelled or closed."""
        try:
            await self.client.connect(reconnect=True)
        except discord.PrivilegedIntentsRequired:
            wanted = "Server Members" + (
                " and Message Content intents" if self.config.message_content else " intent"
            )
            raise DiscordStartupError(
                f"Discord refused the {wanted}: enable it on the developer portal's Bot page"
            ) from None

    async def serve(self) -> None:
        try:
            await self.start()
            await self.run()
        finally:
            await self.close()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.client.close()

    # -- gateway events ----------------------------------------------------------------------

    def last_heard(self) -> float | None:
        """Seconds since the gateway last sent anything (an event or a heartbeat ack), for the
        dashboard's /readyz; None before the first connection."""
        return gateway_silence(self.client)

    async def _on_ready(self) -> None:
        logger.info("Discord bot ready in {} guild(s)", len(self.client.guilds))
        self.ready.set()

    async def _on_calendar_interest(self, guild_id: str, event_id: str, user_id: str) -> None:
        """A member marked an event Interested: ours becomes the core's reminder offer."""
        picked = await self.platform.calendar.interest(guild_id, event_id, user_id)
        if picked is not None:
            await self._dispatch(picked)

    async def _on_member_join(self, member: discord.Member) -> None:
        if member.bot:
            return
        event = member_joined(
            member.guild.id, {"id": member.id, "global_name": member.display_name}
        )
        await self._dispatch(event)

    async def _on_member_remove(self, member: discord.Member) -> None:
        if not member.bot:
            await self._dispatch(
                MemberLeft(community_ref(member.guild.id), user_ref(member.id, member.display_name))
            )

    async def _on_message(self, message: discord.Message) -> None:
        """Typed answers in DMs (onboarding works without components too); members' messages
        in guild channels and threads."""
        if message.author.bot or message.webhook_id is not None:
            return
        if message.guild is not None:
            if message.content and await self._in_own_welcome_thread(message):
                await self._dispatch(
                    MessageReceived(
                        community_ref(message.guild.id),
                        user_ref(message.author.id, message.author.display_name),
                        ConversationRef(PLATFORM, "thread", str(message.channel.id)),
                        message.content,
                    )
                )
                return
            await self._on_channel_message(message)
            return
        if not message.content:
            return
        community = await self._dm_community(message.channel.id, message.author.id)
        if community is None:
            return
        await self._dispatch(
            MessageReceived(
                community,
                user_ref(message.author.id, message.author.display_name),
                conversation(message.channel.id, is_dm=True),
                message.content,
            )
        )

    async def _in_own_welcome_thread(self, message: discord.Message) -> bool:
        """Whether this is the author's private thread standing in for a DM (their DMs are
        closed): what they type there is a private answer, like a DM, not channel chatter."""
        assert message.guild is not None
        thread = await self.platform.conversations.fallback_thread(
            str(message.guild.id), str(message.author.id)
        )
        return thread is not None and thread == message.channel.id

    async def _on_channel_message(
        self, message: discord.Message, change: MessageChange = "posted"
    ) -> None:
        """A member's message in a channel or thread → ChannelMessage (text may be empty
        without the Message Content intent: taking part still counts), or its new text."""
        if message.type not in CHAT_MESSAGE_TYPES or message.guild is None:
            return
        parent_id = await self._thread_parent(message.channel)
        if parent_id is False:
            return  # not a text channel or thread (e.g. a voice channel's chat)
        reference = message.reference
        replied = (reference.resolved or reference.cached_message) if reference else None
        reply_to = (
            replied.author.id
            if isinstance(replied, discord.Message)
            and not replied.author.bot
            and replied.webhook_id is None
            else None
        )
        await self._dispatch(
            channel_message(
                guild_id=message.guild.id,
                author=user_ref(message.author.id, message.author.display_name),
                channel_id=message.channel.id,
                parent_id=parent_id,
                text=message.content,
                message_id=message.id,
                reply_to_user_id=reply_to,
                mentioned_user_ids=[user.id for user in message.mentions if not user.bot],
                change=change,
                reply_to_key=await self._reply_key(message),
                avatar_url=message.author.display_avatar.url,
                attachment_urls=[attachment.url for attachment in message.attachments],
            )
        )

    async def _reply_key(self, message: discord.Message) -> str | None:
        """The relay key of the message this one replies to: the original's when it replies to
        one of our relayed copies (a network chat threads it under the source), else its own.
        A forwarded message is not a reply."""
        reference = message.reference
        if reference is None or reference.message_id is None:
            return None
        if reference.type is not discord.MessageReferenceType.default:
            return None
        source = await self.platform.relays.source_of(reference.message_id)
        return source or relay_key(PLATFORM, str(reference.message_id))

    async def _on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """A member edited their message in a guild channel or thread → "edited". Bots and
        webhooks (our relayed copies among them) never reach the core, nor do updates that are
        not an edit of the text (a link preview resolved, a pin: no `edited_timestamp`, or the
        same text as the cached message)."""
        message = payload.message
        if message.author.bot or message.webhook_id is not None or message.guild is None:
            return
        if message.edited_at is None:
            return
        before = payload.cached_message
        if before is not None and before.content == message.content:
            return
        if await self._in_own_welcome_thread(message):
            return  # a private answer, not channel chatter
        await self._on_channel_message(message, "edited")

    async def _on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """A message deleted in a guild channel or thread → "deleted". Discord does not say who
        deleted it: the user is its author when the message was cached, else the bot itself.
        Bots' and webhooks' messages (our copies: known in the relay's table) are ignored."""
        if payload.guild_id is None:
            return
        cached = payload.cached_message
        if cached is not None and (cached.author.bot or cached.webhook_id is not None):
            return
        if await self.platform.relays.source_of(payload.message_id) is not None:
            return
        channel: Any = self.client.get_channel(
            payload.channel_id
        ) or self.client.get_partial_messageable(payload.channel_id, guild_id=payload.guild_id)
        parent_id = await self._thread_parent(channel)
        if parent_id is False:
            return
        author: Any = cached.author if cached is not None else self.client.user
        if author is None:
            return
        await self._dispatch(
            channel_message(
                guild_id=payload.guild_id,
                author=user_ref(author.id, author.display_name),
                channel_id=payload.channel_id,
                parent_id=parent_id,
                text="",
                message_id=payload.message_id,
                change="deleted",
            )
        )

    async def _thread_parent(self, channel: Any) -> Parent:
        """A thread's parent channel id, None for a text channel, False for anything else.

        A channel missing from the cache (a partial channel) is fetched once: messages
        arriving meanwhile wait for the same lookup, and the answer is remembered.
        """
        if not isinstance(channel, discord.PartialMessageable):
            return _parent_of(channel)
        lookup = self._parents.get(channel.id)
        if lookup is None:
            lookup = asyncio.ensure_future(self._fetch_parent(channel.id))
            self._parents[channel.id] = lookup
        return await asyncio.shield(lookup)

    async def _fetch_parent(self, channel_id: int) -> Parent:
        try:
            fetched = await self.client.fetch_channel(channel_id)
        except discord.HTTPException as error:
            logger.warning("cannot see channel {} of a message: {}", channel_id, error)
            self._parents.pop(channel_id, None)  # ask again next time
            return False
        return _parent_of(fetched)

    async def _dm_community(self, channel_id: int | None, user_id: int) -> CommunityRef | None:
        """The guild a DM conversation belongs to: the one we last wrote from, or the only one."""
        known = await self.platform.conversations.dm_guild(str(channel_id)) if channel_id else None
        if known:
            return community_ref(known)
        guilds = [g for g in self.client.guilds if g.get_member(user_id) is not None]
        if len(guilds) == 1 or len(self.client.guilds) == 1:
            return community_ref((guilds or self.client.guilds)[0].id)
        return None

    async def _on_interaction(self, interaction: discord.Interaction) -> None:
        # Its token answers as the bot for 15 minutes: never let a log line show it.
        register_secret(interaction.token, ttl=INTERACTION_TOKEN_TTL)
        data: dict[str, Any] = dict(interaction.data or {})
        community = (
            community_ref(interaction.guild_id)
            if interaction.guild_id
            else await self._dm_community(interaction.channel_id, interaction.user.id)
        )
        if community is None:
            return
        user = user_ref(interaction.user.id, interaction.user.display_name)
        where = conversation(interaction.channel_id or 0, is_dm=interaction.guild_id is None)
        slot = InteractionSlot(interaction)
        match interaction.type:
            case discord.InteractionType.application_command:
                event = command_invoked(data, community, user, where)
                command = find_command(event.path)
                await self._dispatch(event, slot, ephemeral=command.ephemeral if command else True)
            case discord.InteractionType.autocomplete:
                await self._autocomplete(interaction, data, community)
            case discord.InteractionType.component:
                if opens_modal(data):
                    language = await self.bot.language_of(
                        community, user, str(interaction.locale.value)
                    )
                    with use_language(language):
                        title = tr("Your answer")
                        modal = answer_modal(prompt_id_of(data), title, modal_max_length(data))
                    await interaction.response.send_modal(modal)
                    return
                picked = choice_picked(data, community, user, where)
                if picked is not None:
                    await self._dispatch(picked, slot)
            case discord.InteractionType.modal_submit:
                await self._dispatch(modal_submitted(data, community, user, where), slot)

    async def _autocomplete(
        self, interaction: discord.Interaction, data: dict[str, Any], community: CommunityRef
    ) -> None:
        """Tag names matching what is being typed (the last piece of a list)."""
        _, option, typed = focused_option(data)
        choices: list[discord.app_commands.Choice[str]] = []
        if option is not None and option.autocomplete == "tags":
            tags = await self.platform.queries.tags(community)
            choices = [
                discord.app_commands.Choice(name=value, value=value)
                for value in tag_suggestions(typed, tags, MAX_AUTOCOMPLETE)
            ]
        await interaction.response.autocomplete(choices)

    async def _dispatch(
        self, event: Event, slot: InteractionSlot | None = None, *, ephemeral: bool = True
    ) -> None:
        """Hand the event to the core; one from an interaction carries it as its reply handle
        (the platform answers that interaction), and its member is the acting one meanwhile."""
        if slot is not None and isinstance(event, CommandInvoked | ChoicePicked | MessageReceived):
            # The client's language, for a member who chose none (`communitybot.i18n.choice`).
            event = replace(event, reply_handle=slot, locale=str(slot.interaction.locale.value))
        deferral = (
            asyncio.create_task(self._defer_later(slot, ephemeral)) if slot is not None else None
        )
        try:
            with self.platform.acting.during(slot.interaction if slot is not None else None):
                await self.bot.dispatch(event)
        except Exception:  # one event must never stop the client
            logger.exception("handling a Discord {} failed", type(event).__name__)
        finally:
            if deferral is not None:
                deferral.cancel()

    async def _defer_later(self, slot: InteractionSlot, ephemeral: bool) -> None:
        await asyncio.sleep(self.config.defer_after)
        try:
            await self.platform.defer(slot, ephemeral=ephemeral)
        except discord.HTTPException as error:
            logger.warning("could not defer a slow interaction: {}", error)
