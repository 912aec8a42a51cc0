"""The `communitybot worker` process: due jobs only, no platform connection (issue #13).

A network on PostgreSQL may run any number of workers beside its Discord and Matrix processes:
each runs the due jobs of its platform's communities (except the kinds that need the live
connection), and the messages those jobs produce wait in the outbox for the platform's own
process to deliver. Jobs are claimed so that each runs exactly once however many processes race
(`communitybot.store.jobs`). On SQLite one process serves a database file and already runs its
jobs, so a worker is refused there with one line, before any file is opened or created.

Settings, logging, SIGTERM and exit codes work as for `communitybot run` (`communitybot.app`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from communitybot import bootstrap
from communitybot.app import serve_on_store
from communitybot.command_line import fail
from communitybot.logging import configure_logging
from communitybot.settings import Settings

SQLITE_REFUSED = (
    "a worker needs a PostgreSQL database (COMMUNITYBOT_DATABASE_URL=postgresql://…): on the "
    "SQLite file {} the bot process itself runs the scheduled jobs, one process per file"
)


async def run_worker(settings: Settings, *, stdout: TextIO | None = None) -> int:
    """Run the worker until it is stopped (SIGTERM, Ctrl-C); the exit code."""
    configure_logging(settings, settings.secret_values())
    if isinstance(settings.database_target, Path):
        return fail(SQLITE_REFUSED.format(settings.database_shown))
    return await serve_on_store(
        settings, lambda store: bootstrap.serve_worker(settings, store, stdout or sys.stdout)
    )
