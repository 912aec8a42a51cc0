"""Private files: the database (with the saved Matrix token), its -wal/-shm, console exports.

Checked on real files with the usual umask (022), under which a plain `open()` makes 0644
files that every user on the machine can read.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from loguru import logger

from adapters.console.files import save
from communitybot.replies import Attachment
from communitybot.store.store import Store
from tests.adapter_states import matrix_state, matrix_tables

pytestmark = pytest.mark.skipif(os.name != "posix", reason="Unix permission bits")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    lines: list[str] = []
    handler = logger.add(lambda message: lines.append(str(message)), level="WARNING")
    try:
        yield lines
    finally:
        logger.remove(handler)


async def test_a_new_database_its_wal_and_shm_and_its_new_folders_are_owner_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "data" / "bot" / "communitybot.db"
    existing = mode(tmp_path)
    store = await Store.open(path)
    try:
        state = await matrix_state(store, "@bot:example.org")
        await state.save_login("syt_secret_token", "DEVICE")
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")  # the write made both
        assert (mode(path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
        assert mode(path.parent) == 0o700
        assert mode(path.parent.parent) == 0o700
    finally:
        await store.close()
    assert mode(tmp_path) == existing, "a folder that already existed is left alone"


async def test_an_existing_world_readable_database_is_tightened_with_one_log_line(
    tmp_path: Path, warnings: list[str]
) -> None:
    path = tmp_path / "communitybot.db"
    store = await Store.open(path)
    await store.close()
    path.chmod(0o644)
    store = await Store.open(path)
    try:
        assert mode(path) == 0o600
        state = await matrix_state(store, "@bot:example.org")
        await state.save_login("syt_secret_token", "DEVICE")
        assert mode(Path(f"{path}-wal")) == 0o600
    finally:
        await store.close()
    [line] = warnings
    assert "readable by other users" in line and "owner-only" in line and str(path) in line
    warnings.clear()
    await (await Store.open(path)).close()
    assert warnings == [], "a private database is opened without a word"


def test_an_exported_file_and_the_folder_made_for_it_are_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "exports" / "files"
    saved = save(folder, Attachment("mydata.json", b'{"name": "Ann"}', "application/json"))
    again = save(folder, Attachment("mydata.json", b"{}", "application/json"))
    assert (mode(saved), mode(again)) == (0o600, 0o600)
    assert (mode(folder), mode(folder.parent)) == (0o700, 0o700)
    assert saved.read_bytes() == b'{"name": "Ann"}'


def test_an_existing_export_folder_is_left_as_it_is(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    saved = save(folder, Attachment("a.ics", b"x", "text/calendar"))
    assert mode(folder) == 0o755, "the user's own folder keeps its mode"
    assert mode(saved) == 0o600


async def test_wal_and_shm_left_by_a_crash_with_loose_modes_are_tightened_too(
    tmp_path: Path, warnings: list[str]
) -> None:
    # An older communitybot (or a copy made while it ran) left all three files world-readable.
    original = tmp_path / "original.db"
    store = await Store.open(original)
    await matrix_tables(store)
    await store.close()
    writer = sqlite3.connect(original)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("INSERT INTO matrix_state (account, key, value) VALUES ('@b:x', 'k', 'v')")
    writer.commit()
    path = tmp_path / "communitybot.db"
    for suffix in ("", "-wal", "-shm"):
        shutil.copyfile(f"{original}{suffix}", f"{path}{suffix}")  # as a crash leaves them
        os.chmod(f"{path}{suffix}", 0o644)
    writer.close()

    store = await Store.open(path)
    try:
        assert await (await matrix_state(store, "@b:x")).get("k") == "v", "nothing was lost"
        for suffix in ("", "-wal", "-shm"):
            assert mode(Path(f"{path}{suffix}")) == 0o600
    finally:
        await store.close()
    [line] = warnings
    assert "communitybot.db (was 644), communitybot.db-wal (was 644)" in line
