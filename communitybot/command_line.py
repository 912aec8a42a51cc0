"""What every `communitybot` subcommand shares: a failure said in one line with exit code 2, and
a database named on the command line.

A module of its own, below the process (`app`), the database commands (`dbcli`), the wiring
(`bootstrap`) and the adapters' operator commands (the Matrix trust command), so each of them
imports it and none imports another for these.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from communitybot.logging import register_secret, scrub
from communitybot.store.urls import is_postgres, password_forms, port_is_valid, redacted_host

EXIT_CONFIG = 2
FAIL_LINE_LIMIT = 600
"""Characters of one start-up failure line; a remote text inside it is already shorter."""


def fail(line: str, stream: TextIO | None = None) -> int:
    """Report a start-up problem the way every one is reported: one line, exit code 2.

    The line is scrubbed like a log line (configured and learnt secrets, secret-shaped text)
    and kept to one short line, since it may quote a server's or a library's words.
    """
    print(f"communitybot: {scrub(line, FAIL_LINE_LIMIT)}", file=stream or sys.stderr, flush=True)
    return EXIT_CONFIG


class UsageError(Exception):
    """A database argument the command cannot use; the message is one line."""


def parse_target(text: str, option: str) -> str | Path:
    """A database named on the command line: postgresql://…, sqlite:///path, or a plain path."""
    value = text.strip()
    if is_postgres(value):
        for password in password_forms(value):
            register_secret(password)
        if not port_is_valid(value):
            raise UsageError(
                f"{option}: the port in {redacted_host(value)} is not a number "
                "(postgresql://user:password@host:5432/name)"
            )
        return value
    if value.lower().startswith("sqlite://"):
        # As SQLAlchemy (and COMMUNITYBOT_DATABASE_URL) read it: sqlite:///relative.db,
        # sqlite:////absolute/path.db
        path = value.split("://", 1)[1][1:]
        if not path:
            raise UsageError(f"{option}: sqlite:/// needs a file path, e.g. sqlite:///data/bot.db")
        return Path(path).expanduser()
    if "://" in value:
        scheme = value.split("://", 1)[0]
        raise UsageError(
            f"{option}: unknown database URL scheme {scheme[:20]!r}: use postgresql://user@host/db"
            " or sqlite:///path/to/communitybot.db (or a plain file path)"
        )
    if not value:
        raise UsageError(f"{option}: give a database URL or a file path")
    return Path(value).expanduser()
