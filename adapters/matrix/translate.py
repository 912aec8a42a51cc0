"""Pure translation for Matrix: raw event dicts → core events, core messages → `m.notice` content.

Everything works on the events' JSON (`event.source` in matrix-nio), not on nio objects, so the
rules (what to ignore, what is a command, how a reply looks) are unit-testable without a server.
Ids are opaque strings: room version 12 room ids have no `:server` part, so nothing here
splits or parses a room id.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from communitybot.command_parser import CommandParseError, parse_command_line
from communitybot.events import (
    ChannelMessage,
    CommandInvoked,
    CommunityRef,
    ConversationRef,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    UserRef,
)
from communitybot.i18n import tr
from communitybot.i18n.hints import with_yes_no_hint
from communitybot.replies import Attachment, Message, format_size
from communitybot.text_split import MIN_LIMIT, split_text

PLATFORM = "matrix"
RawEvent = Mapping[str, Any]

_USER_ID = re.compile(r"@[^:\s]+:[^\s/?#>\"']+")
_MATRIX_TO = re.compile(r"https://matrix\.to/#/([^\s?\"'>]+)")
_READABLE_MSGTYPES = {"m.text"}
ROOM_PING = "room"
"""The one `ping_role` Matrix honours: an @room notification."""


def user_ref(user_id: str, display_name: str = "") -> UserRef:
    return UserRef(PLATFORM, user_id, display_name)


def community_ref(space_id: str) -> CommunityRef:
    return CommunityRef(PLATFORM, space_id)


def room_conversation(room_id: str) -> ConversationRef:
    return ConversationRef(PLATFORM, "channel", room_id)


def dm_conversation(room_id: str) -> ConversationRef:
    return ConversationRef(PLATFORM, "dm", room_id)


def content_of(event: RawEvent) -> Mapping[str, Any]:
    content = event.get("content")
    return content if isinstance(content, Mapping) else {}


def is_edit(event: RawEvent) -> bool:
    """An edit (`m.replace`) of an earlier message: acting on it would run a command twice."""
    content = content_of(event)
    relates = content.get("m.relates_to")
    return "m.new_content" in content or (
        isinstance(relates, Mapping) and relates.get("rel_type") == "m.replace"
    )


def ignore_reason(event: RawEvent, own_user_id: str) -> str | None:
    """Why a timeline message must not reach the core (None: it should)."""
    if event.get("type") != "m.room.message":
        return "not a message"
    if event.get("sender") == own_user_id:
        return "own event"
    content = content_of(event)
    if content.get("msgtype") == "m.notice":
        return "notice (bots talk in notices; answering them would loop)"
    if is_edit(event):
        return "edit"
    if content.get("msgtype") not in _READABLE_MSGTYPES:
        return "not text"
    if not isinstance(content.get("body"), str):
        return "no body"
    return None


def message_text(event: RawEvent) -> str:
    """The typed text, without the quoted fallback a client prepends to a reply."""
    body = str(content_of(event).get("body", ""))
    relates = content_of(event).get("m.relates_to")
    if isinstance(relates, Mapping) and "m.in_reply_to" in relates:
        lines = body.splitlines()
        while lines and lines[0].startswith(">"):
            lines.pop(0)
        body = "\n".join(lines)
    return body.strip()


def membership_change(event: RawEvent) -> tuple[str, str, str] | None:
    """(user id, previous membership, new membership) of an `m.room.member` event, else None."""
    if event.get("type") != "m.room.member" or not isinstance(event.get("state_key"), str):
        return None
    membership = str(content_of(event).get("membership", ""))
    unsigned = event.get("unsigned")
    previous = ""
    if isinstance(unsigned, Mapping):
        prev_content = unsigned.get("prev_content")
        if isinstance(prev_content, Mapping):
            previous = str(prev_content.get("membership", ""))
    return event["state_key"], previous, membership


def is_new_join(event: RawEvent) -> bool:
    """A real join (not a display-name or avatar change of someone already in the room)."""
    change = membership_change(event)
    return change is not None and change[2] == "join" and change[1] != "join"


def is_departure(event: RawEvent) -> bool:
    change = membership_change(event)
    return change is not None and change[1] == "join" and change[2] in ("leave", "ban")


def after_own_join(events: list[dict[str, Any]], own_user_id: str) -> list[dict[str, Any]]:
    """Drop what happened before the bot joined, when the bot's join is in this batch.

    A sync of a newly joined room carries some of the room's history; none of it was said to
    the bot, and old `!commands` in it must not run.
    """
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if is_new_join(event) and event.get("state_key") == own_user_id:
            return list(events[index + 1 :])
    return list(events)


def member_event(
    event: RawEvent, community: CommunityRef, display_name: str = ""
) -> MemberJoined | MemberLeft | None:
    """A join or departure in a served room, as the core's event."""
    change = membership_change(event)
    if change is None:
        return None
    user_id = change[0]
    if not display_name:
        name = content_of(event).get("displayname")
        display_name = name if isinstance(name, str) else ""
    if is_new_join(event):
        return MemberJoined(community, user_ref(user_id, display_name))
    if is_departure(event):
        return MemberLeft(community, user_ref(user_id, display_name))
    return None


def parse_user(raw: str) -> UserRef:
    """`@alice:example.org`, a matrix.to link or a pill's HTML → the member; else the raw text."""
    text = raw.strip()
    link = _MATRIX_TO.search(text)
    if link:
        text = link.group(1)
    found = _USER_ID.search(text)
    return user_ref(found.group(0) if found else text)


def room_reference(raw: str) -> str:
    """What a moderator typed for a room: a room id, an alias (the parser strips its `#`), a link.

    Returns a room id (`!…`) or an alias (`#…`) to resolve, or the plain text to match by name.
    """
    text = raw.strip()
    link = _MATRIX_TO.search(text)
    if link:
        text = link.group(1).replace("%23", "#").replace("%21", "!").replace("%3A", ":")
    if text.startswith(("!", "#")):
        return text
    if ":" in text:
        return f"#{text}"
    return text


def replied_event_id(event: RawEvent) -> str | None:
    """The event a message replies to (`m.relates_to.m.in_reply_to`), if it is a reply."""
    relates = content_of(event).get("m.relates_to")
    if not isinstance(relates, Mapping):
        return None
    in_reply_to = relates.get("m.in_reply_to")
    if not isinstance(in_reply_to, Mapping):
        return None
    event_id = in_reply_to.get("event_id")
    return event_id if isinstance(event_id, str) and event_id else None


def mentioned_users(event: RawEvent) -> tuple[str, ...]:
    """The members a message mentions (`m.mentions.user_ids`), the sender left out, once each."""
    mentions = content_of(event).get("m.mentions")
    if not isinstance(mentions, Mapping) or not isinstance(mentions.get("user_ids"), list):
        return ()
    sender = event.get("sender")
    return tuple(
        dict.fromkeys(
            user for user in mentions["user_ids"] if isinstance(user, str) and user != sender
        )
    )


def to_event(
    event: RawEvent,
    *,
    community: CommunityRef,
    room_id: str,
    in_dm: bool,
    prefix: str,
    display_name: str = "",
    make_user: Callable[[str], UserRef] = parse_user,
) -> CommandInvoked | MessageReceived | ChannelMessage | CommandParseError | None:
    """A member's message: a command anywhere; plain text in the DM room is a private answer,
    in a room a `ChannelMessage` (a running topic chat listens; nothing else does). A
    malformed command becomes the parse error to show the member. Who a reply answers is left
    for the caller to find (see `replied_event_id`)."""
    text = message_text(event)
    user = user_ref(str(event.get("sender", "")), display_name)
    conversation = dm_conversation(room_id) if in_dm else room_conversation(room_id)
    if text.startswith(prefix) and len(text) > len(prefix) and not text[len(prefix)].isspace():
        try:
            parsed = parse_command_line(text, prefix, make_user)
        except CommandParseError as error:
            return error
        return CommandInvoked(community, user, conversation, parsed.command.path, parsed.options)
    if in_dm:
        return MessageReceived(community, user, conversation, text) if text else None
    return ChannelMessage(
        community,
        user,
        conversation,
        text,
        str(event.get("event_id", "")),
        mentioned_user_ids=mentioned_users(event),
    )


def plain_text(message: Message) -> str:
    """The `body`: the core's light Markdown, plus a yes/no hint when the prompt needs one.

    Choice prompts already carry their numbered options in the text.
    """
    return with_yes_no_hint(message)


def _inline(text: str) -> str:
    escaped = html.escape(text, quote=False)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    escaped = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", escaped)
    return re.sub(r"(?<![\w*])_([^_]+)_(?![\w*])", r"<em>\1</em>", escaped)


def to_html(text: str) -> str:
    """The `formatted_body`: bold, code, quotes and bullet lists of the core's light Markdown."""
    out: list[str] = []
    bullets: list[str] = []
    quoted: list[str] = []

    def flush() -> None:
        if bullets:
            out.append("<ul>" + "".join(f"<li>{item}</li>" for item in bullets) + "</ul>")
            bullets.clear()
        if quoted:
            out.append("<blockquote>" + "<br>".join(quoted) + "</blockquote>")
            quoted.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("• ", "- ")):
            if quoted:
                flush()
            bullets.append(_inline(stripped[2:]))
        elif stripped.startswith(">"):
            if bullets:
                flush()
            quoted.append(_inline(stripped[1:].lstrip()))
        else:
            flush()
            out.append(_inline(line) + "<br>" if stripped else "<br>")
    flush()
    rendered = "".join(out)
    while rendered.endswith("<br>"):
        rendered = rendered[: -len("<br>")]
    return rendered


BODY_LIMIT = 16_000
"""Characters of `body` per notice; a longer text becomes several notices, in order.

Synapse refuses an event whose canonical JSON passes 65,536 bytes (`MAX_PDU_SIZE`), and a notice
carries its text twice (`body` and the HTML `formatted_body`) plus the envelope (ids, hashes,
signatures: about 1 KB). Measured for 16,000 characters of body: plain prose 33 KB of content,
`/help`-like lines with bold and code 41 KB, short emoji-studded lines 50 KB. Text that encodes
bigger still (4-byte characters throughout, `&` becoming `&amp;`) is split further by measuring
each notice against `CONTENT_BUDGET`.
"""
CONTENT_BUDGET = 60_000
"""Bytes of JSON a notice's content may take, leaving room for the event's envelope."""


def content_size(content: dict[str, Any]) -> int:
    """Bytes of the content as Synapse counts it (UTF-8 JSON, non-ASCII unescaped)."""
    return len(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode())


def notice_contents(message: Message, limit: int = BODY_LIMIT) -> list[dict[str, Any]]:
    """The notices a message becomes: one, or for a long text several, each within Synapse's
    event size (split at lines and words, Markdown kept whole: `communitybot.text_split`).

    A deliberate @room ping leads the first notice only.
    """
    body = plain_text(message)
    ping = message.ping_role == ROOM_PING
    if ping:
        body = f"@room {body}"
    parts = _fitting(body, limit)
    return [
        _notice(part, {"room": True} if ping and index == 0 else {})
        for index, part in enumerate(parts)
    ]


def _fitting(body: str, limit: int) -> list[str]:
    """`body` split to `limit` characters, any part still too many bytes split finer."""
    parts: list[str] = []
    for part in split_text(body, limit):
        if content_size(_notice(part, {})) <= CONTENT_BUDGET or limit // 2 < MIN_LIMIT:
            parts.append(part)
        else:
            parts.extend(_fitting(part, limit // 2))
    return parts


def _notice(body: str, mentions: dict[str, Any]) -> dict[str, Any]:
    return {
        "msgtype": "m.notice",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": to_html(body),
        "m.mentions": mentions,
    }


def notice_content(message: Message) -> dict[str, Any]:
    """An `m.notice` (bots answer in notices, so other bots don't answer back).

    `m.mentions` is present and empty: with intentional mentions, naming a member in a
    welcome or intro post never pings them or the room. The one exception is a message's
    deliberate `ping_role="room"` (a moderator configured it): it starts with "@room" and
    carries `"m.mentions": {"room": true}`. Other `ping_role` values mean nothing here.
    A text past `BODY_LIMIT` is the first of several notices (see `notice_contents`).
    """
    return notice_contents(message)[0]


def file_content(
    attachment: Attachment, url: str, decryption: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """An `m.file` event for an uploaded attachment (`url` is its mxc:// URI).

    `body` is the file name (what clients show and save it as), with `filename` too for
    clients that read it; `info` lets them show the size and pick an app before downloading.
    An encrypted upload (`decryption`: the key, iv and hashes nio's `upload(encrypt=True)`
    returns) is described by `file` instead of `url` (the spec's "encrypted attachments"):
    the key travels only inside the encrypted event, never to the media repository.
    """
    return {
        "msgtype": "m.file",
        "body": attachment.filename,
        "filename": attachment.filename,
        "info": {"mimetype": attachment.media_type, "size": attachment.size},
        **file_source(url, decryption),
        "m.mentions": {},
    }


def file_source(url: str, decryption: Mapping[str, Any] | None) -> dict[str, Any]:
    """Where an `m.file`'s bytes are: `url` for a plain upload, `file` (the URL with the
    key, iv and hashes to decrypt it) for an encrypted one."""
    if decryption is None:
        return {"url": url}
    return {"file": {**decryption, "url": url}}


def file_refused_content(attachment: Attachment, reason: str) -> dict[str, Any]:
    """A notice in place of a file the homeserver would not store (e.g. over its size limit)."""
    text = tr(
        "📎 I couldn't attach {filename} ({size}): {reason}",
        filename=attachment.filename,
        size=format_size(attachment.size),
        reason=reason,
    )
    return notice_content(Message(text))
