"""A loopback double of Discord's gateway and REST API for the real discord.py client.

One aiohttp app on 127.0.0.1 (ephemeral port) serves both:
- the gateway websocket at `/gateway`: HELLO (op 10), heartbeat ACK (op 11), IDENTIFY (op 2) →
  READY then GUILD_CREATE with one guild (two with `second_guild`), its channels, roles and
  members; tests push GUILD_MEMBER_ADD, INTERACTION_CREATE and MESSAGE_CREATE dispatches
  with `add_member()` / `interact()` / `say_in_dm()` / `say_in_channel()` (a member's message
  in a guild channel or thread, optionally a reply with mentions);
- the REST API under `/api/v10`, answering the handful of routes the adapter uses with payloads
  shaped as in Discord's published API, and recording every call (with its status and arrival
  time) in `calls`. It can answer some DM posts with a 429 (`rate_limit_every`), as Discord does
  under a burst, and a deleted thread with 404 Unknown Channel (`deleted_channels`).
  Threads: private ones in a channel (POST /channels/{id}/threads, members added with PUT
  /thread-members/{user}), public ones on a message (POST …/messages/{id}/threads, the thread's
  id is the message's); each is announced with THREAD_CREATE as Discord does. The
  `NO_THREADS_CHANNEL` denies thread creation to everyone (overwrite + 50013 on the route).
  Guild scheduled events: created, edited, listed and deleted with Discord's field rules (403
  without `manage_events`), announced to a client with the intent; `mark_interested()` sends
  GUILD_SCHEDULED_EVENT_USER_ADD, `delete_event_by_hand()` / `start_event_by_hand()` act as a
  moderator would.

Webhooks (the relay of network chats): see the "Webhooks (relay)" section of the class.

Files: message posts, interaction responses and follow-ups may come as multipart/form-data
(`payload_json` plus `files[n]` parts), as discord.py sends an upload; the JSON part becomes the
call's `body`, the files are recorded in `Call.files` and listed in the created message's
`attachments`. A request whose files exceed the upload limit (Discord's default 10 MiB; with
interactions, the `attachment_size_limit` each one carries) is refused with 413 (40005).
Message content past 2,000 characters is refused with 400 (50035), as Discord does, and every
modal the bot opens is checked against Discord's documented shape (Label components).

It is test code: small and faithful, not a Discord. Known traps it respects: Content-Type is
exactly `application/json`, member payloads carry `flags`, user options carry `data.resolved`.
`patched()` points discord.py at the double and restores the real URLs afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import discord
import yarl
from aiohttp import BodyPartReader, WSMsgType, web

APP_ID = "900000000000000001"
GUILD_ID = "910000000000000001"
OTHER_GUILD_ID = "910000000000000002"
"""The second guild (`second_guild=True`): every user is a member of both."""
BOT_ID = APP_ID
OWNER_ID = "920000000000000001"
WELCOME_CHANNEL = "930000000000000001"
MODLOG_CHANNEL = "930000000000000002"
OTHER_WELCOME_CHANNEL = "930000000000000011"
INTRO_CHANNEL = "930000000000000003"
NO_THREADS_CHANNEL = "930000000000000004"
"""A channel where nobody may create threads (a permission overwrite denies it)."""
MOD_ROLE = "940000000000000001"
TAG_ROLE = "940000000000000002"
HIGH_ROLE = "940000000000000003"
"""A role above the bot's: granting it fails with 50013 Missing Permissions."""
BOT_ROLE = "940000000000000004"
"""The bot's own integration role (managed, as Discord makes it when the bot is added)."""
ADMIN_ROLE = "940000000000000005"
"""A role below the bot's that carries Administrator."""
PRIVATE_CHANNEL = "930000000000000005"
"""A channel hidden from @everyone (overwrite denies View Channel); TAG_ROLE may view it."""

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
MANAGE_ROLES = 1 << 28
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
THREAD_PERMISSIONS = CREATE_PUBLIC_THREADS | CREATE_PRIVATE_THREADS | SEND_MESSAGES_IN_THREADS
EVERYONE_PERMISSIONS = (1 << 10) | (1 << 11) | THREAD_PERMISSIONS
"""View channel, send messages and Discord's default thread permissions."""
TIMESTAMP = "2024-01-01T00:00:00.000000+00:00"
GUILD_SCHEDULED_EVENTS_INTENT = 1 << 16


def user_payload(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def role_payload(
    role_id: str, name: str, position: int, permissions: int, *, bot: bool = False
) -> dict[str, Any]:
    """A role object as Discord sends it: `permissions` is a string bitfield; a bot's own
    role is `managed` with `tags.bot_id`."""
    payload: dict[str, Any] = {
        "id": role_id,
        "name": name,
        "color": 0,
        "hoist": False,
        "position": position,
        "permissions": str(permissions),
        "managed": bot,
        "mentionable": False,
        "flags": 0,
    }
    if bot:
        payload["tags"] = {"bot_id": BOT_ID}
    return payload


def member_payload(user: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    return {
        "user": user,
        "nick": None,
        "roles": roles,
        "joined_at": TIMESTAMP,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
    }


UPLOAD_LIMIT = 10 * 1024 * 1024
"""Discord's documented default upload limit per request (bytes)."""
MAX_CONTENT = 2000
"""Discord refuses a message whose content is longer (50035 Invalid Form Body)."""
TEXT_INPUT = 4
LABEL = 18


@dataclass(frozen=True)
class Upload:
    """One file part of a multipart request (`files[n]`)."""

    field: str
    filename: str
    content: bytes
    content_type: str


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0
    at: float = 0.0
    """`time.perf_counter()` when the request arrived (benchmarks measure latency with it)."""
    files: list[Upload] = field(default_factory=list)
    """The files uploaded with the request (multipart/form-data), in order."""


@dataclass
class DiscordDouble:
    """State of the fake Discord: who exists, who refuses DMs, what was called."""

    calls: list[Call] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    member_roles: dict[str, list[str]] = field(default_factory=dict)
    dm_refusers: set[str] = field(default_factory=set)
    deleted_channels: set[str] = field(default_factory=set)
    rate_limit_every: int = 0
    """Answer every n-th DM post with a 429 (retry_after 10 ms) instead of delivering it."""
    second_guild: bool = False
    departed: set[str] = field(default_factory=set)
    """Users who left (not in GUILD_CREATE's member list after a reconnect)."""
    valid_token: str = "test-token"
    port: int = 0
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(950000000000000001))
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _seq: int = 0
    _dm_channels: dict[str, str] = field(default_factory=dict)
    _dm_recipients: dict[str, str] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _dm_posts: int = 0
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Threads the bot created, by id, as Discord describes them."""
    thread_members: dict[str, list[str]] = field(default_factory=dict)
    """Who was added to each thread (PUT /thread-members), in order."""
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Every message created (by the bot through REST or a member's `say_in_channel`)."""
    deleted_messages: set[str] = field(default_factory=set)
    nonces: dict[tuple[str, str], str] = field(default_factory=dict)
    """(channel, nonce) → message id: a post with `enforce_nonce` and a nonce already used in
    that channel returns the existing message instead of creating one, as Discord does."""
    no_thread_channels: set[str] = field(default_factory=lambda: {NO_THREADS_CHANNEL})
    """Channels where creating a thread fails with 50013 Missing Permissions."""
    unknown_members: set[str] = field(default_factory=set)
    """Users Discord no longer knows: adding them to a thread fails with 10007."""
    _waiters: list[asyncio.Future[None]] = field(default_factory=list)
    _uploads: list[Upload] = field(default_factory=list)
    """The files of the request being routed (listed in the message it creates)."""
    identified: asyncio.Event = field(default_factory=asyncio.Event)
    interaction_upload_limit: int = UPLOAD_LIMIT
    """`attachment_size_limit` of every interaction (a boosted server's is bigger); uploads with
    interaction responses and follow-ups may be this big."""
    modals: list[dict[str, Any]] = field(default_factory=list)
    """Every modal the bot opened (callback type 9 data), after validation."""
    # Webhooks (relay): see the "Webhooks (relay)" section below.
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Channel webhooks by id, as Discord describes them (with their token)."""
    deleted_webhooks: set[str] = field(default_factory=set)
    """Webhooks deleted (by a moderator): executing one is 404 Unknown Webhook (10015)."""
    no_webhook_channels: set[str] = field(default_factory=set)
    """Channels where the bot lacks Manage Webhooks: listing or creating webhooks is 403."""
    webhook_executes: dict[str, list[float]] = field(default_factory=dict)
    """Each webhook's accepted executions, by arrival time (`time.monotonic()`)."""
    webhook_limit: int = 5
    webhook_window: float = 2.0
    """Discord's webhook rate limit: more than `webhook_limit` executions within
    `webhook_window` seconds are answered 429."""
    _query: dict[str, str] = field(default_factory=dict)
    """The query string of the request being routed."""
    scheduled_events: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Guild scheduled events by id, as Discord describes them (see "Guild scheduled events")."""
    manage_events: bool = True
    """False: the bot lacks Manage Events (scheduled-event writes answer 403, 50013)."""
    intents: int = 0
    """The intents the client identified with."""

    def __post_init__(self) -> None:
        self.users[BOT_ID] = user_payload(BOT_ID, "communitybot", bot=True)
        self.add_user(OWNER_ID, "owner", roles=[])

    # -- set-up ------------------------------------------------------------------------------

    def add_user(self, user_id: str, name: str, roles: list[str] | None = None) -> None:
        self.users[user_id] = user_payload(user_id, name)
        self.member_roles[user_id] = list(roles or [])

    def next_id(self) -> str:
        return str(next(self._ids))

    async def start(self) -> None:
        app = web.Application(client_max_size=4 * UPLOAD_LIMIT)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        for socket in list(self._sockets):
            with contextlib.suppress(Exception):
                await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @contextlib.contextmanager
    def patched(self) -> Iterator[None]:
        """Point discord.py's two base URLs at this double; restore them afterwards."""
        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = f"http://127.0.0.1:{self.port}/api/v10"
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
            f"ws://127.0.0.1:{self.port}/gateway"
        )
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    # -- what tests read ---------------------------------------------------------------------

    def rest(self, method: str, contains: str = "", saying: str = "") -> list[Call]:
        """Calls by method, part of the path and (optionally) text in the JSON body."""
        return [
            c
            for c in self.calls
            if c.method == method
            and contains in c.path
            and (not saying or saying in json.dumps(c.body or ""))
        ]

    def delivered(self, channel_id: str) -> list[Call]:
        """Messages actually created in a channel (refused and rate-limited posts left out)."""
        path = f"/channels/{channel_id}/messages"
        return [c for c in self.rest("POST", path) if c.path == path and c.status == 200]

    async def wait_for(
        self,
        method: str,
        contains: str = "",
        count: int = 1,
        within: float = 5.0,
        saying: str = "",
    ) -> list[Call]:
        """The matching calls once at least `count` happened (fails the test on timeout)."""
        await self.wait_until(lambda: len(self.rest(method, contains, saying)) >= count, within)
        return self.rest(method, contains, saying)

    async def wait_until(self, condition: Callable[[], bool], within: float = 5.0) -> None:
        """Return once `condition()` holds, checked after every REST call (fails on timeout)."""
        async with asyncio.timeout(within):
            while not condition():
                await self.next_call()

    async def next_call(self) -> None:
        """Return once the next REST call has been answered."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        await waiter

    # -- the gateway -------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41250}})
        async for frame in socket:
            if frame.type != WSMsgType.TEXT:
                break
            message = json.loads(frame.data)
            if message["op"] == 1:
                await socket.send_json({"op": 11})
            elif message["op"] == 2:
                await self._identify(socket, message["d"])
        self._sockets.remove(socket)
        return socket

    async def _identify(self, socket: web.WebSocketResponse, identify: dict[str, Any]) -> None:
        if identify.get("token") != self.valid_token:
            await socket.close(code=4004, message=b"Authentication failed.")
            return
        self.intents = int(identify.get("intents") or 0)
        await self._dispatch(
            socket,
            "READY",
            {
                "v": 10,
                "user": self.users[BOT_ID],
                "guilds": [{"id": g, "unavailable": True} for g in self.guild_ids()],
                "session_id": "session-1",
                "resume_gateway_url": f"ws://127.0.0.1:{self.port}/gateway",
                "application": {"id": APP_ID, "flags": 0},
            },
        )
        for guild_id in self.guild_ids():
            await self._dispatch(socket, "GUILD_CREATE", self.guild_payload(guild_id))
        self.identified.set()

    def guild_ids(self) -> list[str]:
        return [GUILD_ID, OTHER_GUILD_ID] if self.second_guild else [GUILD_ID]

    async def _dispatch(self, socket: web.WebSocketResponse, event: str, data: Any) -> None:
        self._seq += 1
        await socket.send_json({"op": 0, "t": event, "s": self._seq, "d": data})

    async def push(self, event: str, data: Any) -> None:
        """Send a dispatch to every connected client."""
        for socket in list(self._sockets):
            await self._dispatch(socket, event, data)

    def guild_payload(self, guild_id: str = GUILD_ID) -> dict[str, Any]:
        def channel(channel_id: str, name: str, position: int) -> dict[str, Any]:
            denied = THREAD_PERMISSIONS if channel_id == NO_THREADS_CHANNEL else 0
            overwrites = (
                [{"id": guild_id, "type": 0, "allow": "0", "deny": str(denied)}] if denied else []
            )
            if channel_id == PRIVATE_CHANNEL:
                overwrites = [
                    {"id": guild_id, "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)},
                    {"id": TAG_ROLE, "type": 0, "allow": str(VIEW_CHANNEL), "deny": "0"},
                    {"id": BOT_ID, "type": 1, "allow": str(VIEW_CHANNEL), "deny": "0"},
                ]
            return {
                "id": channel_id,
                "type": 0,
                "guild_id": guild_id,
                "name": name,
                "position": position,
                "permission_overwrites": overwrites,
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "rate_limit_per_user": 0,
            }

        members = [member_payload(self.users[BOT_ID], [BOT_ROLE] if guild_id == GUILD_ID else [])]
        members += [
            member_payload(self.users[uid], roles)
            for uid, roles in self.member_roles.items()
            if uid not in self.departed
        ]
        main = guild_id == GUILD_ID
        return {
            "id": guild_id,
            "name": "Teachers' Lounge" if main else "Science Staffroom",
            "icon": None,
            "owner_id": OWNER_ID,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "features": [],
            "roles": [
                role_payload(guild_id, "@everyone", 0, EVERYONE_PERMISSIONS),
                role_payload(MOD_ROLE, "Moderators", 1, MANAGE_GUILD),
                role_payload(TAG_ROLE, "Maths teachers", 2, 0),
                role_payload(HIGH_ROLE, "Admins", 9, ADMINISTRATOR),
                role_payload(ADMIN_ROLE, "Helpers", 3, ADMINISTRATOR),
                role_payload(BOT_ROLE, "communitybot", 5, MANAGE_ROLES, bot=True),
            ]
            if main
            else [role_payload(guild_id, "@everyone", 0, EVERYONE_PERMISSIONS)],
            "channels": [
                channel(WELCOME_CHANNEL, "welcome", 0),
                channel(MODLOG_CHANNEL, "mod-log", 1),
                channel(INTRO_CHANNEL, "introductions", 2),
                channel(NO_THREADS_CHANNEL, "announcements", 3),
                channel(PRIVATE_CHANNEL, "staff-only", 4),
            ]
            if main
            else [channel(OTHER_WELCOME_CHANNEL, "welcome", 0)],
            "members": members,
            "member_count": len(members),
            "emojis": [],
            "stickers": [],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "large": False,
            "unavailable": False,
            "joined_at": TIMESTAMP,
        }

    async def add_member(self, user_id: str, name: str, guild_id: str = GUILD_ID) -> None:
        """A new member joins a guild: GUILD_MEMBER_ADD."""
        self.add_user(user_id, name)
        self.departed.discard(user_id)
        await self.push(
            "GUILD_MEMBER_ADD", {**member_payload(self.users[user_id], []), "guild_id": guild_id}
        )

    async def remove_member(self, user_id: str, guild_id: str = GUILD_ID) -> None:
        """A member leaves a guild: GUILD_MEMBER_REMOVE (discord.py ignores re-adds otherwise)."""
        self.departed.add(user_id)
        await self.push("GUILD_MEMBER_REMOVE", {"guild_id": guild_id, "user": self.users[user_id]})

    async def say_in_dm(self, user_id: str, content: str) -> str:
        """The member types a message in their DM channel with the bot: MESSAGE_CREATE."""
        channel_id = str(self._dm_channel(user_id)["id"])
        await self.push(
            "MESSAGE_CREATE",
            {
                **self.message(channel_id, {"content": content}, author=self.users[user_id]),
                "nonce": self.next_id(),
            },
        )
        return channel_id

    async def say_in_channel(
        self,
        user_id: str,
        channel_id: str,
        content: str,
        *,
        reply_to: str | None = None,
        mentions: tuple[str, ...] = (),
        guild_id: str = GUILD_ID,
        attachments: tuple[str, ...] = (),
    ) -> str:
        """A member posts in a guild channel or thread: MESSAGE_CREATE; the message's id.

        `reply_to` is a message id (its author and content come along as Discord's
        `referenced_message`); `mentions` are user ids mentioned in the text. Content is sent
        as given: the double does not model the Message Content intent.
        """
        payload = self.message(channel_id, {"content": content}, author=self.users[user_id])
        payload |= {
            "guild_id": guild_id,
            "member": member_payload(self.users[user_id], self.member_roles.get(user_id, [])),
            "mentions": [self.users[m] for m in mentions],
            "nonce": self.next_id(),
            "attachments": [self._file(name) for name in attachments],
        }
        if reply_to is not None:
            payload |= {
                "type": 19,
                "message_reference": {
                    "type": 0,
                    "message_id": reply_to,
                    "channel_id": channel_id,
                    "guild_id": guild_id,
                },
                "referenced_message": self.messages.get(reply_to),
            }
        self.messages[payload["id"]] = payload
        await self.push("MESSAGE_CREATE", payload)
        return str(payload["id"])

    def permissions_of(self, user_id: str) -> int:
        if user_id == OWNER_ID:
            return (1 << 41) - 1
        total = EVERYONE_PERMISSIONS
        if MOD_ROLE in self.member_roles.get(user_id, []):
            total |= MANAGE_GUILD
        return total

    async def interact(
        self,
        user_id: str,
        kind: int,
        data: dict[str, Any],
        *,
        in_guild: bool = True,
        channel_id: str = WELCOME_CHANNEL,
        message: dict[str, Any] | None = None,
        locale: str = "en-GB",
    ) -> str:
        """Push an INTERACTION_CREATE (2 command, 3 component, 4 autocomplete, 5 modal); its id.
        `locale`: the language of the member's Discord client."""
        interaction_id = self.next_id()
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": APP_ID,
            "type": kind,
            "data": data,
            "token": f"token-{interaction_id}",
            "version": 1,
            "locale": locale,
            "app_permissions": str((1 << 41) - 1),
            "entitlements": [],
            "authorizing_integration_owners": {"0": GUILD_ID},
            "context": 0 if in_guild else 1,
            "attachment_size_limit": self.interaction_upload_limit,
        }
        if in_guild:
            member = member_payload(self.users[user_id], self.member_roles.get(user_id, []))
            member["permissions"] = str(self.permissions_of(user_id))
            payload |= {
                "guild_id": GUILD_ID,
                "guild_locale": "en-US",
                "channel_id": channel_id,
                "channel": self.threads.get(channel_id)
                or {"id": channel_id, "type": 0, "guild_id": GUILD_ID, "name": "welcome"},
                "member": member,
            }
        else:
            payload |= {
                "channel_id": channel_id,
                "channel": {"id": channel_id, "type": 1, "recipients": [self.users[user_id]]},
                "user": self.users[user_id],
            }
        if message is not None:
            payload["message"] = message
        await self.push("INTERACTION_CREATE", payload)
        return interaction_id

    # -- the REST API ------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        at = time.perf_counter()
        body: Any = None
        files: list[Upload] = []
        if request.content_type == "multipart/form-data":
            body, files = await _multipart(request)
        elif request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw and request.content_type == "application/json" else raw
        call = Call(request.method, path, dict(request.query), body, at=at, files=files)
        self.calls.append(call)
        if request.headers.get("Authorization") != f"Bot {self.valid_token}" and not (
            path.startswith("/interactions/") or path.startswith("/webhooks/")
        ):
            response = _json({"message": "401: Unauthorized", "code": 0}, 401)
        elif sum(len(f.content) for f in files) > self._upload_limit(path):
            response = _json({"message": "Request entity too large", "code": 40005}, 413)
        elif (refusal := _invalid_body(body)) is not None:
            response = refusal
        else:
            self._uploads = files
            self._query = dict(request.query)
            response = await self._route(request.method, path.split("/")[1:], body)
            self._uploads = []
        call.status = response.status
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
        return response

    async def _route(self, method: str, parts: list[str], body: Any) -> web.Response:
        match method, parts:
            case "GET", ["gateway"] | ["gateway", "bot"]:
                return _json(
                    {
                        "url": f"ws://127.0.0.1:{self.port}/gateway",
                        "shards": 1,
                        "session_start_limit": {
                            "total": 1000,
                            "remaining": 1000,
                            "reset_after": 0,
                            "max_concurrency": 1,
                        },
                    }
                )
            case "GET", ["users", "@me"]:
                return _json(self.users[BOT_ID])
            case "GET", ["oauth2", "applications", "@me"] | ["applications", "@me"]:
                return _json(self._application())
            case "PUT", ["applications", _, "commands"] | [
                "applications",
                _,
                "guilds",
                _,
                "commands",
            ]:
                return _json([self._command(c) for c in body])
            case "POST", ["interactions", interaction_id, _, "callback"]:
                return self._callback(interaction_id, body)
            case "POST", ["users", "@me", "channels"]:
                return _json(self._dm_channel(str(body["recipient_id"])))
            case "POST", ["channels", channel_id, "messages"]:
                if channel_id in self.deleted_channels:
                    return _json({"message": "Unknown Channel", "code": 10003}, 404)
                recipient = self.dm_recipient(channel_id)
                if recipient in self.dm_refusers:
                    return _json(
                        {"message": "Cannot send messages to this user", "code": 50007}, 403
                    )
                if recipient is not None and self._rate_limited():
                    return _rate_limit()
                nonce = body.get("nonce") if body.get("enforce_nonce") else None
                if nonce is not None and (channel_id, nonce) in self.nonces:
                    return _json(self.messages[self.nonces[channel_id, nonce]])  # a repeat
                created = self.message(channel_id, body)
                if nonce is not None:
                    self.nonces[channel_id, nonce] = created["id"]
                return _json(created)
            case "DELETE", ["channels", channel_id, "messages", message_id]:
                self.deleted_messages.add(message_id)
                return web.Response(status=204)
            case "POST", ["channels", channel_id, "messages", message_id, "threads"]:
                if channel_id in self.no_thread_channels:
                    return _json({"message": "Missing Permissions", "code": 50013}, 403)
                return _json(await self._start_thread(channel_id, body, message_id))
            case "GET", ["channels", channel_id]:
                if channel_id not in self.threads:
                    return _json({"message": "Unknown Channel", "code": 10003}, 404)
                return _json(self.threads[channel_id])
            case "DELETE", ["channels", channel_id]:
                self.deleted_channels.add(channel_id)
                return _json(self.threads.get(channel_id, {"id": channel_id}))
            case "PUT" | "DELETE", ["guilds", _, "members", user_id, "roles", role_id]:
                if role_id == HIGH_ROLE:
                    return _json({"message": "Missing Permissions", "code": 50013}, 403)
                roles = self.member_roles.setdefault(user_id, [])
                if method == "PUT" and role_id not in roles:
                    roles.append(role_id)
                if method == "DELETE" and role_id in roles:
                    roles.remove(role_id)
                return web.Response(status=204)
            case "POST", ["channels", channel_id, "threads"]:
                if channel_id in self.no_thread_channels:
                    return _json({"message": "Missing Permissions", "code": 50013}, 403)
                return _json(await self._start_thread(channel_id, body))
            case "PUT", ["channels", thread_id, "thread-members", user_id]:
                if user_id in self.unknown_members:
                    return _json({"message": "Unknown Member", "code": 10007}, 404)
                self.thread_members.setdefault(thread_id, []).append(user_id)
                return web.Response(status=204)
            case _ if (relay := await self._webhook_route(method, parts, body)) is not None:
                return relay
            case "POST", ["webhooks", _, _]:
                return _json(self.message(WELCOME_CHANNEL, body))
            case "PATCH", ["webhooks", _, _, "messages", _]:
                return _json(self.message(WELCOME_CHANNEL, body))
            case _, ["guilds", guild_id, "scheduled-events", *rest]:
                return await self._scheduled_event_route(method, guild_id, rest, body)
        return _json({"message": "404: Not Found", "code": 0}, 404)

    def _upload_limit(self, path: str) -> int:
        """Interactions carry their own limit; channel posts have the (unboosted) default."""
        if path.startswith(("/interactions/", "/webhooks/")):
            return self.interaction_upload_limit
        return UPLOAD_LIMIT

    def _application(self) -> dict[str, Any]:
        return {
            "id": APP_ID,
            "name": "communitybot",
            "icon": None,
            "description": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.users[OWNER_ID],
            "verify_key": "0" * 64,
            "flags": 0,
            "team": None,
        }

    def _command(self, command: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.next_id(),
            "application_id": APP_ID,
            "version": "1",
            "type": 1,
            "description": "",
            **command,
        }

    def _dm_channel(self, user_id: str) -> dict[str, Any]:
        channel_id = self._dm_channels.setdefault(user_id, self.next_id())
        self._dm_recipients[channel_id] = user_id
        return {
            "id": channel_id,
            "type": 1,
            "last_message_id": None,
            "recipients": [self.users[user_id]],
        }

    def _rate_limited(self) -> bool:
        self._dm_posts += 1
        return self.rate_limit_every > 0 and self._dm_posts % self.rate_limit_every == 0

    def dm_recipient(self, channel_id: str) -> str | None:
        return self._dm_recipients.get(channel_id)

    def dm_channel_of(self, user_id: str) -> str | None:
        return self._dm_channels.get(user_id)

    def message(
        self,
        channel_id: str,
        body: dict[str, Any] | None,
        author: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A message as Discord returns it (the bot's, unless `author` is given); recorded."""
        body = body or {}
        message = {
            "id": self.next_id(),
            "channel_id": channel_id,
            "author": author or self.users[BOT_ID],
            "content": body.get("content") or "",
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [self._attachment(f) for f in self._uploads if author is None],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": body.get("flags", 0),
            "components": body.get("components", []),
        }
        self.messages[message["id"]] = message
        return message

    def _attachment(self, upload: Upload) -> dict[str, Any]:
        attachment_id = self.next_id()
        url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{upload.filename}"
        return {
            "id": attachment_id,
            "filename": upload.filename,
            "size": len(upload.content),
            "url": url,
            "proxy_url": url,
            "content_type": upload.content_type,
        }

    def uploads(self, contains: str = "") -> list[Upload]:
        """Every file the bot uploaded (answered 200) to a path containing `contains`."""
        return [f for c in self.calls if contains in c.path and c.status == 200 for f in c.files]

    def _callback(self, interaction_id: str, body: dict[str, Any]) -> web.Response:
        kind = body["type"]
        data = body.get("data") or {}
        if kind == 9:
            problem = _modal_problem(data)
            if problem is not None:
                return _invalid_form(problem)
            self.modals.append(data)
        answer: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(data.get("flags", 0) & 64),
            },
        }
        if kind in (4, 5, 7):
            message = self.message(WELCOME_CHANNEL, data)
            answer["interaction"]["response_message_id"] = message["id"]
            answer["resource"] = {"type": kind, "message": message}
        return _json(answer)

    @property
    def created_threads(self) -> list[str]:
        return list(self.threads)

    async def _start_thread(
        self, parent_id: str, body: dict[str, Any], message_id: str | None = None
    ) -> dict[str, Any]:
        """A private thread (no message) or a public one on `message_id` (same id); announced
        with THREAD_CREATE like Discord does."""
        thread = self._thread(parent_id, body, message_id)
        await self.push("THREAD_CREATE", {**thread, "newly_created": True})
        return thread

    def _thread(
        self, parent_id: str, body: dict[str, Any], message_id: str | None = None
    ) -> dict[str, Any]:
        thread_id = message_id or self.next_id()
        self.threads[thread_id] = {
            "id": thread_id,
            "type": 11 if message_id else body.get("type", 12),
            "guild_id": GUILD_ID,
            "parent_id": parent_id,
            "owner_id": BOT_ID,
            "name": body.get("name", "thread"),
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 1440),
                "archive_timestamp": TIMESTAMP,
                "locked": False,
                "invitable": body.get("invitable", True),
            },
            "flags": 0,
        }
        return self.threads[thread_id]

    # -- Webhooks (relay) --------------------------------------------------------------------
    # Channel webhooks as the relay of network chats uses them: list and create a channel's
    # webhooks (403 without Manage Webhooks), execute one (?wait=true, ?thread_id=…; 404 Unknown
    # Webhook once deleted; 429 with Discord's rate-limit headers past 5 executions in 2 s per
    # webhook), edit and delete its messages. Like Discord, every execution, edit and deletion
    # is also dispatched on the gateway (MESSAGE_CREATE / MESSAGE_UPDATE / MESSAGE_DELETE), so
    # a test sees the bot ignore its own copies. `edit_in_channel` / `delete_in_channel` are a
    # member's edit and a deletion.

    async def _webhook_route(self, method: str, parts: list[str], body: Any) -> web.Response | None:
        """The answer to a webhook request, or None when the request is about something else
        (an interaction's follow-ups use /webhooks/{application}/{token} too)."""
        match method, parts:
            case "GET", ["channels", channel_id, "webhooks"]:
                if channel_id in self.no_webhook_channels:
                    return _json({"message": "Missing Permissions", "code": 50013}, 403)
                return _json([w for w in self.webhooks.values() if w["channel_id"] == channel_id])
            case "POST", ["channels", channel_id, "webhooks"]:
                if channel_id in self.no_webhook_channels:
                    return _json({"message": "Missing Permissions", "code": 50013}, 403)
                return _json(self.add_webhook(channel_id, str(body.get("name") or "")))
            case _, ["webhooks", webhook_id, token, *rest] if (
                webhook_id in self.webhooks or webhook_id in self.deleted_webhooks
            ):
                if webhook_id in self.deleted_webhooks:
                    return _json({"message": "Unknown Webhook", "code": 10015}, 404)
                if self.webhooks[webhook_id]["token"] != token:
                    return _json({"message": "Invalid Webhook Token", "code": 50027}, 401)
                return await self._webhook_message(method, webhook_id, rest, body or {})
        return None

    def add_webhook(self, channel_id: str, name: str, *, owner: str = BOT_ID) -> dict[str, Any]:
        """A webhook in `channel_id` (the bot's unless `owner` says otherwise)."""
        webhook_id = self.next_id()
        self.webhooks[webhook_id] = {
            "id": webhook_id,
            "type": 1,
            "guild_id": GUILD_ID,
            "channel_id": channel_id,
            "name": name,
            "avatar": None,
            "token": f"secret-webhook-token-{webhook_id}",
            "application_id": None,
            "user": self.users[owner],
        }
        return self.webhooks[webhook_id]

    def delete_webhook(self, webhook_id: str) -> None:
        """A moderator deletes the webhook in the channel's settings."""
        self.webhooks.pop(webhook_id)
        self.deleted_webhooks.add(webhook_id)

    async def _webhook_message(
        self, method: str, webhook_id: str, rest: list[str], body: dict[str, Any]
    ) -> web.Response:
        webhook = self.webhooks[webhook_id]
        channel_id = self._query.get("thread_id") or webhook["channel_id"]
        wait = self._query.get("wait") in ("true", "True", "1")
        author = {
            **user_payload(webhook_id, str(body.get("username") or webhook["name"]), bot=True),
            "avatar": None,
        }
        match method, rest:
            case "POST", []:
                now = time.monotonic()
                recent = [
                    t
                    for t in self.webhook_executes.get(webhook_id, [])
                    if now - t < self.webhook_window
                ]
                if len(recent) >= self.webhook_limit:
                    return _webhook_rate_limit(recent[0] + self.webhook_window - now)
                self.webhook_executes.setdefault(webhook_id, []).append(now)
                created = self.message(channel_id, body, author=author)
                created |= {"webhook_id": webhook_id, "guild_id": GUILD_ID}
                self.messages[created["id"]] = created
                await self.push("MESSAGE_CREATE", created)
                if not wait:
                    return web.Response(status=204)
                return _json(created)
            case "PATCH" | "DELETE", ["messages", message_id]:
                message = self.messages.get(message_id)
                if (
                    message is None
                    or message_id in self.deleted_messages
                    or message.get("webhook_id") != webhook_id
                ):
                    return _json({"message": "Unknown Message", "code": 10008}, 404)
                if method == "DELETE":
                    self.deleted_messages.add(message_id)
                    gone = {"id": message_id, "channel_id": message["channel_id"]}
                    await self.push("MESSAGE_DELETE", gone | {"guild_id": GUILD_ID})
                    return web.Response(status=204)
                message["content"] = body.get("content", message["content"])
                message["edited_timestamp"] = TIMESTAMP
                await self.push("MESSAGE_UPDATE", message)
                return _json(message)
        return _json({"message": "404: Not Found", "code": 0}, 404)

    def webhook_posts(self, channel_id: str) -> list[Call]:
        """Accepted executions of webhooks, into `channel_id` or (with `thread_id`) a thread."""
        return [
            c
            for c in self.calls
            if c.method == "POST"
            and c.path.startswith("/webhooks/")
            and c.status == 200
            and (c.query.get("thread_id") or self._webhook_channel(c.path)) == channel_id
        ]

    def _webhook_channel(self, path: str) -> str | None:
        webhook_id = path.split("/")[2]
        webhook = self.webhooks.get(webhook_id)
        return webhook["channel_id"] if webhook else None

    def live_messages(self, channel_id: str) -> list[dict[str, Any]]:
        """The webhook messages in a channel or thread now (edited, not deleted), in order."""
        return [
            m
            for m in self.messages.values()
            if m.get("webhook_id")
            and m["channel_id"] == channel_id
            and m["id"] not in self.deleted_messages
        ]

    async def edit_in_channel(self, message_id: str, content: str) -> None:
        """The author edits a message they posted with `say_in_channel`: MESSAGE_UPDATE (the
        whole message, as Discord sends it now)."""
        message = self.messages[message_id]
        message["content"] = content
        message["edited_timestamp"] = TIMESTAMP
        await self.push("MESSAGE_UPDATE", message)

    async def delete_in_channel(self, message_id: str) -> None:
        """Someone deletes a message: MESSAGE_DELETE (ids only, as Discord sends it)."""
        message = self.messages[message_id]
        self.deleted_messages.add(message_id)
        await self.push(
            "MESSAGE_DELETE",
            {"id": message_id, "channel_id": message["channel_id"], "guild_id": GUILD_ID},
        )

    def _file(self, name: str) -> dict[str, Any]:
        """An attachment of a member's message."""
        return self._attachment(Upload("files[0]", name, b"x", "application/octet-stream"))

    # -- Guild scheduled events ----------------------------------------------------------------
    # POST/GET /guilds/{id}/scheduled-events, GET/PATCH/DELETE …/scheduled-events/{event}, with
    # Discord's validation of the fields the adapter sends; GUILD_SCHEDULED_EVENT_CREATE/UPDATE/
    # DELETE are announced (with the Guild Scheduled Events intent, as Discord does), and
    # `mark_interested` sends GUILD_SCHEDULED_EVENT_USER_ADD. Events only, no users list.

    async def _scheduled_event_route(
        self, method: str, guild_id: str, rest: list[str], body: Any
    ) -> web.Response:
        if method in ("POST", "PATCH", "DELETE") and not self.manage_events:
            return _json({"message": "Missing Permissions", "code": 50013}, 403)
        match method, rest:
            case "GET", []:
                events = self.scheduled_events.values()
                return _json([e for e in events if e["guild_id"] == guild_id])
            case "POST", []:
                problem = _scheduled_event_problem(body)
                if problem is not None:
                    return _invalid_form(problem[1], problem[0])
                event = self._scheduled_event(guild_id, self.next_id(), body)
                await self._announce_event("GUILD_SCHEDULED_EVENT_CREATE", event)
                return _json(event)
        event_id = rest[0] if len(rest) == 1 else ""
        found = self.scheduled_events.get(event_id)
        if found is None or found["guild_id"] != guild_id:
            return _json({"message": "Unknown Guild Scheduled Event", "code": 10070}, 404)
        match method:
            case "GET":
                return _json(found)
            case "PATCH":
                if found["status"] != 1 and "scheduled_start_time" in body:
                    return _invalid_form(
                        "Cannot change the start time of an active or completed event.",
                        "scheduled_start_time",
                    )
                merged = {**found, **body}
                problem = _scheduled_event_problem(merged)
                if problem is not None:
                    return _invalid_form(problem[1], problem[0])
                event = self._scheduled_event(guild_id, event_id, merged)
                await self._announce_event("GUILD_SCHEDULED_EVENT_UPDATE", event)
                return _json(event)
            case "DELETE":
                await self.delete_event_by_hand(event_id)
                return web.Response(status=204)
        return _json({"message": "405: Method Not Allowed", "code": 0}, 405)

    def _scheduled_event(
        self, guild_id: str, event_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        event = {
            "id": event_id,
            "guild_id": guild_id,
            "channel_id": body.get("channel_id"),
            "creator_id": BOT_ID,
            "creator": self.users[BOT_ID],
            "name": body["name"],
            "description": body.get("description"),
            "scheduled_start_time": body["scheduled_start_time"],
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body["privacy_level"],
            "status": body.get("status", 1),
            "entity_type": body["entity_type"],
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
            "user_count": 0,
            "image": None,
        }
        self.scheduled_events[event_id] = event
        return event

    async def _announce_event(self, kind: str, event: dict[str, Any]) -> None:
        if self.intents & GUILD_SCHEDULED_EVENTS_INTENT:
            await self.push(kind, event)

    async def delete_event_by_hand(self, event_id: str) -> None:
        """The event goes (a moderator deleted it, or the bot did): GUILD_SCHEDULED_EVENT_DELETE."""
        event = self.scheduled_events.pop(event_id)
        await self._announce_event("GUILD_SCHEDULED_EVENT_DELETE", event)

    async def start_event_by_hand(self, event_id: str) -> None:
        """A moderator starts the event (status ACTIVE): its start time can no longer change."""
        self.scheduled_events[event_id]["status"] = 2
        await self._announce_event("GUILD_SCHEDULED_EVENT_UPDATE", self.scheduled_events[event_id])

    async def mark_interested(self, user_id: str, event_id: str, guild_id: str = GUILD_ID) -> None:
        """A member marks an event Interested: GUILD_SCHEDULED_EVENT_USER_ADD (only to a client
        that asked for the Guild Scheduled Events intent, as Discord does)."""
        if self.intents & GUILD_SCHEDULED_EVENTS_INTENT:
            await self.push(
                "GUILD_SCHEDULED_EVENT_USER_ADD",
                {"guild_scheduled_event_id": event_id, "user_id": user_id, "guild_id": guild_id},
            )


async def _multipart(request: web.Request) -> tuple[Any, list[Upload]]:
    """`payload_json` (the JSON body) and the `files[n]` parts of a multipart request."""
    body: Any = None
    files: list[Upload] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        assert isinstance(part, BodyPartReader), "no nested multipart in Discord uploads"
        if part.name == "payload_json":
            body = json.loads(await part.text())
        else:
            files.append(
                Upload(
                    part.name or "",
                    part.filename or "",
                    bytes(await part.read()),
                    part.headers.get("Content-Type", "application/octet-stream"),
                )
            )
    return body, files


def _scheduled_event_problem(body: Any) -> tuple[str, str] | None:
    """(field, problem) when a scheduled event breaks Discord's documented rules, else None:
    name 1-100, description ≤ 1,000, privacy_level 2 (GUILD_ONLY), entity_type 1-3; an
    EXTERNAL (3) event has no channel_id, a location of 1-100 characters and an end time;
    times are ISO 8601 with an offset and the end comes after the start."""
    if not isinstance(body, dict):
        return "data", "a JSON object is expected"
    if not 1 <= len(body.get("name") or "") <= 100:
        return "name", "Must be between 1 and 100 in length."
    if len(body.get("description") or "") > 1000:
        return "description", "Must be 1000 or fewer in length."
    if body.get("privacy_level") != 2:
        return "privacy_level", "Value must be one of {2}."
    if body.get("entity_type") not in (1, 2, 3):
        return "entity_type", "Value must be one of {1, 2, 3}."
    try:
        start = datetime.fromisoformat(str(body.get("scheduled_start_time")))
        end = (
            datetime.fromisoformat(str(body["scheduled_end_time"]))
            if body.get("scheduled_end_time")
            else None
        )
    except ValueError:
        return "scheduled_start_time", "Could not parse the time. Should be ISO8601."
    if start.tzinfo is None or (end is not None and end.tzinfo is None):
        return "scheduled_start_time", "A time needs an offset."
    if body.get("entity_type") == 3:
        location = (body.get("entity_metadata") or {}).get("location") or ""
        if body.get("channel_id") is not None:
            return "channel_id", "Must be null for an EXTERNAL event."
        if not 1 <= len(location) <= 100:
            return "entity_metadata.location", "Must be between 1 and 100 in length."
        if end is None:
            return "scheduled_end_time", "This field is required for an EXTERNAL event."
    if end is not None and end <= start:
        return "scheduled_end_time", "Must be after the start time."
    return None


def _invalid_form(problem: str, field: str = "data") -> web.Response:
    """Discord's 400 Invalid Form Body, with its nested `errors` shape."""
    errors = {field: {"_errors": [{"code": "BASE_TYPE_INVALID", "message": problem}]}}
    return _json({"message": "Invalid Form Body", "code": 50035, "errors": errors}, 400)


def _invalid_body(body: Any) -> web.Response | None:
    """Discord's 400 for message content past 2,000 characters (in a post, an interaction
    response's `data`, a follow-up or an edit), so nothing cut or overflowing passes a test."""
    if not isinstance(body, dict):
        return None
    data = body.get("data") if isinstance(body.get("data"), dict) else body
    content = data.get("content") if isinstance(data, dict) else None
    if isinstance(content, str) and len(content) > MAX_CONTENT:
        return _invalid_form(f"Must be {MAX_CONTENT} or fewer in length.", "content")
    return None


def _modal_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with a modal against Discord's documented shape, or None.

    Top-level components are Labels (type 18: `label` ≤ 45 characters, optional `description`
    ≤ 100, one `component`); a text input inside (type 4) has a `custom_id`, a style 1 or 2, no
    `label` of its own (absent or null), and lengths within 0–4,000. The deprecated action-row
    layout (type 1 holding a labelled text input) is still accepted, as Discord still does.
    """
    if not data.get("custom_id") or not 1 <= len(data.get("title") or "") <= 45:
        return "a modal needs a custom_id and a title of 1-45 characters"
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        return "a modal has 1 to 5 components"
    for component in components:
        if component.get("type") == LABEL:
            if not 1 <= len(component.get("label") or "") <= 45:
                return "a label's text is 1-45 characters"
            if len(component.get("description") or "") > 100:
                return "a label's description is at most 100 characters"
            inner = component.get("component")
            if not isinstance(inner, dict):
                return "a label holds exactly one component"
            if inner.get("type") == TEXT_INPUT and inner.get("label") is not None:
                return "a text input in a label has no label of its own"
            inputs = [inner]
        elif component.get("type") == 1:
            inputs = component.get("components") or []
            if len(inputs) != 1 or not inputs[0].get("label"):
                return "an action row in a modal holds one labelled text input"
        else:
            return f"component type {component.get('type')} cannot be a modal's top level"
        for text_input in inputs:
            if text_input.get("type") != TEXT_INPUT or not text_input.get("custom_id"):
                return "a text input has type 4 and a custom_id"
            if text_input.get("style") not in (1, 2):
                return "a text input's style is 1 or 2"
            if not 1 <= text_input.get("max_length", 4000) <= 4000:
                return "a text input's max_length is 1-4000"
    return None


def _rate_limit() -> web.Response:
    """A 429 as Discord sends it; discord.py retries only when it came through a proxy (Via)."""
    response = _json(
        {"message": "You are being rate limited.", "retry_after": 0.01, "global": False}, 429
    )
    response.headers["Via"] = "1.1 google"
    response.headers["Retry-After"] = "1"
    return response


def _webhook_rate_limit(retry_after: float) -> web.Response:
    """A webhook's 429 with Discord's rate-limit headers (through a proxy: discord.py retries)."""
    wait = max(retry_after, 0.01)
    response = _json(
        {"message": "You are being rate limited.", "retry_after": wait, "global": False}, 429
    )
    response.headers.update(
        {
            "Via": "1.1 google",
            "Retry-After": str(max(1, round(wait))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": f"{wait:.3f}",
            "X-RateLimit-Bucket": "webhook-execute",
            "X-RateLimit-Scope": "shared",
        }
    )
    return response


def _json(payload: Any, status: int = 200) -> web.Response:
    """Exactly `application/json` (no charset): discord.py checks the header verbatim."""
    return web.Response(
        body=json.dumps(payload).encode(),
        status=status,
        headers={"Content-Type": "application/json"},
    )


@contextlib.asynccontextmanager
async def running_double() -> AsyncIterator[DiscordDouble]:
    """A started double with discord.py pointed at it, stopped and unpatched afterwards."""
    double = DiscordDouble()
    await double.start()
    try:
        with double.patched():
            yield double
    finally:
        await double.stop()
