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

One process may serve Discord and Matrix together (`discord+matrix`, or `auto` with both
configured): one store, one peer index, one writer turn, and per platform its own adapter, `Bot`,
adapter state and scheduler (each scheduler takes its platform's jobs, as two processes would).
What one platform's `Bot` queues for the other (a link confirmation, a moderator-log line) is
delivered by the other's outbox at once (`communitybot.outbox`). Start-up is all or nothing:
the schedulers start once both platforms are ready, and if either fails to start the other is
stopped and the one line says why. On PostgreSQL the process takes both leader locks, Discord's
first, and stops (exit code 3) if it loses either.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
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
from communitybot.settings import BOTH, AdapterName, Settings
from communitybot.store.db import StoreError
from communitybot.store.store import Store
from communitybot.wakeup import Wakeup

if TYPE_CHECKING:
    from adapters.discord import DiscordBot, DiscordConfig
    from adapters.matrix import MatrixBot, MatrixConfig
    from communitybot.dashboard.server import Dashboard


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
    async with _dashboard(settings, core, adapter) as dashboard:
        if adapter == BOTH:
            await _serve_discord_and_matrix(settings, core, dashboard)
            return 0
        if adapter == "matrix":
            await _serve_matrix(settings, core, dashboard)
            return 0
        if adapter == "discord":
            await _serve_discord(settings, core, dashboard)
            return 0
        return await _serve_console(settings, core, stdin, stdout, dashboard)


@contextlib.asynccontextmanager
async def _dashboard(
    settings: Settings, core: Core, adapter: AdapterName
) -> AsyncIterator[Dashboard | None]:
    """The web dashboard beside the adapters while they run (`communitybot.dashboard`), or
    None when it is off (then the URL an earlier run recorded for this process's platforms is
    cleared, so `dashboard` says it is off instead of handing out a dead link)."""
    from communitybot.dashboard import installation
    from communitybot.dashboard.server import Dashboard, DashboardStartupError
    from communitybot.units import writer_turn

    wanted = settings.dashboard
    if not wanted.enabled:
        served = ("discord", "matrix") if adapter == BOTH else (adapter,)
        await installation.stop_serving(
            core.store.db, writer_turn(core.store.db, core.lock), served
        )
        yield None
        return
    dashboard = Dashboard(
        core.store,
        core.clock,
        host=wanted.host,
        port=wanted.port,
        base_url=wanted.public_url,
        lock=core.lock,
    )
    try:
        running = dashboard.running()
        await running.__aenter__()
    except DashboardStartupError as error:
        raise StartupFailed(str(error)) from error
    try:
        yield dashboard
    finally:
        await running.__aexit__(None, None, None)


async def _attach(
    dashboard: Dashboard | None,
    bot: Bot,
    connected: Callable[[], bool],
    last_heard: Callable[[], float | None] | None = None,
) -> None:
    """Show this platform on the dashboard (pages, metrics, readiness) when it runs."""
    if dashboard is not None:
        await dashboard.attach(bot, connected, last_heard)


async def _serve_console(
    settings: Settings, core: Core, stdin: TextIO, stdout: TextIO, dashboard: Dashboard | None
) -> int:
    from adapters.console import ConsolePlatform, run_console
    from adapters.console.terminal import PromptedTerminal

    interactive = _is_tty(stdin)
    # Typing at a terminal: messages that arrive mid-line are printed above the redrawn prompt.
    terminal = PromptedTerminal(stdout) if interactive and _is_tty(stdout) else None
    # The platform only writes and flushes, which the terminal does like any text stream.
    out = stdout if terminal is None else cast(TextIO, terminal)
    platform = ConsolePlatform(out, settings.console_files_dir)
    bot = core.bot(platform, "/")
    await _attach(dashboard, bot, lambda: True, lambda: 0.0)  # the console is always here
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


async def _serve_matrix(settings: Settings, core: Core, dashboard: Dashboard | None) -> None:
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
        # the leader lock first: before the login, the first sync, any post
        await _lead_and_serve([("matrix", bot)], dashboard)
    except MatrixStartupError as error:
        raise StartupFailed(str(error)) from error


async def _serve_discord(settings: Settings, core: Core, dashboard: Dashboard | None) -> None:
    """Serve the bot's Discord guilds until terminated; a bad token is one line."""
    from adapters.discord import DiscordConfig, DiscordStartupError

    bot = await discord_bot(DiscordConfig.from_settings(settings.discord), core)
    logger.info(
        "communitybot {} starting: Discord adapter, database {}",
        __version__,
        settings.database_shown,
    )
    try:
        # the leader lock first: before the login and the gateway connection
        await _lead_and_serve([("discord", bot)], dashboard)
    except DiscordStartupError as error:
        raise StartupFailed(str(error)) from error


async def _serve_discord_and_matrix(
    settings: Settings, core: Core, dashboard: Dashboard | None
) -> None:
    """Serve the bot's Discord guilds and the configured Matrix rooms in this one process until
    terminated; either platform's start-up problem is one line, and stops the other."""
    from adapters.discord import DiscordConfig, DiscordStartupError
    from adapters.matrix import MatrixConfig, MatrixStartupError

    discord = await discord_bot(DiscordConfig.from_settings(settings.discord), core)
    matrix = await matrix_bot(MatrixConfig.from_settings(settings.matrix), core)
    logger.info(
        "communitybot {} starting: Discord and Matrix adapters in one process (Matrix as {}),"
        " database {}",
        __version__,
        settings.matrix.user_id,
        settings.database_shown,
    )
    try:
        # Discord's lock first, always: two such processes never hold one lock each.
        await _lead_and_serve([("discord", discord), ("matrix", matrix)], dashboard)
    except (DiscordStartupError, MatrixStartupError) as error:
        raise StartupFailed(str(error)) from error


def _discord_connected(bot: DiscordBot) -> Callable[[], bool]:
    """Connected: ready once (logged in, first gateway READY) and the client not closed;
    discord.py reconnecting in between still counts (docs/dashboard.md says so)."""
    return lambda: bot.ready.is_set() and not bot.client.is_closed()


async def _lead_and_serve(
    platforms: Sequence[tuple[str, Any]], dashboard: Dashboard | None = None
) -> None:
    """Take each platform's leader lock in the order given (a standby waits here:
    `communitybot.leader`), then serve them all, each with its scheduler; a dead predecessor's
    undelivered outbox rows are adopted after the grace in which a leader that lost its lock
    is still stopping.

    A process serving two platforms holds the first lock while it waits for the second: run
    its replicas alike (each serving both), so the one that leads leads both."""
    async with contextlib.AsyncExitStack() as locks:
        served: list[Served] = []
        for platform, adapter_bot in platforms:
            bot: Bot = adapter_bot.bot
            leader = await locks.enter_async_context(LeaderLock(bot.store.db, platform))
            served.append(Served(build_scheduler(bot), adapter_bot, leader))
        for one, (_, adapter_bot) in zip(served, platforms, strict=True):
            assert one.leader is not None
            adapter_bot.bot.outbox.adopt_orphans(one.leader.takeover_grace)
        for name, adapter_bot in platforms:  # a standby's dashboard shows nothing until here
            connected = _discord_connected(adapter_bot) if name == "discord" else None
            await _attach(
                dashboard,
                adapter_bot.bot,
                connected or adapter_bot.ready.is_set,
                getattr(adapter_bot, "last_heard", None),  # seconds since its platform spoke
            )
        await serve_platforms(served)


@dataclass(frozen=True)
class Served:
    """One platform this process serves: its scheduler, its adapter (`serve()` runs it,
    `ready` is set once it can send) and its leader lock, already held (None: no lock)."""

    scheduler: Scheduler
    adapter_bot: Any
    leader: LeaderLock | None = None


async def serve_with_scheduler(
    scheduler: Scheduler,
    serve: Coroutine[Any, Any, None],
    ready: asyncio.Event,
    leader: LeaderLock | None = None,
) -> None:
    """Serve one platform with its scheduler (`serve_platforms`): `serve` runs it, `ready` is
    set once it can send."""
    await serve_platforms([Served(scheduler, _Adapter(serve, ready), leader)])


@dataclass(frozen=True)
class _Adapter:
    """A platform given as its serving coroutine and its ready event."""

    serving: Coroutine[Any, Any, None]
    ready: asyncio.Event

    def serve(self) -> Coroutine[Any, Any, None]:
        return self.serving


async def serve_platforms(served: Sequence[Served]) -> None:
    """Serve the platforms; start their schedulers only once every one is ready (logged in,
    connected).

    A scheduler's first act is delivering the outbox the previous run left, and its jobs send
    messages: both need a platform that can send. A start-up error ends a platform's `serve`
    before it is ready: the others are stopped (nothing runs half) and the error is raised as
    is. Once running, a platform whose `serve` ends (an error, or it returned) stops the others
    too, and its error is raised. Stopping (cancel) stops the schedulers, then the platforms.

    `leader` is a platform's leader lock: if one is lost (its database connection ended, so
    another process may lead now), every platform is stopped at once, then the schedulers, and
    `LeaderLost` is raised (the process exits; see `communitybot.leader`).
    """
    servings = [
        asyncio.create_task(one.adapter_bot.serve(), name=f"communitybot-serve-{n}")
        for n, one in enumerate(served)
    ]
    waiting = asyncio.create_task(_all_set([one.adapter_bot.ready for one in served]))
    lost = asyncio.create_task(_first_lost([one.leader for one in served if one.leader]))
    try:
        await asyncio.wait({*servings, waiting, lost}, return_when=asyncio.FIRST_COMPLETED)
        ended = [serving for serving in servings if serving.done()]
        if not ended and not lost.done():
            async with contextlib.AsyncExitStack() as schedulers:
                for one in served:
                    await schedulers.enter_async_context(one.scheduler.running())
                # Like a shield: cancelling this task (SIGTERM) leaves the platforms serving
                # until the schedulers have stopped.
                await asyncio.wait({*servings, lost}, return_when=asyncio.FIRST_COMPLETED)
                ended = [serving for serving in servings if serving.done()]
                await _stopped_all(servings)  # no more answers, before the schedulers stop
        await _stopped_all(servings)
        if lost.done():
            raise LeaderLost(lost.result().why_lost)
        for serving in ended:  # a platform that ended by itself: its error says why
            if not serving.cancelled():
                await serving
    finally:
        waiting.cancel()
        lost.cancel()
        await _stopped_all(servings)


async def _all_set(events: Sequence[asyncio.Event]) -> None:
    for event in events:
        await event.wait()


async def _first_lost(leaders: Sequence[LeaderLock]) -> LeaderLock:
    """The first of `leaders` whose lock is lost (never, with none: SQLite, or no lock)."""
    if not leaders:
        await asyncio.Event().wait()
    waits = {asyncio.create_task(leader.wait_lost()): leader for leader in leaders}
    try:
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        return waits[next(iter(done))]
    finally:
        for wait in waits:
            wait.cancel()


async def _stopped_all(tasks: Sequence[asyncio.Task[None]]) -> None:
    """Stop every task still running (`_stopped`), in order."""
    for task in tasks:
        await _stopped(task)


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
    adapter = settings.worker_platform()
    if adapter is None:
        raise StartupFailed(
            f"a worker runs the jobs of one platform: start one with --adapter discord and one "
            f"with --adapter matrix (COMMUNITYBOT_ADAPTER={BOTH} is for `communitybot run`)"
        )
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


def run_matrix_trust(args: Any, out: TextIO | None = None) -> int:
    """`communitybot matrix trust | untrust | trusted`: the Matrix adapter's command, given its
    own tables on the bot's database (the wiring is here, the decisions in the adapter)."""
    from adapters.matrix import trust_cli
    from adapters.matrix.trusted_devices import BadEntry
    from communitybot.command_line import UsageError, fail
    from communitybot.store.engines import open_database

    try:
        action, device, account, target = trust_cli.parsed(args)
    except (BadEntry, UsageError) as error:
        return fail(str(error))

    async def carry_out() -> int:
        db = await open_database(target)
        try:
            namespace, migrations = trust_cli.SCHEMA
            state = await SqliteAdapterState.open(db, PriorityLock(), namespace, migrations)
            return await trust_cli.apply(state, action, device, account, out)
        finally:
            await db.close()

    try:
        return asyncio.run(carry_out())
    except StoreError as error:
        return fail(str(error))
    except OSError as error:
        return fail(f"cannot open the database: {error}")
