"""`communitybot matrix trust|untrust|trusted`: what an operator types and reads, on a real
SQLite database. A bad entry is one line on stderr, exit 2, and nothing written."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from communitybot.__main__ import main

KEY = "Xq3Yq0mYf1Yh0qGk5J3Z6c0C2wYbQxXo9d7Kp1s2Bz8"
BOT = "@bot:example.org"


@pytest.fixture(autouse=True)
def no_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No COMMUNITYBOT_* from the machine and no ./.env: each test says what it configures."""
    for name in list(os.environ):
        if name.startswith("COMMUNITYBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["matrix", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def rows(path: Path) -> list[tuple[str, ...]]:
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        try:
            found = db.execute(
                "SELECT account, user_id, device_id, ed25519 FROM matrix_trusted_devices "
                "ORDER BY user_id, device_id"
            )
        except sqlite3.OperationalError:  # the table is not there: nothing was written
            return []
        return [tuple(row) for row in found]


def test_trust_list_untrust_round_trip(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    where = ("--db", str(path), "--account", BOT)
    code, out, _ = run(capsys, "trusted", *where)
    assert code == 0 and "No device is trusted" in out

    code, out, err = run(capsys, "trust", "@alice:example.org", "PHONE", KEY, *where)
    assert code == 0 and not err
    assert "Trusted device PHONE of @alice:example.org" in out and "next sync" in out
    assert rows(path) == [(BOT, "@alice:example.org", "PHONE", KEY)]

    other = KEY[:-1] + "A"
    assert run(capsys, "trust", "@alice:example.org", "PHONE", other, *where)[0] == 0
    assert rows(path) == [(BOT, "@alice:example.org", "PHONE", other)]  # replaced, not doubled

    grouped = " ".join(other[i : i + 4] for i in range(0, 43, 4))  # as Element shows it
    assert run(capsys, "trust", "@alice:example.org", "PHONE", grouped, *where)[0] == 0
    code, out, _ = run(capsys, "trusted", *where)
    assert code == 0 and out.split() == ["@alice:example.org", "PHONE", other]

    code, out, _ = run(capsys, "untrust", "@alice:example.org", "PHONE", *where)
    assert code == 0 and "no longer trusted" in out
    assert rows(path) == []
    code, out, _ = run(capsys, "untrust", "@alice:example.org", "PHONE", *where)
    assert code == 0 and "nothing changed" in out


def test_the_account_and_database_come_from_the_settings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMUNITYBOT_DATABASE_PATH", str(tmp_path / "configured.db"))
    monkeypatch.setenv("COMMUNITYBOT_MATRIX__USER_ID", BOT)
    assert run(capsys, "trust", "@alice:example.org", "PHONE", KEY)[0] == 0
    assert rows(tmp_path / "configured.db") == [(BOT, "@alice:example.org", "PHONE", KEY)]

    monkeypatch.delenv("COMMUNITYBOT_MATRIX__USER_ID")
    code, _, err = run(capsys, "trusted")
    assert code == 2 and "COMMUNITYBOT_MATRIX__USER_ID" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("user", "device", "key", "says"),
    [
        ("alice", "PHONE", KEY, "@name:server"),
        ("@alice:example.org", "  ", KEY, "device id"),
        ("@alice:example.org", "PHONE", KEY[:-1], "43 characters"),
        ("@alice:example.org", "PHONE", KEY + "=", "43 characters"),
        ("@alice:example.org", "PHONE", KEY[:-1] + "!", "43 characters"),
    ],
)
def test_a_bad_entry_is_one_line_and_writes_nothing(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    user: str,
    device: str,
    key: str,
    says: str,
) -> None:
    path = tmp_path / "bot.db"
    code, out, err = run(capsys, "trust", user, device, key, "--db", str(path), "--account", BOT)
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1 and says in err
    assert not path.exists()  # refused before the database is even opened


def test_untrust_checks_its_input_too(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    code, _, err = run(capsys, "untrust", "alice", "PHONE", "--db", str(path), "--account", BOT)
    assert code == 2 and "@name:server" in err and not path.exists()
    code, _, err = run(capsys, "trusted", "--db", str(path), "--account", "bot")
    assert code == 2 and "@name:server" in err and not path.exists()
