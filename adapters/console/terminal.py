"""The interactive console's output: bot messages that arrive while someone is typing.

A reminder or a chat question can arrive from the scheduler while the person at the keyboard
is half-way through a line. Printed as is, it would land after the half-typed text and leave
the prompt behind, so the line being typed looks lost. `PromptedTerminal` stands between the
console platform and the real stdout: while a prompt is showing it clears the prompt's line,
prints the message's lines, then draws the prompt again with what was typed so far (readline's
line buffer), so the typing carries on where it was. Only used when stdin and stdout are a
terminal; scripted runs print exactly the bot's lines.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Callable, Iterator
from typing import TextIO

CLEAR_LINE = "\r\x1b[K"
"""Back to the start of the line, then erase it (ANSI; every terminal readline supports)."""


def readline_buffer() -> str:
    """What has been typed on the current line so far ("" without readline)."""
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline: only the prompt is redrawn
        return ""
    return readline.get_line_buffer()


class PromptedTerminal(io.TextIOBase):
    """A text stream that keeps the input prompt (and the typed text) below what is printed."""

    def __init__(self, out: TextIO, line_buffer: Callable[[], str] = readline_buffer) -> None:
        super().__init__()
        self._out = out
        self._line_buffer = line_buffer
        self._lock = threading.Lock()
        self._prompt: str | None = None
        self._partial = ""

    def input(self, prompt: str) -> str:
        """`input(prompt)`, remembering that the prompt shows until the line is entered."""
        with self.showing(prompt):
            return input(prompt)

    @contextlib.contextmanager
    def showing(self, prompt: str) -> Iterator[None]:
        """While inside, `prompt` is on the screen: printed lines go above it."""
        with self._lock:
            self._prompt = prompt
        try:
            yield
        finally:
            with self._lock:
                self._prompt = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        """Print whole lines above the prompt; a partial line waits for its end (or a flush)."""
        with self._lock:
            if self._prompt is None:
                self._out.write(self._partial + text)
                self._partial = ""
                return len(text)
            pending = self._partial + text
            complete, newline, self._partial = pending.rpartition("\n")
            if newline:
                self._out.write(CLEAR_LINE + complete + "\n" + self._prompt + self._line_buffer())
            return len(text)

    def flush(self) -> None:
        with self._lock:
            if self._partial and self._prompt is None:
                self._out.write(self._partial)
                self._partial = ""
            self._out.flush()
