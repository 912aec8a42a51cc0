"""Discord interaction tokens never reach the logs, even at DEBUG.

discord.py logs every gateway event at DEBUG, so each INTERACTION_CREATE dump carries the
interaction's `token` (valid 15 minutes: enough to answer as the bot); its HTTP debug lines
carry it in the callback and webhook (follow-up) URLs. The real discord.py client runs against
the loopback double; a deferred answer makes both URLs appear.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from adapters.discord import DiscordConfig
from communitybot.logging import configure_logging
from communitybot.settings import load_settings
from communitybot.store.store import Store
from tests.discord.gateway_double import APP_ID, DiscordDouble
from tests.discord.helpers import BOB, answer, built, slash, sub
from tests.test_logging import restore_logging  # noqa: F401 - autouse: logging put back


async def _deferred_interaction(double: DiscordDouble, tmp_path: Path) -> str:
    """Run the bot, answer one slash command late (callback + webhook follow-up); its id."""
    store = await Store.open(tmp_path / "bot.db")
    bot = await built(
        DiscordConfig(token=double.valid_token, guild_ready_timeout=0.05, defer_after=0), store
    )
    original = bot.bot.handle

    async def slow_handle(event: Any) -> Any:
        await asyncio.sleep(0.2)  # answered after the deferral: a follow-up via the webhook
        return await original(event)

    bot.bot.handle = slow_handle  # type: ignore[method-assign]
    await bot.start()
    task = asyncio.create_task(bot.run())
    try:
        async with asyncio.timeout(5):
            await bot.ready.wait()
        asked = await double.interact(BOB, 2, slash("privacy", sub("show")))
        await answer(double, asked)
        await double.wait_for("POST", f"/webhooks/{APP_ID}/token-{asked}")
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        await store.close()
    return asked


def _logging(level: str, log_format: str, bot_token: str) -> io.StringIO:
    stream = io.StringIO()
    settings = load_settings(
        _env_file=None, adapter="console", log_level=level, log_format=log_format
    )
    configure_logging(settings, [bot_token], stream=stream)
    return stream


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_interaction_tokens_are_never_logged(
    double: DiscordDouble, tmp_path: Path, log_format: str
) -> None:
    stream = _logging("DEBUG", log_format, double.valid_token)
    asked = await _deferred_interaction(double, tmp_path)
    output = stream.getvalue()
    assert f"token-{asked}" not in output
    assert double.valid_token not in output
    assert "INTERACTION_CREATE" in output, "discord.py dumped the gateway event"
    assert f"/interactions/{asked}/[redacted]/callback" in output
    assert f"/webhooks/{APP_ID}/[redacted]" in output
    if log_format == "json":
        assert all(json.loads(line) for line in output.splitlines())


async def test_an_interaction_token_is_scrubbed_from_any_later_line(
    double: DiscordDouble, tmp_path: Path
) -> None:
    """At INFO no gateway dump shows it to the pattern scrubber: the adapter registers it."""
    stream = _logging("INFO", "text", double.valid_token)
    access_log = logging.getLogger("aiohttp.access")  # the double's own, not the bot's
    access_log.setLevel(logging.WARNING)
    try:
        asked = await _deferred_interaction(double, tmp_path)
    finally:
        access_log.setLevel(logging.NOTSET)
    assert "/interactions/" not in stream.getvalue(), "nothing showed the token to a pattern"
    logger.error("a follow-up failed: 404 for token-{} (Unknown Webhook)", asked)
    output = stream.getvalue()
    assert f"token-{asked}" not in output
    assert "a follow-up failed: 404 for [redacted] (Unknown Webhook)" in output
