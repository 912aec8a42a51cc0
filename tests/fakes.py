"""A recording platform for core tests: what the bot sent, where, in plain values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from communitybot.events import CommunityRef, ConversationRef, Event, UserRef
from communitybot.ports import DirectMessageRefused, MissingPermission, PlatformError
from communitybot.replies import Attachment, CalendarEntry, Message, Relayed


@dataclass(frozen=True)
class Sent:
    """One delivered message: `where` is "reply:<user>", "dm:<user>", "#<channel>" or
    "group:<user>,<user>"."""

    where: str
    message: Message
    ephemeral: bool = False

    @property
    def text(self) -> str:
        return self.message.text


@dataclass
class FakePlatform:
    name: str = "fake"
    sent: list[Sent] = field(default_factory=list)
    moderators: set[str] = field(default_factory=set)
    closed_dms: set[str] = field(default_factory=set)
    roles: dict[str, set[str]] = field(default_factory=dict)
    forbidden_roles: set[str] = field(default_factory=set)
    groups_supported: bool = True
    """False: `open_group` refuses, as a platform without private group conversations would."""
    threads_supported: bool = True
    """False: `open_chat_thread` refuses (e.g. missing permission), the chat runs in the channel."""
    refused_roles: dict[str, str] = field(default_factory=dict)
    """role id → the reason the platform gives for never handing it out (`role_refusal`)."""
    hidden_channels: dict[str, set[str]] = field(default_factory=dict)
    """channel id → the user ids who can see it (a private channel); others cannot."""
    relayed: dict[str, dict[str, Relayed]] = field(default_factory=dict)
    """conversation id → relay key → the copy posted there (edits replace its text)."""
    relay_refused: set[str] = field(default_factory=set)
    """Conversations the bot can no longer post to (`relay` raises MissingPermission)."""
    calendar: dict[str, CalendarEntry] = field(default_factory=dict)
    """Calendar entries by key, as `publish_calendar` left them."""
    calendar_refusal: str | None = None
    """Set: `publish_calendar` raises MissingPermission with this reason (e.g. no Manage Events)."""

    async def reply(self, event: Event, message: Message, *, ephemeral: bool) -> None:
        self.sent.append(Sent(f"reply:{event.user.user_id}", message, ephemeral))

    async def send_to_channel(
        self, community: CommunityRef, channel_id: str, message: Message
    ) -> None:
        self.sent.append(Sent(f"#{channel_id}", message))

    async def send_direct(
        self, community: CommunityRef, user: UserRef, message: Message
    ) -> ConversationRef:
        if user.user_id in self.closed_dms:
            raise DirectMessageRefused("Cannot send messages to this user")
        self.sent.append(Sent(f"dm:{user.user_id}", message))
        return ConversationRef(self.name, "dm", user.user_id)

    async def open_group(
        self, community: CommunityRef, users: tuple[UserRef, ...], title: str, message: Message
    ) -> ConversationRef:
        if not self.groups_supported:
            raise PlatformError("group conversations are not available here")
        members = ",".join(user.user_id for user in users)
        self.sent.append(Sent(f"group:{members}", message))
        return ConversationRef(self.name, "thread", f"group:{members}")

    async def open_chat_thread(
        self, community: CommunityRef, channel_id: str, title: str, message: Message
    ) -> str:
        """Posts the welcome in the channel; the thread is "<channel>/thread" (recorded as such)."""
        if not self.threads_supported:
            raise MissingPermission("cannot create threads in this channel")
        self.sent.append(Sent(f"#{channel_id}", message))
        return f"{channel_id}/thread"

    async def relay(
        self, community: CommunityRef, conversation_id: str, messages: Sequence[Relayed]
    ) -> None:
        if conversation_id in self.relay_refused:
            raise MissingPermission("the bot can no longer post in this conversation")
        copies = self.relayed.setdefault(conversation_id, {})
        for message in messages:
            if message.key not in copies:
                copies[message.key] = message
                self.sent.append(
                    Sent(
                        f"#{conversation_id}",
                        Message(f"{message.author} · {message.origin}: {message.text}"),
                    )
                )

    async def relay_edit(
        self, community: CommunityRef, conversation_id: str, key: str, text: str
    ) -> None:
        copies = self.relayed.get(conversation_id, {})
        if key in copies:
            copies[key] = Relayed(**{**copies[key].__dict__, "text": text})

    async def relay_delete(self, community: CommunityRef, conversation_id: str, key: str) -> None:
        self.relayed.get(conversation_id, {}).pop(key, None)

    async def publish_calendar(
        self, community: CommunityRef, key: str, entry: CalendarEntry | None
    ) -> None:
        if self.calendar_refusal is not None:
            raise MissingPermission(self.calendar_refusal)
        if entry is None:
            self.calendar.pop(key, None)
        else:
            self.calendar[key] = entry

    async def grant_role(self, community: CommunityRef, user: UserRef, role_id: str) -> None:
        if role_id in self.forbidden_roles:
            raise MissingPermission(f"role {role_id} is above the bot's highest role")
        self.roles.setdefault(user.user_id, set()).add(role_id)

    async def revoke_role(self, community: CommunityRef, user: UserRef, role_id: str) -> None:
        if role_id in self.forbidden_roles:
            raise MissingPermission(f"role {role_id} is above the bot's highest role")
        self.roles.get(user.user_id, set()).discard(role_id)

    async def is_moderator(
        self, community: CommunityRef, user: UserRef, moderator_role: str | None
    ) -> bool:
        if user.user_id in self.moderators:
            return True
        return moderator_role is not None and moderator_role in self.roles.get(user.user_id, set())

    async def role_refusal(self, community: CommunityRef, role_id: str) -> str | None:
        return self.refused_roles.get(role_id)

    async def can_view_channel(
        self, community: CommunityRef, user: UserRef, channel_id: str
    ) -> bool:
        viewers = self.hidden_channels.get(channel_id)
        return viewers is None or user.user_id in viewers

    def mention_channel(self, channel_id: str) -> str:
        return f"#{channel_id}"

    def mention_user(self, user: UserRef) -> str:
        return user.display_name or user.user_id

    # Test helpers -------------------------------------------------------------------------
    def take(self) -> list[Sent]:
        """Everything sent since the last take (and forget it)."""
        out, self.sent = self.sent, []
        return out

    def texts(self, where: str | None = None) -> list[str]:
        return [s.text for s in self.take() if where is None or s.where == where]

    def attachments(self, where: str | None = None) -> list[Attachment]:
        """The files sent since the last take (and forget everything sent)."""
        return [
            s.message.attachment
            for s in self.take()
            if s.message.attachment is not None and (where is None or s.where == where)
        ]
