"""One bot process per SQLite file: a second `communitybot run` on the same file is refused.

Why: on a SQLite file the bot process runs its own jobs and delivers its own outbox rows, and
it takes over any row another owner left (a previous run of itself). Two processes on one file
would both hold a platform connection and answer every command twice, and each would deliver
the other's messages. Several processes need PostgreSQL (`communitybot.leader`, worker claims).

How: an exclusive, non-blocking `flock` on `<database>.lock` beside the file, held for the
process's life. The operating system drops it when the process ends however it ends (SIGKILL
included), so a crashed run never leaves a stale lock behind; the lock file itself is harmless
and is left in place. Read-only commands (`communitybot db check`, `db copy --from`) take no lock:
they may look at a running bot's database. Where `fcntl` does not exist (Windows) there is no
guard.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from communitybot.file_modes import PRIVATE_FILE


class AlreadyServed(Exception):
    """Another process holds the database file; the message is one line for the operator."""


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextlib.contextmanager
def sole_owner(database: Path) -> Iterator[None]:
    """Hold `database`'s lock for the block; raise `AlreadyServed` if another process has it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX: no guard
        yield
        return
    path = lock_path(database)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyServed(
                f"another communitybot process is already serving the database {database}: "
                "stop it first (one process per SQLite file; several processes need "
                "COMMUNITYBOT_DATABASE_URL=postgresql://…)"
            ) from None
        yield
    finally:
        os.close(fd)  # releases the lock
