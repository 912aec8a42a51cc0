"""Settings: nested variables, `.env`, secrets kept secret, one clear line per mistake."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from loguru import logger

from communitybot.settings import Settings, SettingsError, known_env_names, load_settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No COMMUNITYBOT_ variable or `.env` from the developer's machine leaks into a test."""
    import os

    for name in list(os.environ):
        if name.upper().startswith("COMMUNITYBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def errors_of(**env: str) -> list[str]:
    import os

    os.environ.update(env)
    try:
        with pytest.raises(SettingsError) as caught:
            load_settings()
    finally:
        for name in env:
            os.environ.pop(name, None)
    return caught.value.lines


def test_defaults_run_the_console_on_a_local_file() -> None:
    settings = load_settings()
    assert settings.database_path == Path("communitybot.db")
    assert settings.resolved_adapter() == "console"
    assert settings.log_format == "text"
    assert settings.log_level == "INFO"
    assert settings.console_community == "local"


def test_nested_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMUNITYBOT_MATRIX__MODERATOR_POWER_LEVEL", "75")
    monkeypatch.setenv("COMMUNITYBOT_MATRIX__ROOMS", "!abc:example.org, #teachers:example.org")
    monkeypatch.setenv("COMMUNITYBOT_MATRIX__MODERATOR_ROOMS", "!mods:example.org")
    monkeypatch.setenv("COMMUNITYBOT_DISCORD__DEV_GUILD_IDS", "111,222")
    monkeypatch.setenv("COMMUNITYBOT_DATABASE_PATH", "/tmp/x/bot.db")
    monkeypatch.setenv("COMMUNITYBOT_LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.matrix.moderator_power_level == 75
    assert settings.matrix.rooms == ["!abc:example.org", "#teachers:example.org"]
    assert settings.matrix.moderator_rooms == ["!mods:example.org"]
    assert settings.discord.dev_guild_ids == [111, 222]
    assert settings.database_path == Path("/tmp/x/bot.db")
    assert settings.log_level == "DEBUG"


def test_dotenv_file_is_honoured_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, clean_environment: Path
) -> None:
    (clean_environment / ".env").write_text(
        "COMMUNITYBOT_LOG_FORMAT=json\nCOMMUNITYBOT_CONSOLE_COMMUNITY=school\nOTHER_TOOL=1\n"
    )
    monkeypatch.setenv("COMMUNITYBOT_CONSOLE_COMMUNITY", "district")
    settings = load_settings()
    assert settings.log_format == "json"
    assert settings.console_community == "district"


def test_command_line_overrides_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMUNITYBOT_DATABASE_PATH", "from-env.db")
    settings = load_settings(database_path=Path("from-cli.db"), adapter="console")
    assert settings.database_path == Path("from-cli.db")
    assert settings.adapter == "console"


def test_the_example_file_documents_every_setting_and_loads_as_is(
    clean_environment: Path,
) -> None:
    example = (ROOT / "settings.example.env").read_text()
    documented = {
        line.split("=", 1)[0] for line in example.splitlines() if line.startswith("COMMUNITYBOT_")
    }
    assert documented == known_env_names() - {
        "COMMUNITYBOT_DISCORD",
        "COMMUNITYBOT_MATRIX",
        "COMMUNITYBOT_DASHBOARD",
    }
    shutil.copy(ROOT / "settings.example.env", clean_environment / ".env")
    settings = load_settings()
    assert settings.resolved_adapter() == "console"


def test_secrets_never_show_in_repr_or_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMUNITYBOT_DISCORD__TOKEN", "MTk4NjIy.real-looking.token-value")
    monkeypatch.setenv("COMMUNITYBOT_MATRIX__PASSWORD", "correct horse battery staple")
    settings = load_settings(adapter="console")
    assert "real-looking" not in repr(settings)
    assert "horse" not in str(settings.model_dump())
    seen: list[str] = []
    handler = logger.add(lambda message: seen.append(str(message)), format="{message}")
    try:
        logger.info("settings: {}", settings)
    finally:
        logger.remove(handler)
    assert "real-looking" not in "".join(seen)
    assert settings.secret_values() == [
        "MTk4NjIy.real-looking.token-value",
        "correct horse battery staple",
    ]


def test_a_wrong_value_is_one_line_naming_the_variable() -> None:
    lines = errors_of(COMMUNITYBOT_MATRIX__MODERATOR_POWER_LEVEL="101")
    assert lines == ["COMMUNITYBOT_MATRIX__MODERATOR_POWER_LEVEL: must be ≤ 100 (got '101')"]


def test_every_problem_gets_its_own_line() -> None:
    lines = errors_of(
        COMMUNITYBOT_ADAPTER="telegram",
        COMMUNITYBOT_LOG_LEVEL="loud",
        COMMUNITYBOT_MATRIX__HOMESERVER="matrix.example.org",
        COMMUNITYBOT_DISCORD__APPLICATION_ID="abc",
    )
    assert len(lines) == 4
    assert all("\n" not in line for line in lines)
    by_name = {line.split(":", 1)[0]: line for line in lines}
    assert "must be one of" in by_name["COMMUNITYBOT_ADAPTER"]
    assert "telegram" in by_name["COMMUNITYBOT_ADAPTER"]
    assert "DEBUG" in by_name["COMMUNITYBOT_LOG_LEVEL"]
    assert "https://" in by_name["COMMUNITYBOT_MATRIX__HOMESERVER"]
    assert "whole number" in by_name["COMMUNITYBOT_DISCORD__APPLICATION_ID"]


def test_matrix_user_id_must_look_like_a_matrix_id() -> None:
    lines = errors_of(COMMUNITYBOT_MATRIX__USER_ID="communitybot")
    assert lines[0].startswith("COMMUNITYBOT_MATRIX__USER_ID: must look like @name:server")


@pytest.mark.parametrize("placeholder", ["changeme", "your-token-here", "xxx", "<token>"])
def test_placeholder_secrets_are_refused_without_echoing_them(placeholder: str) -> None:
    lines = errors_of(COMMUNITYBOT_DISCORD__TOKEN=placeholder)
    assert len(lines) == 1
    assert lines[0].startswith("COMMUNITYBOT_DISCORD__TOKEN: is a placeholder")
    assert placeholder not in lines[0]


def test_a_misspelt_variable_is_caught_with_a_suggestion() -> None:
    lines = errors_of(COMMUNITYBOT_DISCORD_TOKEN="abc.def.ghi")
    assert lines == [
        "COMMUNITYBOT_DISCORD_TOKEN: unknown setting (did you mean COMMUNITYBOT_DISCORD__TOKEN?)"
    ]


def test_auto_picks_discord_when_it_has_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMUNITYBOT_DISCORD__TOKEN", "MTk4NjIy.abc.def")
    settings = load_settings()
    assert settings.resolved_adapter() == "discord"
    assert load_settings(adapter="console").resolved_adapter() == "console"


def test_auto_picks_matrix_when_it_can_log_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMUNITYBOT_MATRIX__HOMESERVER", "https://matrix.example.org/")
    monkeypatch.setenv("COMMUNITYBOT_MATRIX__USER_ID", "@bot:example.org")
    monkeypatch.setenv("COMMUNITYBOT_MATRIX__ACCESS_TOKEN", "syt_Ym90_realtokenvalue")
    settings = load_settings()
    assert settings.resolved_adapter() == "matrix"
    assert settings.matrix.homeserver == "https://matrix.example.org"


def test_half_configured_matrix_says_what_is_missing() -> None:
    lines = errors_of(COMMUNITYBOT_MATRIX__HOMESERVER="https://matrix.example.org")
    assert len(lines) == 1
    assert "COMMUNITYBOT_MATRIX__USER_ID" in lines[0]
    assert "COMMUNITYBOT_MATRIX__ACCESS_TOKEN or COMMUNITYBOT_MATRIX__PASSWORD" in lines[0]


def test_choosing_discord_without_a_token_is_refused() -> None:
    lines = errors_of(COMMUNITYBOT_ADAPTER="discord")
    assert lines == ["COMMUNITYBOT_DISCORD__TOKEN: required when COMMUNITYBOT_ADAPTER=discord"]


def test_empty_values_mean_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMUNITYBOT_DISCORD__TOKEN", "")
    monkeypatch.setenv("COMMUNITYBOT_DISCORD__APPLICATION_ID", "")
    settings = load_settings()
    assert settings.discord.token is None
    assert settings.resolved_adapter() == "console"


def test_nothing_is_read_at_import() -> None:
    import communitybot.settings as module

    assert not [v for v in vars(module).values() if isinstance(v, Settings)]


PASTED_TOKEN = "MTk4NjIyNDgzNDcxOTI1MjQ4.Gq1x2y.pasted-into-the-wrong-variable"


def test_a_token_pasted_into_an_id_is_never_echoed_and_its_home_is_named() -> None:
    lines = errors_of(
        COMMUNITYBOT_DISCORD__APPLICATION_ID=PASTED_TOKEN,
        COMMUNITYBOT_DISCORD__DEV_GUILD_IDS=f"123,{PASTED_TOKEN}",
        COMMUNITYBOT_MATRIX__USER_ID="syt_Ym90MQ_pastedMatrixToken_1a2b3c",
        COMMUNITYBOT_MATRIX__MODERATOR_POWER_LEVEL=PASTED_TOKEN,
    )
    text = "\n".join(lines)
    for leaked in ("MTk4", "Gq1x2y", "pasted", "syt_"):
        assert leaked not in text
    by_name = {line.split(":", 1)[0]: line for line in lines}
    assert by_name["COMMUNITYBOT_DISCORD__APPLICATION_ID"] == (
        "COMMUNITYBOT_DISCORD__APPLICATION_ID: must be a whole number (the value looks like a "
        "token and is not shown; a token belongs in COMMUNITYBOT_DISCORD__TOKEN)"
    )
    assert "COMMUNITYBOT_DISCORD__TOKEN" in by_name["COMMUNITYBOT_DISCORD__DEV_GUILD_IDS"]
    assert "COMMUNITYBOT_MATRIX__ACCESS_TOKEN" in by_name["COMMUNITYBOT_MATRIX__USER_ID"]
    assert "not shown" in by_name["COMMUNITYBOT_MATRIX__MODERATOR_POWER_LEVEL"]


def test_an_id_field_never_echoes_its_value_even_a_harmless_looking_one() -> None:
    [line] = errors_of(COMMUNITYBOT_DISCORD__APPLICATION_ID="my-app")
    assert line == "COMMUNITYBOT_DISCORD__APPLICATION_ID: must be a whole number"


def test_a_wrong_secret_value_is_named_not_shown() -> None:
    lines = errors_of(
        COMMUNITYBOT_ADAPTER="discord",
        COMMUNITYBOT_DISCORD__TOKEN="your-token-here",
        COMMUNITYBOT_MATRIX__PASSWORD="changeme-please",
    )
    text = "\n".join(lines)
    assert "your-token-here" not in text and "changeme-please" not in text
    assert any(line.startswith("COMMUNITYBOT_DISCORD__TOKEN: is a placeholder") for line in lines)


def test_the_command_prints_settings_errors_without_the_pasted_token(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "COMMUNITYBOT_DISCORD__APPLICATION_ID": PASTED_TOKEN,
    }
    done = subprocess.run(
        [sys.executable, "-m", "communitybot", "run"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert "COMMUNITYBOT_DISCORD__APPLICATION_ID: must be a whole number" in done.stderr
    assert "MTk4" not in done.stderr + done.stdout


MATRIX_LOGIN = {
    "COMMUNITYBOT_MATRIX__HOMESERVER": "https://matrix.example.org",
    "COMMUNITYBOT_MATRIX__USER_ID": "@bot:example.org",
    "COMMUNITYBOT_MATRIX__ACCESS_TOKEN": "syt_Ym90_realtokenvalue",
}


def test_auto_serves_discord_and_matrix_in_one_process_when_both_are_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COMMUNITYBOT_DISCORD__TOKEN", "MTk4NjIy.abc.def")
    for name, value in MATRIX_LOGIN.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.resolved_adapter() == "discord+matrix"
    assert settings.worker_platform() == "discord"  # a worker still runs one platform's jobs
    assert load_settings(adapter="matrix").resolved_adapter() == "matrix"
    both = load_settings(adapter="discord+matrix")
    assert both.resolved_adapter() == "discord+matrix"
    assert both.worker_platform() is None


def test_discord_plus_matrix_needs_both_platforms_configured() -> None:
    assert errors_of(COMMUNITYBOT_ADAPTER="discord+matrix", **MATRIX_LOGIN) == [
        "COMMUNITYBOT_DISCORD__TOKEN: required when COMMUNITYBOT_ADAPTER=discord+matrix"
    ]
    [line] = errors_of(
        COMMUNITYBOT_ADAPTER="discord+matrix", COMMUNITYBOT_DISCORD__TOKEN="MTk4NjIy.abc.def"
    )
    assert line.startswith(
        "the Matrix settings are incomplete: set COMMUNITYBOT_MATRIX__HOMESERVER"
    )
    # `auto` with a Discord token would serve Matrix too: a half-configured Matrix is named.
    [line] = errors_of(
        COMMUNITYBOT_DISCORD__TOKEN="MTk4NjIy.abc.def",
        COMMUNITYBOT_MATRIX__HOMESERVER="https://matrix.example.org",
    )
    assert "COMMUNITYBOT_MATRIX__USER_ID" in line


def test_run_takes_discord_plus_matrix_and_a_worker_takes_one_platform() -> None:
    from communitybot.__main__ import build_parser

    parser = build_parser()
    assert parser.parse_args(["run", "--adapter", "discord+matrix"]).adapter == "discord+matrix"
    with pytest.raises(SystemExit):
        parser.parse_args(["worker", "--adapter", "discord+matrix"])
