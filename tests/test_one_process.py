"""One process serving Discord and Matrix at once (issue #14), on the core's fake platforms.

The composition root's own pieces (`bootstrap.Core`, `build_scheduler`, `serve_platforms`) on
one store (SQLite, and PostgreSQL): a "discord" Bot and a "matrix" Bot, each with its scheduler.
What a user would notice: a link code typed on Matrix brings the yes/no question to the Discord
account at once (not after a restart), the yes brings the confirmation back to Matrix at once; a
platform that cannot start takes the other down with it, before any scheduled work; stopping
stops both; on PostgreSQL such a process leads both platforms or neither. The same on the real
adapters (the Discord double, a real Synapse): tests/matrix/test_one_process_both.py.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from communitybot import bootstrap
from communitybot.bootstrap import Core, Served, StartupFailed, build_scheduler, serve_platforms
from communitybot.bot import Bot
from communitybot.events import (
    CommandInvoked,
    CommunityRef,
    ConversationRef,
    MessageReceived,
    UserRef,
)
from communitybot.leader import LEADER_NAMESPACE, LeaderLost, platform_code
from communitybot.settings import load_settings
from communitybot.store.store import Store
from tests.conftest import fresh_postgres_database
from tests.fakes import FakePlatform
from tests.postgres_server import PostgresServer

GUILD = CommunityRef("discord", "guild-1")
SPACE = CommunityRef("matrix", "!space:example.org")
ALICE_D = UserRef("discord", "111", "alice")
ALICE_M = UserRef("matrix", "@alice:example.org", "Alice M")
CODE = re.compile(r"\*\*([0-9A-Z]{4}-[0-9A-Z]{4})\*\*")
PROMPT_S = 5.0
"""Real seconds a cross-platform message may take (the outbox's own fallback is minutes)."""


class FakeAdapter:
    """A platform's adapter as `serve_platforms` sees it: `serve()` and `ready`."""

    def __init__(self, bot: Bot, *, fail_after: float | None = None, ready: bool = True) -> None:
        self.bot = bot
        self.ready = asyncio.Event()
        self._fail_after = fail_after
        self._becomes_ready = ready
        self.stopped = asyncio.Event()

    async def serve(self) -> None:
        try:
            if self._becomes_ready:
                self.ready.set()
            if self._fail_after is not None:
                await asyncio.sleep(self._fail_after)
                raise RuntimeError(f"{self.bot.platform.name} refused the token")
            await asyncio.Event().wait()
        finally:
            self.stopped.set()


@pytest.fixture
async def store(store_target: Path | str) -> AsyncIterator[Store]:
    """The process's one store: a SQLite file, and a PostgreSQL database (where the other
    side is woken by the commit's notification instead of the process's own alarm)."""
    opened = await bootstrap.open_store(store_target)
    try:
        yield opened
    finally:
        await opened.close()


def _bots(store: Store) -> tuple[Bot, FakePlatform, Bot, FakePlatform]:
    """Both platforms' Bots, wired as the bootstrap wires them: one Core, one store."""
    core = Core(store)
    discord, matrix = FakePlatform(name="discord"), FakePlatform(name="matrix")
    return core.bot(discord, "/"), discord, core.bot(matrix, "!"), matrix


def _command(community: CommunityRef, user: UserRef, *path: str, **options: str) -> CommandInvoked:
    where = ConversationRef(community.platform, "channel", "general")
    return CommandInvoked(community, user, where, path, options)


async def _until(found: Callable[[], str | None], within: float = PROMPT_S) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (text := found()) is None:
        assert loop.time() < deadline, f"nothing arrived within {within} s"
        await asyncio.sleep(0.01)
    return text


def _dm(platform: FakePlatform, user: UserRef, saying: str) -> Callable[[], str | None]:
    def found() -> str | None:
        for sent in platform.sent:
            if sent.where == f"dm:{user.user_id}" and saying in sent.text:
                return sent.text
        return None

    return found


async def test_a_link_across_platforms_is_asked_and_confirmed_at_once_in_one_process(
    store: Store,
) -> None:
    discord_bot, discord, matrix_bot, matrix = _bots(store)
    served = [
        Served(build_scheduler(discord_bot), FakeAdapter(discord_bot)),
        Served(build_scheduler(matrix_bot), FakeAdapter(matrix_bot)),
    ]
    serving = asyncio.create_task(serve_platforms(served))
    try:
        await asyncio.sleep(0.05)  # both ready, both schedulers started
        await discord_bot.dispatch(_command(GUILD, ALICE_D, "link"))
        [code] = CODE.findall(discord.texts(f"reply:{ALICE_D.user_id}")[0])

        await matrix_bot.dispatch(_command(SPACE, ALICE_M, "link", code=code))
        assert "Confirm from your other account" in matrix.texts(f"reply:{ALICE_M.user_id}")[0]
        # The Matrix Bot queued the question for the Discord account: Discord's side of this
        # process delivers it now, not at the next start.
        asked = await _until(_dm(discord, ALICE_D, "Link them?"))
        assert "Alice M" in asked

        where = ConversationRef("discord", "dm", ALICE_D.user_id)
        await discord_bot.dispatch(MessageReceived(GUILD, ALICE_D, where, "yes"))
        assert "Linked ✅" in discord.texts(f"reply:{ALICE_D.user_id}")[0]
        await _until(_dm(matrix, ALICE_M, "your accounts are linked"))
        assert await store.outbox.due(discord_bot.clock.now() + timedelta(days=1)) == []
    finally:
        serving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await serving
    assert all(adapter.adapter_bot.stopped.is_set() for adapter in served)
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "communitybot-scheduler"]


async def test_a_platform_that_cannot_start_stops_the_other_before_any_job_runs(
    store: Store,
) -> None:
    discord_bot, _, matrix_bot, _ = _bots(store)
    starting = FakeAdapter(matrix_bot, ready=False)  # still logging in
    failing = FakeAdapter(discord_bot, fail_after=0.01, ready=False)
    schedulers = [build_scheduler(discord_bot), build_scheduler(matrix_bot)]
    with pytest.raises(RuntimeError, match="discord refused the token"):
        await serve_platforms([Served(schedulers[0], failing), Served(schedulers[1], starting)])
    assert starting.stopped.is_set()  # cancelled: nothing runs half
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("communitybot-")]


async def test_a_platform_that_ends_while_serving_stops_the_other_and_both_schedulers(
    store: Store,
) -> None:
    discord_bot, _, matrix_bot, _ = _bots(store)
    ending = FakeAdapter(matrix_bot, fail_after=0.05)  # e.g. its token revoked at run time
    other = FakeAdapter(discord_bot)
    with pytest.raises(RuntimeError, match="matrix refused the token"):
        await serve_platforms(
            [
                Served(build_scheduler(discord_bot), other),
                Served(build_scheduler(matrix_bot), ending),
            ]
        )
    assert other.stopped.is_set()
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("communitybot-")]


async def test_a_worker_serves_one_platform_and_says_so_for_discord_plus_matrix(
    store: Store,
) -> None:
    settings = load_settings(
        _env_file=None,
        adapter="discord+matrix",
        discord={"token": "MTk4NjIy.Gq1x2y.never-sent-anywhere"},
        matrix={
            "homeserver": "https://matrix.example.org",
            "user_id": "@bot:example.org",
            "access_token": "syt_Ym90_realtokenvalue",
        },
    )
    with pytest.raises(StartupFailed, match="a worker runs the jobs of one platform"):
        await bootstrap.serve_worker(settings, store, io.StringIO())


async def _leaders(store: Store) -> set[str]:
    """The platforms whose leader lock some session holds now."""
    rows = await store.db.fetch_all(
        "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = ? AND granted",
        (LEADER_NAMESPACE,),
    )
    codes = {platform_code(name): name for name in ("discord", "matrix")}
    return {codes[int(row[0])] for row in rows if int(row[0]) in codes}


async def _end_lock_session(store: Store, platform: str) -> None:
    """End the session holding `platform`'s leader lock, as a database restart would."""
    await store.db.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
        "AND classid = ? AND objid = ? AND granted",
        (LEADER_NAMESPACE, platform_code(platform)),
    )


@pytest.mark.postgres
async def test_on_postgresql_a_process_serving_both_leads_both_and_stops_when_it_loses_one(
    postgres_server: PostgresServer,
) -> None:
    async with fresh_postgres_database(postgres_server) as url:
        first, second = await bootstrap.open_store(url), await bootstrap.open_store(url)
        try:
            one_d, _, one_m, _ = _bots(first)
            two_d, _, two_m, _ = _bots(second)
            leading = [FakeAdapter(one_d), FakeAdapter(one_m)]
            standing_by = [FakeAdapter(two_d), FakeAdapter(two_m)]
            leader = asyncio.create_task(
                bootstrap._lead_and_serve(list(zip(("discord", "matrix"), leading, strict=True)))
            )
            await _until(lambda: "ok" if all(a.ready.is_set() for a in leading) else None)
            standby = asyncio.create_task(
                bootstrap._lead_and_serve(
                    list(zip(("discord", "matrix"), standing_by, strict=True))
                )
            )
            await asyncio.sleep(1.5)  # it asked for the Discord lock at least once
            assert await _leaders(first) == {"discord", "matrix"}
            assert not any(a.ready.is_set() for a in standing_by)  # no login, nothing served

            await _end_lock_session(first, "matrix")  # e.g. a database restart
            with pytest.raises(LeaderLost, match="lost the matrix leader lock"):
                await asyncio.wait_for(leader, 20)
            assert all(a.stopped.is_set() for a in leading)  # Discord stopped with it
            await _until(
                lambda: "ok" if all(a.ready.is_set() for a in standing_by) else None, within=20
            )  # the standby leads both now
            standby.cancel()
            with pytest.raises(asyncio.CancelledError):
                await standby
            assert all(a.stopped.is_set() for a in standing_by)
        finally:
            await first.close()
            await second.close()
