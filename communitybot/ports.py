"""The small contracts between the core and the adapters.

`ChatPlatform` is what every adapter implements so the core can act on its platform; the
bootstrap (`communitybot.bootstrap`) hands each adapter an `AdapterState` (its own tables) and
`CoreQueries` (the read-only questions it may ask the core). Adapters import this module, never
`communitybot.store`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from communitybot.events import CommunityRef, ConversationRef, Event, UserRef
from communitybot.models import Tag
from communitybot.replies import CalendarEntry, Message, Relayed


class PlatformError(Exception):
    """Something the platform refused; the message is safe to show to a moderator."""


class TryLater(Exception):
    """The platform cannot take the action now (still rate-limited, unreachable): delivery
    counts it as failed without a stack trace, and the outbox tries again with back-off.
    Deliberately not a `PlatformError`, which is a final refusal."""


class DirectMessageRefused(PlatformError):
    """The member does not accept DMs and no fallback was possible."""


class MissingPermission(PlatformError):
    """The bot lacks a permission (or role hierarchy forbids the action)."""


class ChatPlatform(Protocol):
    """What the core needs from Discord, Matrix or the console."""

    name: str

    async def reply(self, event: Event, message: Message, *, ephemeral: bool) -> None:
        """Answer the event in its own context (interaction response, DM, console line)."""

    async def send_to_channel(
        self, community: CommunityRef, channel_id: str, message: Message
    ) -> None: ...

    async def send_direct(
        self, community: CommunityRef, user: UserRef, message: Message
    ) -> ConversationRef:
        """Send privately; fall back the platform's way when DMs are closed.

        Raises DirectMessageRefused when no private route exists.
        """
        ...

    async def open_group(
        self, community: CommunityRef, users: tuple[UserRef, ...], title: str, message: Message
    ) -> ConversationRef:
        """Open one private conversation for these members and post `message` there.

        Raises PlatformError when that is impossible (delivery then DMs each member instead).
        """
        ...

    async def open_chat_thread(
        self, community: CommunityRef, channel_id: str, title: str, message: Message
    ) -> str:
        """Post `message` in the channel and open the place a topic chat runs in; return its id.

        Discord: a public thread on that message (its id is the thread's channel id); Matrix and
        console: the channel itself. Messages there come back as `ChannelMessage` events.
        Raises PlatformError when the thread cannot be made (the caller runs the chat in the
        channel itself).
        """
        ...

    async def relay(
        self, community: CommunityRef, conversation_id: str, messages: Sequence[Relayed]
    ) -> None:
        """Post copies of other affiliates' messages in a running network chat, in order.

        Idempotent by `Relayed.key`: a message already copied there is not posted again (the
        adapter keeps its copies' ids in its own tables, to edit, delete and map replies back).
        Nothing pings. Several messages may be posted as one when the platform's rate limit
        asks for it; a message over the platform's size limit is split, never cut. Raises
        PlatformError when the conversation cannot be posted to (permission lost, webhook
        deleted, bot kicked).
        """
        ...

    async def relay_edit(
        self, community: CommunityRef, conversation_id: str, key: str, text: str
    ) -> None:
        """Edit the copy of `key` in that conversation; nothing if there is none."""
        ...

    async def relay_delete(self, community: CommunityRef, conversation_id: str, key: str) -> None:
        """Delete the copy of `key` in that conversation; nothing if there is none."""
        ...

    async def publish_calendar(
        self, community: CommunityRef, key: str, entry: CalendarEntry | None
    ) -> None:
        """Create, update (same `key`) or, for None, remove a calendar entry of the community."""
        ...

    async def grant_role(self, community: CommunityRef, user: UserRef, role_id: str) -> None: ...

    async def revoke_role(self, community: CommunityRef, user: UserRef, role_id: str) -> None: ...

    async def is_moderator(
        self, community: CommunityRef, user: UserRef, moderator_role: str | None
    ) -> bool:
        """Platform rule (Manage Server, power level) or membership of the configured role."""
        ...

    async def role_refusal(self, community: CommunityRef, role_id: str) -> str | None:
        """Why the bot must not hand out this role (a short reason for the moderator), or None.

        A fact about the role on the platform, read from the platform's cache (no network
        wait): on Discord a role with any permission beyond an ordinary member's, above the
        bot's highest role, managed by an integration, or @everyone; on Matrix (roles are
        rooms) a room whose default power level reaches the moderator level. The core adds
        its own rule (never the configured moderator role) and asks this at link and at
        grant time.
        """
        ...

    async def can_view_channel(
        self, community: CommunityRef, user: UserRef, channel_id: str
    ) -> bool:
        """Whether the member can see that channel/room on the platform (from the cache).

        Discord: View Channel in the member's computed permissions there; Matrix: joined to
        the room, or its join rule lets anyone (or anyone in the space) in; console: True.
        The core uses it to keep chats in private channels from members who cannot see them
        (moderators see all: that rule is the core's).
        """
        ...

    def mention_channel(self, channel_id: str) -> str:
        """How to refer to a channel in text (`<#id>` on Discord, `#name` in the console)."""
        ...

    def mention_user(self, user: UserRef) -> str:
        """How to name a member in text without pinging anyone unexpectedly."""
        ...


@dataclass(frozen=True)
class AdapterMigration:
    """One step of an adapter's own schema: `version` counts per adapter from 1, without gaps.

    Every table and index it creates is named `<namespace>_…` (the adapter's name), so no two
    adapters and never the core share a table.
    """

    version: int
    sql: str


UserRows = dict[str, list[dict[str, Any]]]
"""An adapter's rows about one user, by table name (JSON-ready values): `/mydata` shows them
under `private_conversations`."""


class PersonalData(Protocol):
    """What one part of an adapter stores about platform users (a DM room, a DM channel, a
    fallback thread): declared with `AdapterState.declare_personal_data`, so `/mydata` shows it
    and `/forgetme` deletes it without the core naming an adapter table.

    Both hooks answer for every account of the adapter in this database, and for nothing when
    `user` is on another platform.
    """

    async def export_user(self, user: UserRef) -> UserRows:
        """The user's rows by table (tables without a row left out)."""
        ...

    async def forget_user(self, user: UserRef) -> int:
        """Delete the user's rows (each write its own short transaction); rows deleted.
        Called outside the core's transaction, before the core's rows go (`communitybot.
        privacy.commands.forget_user`): a failure raises and leaves the core's rows intact."""
        ...


class AdapterState(Protocol):
    """An adapter's own tables (sync positions, DM channels, login, …), and nothing else.

    The bootstrap hands each adapter one, already migrated to the adapter's newest schema. Every
    write is one statement in its own short transaction, taken in turn with the core's units of
    work: it never lands inside another event's transaction, and never shares its fate. Reads see
    everything the adapter committed. Rows come back as mappings of column name to value.
    Whatever part of the adapter keeps rows about a person declares them
    (`declare_personal_data`): the core never reads or deletes an adapter table itself.
    """

    namespace: str

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Mapping[str, Any] | None:
        """The first row of a query on the adapter's tables, or None."""
        ...

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Mapping[str, Any]]:
        """Every row of a query on the adapter's tables."""
        ...

    async def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One statement, committed on its own before this returns; rows changed."""
        ...

    def declare_personal_data(self, holder: PersonalData) -> None:
        """`holder`'s rows are personal data: `/mydata` exports them, `/forgetme` deletes them.
        Declaring the same kind of holder again replaces the earlier one."""
        ...


@dataclass(frozen=True)
class CommunityChannels:
    """The channels a community configured that an adapter needs to route private talk."""

    welcome: str | None
    introductions: str | None


class CoreQueries(Protocol):
    """The read-only questions adapters may ask the core (answered from committed state).

    Adapters never read the core's tables themselves: autocomplete, routing and membership go
    through these, so the core may change its schema without breaking an adapter.
    """

    async def tags(self, community: CommunityRef) -> list[Tag]:
        """The community's tags (with aliases), for autocomplete; [] for an unknown community."""
        ...

    async def channels(self, community: CommunityRef) -> CommunityChannels:
        """The welcome and introductions channels (None when unset or unknown)."""
        ...

    async def is_member(self, community: CommunityRef, user: UserRef) -> bool:
        """Whether the user is a current member (joined and not left) of the community."""
        ...
