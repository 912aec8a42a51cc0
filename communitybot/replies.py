"""What the core asks the platform to do, as plain values handlers return.

Handlers never call the platform themselves: they return a list of these, tests assert on them,
and `communitybot.delivery` carries them out through the `ChatPlatform` port.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from communitybot.events import CommunityRef, UserRef
from communitybot.i18n import current_language, ntr, tr
from communitybot.i18n.dates import one_decimal

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
class Attachment:
    """A file sent with a message (an export, a transcript, a calendar entry).

    The content goes out byte for byte: it is the member's own data or a document they asked
    for, so delivery never rewrites it (mentions are only neutralised in the message text).
    """

    filename: str
    """A safe name, e.g. "engchat-2027-01-05.md" (see `safe_filename`)."""
    content: bytes
    media_type: str
    """"application/json", "text/markdown", "text/calendar"."""

    @property
    def size(self) -> int:
        return len(self.content)


def format_size(size: int) -> str:
    """A byte count as people read it: "812 bytes", "14.2 KB", "3.1 MB" (1 KB = 1,024 bytes)."""
    if size < 1024:
        return ntr("{n} byte", "{n} bytes", size)
    if size < 1024 * 1024:
        return tr("{size} KB", size=one_decimal(size / 1024))
    return tr("{size} MB", size=one_decimal(size / (1024 * 1024)))


_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(stem: str, extension: str) -> str:
    """A file name every platform and file system accepts: ASCII letters, digits, `.-_`.

    `stem` may come from user input (a hashtag); anything else becomes `-`, so a name can never
    climb out of a folder (`../`) or carry a mention.
    """
    cleaned = _UNSAFE_IN_FILENAME.sub("-", stem).strip(".-_")[:100] or "file"
    return f"{cleaned}.{extension.lstrip('.')}"


@dataclass(frozen=True)
class Message:
    """Text in light Markdown (bold, lists). User-provided fragments are already neutralised."""

    text: str
    prompt: Prompt | None = None
    ping_role: str | None = None
    """A deliberate ping a moderator configured: a role id (Discord renders `<@&id>` and allows
    only that mention), or "room" (Matrix: an @room notification). None for everything else:
    user text never pings anyone."""
    attachment: Attachment | None = None
    """A file sent with the text (Discord upload, Matrix `m.file`, a saved file in the console)."""
    moments: tuple[int, ...] = ()
    """The moments the text names (a chat's start), as Unix times: on Discord each is also shown
    as a `<t:…>` timestamp, which every client renders in its reader's own clock and language;
    other platforms have no such thing and show only the text."""
    language: str = field(default_factory=current_language)
    """The language the text was written in (the one current when the message was made): the
    adapter writes its own words around it in the same one (Discord's Yes/No buttons, "Choose…"),
    also when the outbox delivers it later, after a restart."""


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


@dataclass(frozen=True)
class Relayed:
    """A member's message in a network chat, as the other affiliates see it (issue #15).

    Shown as "author · origin" (Discord: a channel webhook's name and avatar; Matrix: the
    body and `formatted_body` start with them). `text` is already neutralised: no mention in
    it pings anyone anywhere.
    """

    key: str
    """The original's `events.relay_key`: copies are idempotent by it."""
    author: str
    origin: str
    """Where it was said: the platform ("Matrix") or the affiliate's name."""
    text: str
    avatar_url: str | None = None
    reply_to_key: str | None = None
    """The message it answers (`relay_key` of the original): a platform threads the copy as a
    reply to its own copy or original of that message when it has one."""
    reply_excerpt: str = ""
    """A few words of the message answered, for a reply whose target is not there."""
    attachment_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelayPost:
    """Post copies of network-chat messages in one affiliate's running chat, in order."""

    community: CommunityRef
    conversation_id: str
    messages: tuple[Relayed, ...]


@dataclass(frozen=True)
class RelayEdit:
    """The original `key` was edited: edit its copy in that conversation (no copy: nothing)."""

    community: CommunityRef
    conversation_id: str
    key: str
    text: str


@dataclass(frozen=True)
class RelayDelete:
    """The original `key` was deleted or forgotten: delete its copy there (no copy: nothing)."""

    community: CommunityRef
    conversation_id: str
    key: str


@dataclass(frozen=True)
class CalendarEntry:
    """A chat series' next occurrence in the platform's own calendar (issue #15): a Guild
    Scheduled Event on Discord; on Matrix the `.ics` pinned in the chat's room."""

    title: str
    description: str
    starts_at: str
    """ISO 8601 with offset (UTC)."""
    ends_at: str
    channel_id: str
    ics: Attachment


@dataclass(frozen=True)
class PublishCalendar:
    """Create or update the calendar entry `key` ("chat:<series id>"); None removes it."""

    community: CommunityRef
    key: str
    entry: CalendarEntry | None


CALENDAR_INTERESTED = "calendar:interested:"
"""A member marked the calendar entry `key` Interested (a Discord event): the adapter reports
it as `ChoicePicked(custom_id=CALENDAR_INTERESTED + key, values=())`, with no interaction."""


Action = (
    Reply
    | SendToChannel
    | SendDirect
    | SendToGroup
    | GrantRole
    | RevokeRole
    | RelayPost
    | RelayEdit
    | RelayDelete
    | PublishCalendar
)


def reply(
    text: str,
    *,
    ephemeral: bool = True,
    prompt: Prompt | None = None,
    attachment: Attachment | None = None,
    moments: tuple[datetime | None, ...] = (),
) -> list[Action]:
    """The common case: one reply to the invoker (optionally with a file, or naming moments)."""
    message = Message(text, prompt, attachment=attachment, moments=unix_times(moments))
    return [Reply(message, ephemeral=ephemeral)]


def unix_times(moments: tuple[datetime | None, ...]) -> tuple[int, ...]:
    """`Message.moments` from aware datetimes (None, a moment not known, is left out)."""
    return tuple(int(moment.timestamp()) for moment in moments if moment is not None)
