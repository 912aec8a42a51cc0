"""The one composition root: settings in, logging, store, peer index, platform and bot wired up.

Nothing else in the project builds these objects for real, so swapping a platform or a store
happens here and only here. Start-up problems end as one line on stderr and exit code 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import sys
from collections.abc import Coroutine, Iterator
from typing import Any, TextIO, cast

from loguru import logger

from communitybot import __version__
from communitybot.bot import Bot
from communitybot.clock import SystemClock
from communitybot.events import CommunityRef
from communitybot.logging import configure_logging, scrub
from communitybot.peers.index import PeerIndex
from communitybot.registry import JOB_KINDS
from communitybot.scheduler import Scheduler
from communitybot.settings import Settings
from communitybot.store.db import StoreError
from communitybot.store.store import Store

EXIT_OK = 0
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


async def run(
    settings: Settings, *, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """Run the bot until the input ends (console) or the process is told to stop; exit code."""
    configure_logging(settings, settings.secret_values())
    try:
        store = await Store.open(settings.database_path)
    except StoreError as error:
        return fail(str(error))
    except (sqlite3.Error, OSError) as error:
        return fail(f"cannot open the database {settings.database_path}: {error}")
    try:
        with _cancelled_by_sigterm() as terminated:
            try:
                if settings.resolved_adapter() == "matrix":
                    return await _run_matrix(settings, store)
                if settings.resolved_adapter() == "discord":
                    return await _run_discord(settings, store)
                return await _run_console(settings, store, stdin or sys.stdin, stdout or sys.stdout)
            except asyncio.CancelledError:
                if not terminated.is_set():
                    raise
                logger.info("stopping: terminated")
                return EXIT_OK
    finally:
        await store.close()


async def _run_console(settings: Settings, store: Store, stdin: TextIO, stdout: TextIO) -> int:
    # Imported here so the core package never depends on an adapter at import time.
    from adapters.console import ConsolePlatform, run_console
    from adapters.console.terminal import PromptedTerminal

    interactive = _is_tty(stdin)
    # Typing at a terminal: messages that arrive mid-line are printed above the redrawn prompt.
    terminal = PromptedTerminal(stdout) if interactive and _is_tty(stdout) else None
    # The platform only writes and flushes, which the terminal does like any text stream.
    out = stdout if terminal is None else cast(TextIO, terminal)
    platform = ConsolePlatform(out, settings.console_files_dir)
    bot = Bot(store, platform, SystemClock(), PeerIndex(), prefix="/")
    community = CommunityRef(platform.name, settings.console_community)
    logger.info(
        "communitybot {} started: console adapter, database {}",
        __version__,
        settings.database_path,
    )
    async with _scheduler(bot).running():
        return await run_console(
            bot, platform, community, stdin, interactive=interactive, terminal=terminal
        )


async def _run_matrix(settings: Settings, store: Store) -> int:
    """Serve the configured Matrix rooms until terminated; a login problem is one line."""
    from adapters.matrix import MatrixBot, MatrixConfig, MatrixStartupError

    bot = MatrixBot(MatrixConfig.from_settings(settings.matrix), store)
    logger.info(
        "communitybot {} starting: Matrix adapter as {}, database {}",
        __version__,
        settings.matrix.user_id,
        settings.database_path,
    )
    try:
        await _serve_with_scheduler(bot.bot, bot.serve(), bot.ready)
    except MatrixStartupError as error:
        return fail(str(error))
    return EXIT_OK


async def _run_discord(settings: Settings, store: Store) -> int:
    """Serve the bot's Discord guilds until terminated; a bad token is one line."""
    from adapters.discord import DiscordBot, DiscordConfig, DiscordStartupError

    bot = DiscordBot(DiscordConfig.from_settings(settings.discord), store)
    logger.info(
        "communitybot {} starting: Discord adapter, database {}",
        __version__,
        settings.database_path,
    )
    try:
        await _serve_with_scheduler(bot.bot, bot.serve(), bot.ready)
    except DiscordStartupError as error:
        return fail(str(error))
    return EXIT_OK


async def _serve_with_scheduler(
    bot: Bot, serve: Coroutine[Any, Any, None], ready: asyncio.Event
) -> None:
    """Serve the platform; start the scheduler only once it is ready (logged in, connected).

    The scheduler's first act is delivering the outbox the previous run left, and its jobs send
    messages: both need a platform that can send. A start-up error ends `serve` before ready
    and is raised as is; stopping (cancel) stops the scheduler, then the platform.
    """
    serving = asyncio.create_task(serve, name="communitybot-serve")
    waiting = asyncio.create_task(ready.wait())
    try:
        await asyncio.wait({serving, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if not serving.done():
            async with _scheduler(bot).running():
                await asyncio.shield(serving)
        await serving
    finally:
        waiting.cancel()
        if not serving.done():
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving


def _scheduler(bot: Bot) -> Scheduler:
    """The durable scheduler beside the adapter: same bot (lock, store, platform), real time.

    It prints nothing unless a job fires, so scripted console runs stay deterministic.
    """
    return Scheduler(bot, JOB_KINDS)


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


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
