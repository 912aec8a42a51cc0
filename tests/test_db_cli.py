"""`communitybot db migrate|copy|check` from the command line: what an operator types and reads.

Exit codes: 0 done/healthy, 1 `check` found a problem, 2 refused (one line on stderr). A URL's
password is never printed. Also: the compose example parses and names only real commands.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.discord import schema as discord_schema
from adapters.matrix import schema as matrix_schema
from communitybot.__main__ import build_parser, main
from communitybot.store.db import Database, bundled_migrations
from communitybot.store.store import Store
from tests.conftest import fresh_postgres_database
from tests.postgres_server import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
NEWEST = bundled_migrations()[-1].version


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["db", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def run_async(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`main` runs its own event loop: from an async test, on a thread."""
    code = await asyncio.to_thread(main, ["db", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("communitybot: ")
    return lines[0]


@pytest.fixture(autouse=True)
def no_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No COMMUNITYBOT_* from the machine and no ./.env: each test says what it configures."""
    import os

    for name in list(os.environ):
        if name.startswith("COMMUNITYBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_migrate_says_from_which_version_to_which_then_that_it_is_up_to_date(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bot.db"
    code, out, err = run(capsys, "migrate", "--db", str(path))
    assert (code, err) == (0, "")
    assert f"core schema: version 0 → {NEWEST} ({NEWEST} migrations applied)" in out
    assert f"discord adapter tables: version 0 → {len(discord_schema.MIGRATIONS)}" in out
    assert f"matrix adapter tables: version 0 → {len(matrix_schema.MIGRATIONS)}" in out
    code, out, _ = run(capsys, "migrate", "--db", f"sqlite:///{path}")
    assert code == 0 and "is already up to date" in out


def test_migrate_brings_an_older_database_forward(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "old.db"

    async def old() -> None:
        db = await Database.open(path, bundled_migrations()[:19])
        await db.close()

    asyncio.run(old())
    code, out, _ = run(capsys, "migrate", "--db", str(path))
    assert code == 0
    assert f"core schema: version 19 → {NEWEST} ({NEWEST - 19} migrations applied)" in out


def test_a_database_newer_than_the_code_is_refused_in_one_line_and_left_alone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA user_version = 999")
    code, out, err = run(capsys, "migrate", "--db", str(path))
    assert code == 2 and out == ""
    assert "schema version 999" in one_line(err) and "upgrade communitybot" in err
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 999
    code, out, _ = run(capsys, "check", "--db", str(path))
    assert code == 1 and "problem: the schema (version 999) is newer" in out


@pytest.mark.parametrize("action", ["migrate", "check"])
def test_a_wrong_url_scheme_is_one_line(capsys: pytest.CaptureFixture[str], action: str) -> None:
    code, out, err = run(capsys, action, "--db", "mysql://bot:hunter2@db/bot")
    assert code == 2 and out == ""
    assert "unknown database URL scheme 'mysql'" in one_line(err)
    assert "hunter2" not in err


def test_a_port_that_is_not_a_number_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "migrate", "--db", "postgresql://bot:hunter2@db:fivefour/bot")
    assert code == 2 and "the port in postgresql://db:fivefour is not a number" in one_line(err)
    assert "hunter2" not in err


def test_copy_to_a_wrong_url_scheme_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "copy", "--from", str(tmp_path / "a.db"), "--to", "mongodb://x/y")
    assert code == 2 and "--to: unknown database URL scheme 'mongodb'" in one_line(err)


def test_copy_from_a_missing_file_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(
        capsys, "copy", "--from", str(tmp_path / "none.db"), "--to", str(tmp_path / "b.db")
    )
    assert code == 2 and "there is no database at" in one_line(err)
    assert not (tmp_path / "b.db").exists()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_server_is_one_line_without_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"postgresql://bot:s3cr3t-pw@127.0.0.1:{_closed_port()}/communitybot"
    code, out, err = run(capsys, "migrate", "--db", url)
    assert code == 2 and out == ""
    line = one_line(err)
    assert "cannot connect to the database postgresql://bot:***@127.0.0.1:" in line
    assert "s3cr3t-pw" not in out + err
    code, out, err = run(capsys, "check", "--db", url)
    assert code == 1 and "problem: cannot connect" in out
    assert "s3cr3t-pw" not in out + err


def test_check_reports_a_healthy_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bot.db"
    run(capsys, "migrate", "--db", str(path))
    code, out, _ = run(capsys, "check", "--db", str(path))
    assert code == 0
    assert f"core schema: version {NEWEST} (this communitybot: {NEWEST}), up to date" in out
    assert "server: SQLite 3." in out
    assert "rows: 0 communities, 0 members, 0 jobs pending, 0 outbox rows" in out
    assert "integrity (integrity_check, foreign_key_check): ok" in out
    assert out.rstrip().endswith("healthy")


def test_check_names_pending_migrations_and_broken_references_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "old.db"

    async def old() -> None:
        db = await Database.open(path, bundled_migrations()[:19])
        await db.close()

    asyncio.run(old())
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO members (id, community_id, platform, user_id, joined_at)"
            " VALUES (7, 42, 'fake', 'ghost', '2026-01-01T00:00:00+00:00')"
        )
    code, out, _ = run(capsys, "check", "--db", str(path))
    assert code == 1
    pending = [f"{m.version:04d}_{m.name}" for m in bundled_migrations()[19:]]
    assert f"pending: {', '.join(pending)}" in out
    assert f"problem: {len(pending)} migrations pending: run `communitybot db migrate`" in out
    assert "problem: row 7 of members points at a missing row of communities" in out
    assert out.rstrip().endswith("not healthy")
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 19


def test_check_of_a_missing_file_creates_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "check", "--db", str(tmp_path / "none.db"))
    assert code == 1 and "problem: there is no database at" in out
    assert not (tmp_path / "none.db").exists()


def test_the_configured_database_is_the_default(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMUNITYBOT_DATABASE_PATH", str(tmp_path / "configured.db"))
    code, out, _ = run(capsys, "migrate")
    assert code == 0 and str(tmp_path / "configured.db") in out
    assert (tmp_path / "configured.db").exists()


@pytest.fixture
async def pg_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    async with fresh_postgres_database(postgres_server) as url:
        yield url


@pytest.mark.postgres
async def test_on_postgresql_migrate_check_and_a_newer_schema(
    capsys: pytest.CaptureFixture[str], pg_url: str, postgres_server: PostgresServer
) -> None:
    code, out, err = await run_async(capsys, "migrate", "--db", pg_url)
    assert code == 0, err
    assert f"discord adapter tables: version 0 → {len(discord_schema.MIGRATIONS)}" in out
    assert postgres_server.password not in out + err
    assert "postgresql://communitybot:***@127.0.0.1" in out
    code, out, err = await run_async(capsys, "check", "--db", pg_url)
    assert code == 0, out
    assert "server: PostgreSQL 1" in out and out.rstrip().endswith("healthy")
    assert postgres_server.password not in out + err
    store = await Store.open(pg_url)
    try:
        await store.db.execute("UPDATE schema_version SET version = 999")
    finally:
        await store.close()
    code, out, err = await run_async(capsys, "migrate", "--db", pg_url)
    assert code == 2 and "schema version 999" in one_line(err)
    assert postgres_server.password not in out + err


@pytest.mark.postgres
async def test_copy_from_a_sqlite_file_into_the_configured_postgresql(
    capsys: pytest.CaptureFixture[str],
    pg_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    postgres_server: PostgresServer,
) -> None:
    path = tmp_path / "bot.db"
    store = await Store.open(path)
    await store.close()
    monkeypatch.setenv("COMMUNITYBOT_DATABASE_URL", pg_url)
    code, out, err = await run_async(capsys, "copy", "--from", f"sqlite:///{path}")
    assert code == 0, err
    assert "Copying" in out and "communities: 0 copied, 0 already there" in out
    assert postgres_server.password not in out + err
    code, out, err = await run_async(capsys, "copy", "--from", str(path), "--to", pg_url)
    assert code == 0 and "Nothing to copy" in out


def test_the_command_runs_as_a_program(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "communitybot", "db", "check", "--db", str(tmp_path / "x.db")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert done.returncode == 1 and "problem: there is no database at" in done.stdout


# The compose example (deploy/compose.yaml): it parses, and every command it runs exists.

COMPOSE = ROOT / "deploy" / "compose.yaml"


def _compose() -> dict[str, object]:
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load(COMPOSE.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_compose_example_has_postgresql_the_bot_processes_and_a_migrate_step() -> None:
    services = _compose()["services"]
    assert isinstance(services, dict)
    assert {"postgres", "migrate", "discord", "matrix", "worker"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:15")
    assert "healthcheck" in services["postgres"]
    for name in ("discord", "matrix", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    text = COMPOSE.read_text("utf-8").lower()
    for secret in ("password=", "token=", "access_token:"):
        assert secret not in text


def test_every_command_in_the_compose_example_exists_in_the_cli() -> None:
    services = _compose()["services"]
    assert isinstance(services, dict)
    commands = {
        name: service["command"]
        for name, service in services.items()
        if name != "postgres" and "command" in service
    }
    assert set(commands) >= {"migrate", "discord", "matrix", "worker"}
    known = _subcommands(build_parser())
    for name, argv in commands.items():
        words = argv if isinstance(argv, list) else str(argv).split()
        assert words[0] == "communitybot", name
        path = tuple(w for w in words[1:] if not w.startswith("-"))[:2]
        assert path[:1] in known or path in known, f"{name}: {words} is not a command"
        # argparse accepts the whole line (options and choices included)
        parser = build_parser()
        try:
            args = parser.parse_args(words[1:])
        except SystemExit as error:  # pragma: no cover - the assertion says which
            raise AssertionError(f"{name}: `{' '.join(words)}` is refused by the CLI") from error
        assert args.command == words[1]


def test_the_compose_examples_worker_names_the_platform_whose_jobs_it_runs() -> None:
    """A worker runs one platform's communities' jobs: left to `auto`, it would follow
    whichever token the shared env file happens to hold."""
    services = _compose()["services"]
    assert isinstance(services, dict)
    args = build_parser().parse_args(services["worker"]["command"][1:])
    assert args.command == "worker"
    assert args.adapter in {"discord", "matrix"}


def _subcommands(parser: object) -> set[tuple[str, ...]]:
    """("run",), ("db",), ("db", "migrate"), … from the parser itself."""
    import argparse

    found: set[tuple[str, ...]] = set()

    def walk(current: argparse.ArgumentParser, prefix: tuple[str, ...]) -> None:
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found.add((*prefix, name))
                    walk(sub, (*prefix, name))

    assert isinstance(parser, argparse.ArgumentParser)
    walk(parser, ())
    return found
