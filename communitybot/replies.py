"""What the core asks the platform to do, as plain values handlers return.

Handlers never call the platform themselves: they return a list of these, tests assert on them,
and `communitybot.delivery` carries them out through the `ChatPlatform` port.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from communitybot.events import CommunityRef, UserRef

PromptKind = Literal["single", "multi", "text", "yesno", "timezone"]


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Prompt:
    """A question the member answers: buttons/selects/modal on Discord, numbered options in text.

    `custom_id` is stable across restarts (e.g. "onboarding:role") so persistent components keep
    working; an answer comes back as `ChoicePicked(custom_id=...)` or as a plain message.
    """

    custom_id: str
    kind: PromptKind
    choices: tuple[Choice, ...] = ()
    max_length: int | None = None
    max_values: int = 1


@dataclass(frozen=True)
class Message:
    """Text in light Markdown (bold, lists). User-provided fragments are already neutralised."""

    text: str
    prompt: Prompt | None = None
    ping_role: str | None = None
    """A deliberate ping a moderator configured: a role id (Discord renders `<@&id>` and allows
    only that mention), or "room" (Matrix: an @room notification). None for everything else:
    user text never pings anyone."""


@dataclass(frozen=True)
class Reply:
    """Answer to the event being handled (an interaction response on Discord)."""

    message: Message
    ephemeral: bool = True


@dataclass(frozen=True)
class SendToChannel:
    community: CommunityRef
    channel_id: str
    message: Message


@dataclass(frozen=True)
class SendDirect:
    """A private message; the adapter falls back (e.g. private thread) when DMs are closed."""

    community: CommunityRef
    user: UserRef
    message: Message


@dataclass(frozen=True)
class SendToGroup:
    """Introduce a few members to each other privately, in one shared conversation.

    Discord: a private thread in the community's introductions channel (bots cannot open group
    DMs); Matrix: a new private room inviting them; console: one line to each. If the platform
    cannot open one, delivery falls back to a `SendDirect` of the same message to each member.
    """

    community: CommunityRef
    users: tuple[UserRef, ...]
    title: str
    message: Message


@dataclass(frozen=True)
class GrantRole:
    community: CommunityRef
    user: UserRef
    role_id: str


@dataclass(frozen=True)
class RevokeRole:
    community: CommunityRef
    user: UserRef
    role_id: str


Action = Reply | SendToChannel | SendDirect | SendToGroup | GrantRole | RevokeRole


def reply(text: str, *, ephemeral: bool = True, prompt: Prompt | None = None) -> list[Action]:
    """The common case: one reply to the invoker."""
    return [Reply(Message(text, prompt), ephemeral=ephemeral)]
