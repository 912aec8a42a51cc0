"""The composition root: the one place that builds the store, the peer index, the bot, the
scheduler, the platform adapter and the adapter's state, and hands each what it needs.

Dependency direction: adapters depend on the core's ports (`communitybot.ports`), events and
replies; the core depends on no adapter. Only this module imports an adapter, and only inside
the functions that build one (nothing is imported at import time), so the core package never
needs discord.py or matrix-nio. Test harnesses build their bots with these same functions, so
there is exactly one copy of the wiring.

What an adapter is handed:
- the core's `Bot` (on the adapter's own platform), which it feeds events;
- its `AdapterState` (its own tables, own migrations, own transactions; `adapter_state.py`),
  sharing the Bot's write lock so no adapter write lands inside an event's transaction;
- `CoreQueries` (read-only: a community's tags and channels, "is this a member?").
The scheduler is built here from the Bot and started once the platform is ready.

On PostgreSQL a platform process first takes that platform's leader lock
(`communitybot.leader`): a replica started while another leads waits there as a standby, before
any login, gateway connection, sync or scheduler; a leader that loses the lock stops at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from loguru import logger

from communitybot import __version__
from communitybot.adapter_state import SqliteAdapterState
from communitybot.bot import Bot
from communitybot.clock import Clock, SystemClock
from communitybot.events import CommunityRef
from communitybot.leader import LeaderLock, LeaderLost
from communitybot.peers.index import PeerIndex
from communitybot.ports import AdapterMigration, ChatPlatform
from communitybot.priority_lock import PriorityLock
from communitybot.queries import StoreQueries
from communitybot.registry import JOB_KINDS
from communitybot.scheduler import Scheduler
from communitybot.settings import Settings
from communitybot.store.db import StoreError
from communitybot.store.store import Store
from communitybot.wakeup import Wakeup

if TYPE_CHECKING:
    from adapters.discord import DiscordBot, DiscordConfig
    from adapters.matrix import MatrixBot, MatrixConfig


class StartupFailed(Exception):
    """Start-up cannot continue; the message is one line for the operator."""


@dataclass
class Core:
    """The platform-neutral parts one bot process shares."""

    store: Store
    clock: Clock = field(default_factory=SystemClock)
    peers: Any = field(default_factory=PeerIndex)
    lock: PriorityLock = field(default_factory=PriorityLock)
    """The writer turn: the Bot's units of work and the adapter's state writes take turns on
    the one write connection."""

    @cached_property
    def queries(self) -> StoreQueries:
        """The read-only questions adapters may ask (`CoreQueries`)."""
        return StoreQueries(self.store)

    def bot(self, platform: ChatPlatform, prefix: str, *, delivers: bool = True) -> Bot:
        """The core's bot on this platform (the only place a `Bot` is built for real).
        `delivers`: False for a worker, whose outbox rows the platform's own process delivers."""
        return Bot(
            self.store,
            platform,
            self.clock,
            self.peers,
            prefix,
            lock=self.lock,
            wakeup=self.store.wakeup,
            delivers=delivers,
        )

    async def adapter_state(
        self, namespace: str, migrations: Sequence[AdapterMigration]
    ) -> SqliteAdapterState:
        """The adapter's own tables, migrated; a schema problem is a `StartupFailed`."""
        try:
            return await SqliteAdapterState.open(
                self.store.db, self.lock, namespace, migrations, self.store.adapter_data
            )
        except StoreError as error:
            raise StartupFailed(str(error)) from error


def adapter_schemas() -> dict[str, Sequence[AdapterMigration]]:
    """Every adapter's own migrations by namespace: `communitybot db migrate` applies them all,
    so a database it prepared serves any adapter (and `db copy`/`db check` know the versions)."""
    from adapters.discord import schema as discord_schema
    from adapters.matrix import schema as matrix_schema

    return {
        discord_schema.NAMESPACE: discord_schema.MIGRATIONS,
        matrix_schema.NAMESPACE: matrix_schema.MIGRATIONS,
    }


async def open_store(target: str | Path, *, pool_size: int | None = None) -> Store:
    """The store on the database (a SQLite file or a PostgreSQL URL: `settings.database_target`),
    migrated (raises StoreError and sqlite3/OS errors).

    It gets the process's one `Wakeup`: its job repository, the Bot's outbox and the scheduler
    (`build_scheduler`) all take it by constructor, so nothing hooks itself in later."""
    return await Store.open(target, wakeup=Wakeup(), pool_size=pool_size)


def build_scheduler(bot: Bot) -> Scheduler:
    """The durable scheduler beside the adapter: same bot (lock, store, platform), real time.

    It prints nothing unless a job fires, so scripted console runs stay deterministic.
    """
    return Scheduler(bot, JOB_KINDS, wakeup=bot.wakeup)


async def discord_bot(config: DiscordConfig, core: Core) -> DiscordBot:
    """The Discord adapter wired to the core: client, platform, Bot, state."""
    from adapters.discord import DiscordBot, DiscordPlatform
    from adapters.discord.runner import discord_client
    from adapters.discord.schema import MIGRATIONS, NAMESPACE

    state = await core.adapter_state(NAMESPACE, MIGRATIONS)
    platform = DiscordPlatform(discord_client(config), core.queries, state, config.dm_interval)
    return DiscordBot(config, platform, core.bot(platform, "/"), state)


async def matrix_bot(config: MatrixConfig, core: Core) -> MatrixBot:
    """The Matrix adapter wired to the core: client, platform, Bot, state, queries."""
    from adapters.matrix import MatrixBot
    from adapters.matrix.runner import matrix_platform
    from adapters.matrix.schema import MIGRATIONS, NAMESPACE

    state = await core.adapter_state(NAMESPACE, MIGRATIONS)
    platform = matrix_platform(config, state)
    return MatrixBot(config, platform, core.bot(platform, config.prefix), core.queries)


async def serve(settings: Settings, store: Store, stdin: TextIO, stdout: TextIO) -> int:
    """Run the configured adapter until its input ends or it is stopped; the exit code.

    A start-up problem (bad token, unreachable homeserver, adapter state too new) is raised as
    `StartupFailed`, one line.
    """
    core = Core(store)
    adapter = settings.resolved_adapter()
    if adapter == "matrix":
        await _serve_matrix(settings, core)
        return 0
    if adapter == "discord":
        await _serve_discord(settings, core)
        return 0
    return await _serve_console(settings, core, stdin, stdout)


async def _serve_console(settings: Settings, core: Core, stdin: TextIO, stdout: TextIO) -> int:
    from adapters.console import ConsolePlatform, run_console
    from adapters.console.terminal import PromptedTerminal

    interactive = _is_tty(stdin)
    # Typing at a terminal: messages that arrive mid-line are printed above the redrawn prompt.
    terminal = PromptedTerminal(stdout) if interactive and _is_tty(stdout) else None
    # The platform only writes and flushes, which the terminal does like any text stream.
    out = stdout if terminal is None else cast(TextIO, terminal)
    platform = ConsolePlatform(out, settings.console_files_dir)
    bot = core.bot(platform, "/")
    community = CommunityRef(platform.name, settings.console_community)
    logger.info(
        "communitybot {} started: console adapter, database {}",
        __version__,
        settings.database_shown,
    )
    async with build_scheduler(bot).running():
        return await run_console(
            bot, platform, community, stdin, interactive=interactive, terminal=terminal
        )


async def _serve_matrix(settings: Settings, core: Core) -> None:
    """Serve the configured Matrix rooms until terminated; a login problem is one line."""
    from adapters.matrix import MatrixConfig, MatrixStartupError

    bot = await matrix_bot(MatrixConfig.from_settings(settings.matrix), core)
    logger.info(
        "communitybot {} starting: Matrix adapter as {}, database {}",
        __version__,
        settings.matrix.user_id,
        settings.database_shown,
    )
    try:
        await _lead_and_serve("matrix", bot)  # before the login, the first sync, any post
    except MatrixStartupError as error:
        raise StartupFailed(str(error)) from error


async def _serve_discord(settings: Settings, core: Core) -> None:
    """Serve the bot's Discord guilds until terminated; a bad token is one line."""
    from adapters.discord import DiscordConfig, DiscordStartupError

    bot = await discord_bot(DiscordConfig.from_settings(settings.discord), core)
    logger.info(
        "communitybot {} starting: Discord adapter, database {}",
        __version__,
        settings.database_shown,
    )
    try:
        await _lead_and_serve("discord", bot)  # before the login and the gateway connection
    except DiscordStartupError as error:
        raise StartupFailed(str(error)) from error


async def _lead_and_serve(platform: str, adapter_bot: Any) -> None:
    """Take `platform`'s leader lock (a standby waits here: `communitybot.leader`), then serve
    with the scheduler; a dead predecessor's undelivered outbox rows are adopted after the
    grace in which a leader that lost its lock is still stopping."""
    bot: Bot = adapter_bot.bot
    async with LeaderLock(bot.store.db, platform) as leader:
        bot.outbox.adopt_orphans(leader.takeover_grace)
        await serve_with_scheduler(
            build_scheduler(bot), adapter_bot.serve(), adapter_bot.ready, leader
        )


async def serve_with_scheduler(
    scheduler: Scheduler,
    serve: Coroutine[Any, Any, None],
    ready: asyncio.Event,
    leader: LeaderLock | None = None,
) -> None:
    """Serve the platform; start the scheduler only once it is ready (logged in, connected).

    The scheduler's first act is delivering the outbox the previous run left, and its jobs send
    messages: both need a platform that can send. A start-up error ends `serve` before ready
    and is raised as is; stopping (cancel) stops the scheduler, then the platform.

    `leader` is the platform's leader lock, already held: if it is lost (its database
    connection ended, so another process may lead now), the platform is stopped at once, then
    the scheduler, and `LeaderLost` is raised (the process exits; see `communitybot.leader`).
    """
    serving = asyncio.create_task(serve, name="communitybot-serve")
    waiting = asyncio.create_task(ready.wait())
    lost = asyncio.create_task(leader.wait_lost() if leader is not None else _forever())
    try:
        await asyncio.wait({serving, waiting, lost}, return_when=asyncio.FIRST_COMPLETED)
        if not serving.done() and not lost.done():
            async with scheduler.running():
                # Like a shield: cancelling this task (SIGTERM) leaves `serving` running
                # until the scheduler has stopped.
                await asyncio.wait({serving, lost}, return_when=asyncio.FIRST_COMPLETED)
                if lost.done():
                    await _stopped(serving)  # no more answers, before the scheduler stops
        if lost.done() and leader is not None:
            await _stopped(serving)
            raise LeaderLost(leader.why_lost)
        await serving
    finally:
        waiting.cancel()
        lost.cancel()
        await _stopped(serving)


async def _forever() -> None:
    await asyncio.Event().wait()


async def _stopped(task: asyncio.Task[None]) -> None:
    """Cancel `task` if it still runs and wait until it has ended (its errors are not ours)."""
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def serve_worker(settings: Settings, store: Store, stdout: TextIO) -> int:
    """`communitybot worker`: run due jobs of the configured platform's communities until
    stopped, with no platform connection (issue #13; `communitybot.worker` checks the database
    is shared first).

    The adapter's platform object is built but never connected: jobs use it only to format
    mentions, the kinds that need the connection (`JobKind.live`) are left to the platform's
    own process, and the actions jobs return go to the outbox, which that process delivers
    (a `Bot` that does not deliver). A start-up problem is a `StartupFailed`, one line.
    """
    core = Core(store)
    adapter = settings.resolved_adapter()
    platform, prefix = await _unconnected_platform(settings, core, adapter, stdout)
    bot = core.bot(platform, prefix, delivers=False)
    scheduler = Scheduler(bot, JOB_KINDS, wakeup=bot.wakeup, live=False)
    try:
        async with scheduler.running():
            logger.info(
                "communitybot {} started: worker for {} communities (no platform connection),"
                " database {}",
                __version__,
                platform.name,
                settings.database_shown,
            )
            await asyncio.Event().wait()  # until cancelled (SIGTERM, Ctrl-C)
    finally:
        logger.info("worker stopped: {} job(s) run", scheduler.ran)  # its last batch included
    return 0


async def _unconnected_platform(
    settings: Settings, core: Core, adapter: str, stdout: TextIO
) -> tuple[ChatPlatform, str]:
    """The adapter's platform object and command prefix, built as the bot builds them but
    never logged in or synced (its mention formatting needs no connection)."""
    if adapter == "discord":
        from adapters.discord import DiscordConfig, DiscordPlatform
        from adapters.discord.runner import discord_client
        from adapters.discord.schema import MIGRATIONS, NAMESPACE

        config = DiscordConfig.from_settings(settings.discord)
        state = await core.adapter_state(NAMESPACE, MIGRATIONS)
        return DiscordPlatform(discord_client(config), core.queries, state, config.dm_interval), "/"
    if adapter == "matrix":
        from adapters.matrix import MatrixConfig
        from adapters.matrix.runner import matrix_platform
        from adapters.matrix.schema import MIGRATIONS as MATRIX_MIGRATIONS
        from adapters.matrix.schema import NAMESPACE as MATRIX_NAMESPACE

        matrix = MatrixConfig.from_settings(settings.matrix)
        matrix_state = await core.adapter_state(MATRIX_NAMESPACE, MATRIX_MIGRATIONS)
        return matrix_platform(matrix, matrix_state), matrix.prefix
    from adapters.console import ConsolePlatform

    return ConsolePlatform(stdout, settings.console_files_dir), "/"


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
