"""A recording platform for core tests: what the bot sent, where, in plain values."""

from __future__ import annotations

from dataclasses import dataclass, field

from communitybot.events import CommunityRef, ConversationRef, Event, UserRef
from communitybot.ports import DirectMessageRefused, MissingPermission
from communitybot.replies import Message


@dataclass(frozen=True)
class Sent:
    """One delivered message: `where` is "reply:<user>", "dm:<user>" or "#<channel>"."""

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
