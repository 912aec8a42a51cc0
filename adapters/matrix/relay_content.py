"""What a relayed network-chat message looks like in a Matrix room: pure content builders.

A copy is an `m.text` (it is a member's words, not the bot's) whose `body` starts with
"author · origin: " and whose `formatted_body` starts with the same in bold. Nothing in it can
notify anyone: `m.mentions` is present and empty (intentional mentions: modern clients ping
only who is listed there), the text has no pills or matrix.to user links (it is HTML-escaped,
so a member's `<a href>` stays text), and "@room" is broken with a zero-width space in case an
older client still matches on the body.

A reply whose target has no event in this room (no copy, not the original) gets a quoted first
line "↪ replying to …" instead of `m.in_reply_to`. Files come as links. A text too big for one
event is split (`communitybot.text_split`: at lines and words, never cut), each part carrying
the author line so it reads on its own; the reply line leads the first part, the links close the
last.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from adapters.matrix.translate import BODY_LIMIT, CONTENT_BUDGET, content_size
from communitybot.i18n import tr
from communitybot.text import neutralize_mass_mentions, neutralize_mentions, shorten
from communitybot.text_split import MIN_LIMIT, split_text

HTML_FORMAT = "org.matrix.custom.html"
EXCERPT_CHARS = 120
"""How much of the answered message a fallback reply line quotes."""
SAFE_LINK_SCHEMES = ("https://", "http://")


@dataclass(frozen=True)
class CopyLook:
    """Everything a copy shows besides its text: kept with the copy so an edit looks the same."""

    author: str
    origin: str
    reply_line: str = ""
    """"↪ replying to …" when the reply cannot be threaded natively, else ""."""
    links: tuple[str, ...] = ()


def reply_line(excerpt: str) -> str:
    """The quoted line for a reply whose target is not in this room (mentions made inert)."""
    words = neutralize_mentions(shorten(excerpt, EXCERPT_CHARS)) if excerpt.strip() else ""
    if words:
        return tr("↪ replying to {words}", words=words)
    return tr("↪ replying to an earlier message")


def _header(look: CopyLook) -> str:
    author = neutralize_mentions(shorten(look.author, 80)) or tr("someone")
    origin = neutralize_mentions(shorten(look.origin, 80))
    return f"{author} · {origin}" if origin else author


def _html_text(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


def _link_html(url: str) -> str:
    if url.startswith(SAFE_LINK_SCHEMES):
        return f'<a href="{html.escape(url, quote=True)}">{html.escape(url, quote=False)}</a>'
    return html.escape(url, quote=False)


def _part(look: CopyLook, text: str, *, first: bool, last: bool) -> dict[str, Any]:
    """One event's content: [reply line], author line and text, [links]."""
    header = _header(look)
    body = f"{header}: {text}" if text else f"{header}:"
    formatted = f"<strong>{html.escape(header, quote=False)}</strong>:"
    if text:
        formatted += f" {_html_text(text)}"
    if first and look.reply_line:
        body = f"> {look.reply_line}\n{body}"
        formatted = f"<blockquote>{_html_text(look.reply_line)}</blockquote>{formatted}"
    if last and look.links:
        body += "".join(f"\n{url}" for url in look.links)
        formatted += "".join(f"<br>{_link_html(url)}" for url in look.links)
    return {
        "msgtype": "m.text",
        "body": body,
        "format": HTML_FORMAT,
        "formatted_body": formatted,
        "m.mentions": {},
    }


def copy_contents(look: CopyLook, text: str, limit: int = BODY_LIMIT) -> list[dict[str, Any]]:
    """The event contents a copy of `text` becomes: one, or several for a long text.

    Each fits Synapse's event size (measured, not only counted); nothing of the text is lost
    but the whitespace where it was cut.
    """
    safe = neutralize_mass_mentions(text)
    chunks = _fitting(look, safe, limit) or [""]
    return [
        _part(look, chunk, first=index == 0, last=index == len(chunks) - 1)
        for index, chunk in enumerate(chunks)
    ]


def _fitting(look: CopyLook, text: str, limit: int) -> list[str]:
    chunks: list[str] = []
    for chunk in split_text(text, limit):
        fits = content_size(_part(look, chunk, first=True, last=True)) <= CONTENT_BUDGET
        if fits or limit // 2 < MIN_LIMIT:
            chunks.append(chunk)
        else:
            chunks.extend(_fitting(look, chunk, limit // 2))
    return chunks


def with_reply(content: dict[str, Any], event_id: str) -> dict[str, Any]:
    """`content` as a native reply to `event_id` (no fallback quote: clients render the target)."""
    return {**content, "m.relates_to": {"m.in_reply_to": {"event_id": event_id}}}


def edit_content(new: dict[str, Any], event_id: str) -> dict[str, Any]:
    """An `m.replace` of `event_id` with `new` (what clients show), plus the "* " fallback for
    clients that do not understand edits. Mentions stay empty: an edit never pings."""
    return {
        "msgtype": new["msgtype"],
        "body": f"* {new['body']}",
        "format": HTML_FORMAT,
        "formatted_body": f"* {new['formatted_body']}",
        "m.new_content": {key: value for key, value in new.items() if key != "m.relates_to"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
        "m.mentions": {},
    }
