"""The dashboard's settings and the container health check."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from communitybot.dashboard.healthcheck import check, url
from communitybot.settings import SettingsError, load_settings
from tests.conftest import Harness
from tests.dashboard_world import running_dashboard


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("COMMUNITYBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_the_dashboard_is_off_by_default() -> None:
    settings = load_settings()
    assert not settings.dashboard.enabled
    assert settings.dashboard.public_url is None


def test_listen_alone_serves_links_on_that_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMUNITYBOT_DASHBOARD__LISTEN", "127.0.0.1:8080")
    dashboard = load_settings().dashboard
    assert (dashboard.host, dashboard.port) == ("127.0.0.1", 8080)
    assert dashboard.public_url == "http://127.0.0.1:8080"


def test_the_base_url_is_what_links_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMUNITYBOT_DASHBOARD__LISTEN", "0.0.0.0:8080")
    monkeypatch.setenv("COMMUNITYBOT_DASHBOARD__BASE_URL", "https://bot.example.org/")
    assert load_settings().dashboard.public_url == "https://bot.example.org"


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("LISTEN", "8080", "host:port"),
        ("LISTEN", "localhost:99999", "host:port"),
        ("BASE_URL", "bot.example.org", "http:// or https://"),
    ],
)
def test_a_wrong_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, said: str
) -> None:
    monkeypatch.setenv(f"COMMUNITYBOT_DASHBOARD__{name}", value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    (line,) = caught.value.lines
    assert f"COMMUNITYBOT_DASHBOARD__{name}" in line and said in line


def test_the_health_check_passes_with_the_dashboard_off_and_asks_the_loopback() -> None:
    assert check({}) == (0, "dashboard off: nothing to check")
    assert url("0.0.0.0:8080") == "http://127.0.0.1:8080/healthz"
    assert url("[::]:8080") == "http://[::1]:8080/healthz"


async def test_the_health_check_asks_the_running_dashboard(harness: Harness) -> None:
    import asyncio

    async with running_dashboard(harness) as dashboard:
        listen = {"COMMUNITYBOT_DASHBOARD__LISTEN": f"127.0.0.1:{dashboard.port}"}
        code, _ = await asyncio.to_thread(check, listen)
        assert code == 0
    code, why = await asyncio.to_thread(check, listen)  # stopped: unhealthy, and says why
    assert code == 1 and "did not answer" in why


def test_the_health_check_reads_the_env_file_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from communitybot.dashboard.healthcheck import main

    (tmp_path / ".env").write_text("COMMUNITYBOT_DASHBOARD__LISTEN=127.0.0.1:9\n")
    with pytest.raises(SystemExit) as ended:
        main()
    assert ended.value.code == 1  # port 9 (discard) has no dashboard
    assert "http://127.0.0.1:9/healthz did not answer" in capsys.readouterr().out
