"""Logging: secrets redacted everywhere, library logs forwarded, JSON lines when asked."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
from loguru import logger

from communitybot.logging import REDACTED, configure_logging
from communitybot.settings import load_settings

TOKEN = "MTk4NjIy.Gq1x2y.real-secret-token"


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Leave loguru and the stdlib root logger as other tests expect them."""
    root_handlers = logging.root.handlers[:]
    root_level = logging.root.level
    yield
    logger.remove()
    logger.configure(patcher=None)
    logger.add(sys.stderr)
    logging.root.handlers[:] = root_handlers
    logging.root.setLevel(root_level)


def configured(**values: object) -> io.StringIO:
    stream = io.StringIO()
    settings = load_settings(_env_file=None, **values)
    configure_logging(settings, [TOKEN], stream=stream)
    return stream


def test_secrets_are_redacted_from_messages_and_tracebacks() -> None:
    stream = configured()
    logger.info("connecting with token {}", TOKEN)
    try:
        raise RuntimeError(f"login failed for {TOKEN}")
    except RuntimeError:
        logger.exception("gateway error")
    output = stream.getvalue()
    assert TOKEN not in output
    assert output.count(REDACTED) >= 2
    assert "gateway error" in output
    assert "RuntimeError" in output


def test_secrets_default_to_those_in_the_settings() -> None:
    stream = io.StringIO()
    settings = load_settings(_env_file=None, discord={"token": TOKEN}, adapter="console")
    configure_logging(settings, stream=stream)
    logger.warning("token is {}", TOKEN)
    assert TOKEN not in stream.getvalue()
    assert REDACTED in stream.getvalue()


def test_stdlib_logging_from_libraries_is_forwarded() -> None:
    stream = configured()
    logging.getLogger("discord.gateway").warning("shard %s reconnecting, token %s", 0, TOKEN)
    logging.getLogger("nio.client").info("synced")
    output = stream.getvalue()
    assert "shard 0 reconnecting" in output
    assert "synced" in output
    assert TOKEN not in output


def test_levels_below_the_configured_one_are_dropped() -> None:
    stream = configured(log_level="WARNING")
    logger.info("chatty detail")
    logging.getLogger("aiohttp.client").info("chatty library detail")
    logger.warning("worth knowing")
    output = stream.getvalue()
    assert "chatty" not in output
    assert "worth knowing" in output


def test_json_mode_writes_one_valid_json_object_per_line() -> None:
    stream = configured(log_format="json")
    logger.info("hello {}", "world")
    logging.getLogger("aiosqlite").error("disk full, token %s", TOKEN)
    lines = stream.getvalue().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["record"]["message"] for r in records] == [
        "hello world",
        f"disk full, token {REDACTED}",
    ]
    assert records[1]["record"]["level"]["name"] == "ERROR"


def test_configuring_twice_does_not_duplicate_output() -> None:
    configured()
    stream = configured()
    logger.info("once")
    logging.getLogger("discord").warning("also once")
    assert stream.getvalue().count("once") == 2
