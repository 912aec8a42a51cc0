"""`make run` installs only the bot, `make test` adds the test tools, and neither stamp fools the
other. Checked with `make -n` (what make would run) in a copy of the Makefile, so nothing is
installed: stamps are plain files with chosen modification times."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_console import ROOT

BOT_ONLY = "pip install -e .\n"
WITH_DEV = "pip install -e '.[dev]'"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").touch()
    age(tmp_path / "pyproject.toml", 100)
    age(tmp_path / ".venv" / "bin" / "python", 100)
    return tmp_path


def age(path: Path, seconds_ago: int) -> None:
    path.touch()
    moment = path.stat().st_mtime - seconds_ago
    os.utime(path, (moment, moment))


def would_run(checkout: Path, target: str) -> str:
    done = subprocess.run(
        ["make", "-n", target], cwd=checkout, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_make_run_on_a_fresh_clone_installs_the_bot_without_the_test_tools(
    checkout: Path,
) -> None:
    planned = would_run(checkout, "run")
    assert BOT_ONLY in planned and WITH_DEV not in planned
    assert "communitybot run" in planned


def test_make_test_after_make_run_adds_the_test_tools(checkout: Path) -> None:
    age(checkout / ".venv" / ".installed-run", 10)
    assert "pip" not in would_run(checkout, "run"), "make run again installs nothing"
    planned = would_run(checkout, "test")
    assert WITH_DEV in planned and "pytest" in planned


def test_make_run_after_make_test_installs_nothing(checkout: Path) -> None:
    age(checkout / ".venv" / ".installed-run", 10)  # the full install stamps both levels
    age(checkout / ".venv" / ".installed-dev", 10)
    assert "pip" not in would_run(checkout, "run")
    assert "pip" not in would_run(checkout, "test")


def test_a_changed_pyproject_reinstalls_each_level_once(checkout: Path) -> None:
    age(checkout / ".venv" / ".installed-run", 50)
    age(checkout / ".venv" / ".installed-dev", 50)
    age(checkout / "pyproject.toml", 10)
    assert BOT_ONLY in would_run(checkout, "run")
    assert WITH_DEV in would_run(checkout, "test")


def test_ci_runs_make_test_which_installs_everything_from_scratch(checkout: Path) -> None:
    assert (ROOT / ".ci" / "run").read_text("utf-8").strip().endswith("make test")
    assert WITH_DEV in would_run(checkout, "test")
