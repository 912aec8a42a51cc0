"""Pure translation of what network chats need beyond plain text: edits, redactions, files.

On raw event dicts like `translate.py`, so the rules are unit-testable without a server:

- an edit (`m.replace`) names the message it changes and carries the new text in
  `m.new_content` (the top-level body is a "* …" fallback, never the text to use);
- a redaction names the redacted event in `content.redacts` (room versions 11 and later) or
  at the top level (older versions; Synapse may send both);
- a file, image, video or voice message points at an `mxc://` URI, which is no link a person
  on another platform can open: it becomes the homeserver's media download URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from adapters.matrix.translate import RawEvent, content_of

MEDIA_MSGTYPES = frozenset({"m.image", "m.file", "m.video", "m.audio"})
TEXT_MSGTYPES = frozenset({"m.text", "m.emote"})


def edited(event: RawEvent) -> tuple[str, str] | None:
    """(the edited event's id, its new text) for a member's text edit, else None."""
    content = content_of(event)
    relates = content.get("m.relates_to")
    new = content.get("m.new_content")
    if not isinstance(relates, Mapping) or relates.get("rel_type") != "m.replace":
        return None
    target = relates.get("event_id")
    if not isinstance(target, str) or not target or not isinstance(new, Mapping):
        return None
    body = new.get("body")
    if new.get("msgtype") not in TEXT_MSGTYPES or not isinstance(body, str):
        return None  # a bot's notice edited, or a caption of a file: nothing a chat reads
    return target, body.strip()


def redacted(event: RawEvent) -> str | None:
    """The id of the event a redaction removes (None when `event` is not a redaction)."""
    if event.get("type") != "m.room.redaction":
        return None
    target = content_of(event).get("redacts") or event.get("redacts")
    return target if isinstance(target, str) and target else None


def media_url(homeserver: str, mxc: Any, filename: str = "") -> str | None:
    """`mxc://server/id` as the homeserver's download URL (None for anything else).

    The legacy unauthenticated endpoint: the only one a browser opens without a token.
    Homeservers that require authenticated media answer it only for older files (documented).
    Never carries the bot's token. `filename` (optional) is what a browser saves it as.
    """
    if not isinstance(mxc, str):
        return None
    parts = urlsplit(mxc)
    media_id = parts.path.lstrip("/")
    if parts.scheme != "mxc" or not parts.netloc or not media_id or "/" in media_id:
        return None
    base = homeserver.rstrip("/")
    url = f"{base}/_matrix/media/v3/download/{quote(parts.netloc)}/{quote(media_id, safe='')}"
    return f"{url}/{quote(filename, safe='')}" if filename else url


def is_media(event: RawEvent) -> bool:
    return content_of(event).get("msgtype") in MEDIA_MSGTYPES


def media_parts(event: RawEvent, homeserver: str) -> tuple[str, tuple[str, ...]]:
    """(caption, links) of a file message. `body` is the file name unless the message has a
    separate `filename` (then `body` is a caption the member typed)."""
    content = content_of(event)
    body, filename = content.get("body"), content.get("filename")
    caption = body if isinstance(body, str) and filename and body != filename else ""
    name = filename if isinstance(filename, str) and filename else body
    url = media_url(homeserver, content.get("url"), name if isinstance(name, str) else "")
    return caption.strip(), (url,) if url else ()
