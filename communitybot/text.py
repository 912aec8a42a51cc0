"""Safe handling of user text: neutralising mentions, limiting length, normalising tag names."""

from __future__ import annotations

import re
import unicodedata

ZWSP = "\u200b"
MAX_TAG_LENGTH = 32
MAX_LINE_ECHO = 200

MASS_MENTION = re.compile(r"@(everyone|here|room)\b", re.IGNORECASE)
"""@everyone / @here (Discord) and @room (Matrix): what must never reach a client live."""
_DISCORD_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>")
_MATRIX_ID = re.compile(r"@([A-Za-z0-9._=\-/]+):")


def neutralize_mentions(text: str) -> str:
    """Make user text inert: no @everyone/@here/@room, no Discord user/role pings, no Matrix pills.

    A zero-width space after the `@` keeps the text readable while no client treats it as a
    mention. Applied to every piece of user text the core echoes back.
    """
    text = MASS_MENTION.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)
    text = _DISCORD_MENTION.sub(lambda m: f"<{m.group(1)}{ZWSP}{m.group(2)}>", text)
    return _MATRIX_ID.sub(lambda m: f"@{ZWSP}{m.group(1)}:", text)


def neutralize_mass_mentions(text: str) -> str:
    """The last safety net for every outgoing message: the bot never pings everyone."""
    return MASS_MENTION.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)


def shorten(text: str, limit: int = MAX_LINE_ECHO) -> str:
    """Cut text for echoing, with an ellipsis, on a character boundary."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def quote(text: str, limit: int = MAX_LINE_ECHO) -> str:
    """User text made safe to show: single line, bounded, mentions neutralised."""
    return neutralize_mentions(shorten(text, limit))


def normalize_tag(raw: str) -> str:
    """Canonical tag form: lower case, no leading '#', words joined by single hyphens.

    "#Special Education", "special_education" and "special--education" all become
    "special-education". Returns "" when nothing usable remains.
    """
    text = unicodedata.normalize("NFKC", raw).strip().lstrip("#").casefold()
    text = re.sub(r"[\s_\-]+", "-", text)
    text = re.sub(r"[^\w\-+.]", "", text)
    return text.strip("-.")


def split_list(raw: str) -> list[str]:
    """Split a user-typed list: on commas when there are any, otherwise on whitespace."""
    parts = raw.split(",") if "," in raw else raw.split()
    return [p.strip() for p in parts if p.strip()]


def plural(count: int, word: str) -> str:
    """ "1 member", "3 members" (a word that takes an s)."""
    return f"{count} {word}{'' if count == 1 else 's'}"
