"""The interactive console in a real pseudo-terminal: a reminder that arrives while a member is
typing is printed above the prompt, and the prompt and the half-typed line are drawn again.

The reminder is a real scheduler job (an `/ask` follow-up) whose due time the test moves to a
few seconds after start-up; the process runs `communitybot run` on a pty, as a person's terminal.
"""

from __future__ import annotations

import io
import os
import pty
import re
import select
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.console.terminal import CLEAR_LINE, PromptedTerminal
from tests.test_console import clean_env, communitybot

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

REMINDER = "How did it go with your problem of practice"
TYPED = "/tags add ma"
WAIT_S = 60.0
_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[^\[]|.", re.DOTALL)


def screen(raw: str) -> list[str]:
    """The lines a terminal shows for `raw`: enough of one for readline's echo and our redraw
    (carriage return, newline, backspace, erase-to-end-of-line; other escapes ignored)."""
    lines, column = [""], 0
    for token in _ESCAPE.findall(raw):
        if token == "\x1b[K":
            lines[-1] = lines[-1][:column]
        elif token.startswith("\x1b") or token == "\x07":
            continue
        elif token == "\r":
            column = 0
        elif token == "\n":
            lines.append("")
            column = 0
        elif token == "\b":
            column = max(0, column - 1)
        else:
            line = lines[-1].ljust(column)
            lines[-1] = line[:column] + token + line[column + 1 :]
            column += 1
    return lines


class Terminal:
    """`communitybot run` on a pseudo-terminal: type into it, read what it shows."""

    def __init__(self, cwd: Path, db: Path) -> None:
        self.master, slave = pty.openpty()
        self.stderr = (cwd / "stderr.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "communitybot", "run", "--db", str(db)],
            stdin=slave,
            stdout=slave,
            stderr=self.stderr,
            cwd=cwd,
            env=clean_env(TERM="xterm"),
            close_fds=True,
        )
        os.close(slave)
        self.raw = ""

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def read_until(self, done: Callable[[str], bool], what: str) -> None:
        """Read the terminal until `done(raw output)`; fails after WAIT_S without it."""
        deadline = time.monotonic() + WAIT_S
        while not done(self.raw):
            left = deadline - time.monotonic()
            assert left > 0, f"no {what} on the terminal: {screen(self.raw)[-8:]}"
            readable, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if readable:
                try:
                    self.raw += os.read(self.master, 65536).decode("utf-8", "replace")
                except OSError:  # the process ended and closed the terminal
                    assert done(self.raw), f"no {what}: {screen(self.raw)[-8:]}"

    def shows_at_the_end(self, line: str) -> Callable[[str], bool]:
        return lambda raw: screen(raw)[-1] == line

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        os.close(self.master)
        self.stderr.close()


def test_lines_printed_while_a_prompt_shows_go_above_it_with_the_typed_text_redrawn() -> None:
    out = io.StringIO()
    terminal = PromptedTerminal(out, line_buffer=lambda: "/tags add ma")
    terminal.write("[console] before any prompt\n")
    with terminal.showing("alice> "):  # what `input()` does while it waits for the line
        terminal.write("[dm:alice] 👋 How did")
        assert out.getvalue() == "[console] before any prompt\n", "half a line waits for its end"
        terminal.write(" it go?\n[dm:alice] Share the outcome.\n")
    assert out.getvalue().endswith(
        f"{CLEAR_LINE}[dm:alice] 👋 How did it go?\n[dm:alice] Share the outcome.\n"
        "alice> /tags add ma"
    )
    assert screen(out.getvalue())[-1] == "alice> /tags add ma"


def an_ask_reminder_due_in(tmp_path: Path, db: Path, seconds: float) -> None:
    """alice asked something a day ago (scripted run); her follow-up is due `seconds` from now."""
    run = communitybot(
        tmp_path,
        "run",
        "--db",
        str(db),
        stdin=":join alice\nstop\n/ask days=1 channel=general How do you run exit tickets?\n",
    )
    assert run.code == 0 and "[#general]" in run.stdout, run.stdout
    due = (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="seconds")
    with sqlite3.connect(db) as connection:
        moved = connection.execute(
            "UPDATE jobs SET due_at = ? WHERE kind = 'ask.reminder' AND status = 'pending'", (due,)
        ).rowcount
    connection.close()
    assert moved == 1


def test_a_reminder_arriving_mid_typing_keeps_the_prompt_and_the_typed_text(
    tmp_path: Path,
) -> None:
    # The reminder must arrive after the half line is typed; a slow start-up gets a longer delay.
    for attempt, delay in enumerate((5, 15, 40)):
        db = tmp_path / f"bot-{attempt}.db"
        an_ask_reminder_due_in(tmp_path, db, delay)
        terminal = Terminal(tmp_path, db)
        try:
            terminal.read_until(terminal.shows_at_the_end("> "), "first prompt")
            terminal.type(":as alice\n")
            terminal.read_until(terminal.shows_at_the_end("alice> "), "alice's prompt")
            terminal.type(TYPED)
            terminal.read_until(terminal.shows_at_the_end(f"alice> {TYPED}"), "typed text")
            if REMINDER in terminal.raw:
                continue  # it came before the typing: try again with more time
            terminal.read_until(lambda raw: REMINDER in raw, "reminder")
            terminal.read_until(terminal.shows_at_the_end(f"alice> {TYPED}"), "redrawn prompt")
            shown = screen(terminal.raw)
            (reminder,) = [line for line in shown if REMINDER in line]
            assert reminder.startswith("[dm:alice] 👋 How did it go"), shown
            assert not [line for line in shown[:-1] if TYPED in line and "[" in line], shown
            assert shown.index(reminder) < len(shown) - 1, "the prompt is below the reminder"

            terminal.type("ths\n")  # the rest of the line: the whole command reaches the bot
            terminal.read_until(lambda raw: "Added **maths**" in raw, "the command's answer")
            terminal.type(":quit\n")
            assert terminal.process.wait(timeout=30) == 0
            return
        finally:
            terminal.close()
    pytest.fail("the bot never started quickly enough to type before the reminder")


def test_a_bracketed_paste_of_several_lines_runs_each_line(tmp_path: Path) -> None:
    """Terminals with bracketed paste hand readline the whole pasted block as one line."""
    terminal = Terminal(tmp_path, tmp_path / "bot.db")
    try:
        terminal.read_until(terminal.shows_at_the_end("> "), "first prompt")
        terminal.type(
            "\x1b[200~:join alice   # she joins\n/tags add #maths   # a tag\n:as bob\x1b[201~\n"
        )
        terminal.read_until(terminal.shows_at_the_end("bob> "), "bob's prompt")
        shown = screen(terminal.raw)
        assert "[console] alice joined; you are now alice." in shown, shown
        assert "[reply:alice] Added **maths** to your profile." in shown, shown
        assert "[console] You are now bob." in shown, shown
        terminal.type(":quit\n")
        assert terminal.process.wait(timeout=30) == 0
    finally:
        terminal.close()
