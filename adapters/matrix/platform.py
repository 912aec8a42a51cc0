"""The `ChatPlatform` port on Matrix (matrix-nio): notices, DM rooms, invites as roles.

- Replies are `m.notice`; personal (ephemeral) ones go to the member's DM room, public ones to
  the room the command was typed in.
- A DM room is created once per member (`is_direct`, trusted private chat), remembered in the
  database and reused; a new one is made only if the member left it. One DM room per member: a
  DM room the member opens with the bot replaces the previous one, which the bot leaves.
- A tag's "role" is a Matrix room: granting it invites the member; revoking it withdraws a
  still-pending invite but never kicks someone who joined the room themselves.
- Facts for the core's rules: a tag's room that gives joiners moderator power is refused
  (`role_refusal`); a room is visible to a member who is in it or may join it (public, or
  restricted to a room they are in, typically the space) (`can_view_channel`).
- Moderators are members whose power level in the space (or configured room) or in a configured
  moderator room reaches the configured level; creators of room-version-12 rooms count as 100+.
  A child room's power levels never make anyone a moderator of the community.
- Sends are retried with back-off while the homeserver is unreachable, reusing the
  transaction id so a retry can never post twice. An action from the outbox takes its
  transaction ids from its row (`communitybot.outbox.request_key`), so even a repeat after a
  restart is recognised by the homeserver instead of posted again. 429s are waited out by
  matrix-nio, a bounded number of times (see `errors.py`); after that the send is logged and
  given up.
- A room the bot was kicked from (`departed`) is not posted to again until the bot is back in
  it: the core gets `MissingPermission` at once, and the homeserver is not asked.
- Every DM room the bot opens is also listed in its `m.direct` account data (merged), and one
  it gives up is removed, so clients show the DMs as DMs.
- A group introduction is a new private room (not a DM: `is_direct` false, named after the
  introduction) inviting exactly those members; a topic chat runs in the room itself.
- A message's file is uploaded to the homeserver's media repository and sent as an `m.file`
  event (name, media type, size, mxc:// URL) right after the text, in the same room. A file the
  homeserver refuses (over its upload limit) becomes a notice saying so. In an encrypted room
  the file itself is encrypted before upload too, its key sent only inside the encrypted
  `m.file` event (`file` instead of `url`).
- With encryption on (`crypto.py`), sends to encrypted rooms are encrypted by nio after the
  members' devices are fetched and decided by the trust policy; DM rooms and group
  introduction rooms are created encrypted.
- A text too long for one event (Synapse refuses events over 64 KiB) becomes several notices
  in order, split at lines and words with Markdown kept whole (`notice_contents`).
- Network-chat copies (`relay`, `relay_edit`, `relay_delete`) are `relay.py`'s: `m.text`
  "author · origin: …", threaded or quoted replies, idempotent by room and relay key.
- Messages never ping (`m.mentions` empty) except a deliberate `ping_role="room"`: "@room"
  with `m.mentions.room`. The room's power levels decide whether it notifies (Element's
  default: 50 for @room); when the bot's level is too low that is logged once per room.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

from loguru import logger
from nio import (
    AsyncClient,
    RoomCreateError,
    RoomCreateResponse,
    RoomInviteError,
    RoomKickError,
    RoomPreset,
    UploadResponse,
)
from nio.responses import ErrorResponse

from adapters.matrix.calendar import MatrixCalendar
from adapters.matrix.crypto import ENCRYPTION_STATE, Crypto
from adapters.matrix.direct import DirectRooms
from adapters.matrix.errors import TRANSIENT, RateLimited, Unreachable, rate_limited
from adapters.matrix.relay import MatrixRelays
from adapters.matrix.relay_copies import RelayCopies
from adapters.matrix.served import Served
from adapters.matrix.sync_state import MatrixState
from adapters.matrix.translate import (
    PLATFORM,
    ROOM_PING,
    dm_conversation,
    file_content,
    file_refused_content,
    notice_contents,
)
from communitybot.events import CommandInvoked, CommunityRef, ConversationRef, Event, UserRef
from communitybot.i18n import N_, tr, use_language
from communitybot.i18n.languages import DEFAULT_LANGUAGE
from communitybot.outbox import request_key
from communitybot.ports import DirectMessageRefused, MissingPermission, PlatformError
from communitybot.replies import Attachment, CalendarEntry, Message, Relayed

CREATOR_LEVEL = 1_000_000
SEND_ATTEMPTS = 6

ENCRYPTED_NOTE = N_(
    "⚠️ Some of this community's rooms are end-to-end encrypted, and I can't read encrypted "
    "rooms yet: commands typed there won't reach me. Use an unencrypted room or our DM."
)


async def _english(community: CommunityRef) -> str:
    """The language of a community's rooms when nobody asked the core (unit tests)."""
    return DEFAULT_LANGUAGE


def part_txn(key: str | None, index: int) -> str:
    """The transaction id of part `index` of a request: the outbox key itself for the first
    part, the key and the index for the others; a fresh id outside an outbox delivery."""
    if key is None:
        return str(uuid.uuid4())
    return key if index == 0 else f"{key}#{index}"


class RoomRefused(Exception):
    """The homeserver refused to create a room (the reason is its message)."""


class MatrixPlatform:
    """Delivers the core's actions through one logged-in `AsyncClient`."""

    name = PLATFORM

    def __init__(
        self,
        client: AsyncClient,
        state: MatrixState,
        served: Served,
        moderator_level: int = 50,
        retry_delay: float = 0.5,
        max_retry_delay: float = 10.0,
        *,
        relay_copies: RelayCopies,
        crypto: Crypto | None = None,
    ) -> None:
        self.client = client
        self.state = state
        self.served = served
        self.moderator_level = moderator_level
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.crypto = crypto
        """End-to-end encryption (`crypto.py`), or None when the setting is off."""
        self.encrypted_rooms: set[str] = set()
        self.departed: set[str] = set()
        """Rooms the bot was kicked from (or left): not posted to until it is back in them."""
        self.direct = DirectRooms(client)
        self.calendar = MatrixCalendar(
            client, state.db, state.account, self.send_content, self.room_encrypted
        )
        """Chat series' `.ics` pinned in their rooms (`adapters.matrix.calendar`)."""
        self._warned_pings: set[str] = set()
        """Ping values (and rooms) already warned about, so each is logged once."""
        self.relays = MatrixRelays(self, relay_copies)
        self.community_language: Callable[[CommunityRef], Awaitable[str]] = _english
        """The language of a community's rooms (the runner asks the core): the words the
        adapter adds to posts everyone reads there (relay reply lines, the calendar caption)."""

    # -- sending -----------------------------------------------------------------------------

    async def send_content(
        self, room_id: str, content: dict[str, Any], txn: str | None = None
    ) -> str:
        """Send one event, retrying transient failures; returns the event id.

        `txn` names the request (see `send_message`); by default the outbox row's next request
        key, or a fresh one outside an outbox delivery.
        """
        if room_id in self.departed:
            raise MissingPermission(
                tr("I'm no longer in room {room_id} (I was removed from it)", room_id=room_id)
            )
        txn = txn or request_key() or str(uuid.uuid4())
        delay = self.retry_delay
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                if self.crypto is not None:
                    await self.crypto.prepare_send(room_id)
                response = await self.client.room_send(
                    room_id, "m.room.message", content, tx_id=txn, ignore_unverified_devices=True
                )
            except TRANSIENT as error:
                if attempt == SEND_ATTEMPTS:
                    raise Unreachable(f"the homeserver is unreachable ({error})") from error
                logger.warning(
                    "sending to {} failed ({}); retrying in {:.1f} s", room_id, error, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_retry_delay)
                continue
            except Exception as error:  # nio refuses e.g. encrypted rooms without olm
                raise PlatformError(
                    tr("cannot send to room {room_id}: {error}", room_id=room_id, error=error)
                ) from error
            if rate_limited(response):
                logger.warning(
                    "still rate-limited by the homeserver after retrying; dropped a message to {}",
                    room_id,
                )
                raise RateLimited("the homeserver is rate-limiting me; try again in a minute")
            if isinstance(response, ErrorResponse):
                if response.status_code == "M_FORBIDDEN":
                    raise MissingPermission(
                        tr(
                            "I'm not allowed to post in room {room_id} (was I removed?)",
                            room_id=room_id,
                        )
                    )
                raise PlatformError(
                    tr(
                        "room {room_id} refused the message: {reason}",
                        room_id=room_id,
                        reason=response.message,
                    )
                )
            return str(response.event_id)
        raise PlatformError("unreachable")  # pragma: no cover - the loop returns or raises

    async def send_message(self, room_id: str, message: Message) -> str:
        """The notice (several, in order, for a text past one event's size), then its file (if
        any) as an `m.file`; returns the first notice's event id.

        Each notice has its own transaction id derived from the outbox row's request key (the
        first one is the key itself), so a repeat after a crash posts every part once.
        """
        if message.ping_role is not None:
            self._check_ping(room_id, message.ping_role)
        key = request_key()
        event_ids = []
        for index, content in enumerate(notice_contents(message)):
            event_ids.append(await self.send_content(room_id, content, part_txn(key, index)))
        if message.attachment is not None:
            with use_language(message.language):  # a refusal note is read beside the text
                await self.send_file(room_id, message.attachment)
        return event_ids[0]

    async def send_file(self, room_id: str, attachment: Attachment) -> str:
        """Upload to the media repository and post an `m.file` pointing at it; its event id.

        In an encrypted room the file is encrypted before it leaves the bot (a member's
        `/mydata` export is their personal data): the homeserver stores only ciphertext, and
        the key travels inside the encrypted `m.file` event. Plain rooms get a plain upload.
        A refusal of the upload (too big, media repository off) is told in the room instead.
        """
        try:
            encrypt = await self.room_encrypted(room_id)
            response, decryption = await self.client.upload(
                io.BytesIO(attachment.content),
                content_type=attachment.media_type,
                filename=None if encrypt else attachment.filename,  # Element's way: no hint
                encrypt=encrypt,
                filesize=attachment.size,  # AES-CTR: the ciphertext is as long as the file
            )
        except TRANSIENT as error:
            raise PlatformError(
                tr(
                    "the homeserver is unreachable; {filename} was not sent ({error})",
                    filename=attachment.filename,
                    error=error,
                )
            ) from error
        if isinstance(response, UploadResponse):
            return await self.send_content(
                room_id, file_content(attachment, str(response.content_uri), decryption)
            )
        if rate_limited(response):
            raise PlatformError(tr("the homeserver is rate-limiting me; try again in a minute"))
        logger.warning("the homeserver refused {}: {}", attachment.filename, response)
        reason = (
            tr("the homeserver refuses files this big")
            if getattr(response, "status_code", None) in ("M_TOO_LARGE", 413, "413")
            else tr("the homeserver would not store it")
        )
        return await self.send_content(room_id, file_refused_content(attachment, reason))

    async def room_encrypted(self, room_id: str) -> bool:
        """Whether what the bot uploads for this room must be encrypted (never with the
        setting off: the bot cannot post in encrypted rooms then anyway)."""
        return self.crypto is not None and await self.crypto.room_encrypted(room_id)

    def _check_ping(self, room_id: str, ping_role: str) -> None:
        """Log once what will not notify: a ping other than @room, or @room the bot may not
        send in that room (the message still goes out, as a plain notice)."""
        if ping_role != ROOM_PING:
            if ping_role not in self._warned_pings:
                self._warned_pings.add(ping_role)
                logger.warning(
                    'ping {!r} means nothing on Matrix (only "room" does); not pinging', ping_role
                )
            return
        room = self.client.rooms.get(room_id)
        own = self.client.user_id
        if room is None or room_id in self._warned_pings:
            return
        if not room.power_levels.can_user_notify(own, "room"):
            self._warned_pings.add(room_id)
            logger.warning(
                "@room in {} will not notify: my power level there is below the room's "
                "notifications level; a moderator can raise it",
                room_id,
            )

    async def reply(self, event: Event, message: Message, *, ephemeral: bool) -> None:
        if (
            isinstance(event, CommandInvoked)
            and event.path == ("help",)
            and self.crypto is None
            and self._encrypted_in(event.community.space_id)
        ):
            with use_language(message.language):  # the words added to the core's reply
                note = tr(ENCRYPTED_NOTE)
            message = replace(message, text=f"{message.text}\n\n{note}")
        conversation = getattr(event, "conversation", None)
        if conversation is None or (ephemeral and conversation.kind != "dm"):
            await self.send_direct(event.community, event.user, message)
        else:
            await self.send_message(conversation.conversation_id, message)

    async def send_to_channel(
        self, community: CommunityRef, channel_id: str, message: Message
    ) -> None:
        await self.send_message(channel_id, message)

    async def send_direct(
        self, community: CommunityRef, user: UserRef, message: Message
    ) -> ConversationRef:
        room_id = await self.dm_room(user.user_id, community.space_id)
        try:
            await self.send_message(room_id, message)
        except MissingPermission:
            # The DM room is gone for us (the member kicked the bot): make a fresh one once.
            room_id = await self._create_dm(user.user_id, community.space_id, replacing=room_id)
            await self.send_message(room_id, message)
        return dm_conversation(room_id)

    # -- DM rooms ----------------------------------------------------------------------------

    async def dm_room(self, user_id: str, space_id: str) -> str:
        """The member's DM room, created (and remembered) the first time."""
        record = await self.state.dm_room(user_id)
        if record is not None and self._still_shared(record.room_id, user_id):
            if record.space_id != space_id:
                await self.state.set_dm_community(user_id, space_id)
            return record.room_id
        return await self._create_dm(
            user_id, space_id, replacing=record.room_id if record else None
        )

    def _still_shared(self, room_id: str, user_id: str) -> bool:
        if room_id in self.departed:
            return False
        room = self.client.rooms.get(room_id)
        if room is None:
            return True  # created moments ago and not synced yet
        return user_id in room.users or user_id in room.invited_users

    async def _create_room(self, purpose: str, **options: Any) -> RoomCreateResponse:
        """`room_create` with the adapter's failure rules: unreachable and still rate-limited
        raise PlatformError; a refusal comes back as the `RoomCreateError` it is."""
        try:
            response = await self.client.room_create(**options)
        except TRANSIENT as error:
            raise PlatformError(
                tr("the homeserver is unreachable ({error})", error=error)
            ) from error
        if rate_limited(response):
            logger.warning("still rate-limited after retrying; could not open {}", purpose)
            raise PlatformError(tr("the homeserver is rate-limiting me; try again in a minute"))
        if isinstance(response, RoomCreateError):
            raise RoomRefused(str(response.message))
        if self.crypto is not None:  # nio sends only to rooms it knows once encryption is on
            self.crypto.know_room(
                str(response.room_id),
                encrypted=any(
                    state.get("type") == "m.room.encryption"
                    for state in options.get("initial_state", ())
                ),
                invited=options.get("invite", ()),
            )
        return response

    async def _create_dm(self, user_id: str, space_id: str, *, replacing: str | None) -> str:
        """A fresh DM room (`is_direct`, listed in `m.direct`); `replacing` is given up."""
        try:
            response = await self._create_room(
                f"a DM with {user_id}",
                is_direct=True,
                invite=[user_id],
                preset=RoomPreset.trusted_private_chat,
                initial_state=[ENCRYPTION_STATE] if self.crypto is not None else [],
            )
        except RoomRefused as error:
            raise DirectMessageRefused(tr("cannot open a DM room: {error}", error=error)) from error
        room_id = str(response.room_id)
        await self.state.save_dm_room(user_id, room_id, space_id)
        logger.info("opened a DM room {} with {}", room_id, user_id)
        await self.direct.update(user_id, add=room_id, remove=replacing)
        if replacing is not None and replacing != room_id:
            await self.abandon_room(replacing)
        return room_id

    async def adopt_dm(self, user_id: str, room_id: str, space_id: str) -> None:
        """A DM room the member opened with the bot becomes their DM room; the one it replaces
        is given up (left, and dropped from `m.direct`): one DM room per member."""
        previous = await self.state.dm_room(user_id)
        await self.state.save_dm_room(user_id, room_id, space_id)
        replacing = previous.room_id if previous and previous.room_id != room_id else None
        await self.direct.update(user_id, add=room_id, remove=replacing)
        if replacing is not None:
            logger.info("{} opened a new DM room {}; leaving {}", user_id, room_id, replacing)
            await self.abandon_room(replacing)

    async def forget_dm(self, user_id: str, room_id: str) -> None:
        """The member left their DM room: the next DM opens a fresh one; leave the empty room."""
        await self.state.forget_dm_room(user_id, room_id)
        await self.direct.update(user_id, remove=room_id)
        await self.abandon_room(room_id)

    async def abandon_room(self, room_id: str) -> None:
        """Leave a room the bot has no more use for (best effort: it is only tidying up)."""
        if room_id in self.departed:
            return
        try:
            await self.client.room_leave(room_id)
        except TRANSIENT as error:
            logger.warning("could not leave the old DM room {}: {}", room_id, error)
            return
        self.departed.add(room_id)

    # -- group introductions and chats --------------------------------------------------------

    async def open_group(
        self, community: CommunityRef, users: tuple[UserRef, ...], title: str, message: Message
    ) -> ConversationRef:
        """A new private room named `title`, inviting exactly these members, with `message`.

        Not a DM (`is_direct` false, not in `m.direct`): clients list it as a room. The
        members are invited one by one after the room exists, so a member the homeserver
        cannot invite leaves no half-made room behind: the bot leaves it again and raises
        PlatformError (delivery then DMs each member), as for any other refusal. With
        encryption on the room is created encrypted, like a DM room: the introduction names
        the members and why they were matched, which is theirs alone to read.
        """
        try:
            response = await self._create_room(
                "a group introduction",
                name=(title or "Introduction")[:255],
                is_direct=False,
                preset=RoomPreset.private_chat,
                initial_state=[ENCRYPTION_STATE] if self.crypto is not None else [],
            )
        except RoomRefused as error:
            raise PlatformError(tr("cannot open a group room: {error}", error=error)) from error
        room_id = str(response.room_id)
        try:
            for user in users:
                await self._invite(room_id, user)
                if self.crypto is not None:  # the introduction's room key goes to them too
                    self.crypto.know_room(room_id, encrypted=True, invited=(user.user_id,))
            await self.send_message(room_id, message)
        except PlatformError:
            await self.abandon_room(room_id)
            raise
        logger.info("opened group room {} for {} member(s)", room_id, len(users))
        return ConversationRef(PLATFORM, "channel", room_id)

    async def open_chat_thread(
        self, community: CommunityRef, channel_id: str, title: str, message: Message
    ) -> str:
        """The chat runs in the room itself: the welcome is posted there, its id returned.

        (Matrix threads are shown inconsistently across clients; a room is seen by everyone.)
        """
        await self.send_to_channel(community, channel_id, message)
        return channel_id

    # -- roles = rooms -----------------------------------------------------------------------

    # -- network-chat copies (see `relay.py`) --------------------------------------------------

    async def relay(
        self, community: CommunityRef, conversation_id: str, messages: Sequence[Relayed]
    ) -> None:
        with use_language(await self.community_language(community)):
            await self.relays.relay(conversation_id, messages)

    async def relay_edit(
        self, community: CommunityRef, conversation_id: str, key: str, text: str
    ) -> None:
        await self.relays.edit(conversation_id, key, text)

    async def relay_delete(self, community: CommunityRef, conversation_id: str, key: str) -> None:
        await self.relays.delete(conversation_id, key)

    async def publish_calendar(
        self, community: CommunityRef, key: str, entry: CalendarEntry | None
    ) -> None:
        with use_language(await self.community_language(community)):
            await self.calendar.publish(community, key, entry)

    async def grant_role(self, community: CommunityRef, user: UserRef, role_id: str) -> None:
        room = self.client.rooms.get(role_id)
        if room is not None and (user.user_id in room.users or user.user_id in room.invited_users):
            return
        await self._invite(role_id, user)

    async def _invite(self, room_id: str, user: UserRef) -> None:
        """Invite `user` (already in the room: done); refusals raise MissingPermission."""
        try:
            response = await self.client.room_invite(room_id, user.user_id)
        except TRANSIENT as error:
            raise PlatformError(
                tr("the homeserver is unreachable ({error})", error=error)
            ) from error
        if rate_limited(response):
            logger.warning("still rate-limited after retrying; did not invite {}", user.user_id)
            raise PlatformError(tr("the homeserver is rate-limiting me; try again in a minute"))
        if isinstance(response, RoomInviteError):
            if "already in the room" in str(response.message).lower():
                return
            raise MissingPermission(
                tr(
                    "cannot invite to room {room_id}: {reason}",
                    room_id=room_id,
                    reason=response.message,
                )
            )

    async def revoke_role(self, community: CommunityRef, user: UserRef, role_id: str) -> None:
        room = self.client.rooms.get(role_id)
        if room is None or user.user_id not in room.invited_users:
            return
        try:
            response = await self.client.room_kick(role_id, user.user_id, tr("tag removed"))
        except TRANSIENT as error:
            raise PlatformError(
                tr("the homeserver is unreachable ({error})", error=error)
            ) from error
        if rate_limited(response):
            raise PlatformError(tr("the homeserver is rate-limiting me; try again in a minute"))
        if isinstance(response, RoomKickError):
            raise MissingPermission(
                tr(
                    "cannot withdraw the invite to {room_id}: {reason}",
                    room_id=role_id,
                    reason=response.message,
                )
            )

    # -- permissions and names ---------------------------------------------------------------

    def power_level(self, room_id: str, user_id: str) -> int:
        if self.served.is_creator(room_id, user_id):
            return CREATOR_LEVEL
        room = self.client.rooms.get(room_id)
        if room is None:
            return 0
        return int(room.power_levels.get_user_level(user_id))

    async def is_moderator(
        self, community: CommunityRef, user: UserRef, moderator_role: str | None
    ) -> bool:
        """Power level in the space (or configured room) or a configured moderator room.

        Never a child room's: whoever created a room later added to the space, or was made its
        admin, must not become a moderator of the whole community (Matrix has no roles).
        """
        rooms = self.served.moderation_rooms(community.space_id)
        return any(self.power_level(room, user.user_id) >= self.moderator_level for room in rooms)

    async def role_refusal(self, community: CommunityRef, role_id: str) -> str | None:
        """A tag's room must not give power: refused when joiners get the moderator level there.

        A room the bot is not in is not judged here (its invite fails later and is reported).
        """
        room = self.client.rooms.get(role_id)
        if room is None:
            return None
        default = int(room.power_levels.defaults.users_default)
        if default >= self.moderator_level:
            return tr(
                "everyone who joins that room gets power level {level} there, "
                "at least the moderator level ({moderator_level})",
                level=default,
                moderator_level=self.moderator_level,
            )
        return None

    async def can_view_channel(
        self, community: CommunityRef, user: UserRef, channel_id: str
    ) -> bool:
        """Joined to the room, or free to join it: a public room, or a restricted one whose
        allow list names a room the member is in (typically the space). An invite-only room
        the member is not in is not visible; nor is one the bot does not know."""
        room = self.client.rooms.get(channel_id)
        if room is None:
            return False
        if user.user_id in room.users or room.join_rule == "public":
            return True
        for allowed in self.served.restricted_to(channel_id):
            other = self.client.rooms.get(allowed)
            if other is not None and user.user_id in other.users:
                return True
        return False

    def mention_channel(self, channel_id: str) -> str:
        room = self.client.rooms.get(channel_id)
        if room is None:
            return channel_id
        return room.canonical_alias or (f"#{room.name}" if room.name else channel_id)

    def mention_user(self, user: UserRef) -> str:
        """The display name: replies carry empty `m.mentions`, so naming never pings."""
        return user.display_name or user.user_id

    def _encrypted_in(self, space_id: str) -> bool:
        return any(room in self.encrypted_rooms for room in self.served.rooms_of(space_id))
