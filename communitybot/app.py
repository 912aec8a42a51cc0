"""The process around the bot: settings in, logging, the database opened, SIGTERM, exit codes.

The wiring itself (store, peer index, bot, scheduler, adapter and its state) is
`communitybot.bootstrap`. Start-up problems end as one line on stderr and exit code 2 (in a
process serving Discord and Matrix, either platform's, and the other is stopped with it). A
leader that loses its platform's leader lock (`communitybot.leader`) — either one, when it
serves both — stops serving at once and exits with code 3 and one line: its supervisor starts
it again, as a standby.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from loguru import logger

from communitybot import bootstrap
from communitybot.command_line import fail
from communitybot.file_modes import make_private_dirs
from communitybot.leader import LeaderLost
from communitybot.logging import configure_logging
from communitybot.settings import Settings
from communitybot.sqlite_owner import AlreadyServed, sole_owner
from communitybot.store.db import StoreError
from communitybot.store.store import Store

EXIT_OK = 0
EXIT_LEADER_LOST = 3
"""The leader lock's database connection ended: restart the process (it waits as a standby)."""


def matrix_command(args: Any) -> int:
    """`communitybot matrix …`: an operator's command on the Matrix adapter's tables."""
    from communitybot.bootstrap import run_matrix_trust

    return run_matrix_trust(args)


async def run(
    settings: Settings, *, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """Run the bot until the input ends (console) or the process is told to stop; exit code."""
    configure_logging(settings, settings.secret_values())
    return await serve_on_store(
        settings,
        lambda store: bootstrap.serve(settings, store, stdin or sys.stdin, stdout or sys.stdout),
    )


async def serve_on_store(settings: Settings, serve: Callable[[Store], Awaitable[int]]) -> int:
    """Open the configured database, run `serve` on it until it returns or the process is told
    to stop (SIGTERM), close the database; the exit code. The one way every long-running
    command (`run`, `worker`) opens its store and ends: the same settings (pool size included),
    the same one-line start-up failures and exit codes. On a SQLite file the process first
    becomes the file's only server (`communitybot.sqlite_owner`), before any migration."""
    target = settings.database_target
    with contextlib.ExitStack() as owner:
        if isinstance(target, Path):
            try:
                make_private_dirs(target.parent)
                owner.enter_context(sole_owner(target))
            except AlreadyServed as error:
                return fail(str(error))
            except OSError as error:  # no lock file here: opening the database says why
                logger.debug("no single-process guard for {}: {}", target, error)
        return await _serve_opened(settings, serve)


async def _serve_opened(settings: Settings, serve: Callable[[Store], Awaitable[int]]) -> int:
    try:
        store = await bootstrap.open_store(
            settings.database_target, pool_size=settings.database_pool_size
        )
    except StoreError as error:
        return fail(str(error))
    except (sqlite3.Error, OSError) as error:
        return fail(f"cannot open the database {settings.database_shown}: {error}")
    try:
        with _cancelled_by_sigterm() as terminated:
            try:
                return await serve(store)
            except bootstrap.StartupFailed as error:
                return fail(str(error))
            except LeaderLost as error:
                logger.error("{}", error)
                return EXIT_LEADER_LOST
            except asyncio.CancelledError:
                if not terminated.is_set():
                    raise
                logger.info("stopping: terminated")
                return EXIT_OK
    finally:
        await store.close()


@contextlib.contextmanager
def _cancelled_by_sigterm() -> Iterator[asyncio.Event]:
    """`docker stop` sends SIGTERM: cancel the main task once, so the store still closes cleanly.

    Outside the block (while closing) a SIGTERM is ignored rather than cancelling the close.
    """
    terminated = asyncio.Event()
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    active = True

    def stop() -> None:
        # A signal that arrived just before the block ended is delivered just after it.
        if active and task is not None and not terminated.is_set():
            terminated.set()
            task.cancel()
        else:
            logger.info("already stopping")

    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGTERM, stop)
    try:
        yield terminated
    finally:
        active = False
