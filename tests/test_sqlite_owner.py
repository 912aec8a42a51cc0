"""One bot process per SQLite file: a second `communitybot run` on the same file is refused with
one line and touches nothing; the file is free again as soon as the first process ends, even
when it was killed."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from tests.test_console import communitybot, running_console


def _first_bot(tmp_path: Path, database: Path) -> subprocess.Popen[str]:
    """A console bot that keeps running (its input stays open) once it has greeted alice."""
    bot = running_console(tmp_path, database)
    assert bot.stdin is not None and bot.stdout is not None
    bot.stdin.write(":join alice\n")
    bot.stdin.flush()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = bot.stdout.readline()
        if line.startswith("[dm:alice]"):
            return bot
        assert line, "the first bot ended before greeting alice"
    raise AssertionError("the first bot did not greet alice in time")


def test_a_second_bot_on_the_same_sqlite_file_is_refused_until_the_first_ends(
    tmp_path: Path,
) -> None:
    database = tmp_path / "data" / "bot.db"
    first = _first_bot(tmp_path, database)
    try:
        second = communitybot(tmp_path, "run", "--db", str(database), stdin=":join bob\n")
        assert second.code == 2, second.stderr
        assert second.stderr.count("\n") == 1, second.stderr
        assert second.stderr.startswith(
            f"communitybot: another communitybot process is already serving the database "
            f"{database}: stop it first"
        )
        assert "postgresql://" in second.stderr
        assert second.stdout == ""  # nothing was handled: bob never joined
    finally:
        first.send_signal(signal.SIGKILL)  # the hardest way to end: the lock still goes
        first.wait(timeout=30)
        for stream in (first.stdin, first.stdout, first.stderr):
            if stream is not None:
                stream.close()
    third = communitybot(tmp_path, "run", "--db", str(database), stdin=":join bob\n")
    assert third.code == 0, third.stderr
    assert any(line.startswith("[dm:bob]") for line in third.lines)


def test_two_bots_on_different_files_run_side_by_side(tmp_path: Path) -> None:
    first = _first_bot(tmp_path, tmp_path / "a.db")
    try:
        other = communitybot(tmp_path, "run", "--db", str(tmp_path / "b.db"), stdin=":join bob\n")
        assert other.code == 0, other.stderr
    finally:
        assert first.stdin is not None
        first.stdin.close()  # end of input: the first bot stops cleanly
        assert first.wait(timeout=30) == 0
        for stream in (first.stdout, first.stderr):
            if stream is not None:
                stream.close()
