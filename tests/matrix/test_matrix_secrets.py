"""The bot's Matrix access token never reaches the logs, even at DEBUG and TRACE.

A password login against the real Synapse hands the bot a fresh token: matrix-nio logs the
login response at DEBUG before our code sees it, and at TRACE aiosqlite logs the INSERT that
saves it. The second start reads the saved token back. Every line is captured.
"""

from __future__ import annotations

import io
import json

import pytest

from communitybot.logging import configure_logging
from communitybot.settings import load_settings
from tests.matrix.conftest import World
from tests.test_logging import restore_logging  # noqa: F401 - autouse: logging put back


@pytest.mark.parametrize(("level", "log_format"), [("TRACE", "text"), ("DEBUG", "json")])
async def test_the_bot_token_from_a_password_login_is_never_logged(
    world: World, level: str, log_format: str
) -> None:
    mod = await world.member("mod")
    world.general = await mod.create_room(f"General {world.n}")
    stream = io.StringIO()
    settings = load_settings(
        _env_file=None, adapter="console", log_level=level, log_format=log_format
    )
    configure_logging(settings, [world.bot_account.password], stream=stream)

    bot = await world.start_bot()  # password login: the homeserver hands out a token
    token = bot.client.access_token
    mark = mod.mark()
    await mod.say(world.general, "!help")
    await mod.wait_dm("What I can do", after=mark, sender=world.bot_id)
    await world.stop_bot()
    bot = await world.start_bot()  # the saved token, read back from the database
    assert bot.client.access_token == token
    await world.stop_bot()

    output = stream.getvalue()
    assert token.startswith("syt_")
    assert token not in output
    assert world.bot_account.password not in output
    assert "Validating response schema" in output, "nio logged the login response"
    assert "'access_token': '[redacted]'" in output
    if level == "TRACE":
        assert "INSERT INTO matrix_state" in output, "aiosqlite logged the saving statement"
    if log_format == "json":
        assert all(json.loads(line) for line in output.splitlines())
