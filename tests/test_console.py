"""The real `communitybot run` process, driven by a scenario on stdin, read from stdout.

These are what a person trying the bot sees: every line prefixed with where it went, the exit
code, and a second run over the same database file remembering the first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from communitybot.commands import CATALOGUE

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def at(self, where: str) -> list[str]:
        """The text of the lines sent to `where` (e.g. "dm:alice"), prefix removed."""
        prefix = f"[{where}]"
        return [line[len(prefix) :].strip() for line in self.lines if line.startswith(prefix)]


def clean_env(**extra: str) -> dict[str, str]:
    """The parent's environment without any COMMUNITYBOT_ setting, the checkout importable."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("COMMUNITYBOT_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra)
    return env


def communitybot(cwd: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> Run:
    done = subprocess.run(
        [sys.executable, "-m", "communitybot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env or clean_env(),
        timeout=60,
    )
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.db"


def scenario(tmp_path: Path, db: Path, text: str) -> Run:
    run = communitybot(tmp_path, "run", "--db", str(db), stdin=text)
    assert "Traceback" not in run.stderr, run.stderr
    return run


def test_joining_starts_onboarding_in_a_dm_and_the_run_ends_cleanly(
    tmp_path: Path, db: Path
) -> None:
    run = scenario(tmp_path, db, "# a scenario file\n:join alice\n")
    assert run.code == 0
    greeting = run.at("dm:alice")
    assert greeting, run.stdout
    assert "alice" in greeting[0]
    assert any("1." in line for line in greeting), "the first question lists numbered options"
    assert all(line.startswith("[") for line in run.lines), run.stdout
    assert db.exists()


def test_help_lists_the_commands(tmp_path: Path, db: Path) -> None:
    run = scenario(tmp_path, db, ":join alice\n/help\n")
    help_text = "\n".join(run.at("reply:alice"))
    for command in ("/help", "/tags add", "/peers", "/profile show", "/mydata", "/forgetme"):
        assert command in help_text
    assert "/setup" not in help_text, "moderator commands are only listed for moderators"


def test_moderator_commands_are_refused_until_made_moderator(tmp_path: Path, db: Path) -> None:
    run = scenario(tmp_path, db, ":join alice\n/setup\n:mod alice\n/setup\n")
    replies = run.at("reply:alice")
    refused = [line for line in replies if "Only moderators" in line]
    assert len(refused) == 1
    after = replies[replies.index(refused[0]) + 1 :]
    assert after and not any("Only moderators" in line for line in after)
    assert "[console] alice is now a moderator." in run.lines


def test_typing_before_anyone_joined_explains_how_to_start(tmp_path: Path, db: Path) -> None:
    run = scenario(tmp_path, db, "hello\n/help\n")
    assert run.code == 0
    assert run.at("console") and ":join NAME" in run.at("console")[0]
    assert not run.at("reply:alice")


def test_a_bad_command_line_is_answered_to_the_user(tmp_path: Path, db: Path) -> None:
    run = scenario(tmp_path, db, ":join alice\n/frobnicate now\n")
    assert any("I don't know `/frobnicate`" in line for line in run.at("reply:alice"))


def test_a_scenario_file_saved_with_a_byte_order_mark_runs_from_its_first_line(
    tmp_path: Path, db: Path
) -> None:
    scenario_file = tmp_path / "scenario.txt"
    scenario_file.write_text(":join alice   # the first line\n/tags add maths\n", "utf-8-sig")
    assert scenario_file.read_bytes().startswith(b"\xef\xbb\xbf")
    run = scenario(tmp_path, db, scenario_file.read_bytes().decode("utf-8"))
    assert "[console] alice joined; you are now alice." in run.lines, run.stdout
    assert run.at("dm:alice"), "the welcome questions went out"
    assert any("Added **maths**" in line for line in run.at("reply:alice")), run.stdout


def test_quit_stops_reading(tmp_path: Path, db: Path) -> None:
    run = scenario(tmp_path, db, ":join alice\n:quit\n:join bob\n")
    assert run.code == 0
    assert run.at("dm:alice")
    assert not run.at("dm:bob")


def test_a_second_run_remembers_onboarding_answers(tmp_path: Path, db: Path) -> None:
    first = scenario(tmp_path, db, ":join alice\n1\n")
    assert first.code == 0
    second = scenario(tmp_path, db, ":as alice\n/profile show\n")
    profile = "\n".join(second.at("reply:alice"))
    assert "Classroom teacher" in profile, second.stdout


def test_a_second_run_remembers_tags(tmp_path: Path, db: Path) -> None:
    first = scenario(tmp_path, db, ":join alice\n/tags add maths\n")
    assert first.code == 0
    second = scenario(tmp_path, db, ":as alice\n/profile show\n")
    assert "maths" in "\n".join(second.at("reply:alice")).casefold(), second.stdout


def test_logs_go_to_stderr_never_stdout(tmp_path: Path, db: Path) -> None:
    run = scenario(tmp_path, db, ":join alice\n")
    assert "started: console adapter" in run.stderr
    assert "started" not in run.stdout


def test_a_wrong_setting_stops_start_up_with_one_line(tmp_path: Path, db: Path) -> None:
    env = clean_env(COMMUNITYBOT_MATRIX__MODERATOR_POWER_LEVEL="101")
    run = communitybot(tmp_path, "run", "--db", str(db), env=env)
    assert run.code == 2
    assert run.stderr.strip() == (
        "communitybot: COMMUNITYBOT_MATRIX__MODERATOR_POWER_LEVEL: must be ≤ 100 (got '101')"
    )
    assert not db.exists()


def test_a_dotenv_file_in_the_working_directory_is_read(tmp_path: Path, db: Path) -> None:
    (tmp_path / ".env").write_text("COMMUNITYBOT_LOG_FORMAT=json\n")
    run = scenario(tmp_path, db, ":join alice\n")
    assert run.code == 0
    assert run.stderr.lstrip().startswith("{"), run.stderr


def test_adapter_console_wins_over_a_configured_platform_token(tmp_path: Path, db: Path) -> None:
    env = clean_env(COMMUNITYBOT_DISCORD__TOKEN="MTk4NjIy.Gq1x2y.not-a-placeholder")
    forced = communitybot(
        tmp_path, "run", "--db", str(db), "--adapter", "console", env=env, stdin=":join alice\n"
    )
    assert forced.code == 0
    assert "[dm:alice]" in forced.stdout
    assert "not-a-placeholder" not in forced.stdout + forced.stderr


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path, db: Path) -> None:
    import sqlite3

    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA user_version = 999")
    run = communitybot(tmp_path, "run", "--db", str(db), stdin=":join alice\n")
    assert run.code == 2
    assert "communitybot: " in run.stderr and "999" in run.stderr
    assert "Traceback" not in run.stderr
    assert not run.stdout


def test_version_and_usage(tmp_path: Path) -> None:
    version = communitybot(tmp_path, "--version")
    assert version.code == 0 and version.stdout.startswith("communitybot ")
    bare = communitybot(tmp_path)
    assert bare.code == 2 and "run" in bare.stderr


def running_console(cwd: Path, db: Path) -> subprocess.Popen[str]:
    """`communitybot run` on the console adapter, its input left open for the test to type."""
    return subprocess.Popen(
        [sys.executable, "-m", "communitybot", "run", "--db", str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=clean_env(),
    )


def test_sigterm_stops_cleanly_while_waiting_for_input(tmp_path: Path, db: Path) -> None:
    """What `docker stop` does: the store is closed and the exit is clean, mid-session."""
    process = running_console(tmp_path, db)
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(":join alice\n")
        process.stdin.flush()
        first = process.stdout.readline()
        assert first.startswith("[console] alice joined")
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "Traceback" not in stderr


def test_long_replies_are_printed_whole(tmp_path: Path, db: Path) -> None:
    """The console has no length limit: a moderator's /help (4,000+ characters) and a list of
    50 questions (42 long ones) are printed in full, nothing cut off."""
    prompt = "Which of these describes the school you teach at best, and why? " * 4
    adds = "".join(
        f"/onboarding questions add q{n:02} text none Q{n:02} {prompt.strip()}\n"
        for n in range(1, 43)  # with the 8 stock questions: the maximum of 50
    )
    run = scenario(
        tmp_path, db, f":join alice\n:mod alice\n/help\n{adds}/onboarding questions list\n"
    )
    replies = "\n".join(run.at("reply:alice"))
    for command in CATALOGUE:
        assert f"/{command.name}" in replies, command.name
    listed = replies[replies.rindex("q01") :]
    assert len(listed) > 10_000
    for n in range(1, 43):
        assert f"Q{n:02} {prompt.strip()[:200]}" in listed, n


def test_two_communities_in_one_run_each_keep_their_members_and_say_which_is_which(
    tmp_path: Path, db: Path
) -> None:
    run = scenario(
        tmp_path,
        db,
        ":join alice\n/tags add maths\n"
        ":community school-b   # a second community, like a second server\n"
        ":join bob\n/tags add maths\n/peers maths\n"
        ":community\n:community no/such\n",
    )
    assert run.code == 0
    assert run.lines[0] == "[console] alice joined; you are now alice.", "one community: as ever"
    assert "[reply:alice] Added **maths** to your profile." in run.lines
    assert run.at("dm:bob from school-b")[0] == "👋 Welcome to the community, bob!"
    peers = "\n".join(run.at("school-b reply:bob"))
    assert "No one else who shares **maths**" in peers and "alice" not in peers, run.stdout
    assert "Communities in this run: local, school-b." in run.at("console")[-2]
    assert run.at("console")[-1].startswith("A community name is one word")
    second = scenario(tmp_path, db, ":community school-b\n:as bob\n/profile show\n")
    assert "maths" in "\n".join(second.at("school-b reply:bob")).casefold(), second.stdout
