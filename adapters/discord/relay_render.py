"""How relayed network-chat messages look on Discord: names, reply lines, splitting, merging.

Pure functions, so the rules can be read (and tested) apart from the webhook traffic:
- A copy posted alone shows its author as the webhook's name, "author · origin", made to pass
  Discord's naming rules (`webhook_username`): 1-80 characters; no "discord" or "clyde" in it
  (a hyphen goes in: "Dis-cord", "Cly-de"), no "@", "#", ":" or "```" (full-width look-alikes
  "＠", "＃", "∶" and "'''" instead), never just "everyone" or "here".
- Webhooks cannot reply natively, so a reply starts with a quoted line
  "> ↪ replying to <name>: <excerpt>" linking the answered message when it is here.
- Attachments are links on their own lines (Discord shows a preview of most).
- Several copies waiting for the same webhook are merged into as few posts as fit, each line
  led by its "**author · origin**:" and the webhook named "Network chat".
- Over 2,000 characters a copy is split (`communitybot.text_split`: at lines and words,
  Markdown kept balanced), never cut.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import discord

from adapters.discord.relay_store import Piece
from communitybot.replies import Relayed
from communitybot.text import neutralize_mass_mentions, quote
from communitybot.text_split import split_text

MAX_CONTENT = 2000
MAX_USERNAME = 80
MERGED_NAME = "Network chat"
"""The webhook's name on a post that carries several members' messages."""
EXCERPT = 100
"""Characters of the answered message a reply line quotes."""
NO_TEXT = "_(no text)_"
_RESERVED = re.compile(r"(dis)(cord)|(cly)(de)", re.IGNORECASE)
_LOOKALIKES = {"@": "＠", "#": "＃", ":": "∶"}


def label_of(relayed: Relayed) -> str:
    """ "author · origin": who said it and where, as a copy names it."""
    author = " ".join(relayed.author.split()) or "someone"
    origin = " ".join(relayed.origin.split())
    return f"{author} · {origin}" if origin else author


def webhook_username(label: str) -> str:
    """`label` as a webhook name Discord accepts (see the module's rules); legible, never
    refused. A name too long loses the end of the author's part first, keeping the origin."""
    name = "".join(ch for ch in " ".join(label.split()) if ch.isprintable())
    name = name.replace("```", "'''")
    name = "".join(_LOOKALIKES.get(ch, ch) for ch in name)
    name = _RESERVED.sub(lambda m: "-".join(part for part in m.groups() if part), name)
    if len(name) > MAX_USERNAME:
        author, dot, origin = name.rpartition(" · ")
        if dot and len(origin) <= MAX_USERNAME // 2:
            room = MAX_USERNAME - len(dot) - len(origin) - 1
            name = f"{author[:room].rstrip()}…{dot}{origin}"
        else:
            name = name[: MAX_USERNAME - 1].rstrip() + "…"
    if name.casefold() in ("everyone", "here"):
        name = f"{name} (relay)"
    return name or MERGED_NAME


def reply_line(name: str | None, excerpt: str, jump_url: str | None) -> str:
    """The quoted line a reply starts with; the link when the answered message is here."""
    who = f"replying to {quote(name, 60).replace('[', '(').replace(']', ')')}" if name else "reply"
    lead = f"[↪ {who}](<{jump_url}>)" if jump_url else f"↪ {who}"
    words = quote(excerpt, EXCERPT) if excerpt.strip() else ""
    return f"> {lead}: {words}" if words else f"> {lead}"


def frame(relayed: Relayed, reply: str, *, merged: bool) -> tuple[str, str]:
    """(head, tail): what a copy shows before and after its text."""
    head = f"{reply}\n" if reply else ""
    if merged:
        head += f"**{discord.utils.escape_markdown(label_of(relayed))}**: "
    tail = "".join(f"\n{url}" for url in relayed.attachment_urls)
    return head, tail


def render(head: str, text: str, tail: str) -> str:
    """The copy's whole text (the mass mentions made inert once more: nothing ever pings)."""
    body = neutralize_mass_mentions(text.strip())
    if not body and not tail:
        body = NO_TEXT
    return f"{head}{body}{tail}".strip("\n")


def pieces_of(key: str, label: str, head: str, text: str, tail: str) -> list[Piece]:
    """The copy as pieces of at most 2,000 characters, in order."""
    parts = split_text(render(head, text, tail), MAX_CONTENT)
    return [Piece(key, seq, label, head, tail, part) for seq, part in enumerate(parts)]


@dataclass
class Post:
    """One webhook execution: its name, avatar and the pieces it carries."""

    username: str
    avatar_url: str | None
    pieces: list[Piece] = field(default_factory=list)

    @property
    def content(self) -> str:
        return join(piece.content for piece in self.pieces)


def join(contents: Iterable[str]) -> str:
    """A message's text from its pieces' (one line break between them)."""
    return "\n".join(contents)


def solo_posts(relayed: Relayed, pieces: list[Piece]) -> list[Post]:
    """One copy alone: named after its author, with their avatar, one post per piece."""
    username = webhook_username(label_of(relayed))
    return [Post(username, relayed.avatar_url, [piece]) for piece in pieces]


def merged_posts(copies: list[list[Piece]]) -> list[Post]:
    """Several copies packed in order into as few posts of at most 2,000 characters as the
    pieces allow (a piece is never cut: it already fits one post on its own)."""
    posts: list[Post] = []
    for pieces in copies:
        for piece in pieces:
            current = posts[-1] if posts else None
            if current is not None and len(current.content) + 1 + len(piece.content) <= (
                MAX_CONTENT
            ):
                current.pieces.append(piece)
            else:
                posts.append(Post(MERGED_NAME, None, [piece]))
    return posts
