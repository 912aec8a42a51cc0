"""What happens on a platform, as plain frozen values the core can reason about.

Adapters build these from platform objects (see `adapters/*/translate.py`); the core never sees a
discord.py or matrix-nio object. Refs hold ids as text so they can be stored and used later (a
reminder is sent long after the event that caused it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ConversationKind = Literal["dm", "channel", "thread"]
MessageChange = Literal["posted", "edited", "deleted"]


def relay_key(platform: str, message_id: str) -> str:
    """A message's name across platforms (`discord:1234`, `matrix:$abc`): what a relayed copy
    is keyed by, and what a reply to a copy points back to (issue #15)."""
    return f"{platform}:{message_id}"


@dataclass(frozen=True)
class CommunityRef:
    """A Discord guild, a Matrix space (or room), or the console's single local community."""

    platform: str
    space_id: str
    name: str = field(default="", compare=False, hash=False)
    """The name moderators gave it (`setup name=…`), for output in other communities; not part
    of identity. Set on refs read from the store, empty on refs adapters build."""


@dataclass(frozen=True)
class UserRef:
    """A person on one platform. `display_name` is a hint for output, not part of identity."""

    platform: str
    user_id: str
    display_name: str = field(default="", compare=False, hash=False)

    @property
    def label(self) -> str:
        return self.display_name or self.user_id


@dataclass(frozen=True)
class ConversationRef:
    """Where a message can be sent: a DM with a user, a channel/room, or a thread."""

    platform: str
    kind: ConversationKind
    conversation_id: str


@dataclass(frozen=True)
class MemberJoined:
    community: CommunityRef
    user: UserRef


@dataclass(frozen=True)
class MemberLeft:
    community: CommunityRef
    user: UserRef


@dataclass(frozen=True)
class CommandInvoked:
    """A slash command (Discord) or a `!command` / `/command` line (Matrix, console).

    `path` is the catalogue path, e.g. ("tags", "add"); `options` are already parsed into the
    option types the catalogue declares (adapters use `communitybot.command_parser` for text).
    """

    community: CommunityRef
    user: UserRef
    conversation: ConversationRef
    path: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)
    reply_handle: object = field(default=None, compare=False, hash=False, repr=False)
    """The adapter's own way back to whoever is waiting for the answer (a Discord interaction),
    opaque to the core: `ChatPlatform.reply` receives the event and answers through it."""
    locale: str | None = field(default=None, compare=False, hash=False)
    """The client's language when the platform says (a Discord interaction's locale, the
    console's `:lang`): used when the member chose none (`communitybot.i18n.choice`)."""


@dataclass(frozen=True)
class MessageReceived:
    """A plain message to the bot in a private conversation (an onboarding answer, a 'yes')."""

    community: CommunityRef
    user: UserRef
    conversation: ConversationRef
    text: str
    reply_handle: object = field(default=None, compare=False, hash=False, repr=False)
    """The adapter's own way back to whoever is waiting for the answer (a Discord interaction),
    opaque to the core: `ChatPlatform.reply` receives the event and answers through it."""
    locale: str | None = field(default=None, compare=False, hash=False)
    """The client's language when the platform says (a Discord interaction's locale, the
    console's `:lang`): used when the member chose none (`communitybot.i18n.choice`)."""


@dataclass(frozen=True)
class ChoicePicked:
    """A button/select answer to a prompt the core sent; `custom_id` is the prompt's stable id."""

    community: CommunityRef
    user: UserRef
    conversation: ConversationRef
    custom_id: str
    values: tuple[str, ...]
    reply_handle: object = field(default=None, compare=False, hash=False, repr=False)
    """The adapter's own way back to whoever is waiting for the answer (a Discord interaction),
    opaque to the core: `ChatPlatform.reply` receives the event and answers through it."""
    locale: str | None = field(default=None, compare=False, hash=False)
    """The client's language when the platform says (a Discord interaction's locale, the
    console's `:lang`): used when the member chose none (`communitybot.i18n.choice`)."""


@dataclass(frozen=True)
class ChannelMessage:
    """A member's message in a channel, room or thread (not a command, not to the bot privately).

    Adapters forward these so a running topic chat can recognise answers ("A1 …") and count who
    talked with whom. `conversation` is where it was posted (a Discord thread has its own id);
    `parent_channel_id` is the channel a thread belongs to (None when it is not a thread).
    `reply_to_user_id` is the author of the message this one replies to, `mentioned_user_ids`
    the members it mentions: both feed the recap's "people you exchanged with".
    """

    community: CommunityRef
    user: UserRef
    conversation: ConversationRef
    text: str
    message_id: str
    parent_channel_id: str | None = None
    reply_to_user_id: str | None = None
    mentioned_user_ids: tuple[str, ...] = ()
    change: MessageChange = "posted"
    """"edited": `text` is the new text of `message_id`; "deleted": the message is gone (`text`
    is ""; `user` is whoever deleted it when the platform says, else its author)."""
    reply_to_key: str | None = None
    """The message this one replies to, as a `relay_key` — the original's, also when the
    member replied to a relayed copy (the adapter maps its copies back to their source)."""
    avatar_url: str | None = None
    """The author's avatar as an https URL, when the platform has one (a relay shows it)."""
    attachment_urls: tuple[str, ...] = ()
    """Files posted with the message, as links (a relay passes them on as links)."""


Event = MemberJoined | MemberLeft | CommandInvoked | MessageReceived | ChoicePicked | ChannelMessage
