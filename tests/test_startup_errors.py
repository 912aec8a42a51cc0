"""Start-up failures are one scrubbed line: no secret, no server's page pasted verbatim.

The Matrix case runs the real `communitybot.app.run` with the real matrix-nio client against a
loopback homeserver whose login error text is long, multi-line and repeats what it was sent.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from adapters.matrix.login import REMOTE_TEXT_LIMIT, homeserver_says
from communitybot.app import run
from communitybot.command_line import EXIT_CONFIG, FAIL_LINE_LIMIT, fail
from communitybot.logging import configure_logging, register_secret
from communitybot.settings import load_settings
from communitybot.store.store import Store
from tests.test_logging import restore_logging  # noqa: F401 - autouse: logging put back

PASSWORD = "correct-horse-battery-staple-42"
LEAKED = "syt_Ym90MQ_someoneElsesToken_9z8y7x"


def test_a_failure_line_is_scrubbed_and_kept_to_one_line() -> None:
    settings = load_settings(_env_file=None, adapter="console", matrix={"password": PASSWORD})
    configure_logging(settings, stream=io.StringIO())
    register_secret("learnt-at-run-time-secret")
    out = io.StringIO()
    code = fail(
        f"the server said: wrong {PASSWORD}\n<html>\x1b[31m?access_token={LEAKED}"
        " and learnt-at-run-time-secret" + " padding" * 200,
        out,
    )
    line = out.getvalue()
    assert code == EXIT_CONFIG
    assert line.count("\n") == 1 and line.startswith("communitybot: the server said: wrong ")
    for secret in (PASSWORD, LEAKED, "learnt-at-run-time-secret", "\x1b"):
        assert secret not in line
    assert len(line) <= len("communitybot: ") + FAIL_LINE_LIMIT + 1


def test_a_homeserver_text_is_shortened_scrubbed_and_flattened() -> None:
    said = homeserver_says('Bad request {"access_token": "' + LEAKED + '"}\n\n' + "x" * 500)
    assert LEAKED not in said and "\n" not in said
    assert said.startswith('Bad request {"access_token": "[redacted]"}')
    assert len(said) == REMOTE_TEXT_LIMIT and said.endswith("…")
    assert homeserver_says(None) == "no reason given"


@pytest.fixture
async def chatty_homeserver() -> AsyncIterator[str]:
    """Refuses every login with an error that repeats the request and a proxy's page."""

    async def login(request: web.Request) -> web.Response:
        sent = await request.text()
        error = (
            f"cannot log in with {sent}\n<html>proxy error for /login?access_token={LEAKED}"
            + "<p>lorem</p>" * 100
        )
        return web.json_response({"errcode": "M_FORBIDDEN", "error": error}, status=403)

    app = web.Application()
    app.router.add_post("/_matrix/client/{version}/login", login)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_a_refused_matrix_login_is_one_line_without_secrets(
    chatty_homeserver: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(
        _env_file=None,
        adapter="matrix",
        database_path=tmp_path / "bot.db",
        log_level="DEBUG",
        matrix={
            "homeserver": chatty_homeserver,
            "user_id": "@bot:localhost",
            "password": PASSWORD,
        },
    )
    assert await run(settings) == EXIT_CONFIG
    captured = capsys.readouterr()
    [failure] = [line for line in captured.err.splitlines() if line.startswith("communitybot:")]
    assert failure.startswith("communitybot: Matrix password login for @bot:localhost failed (")
    assert "check COMMUNITYBOT_MATRIX__USER_ID and COMMUNITYBOT_MATRIX__PASSWORD" in failure
    assert "<p>lorem</p>" * 20 not in failure
    for secret in (PASSWORD, LEAKED):
        assert secret not in captured.err + captured.out, "neither in the line nor in the logs"


async def test_the_command_reports_adapter_state_from_a_newer_release_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "app.db"
    store = await Store.open(path)
    await store.db.execute("INSERT INTO adapter_schema (name, version) VALUES ('discord', 9)")
    await store.close()
    settings = load_settings(
        _env_file=None,
        adapter="discord",
        database_path=path,
        discord={"token": "MTk4NjIy.Gq1x2y.never-sent-anywhere"},
    )
    assert await run(settings) == EXIT_CONFIG  # refused before any connection is made
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "discord adapter state of version 9" in line and "upgrade communitybot" in line
