"""Splitting a long text into parts a platform accepts, losing nothing and garbling no Markdown.

Every platform caps one message (Discord: 2,000 characters; a Matrix event: 64 KiB). The core
writes whatever a member asked for, however long; the adapter that knows its platform's cap calls
`split_text` with it and sends the parts in order. The rules are what chat users expect:

- Cut between lines. A line longer than a part is cut between words, a word longer than a part
  where it must be.
- Never inside a Markdown span (bold, italic, underline, strike, spoiler, inline code) when a
  word boundary outside every span fits; otherwise the span is closed at the cut and reopened in
  the next part, so each part renders on its own.
- A ``` code block cut in two is closed at the end of one part and reopened (with its language)
  at the start of the next.
- Only whitespace is dropped, and only at a cut (the newline or spaces where the text was cut),
  plus blank lines at the edges of a part.

It is a pure function of the text and the limit (in characters, i.e. code points, as Discord
counts), so every adapter shares one rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FENCE = "```"
CLOSE_FENCE = "\n" + FENCE
"""What ends a part cut inside a code block."""

_CODE_SPAN = re.compile(r"(``?)(?!`)(.+?)(?<!`)\1(?!`)")
_SPAN_PATTERNS = (
    ("**", re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")),
    ("__", re.compile(r"__(?=\S)(.+?)(?<=\S)__")),
    ("~~", re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")),
    ("||", re.compile(r"\|\|(.+?)\|\|")),
    ("*", re.compile(r"(?<![\w*])\*(?=[^\s*])([^*]+?)(?<=[^\s*])\*(?![\w*])")),
    ("_", re.compile(r"(?<![\w_])_(?=[^\s_])([^_]+?)(?<=[^\s_])_(?![\w_])")),
)
_MASK = "\0"
MIN_LIMIT = 64
"""Room for a reopened fence with its language, a closing fence and some text."""
MAX_LANGUAGE = 20


@dataclass(frozen=True)
class Span:
    """An inline Markdown span of one line: `line[start:end]`, opened and closed by `marker`."""

    start: int
    end: int
    marker: str

    def encloses(self, cut: int) -> bool:
        return self.start < cut < self.end

    def splits_marker(self, cut: int) -> bool:
        width = len(self.marker)
        return self.start < cut < self.start + width or self.end - width < cut < self.end


def inline_spans(line: str) -> list[Span]:
    """The line's inline spans, properly nested (a span crossing an earlier one is ignored).

    Inline code is found first and is opaque (markers inside it are literal).
    """
    spans: list[Span] = []
    masked = line
    for match in _CODE_SPAN.finditer(line):
        spans.append(Span(match.start(), match.end(), match.group(1)))
        masked = (
            masked[: match.start()] + _MASK * (match.end() - match.start()) + masked[match.end() :]
        )
    for marker, pattern in _SPAN_PATTERNS:
        for match in pattern.finditer(masked):
            if _MASK in match.group(0):
                continue
            span = Span(match.start(), match.end(), marker)
            if any(_crosses(span, other) for other in spans):
                continue
            spans.append(span)
            width = len(marker)
            masked = (
                masked[: span.start]
                + _MASK * width
                + masked[span.start + width : span.end - width]
                + _MASK * width
                + masked[span.end :]
            )
    return sorted(spans, key=lambda s: (s.start, -s.end))


def _crosses(a: Span, b: Span) -> bool:
    return a.start < b.start < a.end < b.end or b.start < a.start < b.end < a.end


def split_line(line: str, width: int, *, code: bool = False) -> list[str]:
    """One line as fragments of at most `width` characters, cut at word boundaries.

    Outside code (`code=False`) a cut avoids Markdown spans when it can and otherwise closes
    the spans it is inside and reopens them in the next fragment. Inside a code block every
    character is literal.
    """
    spans = [] if code else inline_spans(line)
    fragments: list[str] = []
    pos = 0
    reopen = ""
    while len(reopen) + len(line) - pos > width:
        cut, closers, openers = _best_cut(line, pos, width - len(reopen), spans)
        fragments.append(reopen + line[pos:cut].rstrip() + closers)
        reopen = openers
        pos = cut
        while pos < len(line) and line[pos].isspace():
            pos += 1
    tail = line[pos:]
    if tail or not fragments:
        fragments.append(reopen + tail)
    return fragments


def _best_cut(line: str, pos: int, room: int, spans: list[Span]) -> tuple[int, str, str]:
    """Where to cut `line[pos:]` so the fragment fits `room`: (index, closers, openers).

    Preference: whitespace outside every span; whitespace inside spans (closing them); any
    position that splits no marker; finally exactly `room` characters (tiny limits only).
    """
    limit = min(len(line), pos + room)
    breaks = [
        i
        for i in range(limit, pos, -1)
        if i < len(line) and line[i].isspace() and not line[i - 1].isspace()
    ]
    for i in breaks:
        if not any(s.encloses(i) for s in spans):
            return i, "", ""
    for i in breaks:
        closers, openers = _markers(spans, i)
        if i - pos + len(closers) <= room:
            return i, closers, openers
    for i in range(limit, pos, -1):
        if any(s.splits_marker(i) for s in spans):
            continue
        closers, openers = _markers(spans, i)
        if i - pos + len(closers) <= room and line[pos:i].strip():
            return i, closers, openers
    return pos + max(1, room), "", ""


def _markers(spans: list[Span], cut: int) -> tuple[str, str]:
    """(closers, openers) of the spans enclosing `cut`, innermost closed first."""
    enclosing = [s.marker for s in spans if s.encloses(cut)]
    return "".join(reversed(enclosing)), "".join(enclosing)


def _toggles_fence(line: str) -> bool:
    """Whether the line opens or closes a ``` block (an odd number of fences on it)."""
    return line.count(FENCE) % 2 == 1


def _reopening(line: str) -> str:
    """The fence that reopens the block this line opened (keeping a language tag)."""
    stripped = line.strip()
    if stripped.startswith(FENCE):
        language = stripped[len(FENCE) :]
        if (
            language
            and len(language) <= MAX_LANGUAGE
            and FENCE not in language
            and not any(c.isspace() for c in language)
        ):
            return FENCE + language
    return FENCE


def split_text(text: str, limit: int) -> list[str]:
    """`text` as parts of at most `limit` characters, in order (see the module's rules).

    A text that fits comes back whole and untouched.
    """
    if limit < MIN_LIMIT:
        raise ValueError(f"a part must allow at least {MIN_LIMIT} characters")
    if len(text) <= limit:
        return [text]
    packer = _Packer(limit)
    for line in text.split("\n"):
        packer.add(line)
    return packer.finish()


class _Packer:
    """Greedily packs lines into parts, tracking whether a code block is open."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.lines: list[str] = []
        self.size = 0
        self.fence: str | None = None
        """The fence reopening the code block open at the end of `lines` (None: no block)."""
        self.carried = False
        """Whether `lines` starts with a reopened fence and nothing else yet."""

    def _fits(self, line: str, block_after: bool) -> bool:
        separator = 1 if self.lines else 0
        reserve = len(CLOSE_FENCE) if block_after else 0
        return self.size + separator + len(line) + reserve <= self.limit

    def _append(self, line: str) -> None:
        if not self.lines and not line.strip():
            return  # a part never starts with a blank line
        self.size += (1 if self.lines else 0) + len(line)
        self.lines.append(line)
        self.carried = False

    def flush(self) -> None:
        """End the current part (closing an open code block) and start the next one."""
        if self.carried or not self.lines:
            return
        while self.lines and not self.lines[-1].strip():
            self.lines.pop()
        body = "\n".join(self.lines)
        if self.fence is not None:
            body += CLOSE_FENCE
        if body.strip():
            self.parts.append(body)
        self.lines, self.size = [], 0
        if self.fence is not None:
            self.lines, self.size, self.carried = [self.fence], len(self.fence), True

    def add(self, line: str) -> None:
        in_block = self.fence is not None
        block_after = in_block != _toggles_fence(line)
        if not self._fits(line, block_after):
            self.flush()
        if self._fits(line, block_after):
            self._place(line, block_after)
            return
        # Longer than a whole part: cut it. Fence lines are never this long in practice;
        # if one is, its pieces are plain text.
        reopen = len(self.fence) + 1 if self.fence is not None else 0
        width = self.limit - reopen - (len(CLOSE_FENCE) if in_block else 0)
        for fragment in split_line(line, width, code=in_block):
            if not self._fits(fragment, in_block):
                self.flush()
            self._append(fragment)
        if block_after != in_block:
            self.fence = _reopening(line) if block_after else None

    def _place(self, line: str, block_after: bool) -> None:
        if block_after and self.fence is None:
            self.fence = _reopening(line)
        elif not block_after:
            self.fence = None
        if self.carried and not block_after:
            # The block closes right where the part starts: drop the reopened fence and
            # this closing fence instead of leaving an empty block.
            self.lines, self.size, self.carried = [], 0, False
            return
        self._append(line)

    def finish(self) -> list[str]:
        if self.carried:
            self.lines, self.size, self.carried = [], 0, False
        # An unclosed block stays as unclosed as the text had it.
        if self.lines:
            while self.lines and not self.lines[-1].strip():
                self.lines.pop()
            body = "\n".join(self.lines)
            if body.strip():
                self.parts.append(body)
        return self.parts
