"""Logging: secrets redacted everywhere, library logs forwarded, JSON lines when asked."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections.abc import Iterator

import pytest
from loguru import logger

from communitybot.logging import (
    REDACTED,
    SECRETS,
    Redactor,
    SecretRegistry,
    configure_logging,
    register_secret,
)
from communitybot.settings import load_settings

TOKEN = "MTk4NjIy.Gq1x2y.real-secret-token"


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Leave loguru, the stdlib root logger and the secret registry as other tests expect."""
    root_handlers = logging.root.handlers[:]
    root_level = logging.root.level
    yield
    SECRETS.clear()
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


# -- secrets learnt at run time and secrets recognised by their shape ---------------------------

RUNTIME = "syt_Ym90MQ_runtimeSecret_0x1y2z"


def test_a_secret_registered_at_run_time_is_scrubbed_from_then_on() -> None:
    stream = configured()
    logger.info("before: {}", RUNTIME)
    register_secret(RUNTIME)
    logger.info("after: {}", RUNTIME)
    logging.getLogger("aiosqlite").warning("INSERT … ('@bot:x', 'key', '%s')", RUNTIME)
    before, after, stdlib = stream.getvalue().splitlines()
    assert RUNTIME in before, "only what is registered (or secret-shaped) is scrubbed"
    assert RUNTIME not in after + stdlib
    assert after.endswith(f"after: {REDACTED}")


def test_json_lines_are_scrubbed_in_message_extra_and_exception() -> None:
    stream = configured(log_format="json")
    register_secret(RUNTIME)
    try:
        raise RuntimeError(f"sync failed for ?access_token={RUNTIME}")
    except RuntimeError:
        logger.bind(token=RUNTIME, request={"url": f"/sync?access_token={RUNTIME}"}).exception(
            "sync failed, Authorization: Bearer {}", RUNTIME
        )
    logger.bind(body='{"access_token": "syt_other_secret_123456"}').info("login response")
    output = stream.getvalue()
    assert RUNTIME not in output and "syt_other_secret_123456" not in output
    first, second = (json.loads(line)["record"] for line in output.splitlines())
    assert first["extra"]["token"] == REDACTED
    assert first["extra"]["request"]["url"] == f"/sync?access_token={REDACTED}"
    assert first["exception"]["type"] == "RuntimeError"
    assert first["exception"]["value"] == f"sync failed for ?access_token={REDACTED}"
    assert first["message"] == f"sync failed, Authorization: Bearer {REDACTED}"
    assert second["extra"]["body"] == f'{{"access_token": "{REDACTED}"}}'


NIO_LOGIN_LINE = (
    "Validating response schema {'type': 'object'}: {'user_id': '@bot1:localhost', "
    "'access_token': 'syt_Ym90MQ_fromTheServer_4a5b6c', 'home_server': 'localhost', "
    "'device_id': 'QWERTYUIOP'}"
)
GATEWAY_LINE = (
    "For Shard ID None: WebSocket Event: {'t': 'INTERACTION_CREATE', 's': 4, 'op': 0, "
    "'d': {'id': '1234', 'token': 'aW50ZXJhY3Rpb246MTIzNDpzZWNyZXQ', 'type': 2}}"
)


def test_secret_shaped_text_is_scrubbed_and_its_later_mentions_too() -> None:
    stream = configured(log_level="DEBUG")
    logging.getLogger("nio.responses").debug(NIO_LOGIN_LINE)
    logging.getLogger("discord.gateway").debug(GATEWAY_LINE)
    http = logging.getLogger("discord.http")
    http.debug(
        "POST https://discord.com/api/v10/interactions/1234/"
        "aW50ZXJhY3Rpb246MTIzNDpzZWNyZXQ/callback with None has returned 204"
    )
    http.debug(
        "PATCH https://discord.com/api/v10/webhooks/99/"
        "aW50ZXJhY3Rpb246MTIzNDpzZWNyZXQ/messages/@original has received {}"
    )
    logging.getLogger("aiohttp.client").debug(
        "GET http://127.0.0.1:8008/_matrix/client/v3/sync?since=s72_1&access_token=syt_q_secret9"
    )
    logging.getLogger("discord.http").debug("headers {'Authorization': 'Bot %s'}", TOKEN)
    logger.debug("saving the login of ('@bot1:localhost', 'access_token', '{}')", "later_secret1")
    logger.debug(
        "the same tokens later: syt_Ym90MQ_fromTheServer_4a5b6c and "
        "aW50ZXJhY3Rpb246MTIzNDpzZWNyZXQ."
    )
    output = stream.getvalue()
    for secret in (
        "syt_Ym90MQ_fromTheServer_4a5b6c",
        "aW50ZXJhY3Rpb246MTIzNDpzZWNyZXQ",
        "syt_q_secret9",
        "later_secret1",
        TOKEN,
    ):
        assert secret not in output
    assert "'device_id': 'QWERTYUIOP'" in output, "what is not secret stays readable"
    assert "/interactions/1234/[redacted]/callback" in output
    assert "since=s72_1&access_token=[redacted]" in output
    assert output.count(REDACTED) >= 9


def test_ordinary_lines_are_left_alone() -> None:
    stream = configured()
    lines = [
        "Bot ready in 3 guild(s)",
        "Discord bot 960000000000000001 connected; token_type: 'Bearer'",
        "next_batch='s72_1_2_3' saved; {'token': None}",
        "the member typed 'password reset' in #general",
    ]
    for line in lines:
        logger.info(line)
    written = [line.split(" - ", 1)[1] for line in stream.getvalue().splitlines()]
    assert written == lines


def test_the_registry_forgets_expired_secrets_and_stays_bounded() -> None:
    now = [0.0]
    registry = SecretRegistry(capacity=3, clock=lambda: now[0])
    redact = Redactor((), registry)
    registry.add("interaction-token-1", ttl=900)
    registry.add("lasting-matrix-token")
    assert redact("a interaction-token-1 b lasting-matrix-token") == f"a {REDACTED} b {REDACTED}"
    now[0] = 901.0
    assert redact("interaction-token-1") == "interaction-token-1", "expired: worthless now"
    for n in range(2, 7):
        registry.add(f"interaction-token-{n}", ttl=900)
    assert len(registry) == 4, "three expiring (the newest) and the lasting one"
    assert redact("interaction-token-2") == "interaction-token-2"
    assert redact("interaction-token-6 lasting-matrix-token") == f"{REDACTED} {REDACTED}"
    registry.add("with.a.dot.token", ttl=900)
    assert redact("x with.a.dot.tokens") == f"x {REDACTED}s", "non-word secrets found too"


def test_registering_and_scrubbing_from_many_threads_at_once() -> None:
    registry = SecretRegistry(capacity=500)
    redact = Redactor((), registry)
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(300):
                secret = f"thread-{n}-secret-{i}"
                registry.add(secret, ttl=900)
                assert secret not in redact(f"line with {secret} in it")
        except BaseException as error:  # reported below, from the main thread
            failures.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(registry) == 500


def test_a_plain_word_caught_by_a_pattern_is_not_scrubbed_everywhere_afterwards() -> None:
    stream = configured()
    logger.info("required keys: ('token', 'password')")
    logger.info("forgot your password? ask a moderator")
    first, second = (line.split(" - ", 1)[1] for line in stream.getvalue().splitlines())
    assert first == f"required keys: ('token', '{REDACTED}')"
    assert second == "forgot your password? ask a moderator"


def test_a_link_code_in_a_platform_librarys_debug_dump_is_scrubbed() -> None:
    stream = configured(log_level="DEBUG")
    logging.getLogger("nio.rooms").debug(
        "event {'type': 'm.room.message', 'content': {'body': '!link k7q2-m9xd'}}"
    )
    logging.getLogger("discord.gateway").debug(
        '{"t": "INTERACTION_CREATE", "d": {"data": {"name": "link", "options": '
        '[{"type": 3, "name": "code", "value": "K7Q2-M9XD"}]}}}'
    )
    logger.info("the member typed /tags link maths channel=general")
    output = stream.getvalue()
    assert "k7q2" not in output.lower() and "m9xd" not in output.lower()
    assert output.count(REDACTED) == 2
    assert "/tags link maths channel=general" in output
