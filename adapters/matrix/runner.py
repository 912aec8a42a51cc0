"""The Matrix bot's life: log in, join the served rooms, then sync for ever.

Decisions worth knowing:
- The events of one sync response are handed to the core in lanes (`lanes.py`): one lane per
  member for their commands, DM messages and membership changes, one per room for plain room
  messages. Each lane keeps sync order; different lanes run concurrently, so one member's burst
  never makes another member wait for the burst's replies to be sent (issue #11). The sync
  token is saved only after every lane of the response is done: a restart continues exactly
  after the last handled batch. (As before, a crash half-way through a response replays the
  events of that response that were already handled.)
- In a room the bot has just joined, everything before its own join is dropped. On the very
  first sync (no saved token) a room whose timeline does not show the bot's join is not
  replayed at all: that is history from before this database existed.
- A limited (gappy) timeline after downtime is filled from `/messages` back to the saved token,
  so commands typed while the bot was down are still answered. The gaps are fetched before
  any event of the response is handled: the homeserver vanishing meanwhile means retrying the
  same response, never a dead sync loop or an event handled twice.
- Homeserver unreachable or 5xx: back off (doubling, capped) and retry the same sync token;
  nothing is lost. A revoked token stops the bot.
- 429s are waited out by matrix-nio itself (it sleeps `retry_after_ms` and repeats the request),
  bounded by `RATE_LIMIT_RETRIES`; a sync still limited after that waits at least the server's
  `retry_after_ms` before the next try.
- Kicked from a served room: logged once (who, why), the room is marked departed so nothing is
  posted there, and every other room carries on. A moderator's invite brings the bot back.
- A member who leaves their DM room: the bot forgets and leaves that room, and the next DM opens
  a fresh one (never a message into a room nobody reads).
- Invites: see `invites.py` (served rooms, moderators' invites, members' DMs).
- Members' plain messages in served rooms become `ChannelMessage` (a running topic chat
  listens); commands stay commands, the bot's own messages and notices are never forwarded.
  They follow the same once-only rules as commands: history before the bot's join and
  before the first sync is dropped, a restart resumes after the last handled batch, and
  what was said during downtime arrives once. Who a reply answers comes from a bounded
  memory of recent senders, else one `/event` lookup.
- For network chats (issue #15): a member's edit (`m.replace`) reaches the core as
  `change="edited"` of the original (never as a new message or a command), a redaction as
  `change="deleted"` (the user is the redactor), a reply to one of the bot's copies names the
  original's relay key, and a file is a message with its download link. The bot's copies, and
  edits and redactions of them, never reach the core.
- End-to-end encryption (issue #18, `crypto.py`, on by default): nio decrypts each sync's
  events before they are handled, so encrypted commands, DM answers and chat messages take
  the plain path; keys are exchanged after each sync. An event still locked waits for its key
  and is handled when it comes (once), or the room gets one note asking to resend. Off, an
  encrypted served room is reported (log and `!help`) and encrypted DMs are declined.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from loguru import logger
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinError,
    RoomGetEventResponse,
    RoomGetStateResponse,
    RoomMessagesResponse,
    SyncError,
    SyncResponse,
)
from nio.store import SqliteStore

from adapters.matrix.changes import edited, is_media, media_parts, media_url, redacted
from adapters.matrix.crypto import KEY_WAIT, RESEND_NOTE, Crypto, note_time
from adapters.matrix.errors import RATE_LIMIT_RETRIES, TRANSIENT, rate_limited, retry_after
from adapters.matrix.invites import Invite, InvitePolicy, stripped_state
from adapters.matrix.lanes import Lanes
from adapters.matrix.login import Credentials, MatrixStartupError, homeserver_says, log_in
from adapters.matrix.platform import MatrixPlatform
from adapters.matrix.relay_copies import RelayCopies
from adapters.matrix.rooms import resolve_room_options
from adapters.matrix.served import Served
from adapters.matrix.sync_state import MatrixState
from adapters.matrix.translate import (
    PLATFORM,
    after_own_join,
    community_ref,
    ignore_reason,
    member_event,
    parse_user,
    replied_event_id,
    room_conversation,
    to_event,
    user_ref,
)
from communitybot.bot import Bot
from communitybot.command_parser import CommandParseError
from communitybot.events import (
    ChannelMessage,
    CommandInvoked,
    Event,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    relay_key,
)
from communitybot.i18n import use_language
from communitybot.ports import AdapterState, CoreQueries
from communitybot.replies import Message

GAP_PAGES = 20
REMEMBERED_SENDERS = 10_000
"""Recent message senders kept to tell whom a reply answers without asking the server."""


@dataclass
class MatrixConfig:
    """What the adapter needs; `from_settings` builds it from the validated settings."""

    credentials: Credentials
    rooms: list[str] = field(default_factory=list)
    moderator_rooms: list[str] = field(default_factory=list)
    """Rooms whose power levels also make moderators (see `Served.moderation_rooms`)."""
    prefix: str = "!"
    moderator_level: int = 50
    sync_timeout_ms: int = 30_000
    request_timeout: float = 45.0
    retry_delay: float = 1.0
    max_retry_delay: float = 60.0
    timeline_limit: int = 100
    """Events per room per sync; older ones after downtime are fetched from `/messages`."""
    encryption: bool = False
    """End-to-end encryption (`crypto.py`); the setting defaults to on, tests opt in."""
    trust: str = "tofu"
    crypto_store: Path = Path("matrix-crypto")
    key_wait: float = KEY_WAIT

    @classmethod
    def from_settings(cls, matrix: Any) -> MatrixConfig:
        secret = lambda s: s.get_secret_value() if s is not None else None  # noqa: E731
        return cls(
            credentials=Credentials(
                homeserver=matrix.homeserver,
                user_id=matrix.user_id,
                access_token=secret(matrix.access_token),
                password=secret(matrix.password),
                device_id=matrix.device_id,
            ),
            rooms=list(matrix.rooms),
            moderator_rooms=list(matrix.moderator_rooms),
            prefix=matrix.command_prefix,
            moderator_level=matrix.moderator_power_level,
            encryption=matrix.encryption,
            trust=matrix.trust,
            crypto_store=matrix.crypto_store,
        )


def matrix_platform(config: MatrixConfig, state: AdapterState) -> MatrixPlatform:
    """The platform on a fresh client for this account, its state in the adapter's own tables
    (the bootstrap builds the core's `Bot` on it, then the `MatrixBot`)."""
    own_id = config.credentials.user_id
    client = AsyncClient(
        config.credentials.homeserver,
        own_id,
        device_id=config.credentials.device_id or "",
        config=AsyncClientConfig(
            max_timeouts=0,  # our loops back off themselves, and log it
            max_limit_exceeded=RATE_LIMIT_RETRIES,  # nio waits out 429s; bounded here
            request_timeout=config.request_timeout,
            encryption_enabled=config.encryption,
            store=SqliteStore,  # trust decisions in the same private file, not beside it
            store_sync_tokens=False,
        ),
    )
    matrix_state = MatrixState(state, own_id)
    crypto = (
        Crypto(
            client,
            matrix_state,
            config.crypto_store,
            config.trust,
            key_wait=config.key_wait,
        )
        if config.encryption
        else None
    )
    return MatrixPlatform(
        client,
        matrix_state,
        Served(),
        config.moderator_level,
        retry_delay=config.retry_delay,
        max_retry_delay=config.max_retry_delay,
        relay_copies=RelayCopies(state, own_id),
        crypto=crypto,
    )


class MatrixBot:
    """One bot account serving the configured rooms/spaces with the shared core.

    It builds nothing of the core: `communitybot.bootstrap` hands it the platform (from
    `matrix_platform`), the core's `Bot` on it, and the core's read-only queries.
    """

    def __init__(
        self, config: MatrixConfig, platform: MatrixPlatform, bot: Bot, queries: CoreQueries
    ) -> None:
        self.config = config
        self.own_id = config.credentials.user_id
        self.client = platform.client
        self.state = platform.state
        self.served = platform.served
        self.platform = platform
        self.bot = bot
        self.queries = queries
        self.invites = InvitePolicy(
            self.client,
            self.served,
            self.platform,
            self.state,
            [*config.rooms, *config.moderator_rooms],
            config.prefix,
            encryption=platform.crypto is not None,
        )
        self.since: str | None = None
        self.synced = asyncio.Event()
        """Set after each handled sync (tests and the benchmark wait on it)."""
        self.ready = asyncio.Event()
        """Set once logged in and caught up (the bootstrap starts the scheduler and outbox then)."""
        self.synced_at: float | None = None
        """`time.monotonic()` of the last sync the homeserver answered (the dashboard's /readyz)."""
        self._warned_encrypted: set[str] = set()
        self._senders: OrderedDict[str, str] = OrderedDict()
        """event id → sender of recent messages in served rooms (bounded, oldest dropped)."""

    # -- start-up ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Log in, join the configured rooms and catch up; raises MatrixStartupError."""
        await log_in(self.client, self.config.credentials, self.state)
        if self.platform.crypto is not None:
            await self._open_crypto(self.platform.crypto)
        for entry in self.config.rooms:
            room_id = await self._join(entry)
            if room_id:
                self.served.add_root(room_id)
        if self.config.rooms and not self.served.roots:
            raise MatrixStartupError(
                "could not join any of the rooms in COMMUNITYBOT_MATRIX__ROOMS; invite the bot "
                "or check the room ids/aliases"
            )
        for entry in self.config.moderator_rooms:
            room_id = await self._join(entry)
            if room_id and room_id not in self.served.moderator_rooms:
                self.served.moderator_rooms.append(room_id)
        self.since = await self.state.next_batch()
        first_ever = self.since is None
        response = await self._sync_once(timeout_ms=0, full_state=True)
        if isinstance(response, SyncError):
            raise MatrixStartupError(
                f"the first Matrix sync failed: {homeserver_says(response.message)}"
            )
        self.synced_at = time.monotonic()
        await self._handle(response, first_ever=first_ever)
        await self._discover_children()
        logger.info(
            "Matrix bot {} serving {} room(s){}",
            self.own_id,
            len(self.served.all_rooms()),
            "" if first_ever else ", resumed from the saved sync position",
        )
        self.ready.set()

    async def _open_crypto(self, crypto: Crypto) -> None:
        """Open the key store; a device whose keys were lost is replaced by a new login (with
        the password), since members' clients would never trust its keys changing."""
        try:
            await self._open_keys(crypto)
        except TRANSIENT as error:
            raise MatrixStartupError(
                f"cannot reach the Matrix homeserver at {self.config.credentials.homeserver} "
                f"({type(error).__name__})"
            ) from None

    async def _open_keys(self, crypto: Crypto) -> None:
        if await crypto.keys_lost():
            credentials = self.config.credentials
            if credentials.access_token or not credentials.password:
                raise MatrixStartupError(
                    f"the encryption keys of device {self.client.device_id} are not in "
                    f"{crypto.store_dir}: restore the folder, or give the bot a new access "
                    "token (a new device)"
                )
            logger.warning(
                "the encryption keys of device {} are not in {}; logging in as a new device",
                self.client.device_id,
                crypto.store_dir,
            )
            await self.state.forget_login()
            self.client.device_id = ""  # else nio logs in to the same device again
            await log_in(self.client, replace(credentials, device_id=None), self.state)
        await crypto.open()

    def last_heard(self) -> float | None:
        """Seconds since the homeserver last answered a sync (None: not yet); a long-poll
        sync returns at least every `sync_timeout_ms`, so a healthy bot stays well under a
        minute."""
        return None if self.synced_at is None else time.monotonic() - self.synced_at

    async def _join(self, entry: str) -> str | None:
        try:
            response = await self.client.join(entry)
        except TRANSIENT as error:
            raise MatrixStartupError(
                f"cannot reach the Matrix homeserver at {self.config.credentials.homeserver} "
                f"({type(error).__name__})"
            ) from None
        if isinstance(response, JoinError):
            logger.error("cannot join the configured room {}: {}", entry, response.message)
            return None
        return str(response.room_id)

    async def _discover_children(self) -> None:
        """A served space also serves its child rooms: learn them and join them."""
        for space_id in [root for root in self.served.roots if root in self.served.spaces]:
            try:
                response = await self.client.room_get_state(space_id)
            except TRANSIENT:
                continue
            if not isinstance(response, RoomGetStateResponse):
                continue
            for event in response.events:
                await self._observe_child(space_id, event)

    async def _observe_child(self, space_id: str, event: dict[str, Any]) -> None:
        if event.get("type") != "m.space.child" or not isinstance(event.get("state_key"), str):
            return
        child = event["state_key"]
        if not (event.get("content") or {}).get("via"):
            self.served.remove_child(child)
            return
        self.served.add_child(space_id, child)
        if child not in self.client.rooms:
            response = await self.client.join(child)
            if isinstance(response, JoinError):
                logger.warning("cannot join {} of the served space: {}", child, response.message)

    # -- the loop ----------------------------------------------------------------------------

    async def run(self) -> None:
        """Sync until cancelled; back off and retry while the homeserver is away."""
        delay = self.config.retry_delay
        outage = False
        while True:
            try:
                response = await self._sync_once(timeout_ms=self.config.sync_timeout_ms)
            except TRANSIENT as error:
                if not outage:
                    logger.warning(
                        "Matrix homeserver unreachable ({}); retrying", type(error).__name__
                    )
                outage = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.config.max_retry_delay)
                continue
            if isinstance(response, SyncError):
                if response.status_code in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
                    raise MatrixStartupError(
                        "the homeserver no longer accepts the bot's token "
                        f"({homeserver_says(response.message)})"
                    )
                logger.warning("Matrix sync failed ({}); retrying", response.message)
                outage = True
                await asyncio.sleep(
                    retry_after(response, delay) if rate_limited(response) else delay
                )
                delay = min(delay * 2, self.config.max_retry_delay)
                continue
            self.synced_at = time.monotonic()
            if outage:
                logger.info("Matrix homeserver reachable again; catching up")
            outage = False
            delay = self.config.retry_delay
            try:
                await self._handle(response)
            except TRANSIENT as error:
                # Gap filling asks the homeserver before anything of the response is handled,
                # so the same sync position is simply tried again.
                logger.warning(
                    "Matrix homeserver unreachable while catching up ({}); retrying",
                    type(error).__name__,
                )
                outage = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.config.max_retry_delay)

    async def _sync_once(
        self, *, timeout_ms: int, full_state: bool = False
    ) -> SyncResponse | SyncError:
        return await self.client.sync(
            timeout=timeout_ms,
            since=self.since,
            full_state=full_state or None,
            sync_filter={
                "room": {"timeline": {"limit": self.config.timeline_limit}},
                "presence": {"not_types": ["*"]},
            },
        )

    async def serve(self) -> None:
        """start() then run(), closing the HTTP session however it ends."""
        try:
            await self.start()
            await self.run()
        finally:
            await self.close()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.client.close()

    # -- one sync response -------------------------------------------------------------------

    async def _handle(self, response: SyncResponse, *, first_ever: bool = False) -> None:
        gaps = await self._fill_gaps(response)
        crypto = self.platform.crypto
        if crypto is not None:
            await crypto.after_sync()  # room keys that just arrived, members' new devices
        lanes: Lanes[tuple[str, dict[str, Any]]] = Lanes()
        for room_id, info in response.rooms.join.items():
            for event in [*info.state, *info.timeline.events]:
                await self._observe_state(room_id, event.source)
        for room_id, invite in response.rooms.invite.items():
            state = [stripped_state(event) for event in invite.invite_state]
            await self.invites.handle(Invite.from_state(room_id, state, self.own_id))
        for room_id, left in response.rooms.leave.items():
            await self._on_departure(room_id, [event.source for event in left.timeline.events])
        for room_id, info in response.rooms.join.items():
            if room_id in self.platform.departed:
                self.platform.departed.discard(room_id)
                if self.served.community_of(room_id):
                    logger.info("the bot is back in served room {}", room_id)
            events = gaps.get(room_id, []) + [event.source for event in info.timeline.events]
            fresh = after_own_join(events, self.own_id)
            if first_ever and len(fresh) == len(events):
                continue  # our join is not in sight: all of it predates us
            for event in fresh:
                if event.get("type") == "m.room.message":
                    self._remember_sender(room_id, event)  # in sync order, for reply lookups
                lanes.add(self._lane(room_id, event), (room_id, event))
        if crypto is not None:
            for room_id, event in crypto.decrypted_late():
                lanes.add(self._lane(room_id, event), (room_id, event))
        await lanes.run(self._on_lane_event)
        if crypto is not None:
            await self._ask_to_resend(crypto.given_up())
            await crypto.save_waiting()  # before the sync position moves past them
        self.since = response.next_batch
        await self.state.save_next_batch(response.next_batch)
        self.synced.set()

    async def _on_departure(self, room_id: str, timeline: list[dict[str, Any]]) -> None:
        """The bot is out of a room: stop posting there; say clearly if it was a served one."""
        if room_id in self.platform.departed:
            return
        self.platform.departed.add(room_id)
        own: dict[str, Any] = next(
            (
                event
                for event in reversed(timeline)
                if event.get("type") == "m.room.member" and event.get("state_key") == self.own_id
            ),
            {},
        )
        content = own.get("content") or {}
        by = str(own.get("sender") or "")
        how = "banned" if content.get("membership") == "ban" else "removed"
        why = f" ({content['reason']})" if content.get("reason") else ""
        if self.served.community_of(room_id):
            if by == self.own_id:
                logger.warning("the bot left served room {}", room_id)
            else:
                logger.warning(
                    "the bot was {} from served room {} by {}{}; it will not post there until "
                    "invited back. Other rooms are unaffected.",
                    how,
                    room_id,
                    by or "someone",
                    why,
                )
            return
        direct = await self.state.dm_by_room(room_id)
        if direct is not None:
            if by != self.own_id:
                logger.info("{} removed the bot from their DM room {}", direct.user_id, room_id)
            await self.state.forget_dm_room(direct.user_id, room_id)
            await self.platform.direct.update(direct.user_id, remove=room_id)

    async def _observe_state(self, room_id: str, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "m.room.create":
            self.served.observe_create(room_id, event)
        elif kind == "m.room.join_rules":
            self.served.observe_join_rules(room_id, event)
        elif kind == "m.space.child" and room_id in self.served.roots:
            await self._observe_child(room_id, event)
        elif (
            kind == "m.room.encryption"
            and self.served.community_of(room_id)
            and self.platform.crypto is None
        ):
            self._warn_encrypted(room_id)

    async def _fill_gaps(self, response: SyncResponse) -> dict[str, list[dict[str, Any]]]:
        """The older events of each limited timeline, fetched before anything is handled.

        If the homeserver goes away meanwhile, the TRANSIENT error leaves the whole response
        unhandled (and the sync position unsaved), so retrying it handles nothing twice.
        """
        previous = self.since
        if not previous:
            return {}
        return {
            room_id: await self._fill_gap(room_id, info.timeline.prev_batch, previous)
            for room_id, info in response.rooms.join.items()
            if info.timeline.limited and info.timeline.prev_batch
        }

    async def _fill_gap(self, room_id: str, start: str, until: str) -> list[dict[str, Any]]:
        """Events between the saved token and a limited timeline, oldest first."""
        older: list[dict[str, Any]] = []
        for _ in range(GAP_PAGES):
            page = await self.client.room_messages(room_id, start=start, end=until, limit=100)
            if not isinstance(page, RoomMessagesResponse) or not page.chunk:
                break
            older.extend(event.source for event in page.chunk)
            if not page.end or page.end == start:
                break
            start = page.end
        return list(reversed(older))

    async def _ask_to_resend(self, rooms: dict[str, float]) -> None:
        """One note per room whose messages stayed undecryptable: never a silent drop."""
        for room_id, first in rooms.items():
            if room_id in self.platform.departed:
                continue
            try:
                await self.platform.send_message(
                    room_id, Message(RESEND_NOTE.format(time=note_time(first)))
                )
            except Exception as error:  # a refused note must not stop the loop
                logger.warning("could not ask {} to resend: {}", room_id, error)

    def _warn_encrypted(self, room_id: str) -> None:
        self.platform.encrypted_rooms.add(room_id)
        if room_id not in self._warned_encrypted:
            self._warned_encrypted.add(room_id)
            logger.warning(
                "served room {} is end-to-end encrypted: the bot cannot read it "
                "(commands there are not seen)",
                room_id,
            )

    # -- timeline ----------------------------------------------------------------------------

    def _lane(self, room_id: str, event: dict[str, Any]) -> tuple[str, str]:
        """Which events must stay in order with this one (see `adapters.matrix.lanes`).

        A member's commands, DM messages and membership changes follow that member; plain
        messages in a served room follow the room (a running chat reads them in order);
        anything else follows its room.
        """
        kind = event.get("type")
        if kind == "m.room.member":
            return ("member", str(event.get("state_key", "")))
        if kind == "m.room.message":
            body = (event.get("content") or {}).get("body")
            command = isinstance(body, str) and body.startswith(self.config.prefix)
            if command or self.served.community_of(room_id) is None:
                return ("member", str(event.get("sender", "")))
        return ("room", room_id)

    async def _on_lane_event(self, item: tuple[str, dict[str, Any]]) -> None:
        await self._on_timeline(*item)

    async def _on_timeline(self, room_id: str, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "m.room.encrypted":
            if self.platform.crypto is not None:
                await self.platform.crypto.undecryptable(room_id, event)
            elif self.served.community_of(room_id):
                self._warn_encrypted(room_id)
            return
        if kind == "m.room.member":
            await self._on_membership(room_id, event)
        elif kind == "m.room.redaction":
            await self._on_redaction(room_id, event)
        elif kind == "m.room.message":
            self._remember_sender(room_id, event)
            reason = ignore_reason(event, self.own_id)
            if reason == "edit":
                await self._on_edit(room_id, event)
            elif reason is None or (reason == "not text" and is_media(event)):
                await self._on_message(room_id, event)

    def _remember_sender(self, room_id: str, event: dict[str, Any]) -> None:
        event_id, sender = event.get("event_id"), event.get("sender")
        if not (isinstance(event_id, str) and isinstance(sender, str)):
            return
        if self.served.community_of(room_id) is None:
            return
        self._senders[event_id] = sender
        if len(self._senders) > REMEMBERED_SENDERS:
            self._senders.popitem(last=False)

    async def _sender_of(self, room_id: str, event_id: str) -> str | None:
        """Who sent `event_id` (None for the bot itself, or when it cannot be found)."""
        sender = self._senders.get(event_id)
        if sender is None:
            try:
                response = await self.client.room_get_event(room_id, event_id)
            except TRANSIENT as error:
                logger.info("cannot look up replied-to event {}: {}", event_id, error)
                return None
            if not isinstance(response, RoomGetEventResponse):
                return None
            sender = str(response.event.sender)
        return None if sender == self.own_id else sender

    async def _on_membership(self, room_id: str, event: dict[str, Any]) -> None:
        if (event.get("content") or {}).get("membership") in ("leave", "ban"):
            direct = await self.state.dm_by_room(room_id)
            if direct is not None and event.get("state_key") == direct.user_id:
                logger.info(
                    "{} left their DM room {}; the next DM opens a new one", direct.user_id, room_id
                )
                await self.platform.forget_dm(direct.user_id, room_id)
                return
        space_id = self.served.community_of(room_id)
        if space_id is None or event.get("state_key") == self.own_id:
            return
        core_event = member_event(event, community_ref(space_id))
        if isinstance(core_event, MemberLeft) and room_id != space_id:
            return  # leaving one room of a space is not leaving the community
        if isinstance(core_event, MemberJoined) and await self._already_member(core_event):
            return  # joined one more room of the space
        if core_event is not None:
            await self._dispatch(room_id, core_event)

    async def _already_member(self, event: MemberJoined) -> bool:
        return await self.queries.is_member(event.community, event.user)

    async def _on_message(self, room_id: str, event: dict[str, Any]) -> None:
        sender = str(event.get("sender", ""))
        direct = await self.state.dm_by_room(room_id)
        in_dm = direct is not None and direct.user_id == sender
        space_id = direct.space_id if in_dm and direct else self.served.community_of(room_id)
        if space_id is None:
            return
        name = self._display_name(room_id, sender)
        translated: CommandInvoked | MessageReceived | ChannelMessage | CommandParseError | None
        if is_media(event):  # a file in a room: its links reach a running chat; in a DM: nothing
            translated = None if in_dm else self._media_message(room_id, space_id, event, name)
        else:
            translated = to_event(
                event,
                community=community_ref(space_id),
                room_id=room_id,
                in_dm=in_dm,
                prefix=self.config.prefix,
                display_name=name,
                make_user=parse_user,
            )
        if isinstance(translated, CommandParseError):
            refused = await self.bot.limits.admit_mistake(community_ref(space_id), user_ref(sender))
            explanation = str(translated) if refused is None else refused.text
            if refused is None:  # explained in the language the core answers this member in
                language = await self.bot.language_of(community_ref(space_id), user_ref(sender))
                with use_language(language):
                    again = to_event(
                        event,
                        community=community_ref(space_id),
                        room_id=room_id,
                        in_dm=in_dm,
                        prefix=self.config.prefix,
                        display_name=name,
                        make_user=parse_user,
                    )
                explanation = str(again) if isinstance(again, CommandParseError) else explanation
            if explanation:  # a flood of typos is answered once, not with a flood of DMs
                await self._tell(room_id, in_dm, space_id, sender, explanation)
            return
        if isinstance(translated, CommandInvoked):
            resolved = await resolve_room_options(self.client, translated)
            if isinstance(resolved, str):
                await self._tell(room_id, in_dm, space_id, sender, resolved)
                return
            translated = resolved
        if isinstance(translated, ChannelMessage):
            replied = replied_event_id(event)
            translated = replace(
                translated,
                reply_to_user_id=await self._sender_of(room_id, replied) if replied else None,
                reply_to_key=await self._reply_key(room_id, replied) if replied else None,
                mentioned_user_ids=tuple(
                    user for user in translated.mentioned_user_ids if user != self.own_id
                ),
                avatar_url=self._avatar(room_id, sender),
            )  # talking to the bot is no exchange between members
        if translated is not None:
            await self._dispatch(room_id, translated)

    # -- network chats: replies to copies, edits, redactions, files (issue #15) ---------------

    def _display_name(self, room_id: str, user_id: str) -> str:
        room = self.client.rooms.get(room_id)
        name = (room.user_name(user_id) if room else None) or ""
        return name if name != user_id else ""

    def _avatar(self, room_id: str, user_id: str) -> str | None:
        """The member's avatar in this room as a download link, from the synced state."""
        room = self.client.rooms.get(room_id)
        return media_url(self.client.homeserver, room.avatar_url(user_id)) if room else None

    async def _reply_key(self, room_id: str, event_id: str) -> str:
        """What a reply answers, as a relay key: the original's when it answers our copy."""
        source = await self.platform.relays.source_key(room_id, event_id)
        return source or relay_key(PLATFORM, event_id)

    def _media_message(
        self, room_id: str, space_id: str, event: dict[str, Any], name: str
    ) -> ChannelMessage | None:
        caption, links = media_parts(event, self.client.homeserver)
        if not caption and not links:
            return None
        return ChannelMessage(
            community_ref(space_id),
            user_ref(str(event.get("sender", "")), name),
            room_conversation(room_id),
            caption,
            str(event.get("event_id", "")),
            attachment_urls=links,
        )

    def _change_community(self, room_id: str, event: dict[str, Any]) -> str | None:
        """The community of a member's edit or redaction: a served room, never the bot's own."""
        if event.get("sender") == self.own_id:
            return None
        return self.served.community_of(room_id)

    async def _on_edit(self, room_id: str, event: dict[str, Any]) -> None:
        """A member edited a message: the chat hears the new text under the original's id
        (it never looks like a new message, and a "* !command" never runs)."""
        space_id = self._change_community(room_id, event)
        change = edited(event)
        if space_id is None or change is None:
            return
        target, text = change
        if await self.platform.relays.source_key(room_id, target) is not None:
            return  # an edit of one of our copies: only the original's edits count
        sender = str(event.get("sender", ""))
        await self._dispatch(
            room_id,
            ChannelMessage(
                community_ref(space_id),
                user_ref(sender, self._display_name(room_id, sender)),
                room_conversation(room_id),
                text,
                target,
                change="edited",
            ),
        )

    async def _on_redaction(self, room_id: str, event: dict[str, Any]) -> None:
        """A message was removed: the chat hears "deleted" (the user is whoever removed it).
        Removing one of our copies removes nothing elsewhere."""
        space_id = self._change_community(room_id, event)
        target = redacted(event)
        if space_id is None or target is None:
            return
        if await self.platform.relays.source_key(room_id, target) is not None:
            return
        sender = str(event.get("sender", ""))
        await self._dispatch(
            room_id,
            ChannelMessage(
                community_ref(space_id),
                user_ref(sender, self._display_name(room_id, sender)),
                room_conversation(room_id),
                "",
                target,
                change="deleted",
            ),
        )

    async def _tell(
        self, room_id: str, in_dm: bool, space_id: str, user_id: str, text: str
    ) -> None:
        """A typing mistake: explained privately (the DM, or the DM room for a public command)."""
        try:
            if in_dm:
                await self.platform.send_message(room_id, Message(text))
            else:
                await self.platform.send_direct(
                    community_ref(space_id), user_ref(user_id), Message(text)
                )
        except Exception as error:  # a refused DM must not stop the loop
            logger.warning("could not explain a typing mistake to {}: {}", user_id, error)

    async def _dispatch(self, room_id: str, event: Event) -> None:
        try:
            await self.bot.dispatch(event)
        except Exception:  # the loop must survive anything one event does
            logger.exception("handling a Matrix event in {} failed", room_id)
