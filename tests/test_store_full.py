"""A full disk or a read-only database, for real: SQLite's `max_page_count` and `query_only`.

The member is told plainly, moderators hear it, nothing half-done is stored, a join is kept and
retried, and start-up names the problem in one line.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from loguru import logger

from communitybot import registry
from communitybot.bot import FULL_TEXT, READ_ONLY_TEXT
from communitybot.store.db import Database, Migration, StoreError, StoreFull, StoreReadOnly
from tests.conftest import COMMUNITY, Harness, running_scheduler
from tests.test_console import clean_env, communitybot

# A SQLite page limit and a read-only file (PostgreSQL: tests/test_postgres_backend.py).
pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def log() -> Iterator[list[str]]:
    lines: list[str] = []
    handler = logger.add(lines.append, level="WARNING", format="{message}")
    yield lines
    logger.remove(handler)


async def _limit_to_current_size(harness: Harness) -> None:
    """From now on the database cannot grow: SQLite answers "database or disk is full"."""
    row = await harness.store.db.fetch_one("PRAGMA page_count")
    assert row is not None
    await harness.store.db.execute(f"PRAGMA max_page_count = {int(row[0])}")


async def _unlimited(harness: Harness) -> None:
    await harness.store.db.execute("PRAGMA max_page_count = 1073741823")


async def _set_modlog(harness: Harness) -> None:
    await harness.join("mo")
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    async with harness.store.db.transaction():
        await harness.store.communities.update_settings(community.id, modlog_channel="modlog")


async def _first_lost_join(harness: Harness) -> str:
    for number in range(300):
        name = f"new{number}"
        await harness.join(name)
        if await harness.find_member(name) is None:
            return name
    raise AssertionError("the database never filled up")


async def test_a_join_on_a_full_disk_is_kept_and_welcomed_once_there_is_room(
    harness: Harness, log: list[str]
) -> None:
    await _set_modlog(harness)
    harness.platform.take()
    async with running_scheduler(harness, registry.JOB_KINDS) as scheduler:
        await _limit_to_current_size(harness)
        lost = await _first_lost_join(harness)
        await scheduler.settle()
        assert any("the disk is full: MemberJoined was not stored" in line for line in log)
        assert "cannot rollback" not in "\n".join(log)
        modlog = [s.text for s in harness.platform.take() if s.where == "#modlog"]
        assert any("disk is full" in text for text in modlog)
        assert len(harness.bot.unsaved) == 1

        await _unlimited(harness)  # room again: the running scheduler retries when planned
        harness.clock.advance(minutes=1)
        await scheduler.settle()
    assert await harness.find_member(lost) is not None
    assert harness.platform.texts(f"dm:{lost}"), "the retried join is welcomed"
    assert len(harness.bot.unsaved) == 0


async def test_a_command_on_a_full_disk_says_so_and_changes_nothing(harness: Harness) -> None:
    names = [f"m{n}" for n in range(40)]
    for name in names:
        await harness.join(name)
    await _limit_to_current_size(harness)
    said = []
    for name in names:
        harness.platform.take()
        await harness.command(name, f"/profile edit intro {name} " + "x" * 450)
        said = harness.platform.texts(f"reply:{name}")
        if said == [FULL_TEXT]:
            assert (await harness.member(name)).intro is None  # nothing half-stored
            break
    assert said == [FULL_TEXT]
    assert "disk is full" in FULL_TEXT and "nothing was changed" in FULL_TEXT


async def test_a_read_only_database_is_said_plainly(harness: Harness) -> None:
    await harness.join("ann")
    await harness.store.db.execute("PRAGMA query_only = ON")
    harness.platform.take()
    await harness.command("ann", "/profile edit role teacher")
    assert harness.platform.texts("reply:ann") == [READ_ONLY_TEXT]
    await harness.store.db.execute("PRAGMA query_only = OFF")


async def test_a_full_disk_during_start_up_names_the_real_problem(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    steps = [
        Migration(1, "limit", "PRAGMA max_page_count = 2; CREATE TABLE a (x); CREATE TABLE b (x)")
    ]
    with pytest.raises(StoreFull, match=f"the disk is full: cannot write the database {path}"):
        await Database.open(path, steps)


async def test_a_read_only_database_at_start_up_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    steps = [Migration(1, "ro", "PRAGMA query_only = 1; CREATE TABLE a (x)")]
    with pytest.raises(StoreReadOnly, match=f"the database {path} is read-only"):
        await Database.open(path, steps)


async def test_a_database_path_that_is_a_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder"):
        await Database.open(tmp_path)
    run = communitybot(
        tmp_path, "run", "--db", str(tmp_path), "--adapter", "console", env=clean_env()
    )
    assert run.code == 2
    assert run.stderr.strip().splitlines() == [
        f"communitybot: the database path {tmp_path} is a folder: give a file inside it, e.g. "
        f"{tmp_path / 'communitybot.db'}"
    ]


def _as_other_user() -> list[str]:
    """Run as nobody when the tests run as root (root may write any file)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a read-only file is writable anyway")
    checkout = Path(__file__).resolve().parent.parent
    for folder in (checkout, *checkout.parents):
        if not folder.stat().st_mode & 0o001:
            pytest.skip(f"nobody cannot reach this checkout ({folder} is private to its owner)")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.mark.parametrize("where", ["file", "folder"])
def test_a_read_only_location_is_one_line_naming_the_file(where: str) -> None:
    # Not under pytest's tmp_path: that is private to root, so "nobody" could not even look.
    tmp_path = Path(tempfile.mkdtemp(prefix="communitybot-ro-"))
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "bot.db"
    sqlite3.connect(path).close()
    if where == "file":
        path.chmod(0o444)
    else:
        path.unlink()
        folder.chmod(0o555)
    tmp_path.chmod(0o755)
    command = [*_as_other_user(), sys.executable, "-m", "communitybot", "run", "--db", str(path)]
    try:
        done = subprocess.run(
            command,
            input="",
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=clean_env(),
            timeout=60,
        )
    finally:
        folder.chmod(0o755)
        shutil.rmtree(tmp_path)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert str(path) in line
    assert "read-only" in line or "create files next to it" in line


def test_unsaved_joins_wait_longer_after_each_failure() -> None:
    from datetime import UTC, datetime, timedelta

    from communitybot.events import MemberJoined
    from communitybot.unsaved import UnsavedEvents
    from tests.conftest import user

    unsaved = UnsavedEvents()
    join = MemberJoined(COMMUNITY, user("ann"))
    now = datetime(2027, 1, 4, tzinfo=UTC)
    at, _ = unsaved.keep(join, now)  # the first failure
    pauses = [at - now]
    for _ in range(8):
        now = at
        assert unsaved.take_due(now) == [join]
        at, _ = unsaved.keep(join, now)  # the retry failed too
        unsaved.finished(join)
        pauses.append(at - now)
    assert pauses[:3] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert pauses[-1] == timedelta(hours=1)
    assert unsaved.take_due(now) == [] and len(unsaved) == 1
    unsaved.finished(join)  # a retry that was stored leaves nothing behind
    assert unsaved.take_due(at) == [join]
    unsaved.finished(join)
    assert len(unsaved) == 0
