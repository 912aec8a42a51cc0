"""Files only the bot's own user may read: the database (it holds the saved Matrix access token
and members' data), its `-wal`/`-shm` companions, and the files the console exports.

Files are created 0600 and folders the bot creates 0700 from the start, with `os.open`/`mkdir`
modes rather than a process-wide umask (other threads create files too). SQLite gives the
`-wal` and `-shm` files the database file's own permissions on Unix, so a 0600 database is
enough for them. On other systems the mode bits mean nothing and nothing is changed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
POSIX = os.name == "posix"


def make_private_dirs(folder: Path) -> None:
    """Create `folder` and any missing parents 0700; folders that already exist are left as is.

    (`Path.mkdir(parents=True, mode=…)` gives the mode to the last folder only.)
    """
    missing = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # made meanwhile by someone else: theirs, leave it
            continue


def create_private(path: Path) -> bool:
    """Create `path` as an empty 0600 file if it does not exist; True if this call made it."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def open_private_new(path: Path) -> int:
    """A descriptor of a new 0600 file at `path`, for writing; FileExistsError if it exists."""
    return os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)


def loose(path: Path) -> int | None:
    """The permission bits of `path` if group or others may use it, else None."""
    if not POSIX:
        return None
    try:
        info = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    mode = stat.S_IMODE(info.st_mode)
    return mode if mode & 0o077 else None


def tighten(path: Path) -> int | None:
    """Make an existing file 0600 if others could read it; its old mode if it was changed.

    Raises OSError when the mode cannot be changed (a file owned by another user).
    """
    old = loose(path)
    if old is None:
        return None
    path.chmod(PRIVATE_FILE)
    return old
