"""Logging for the whole process: loguru to stderr, libraries' stdlib logging forwarded into it.

Only the composition root calls `configure_logging` (never at import). Secrets are redacted
twice: from each record's message (a patcher, so every sink benefits) and from the final text
written (so exception texts and JSON lines are covered too). `diagnose=False` keeps variable
values — tokens among them — out of tracebacks.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from loguru import logger

if TYPE_CHECKING:
    from loguru import Message, Record

    from communitybot.settings import Settings

REDACTED = "[redacted]"
TEXT_FORMAT = (
    "<green>{time:YYYY-MM-DD HH:mm:ss}</green> | <level>{level: <8}</level> | "
    "<cyan>{name}</cyan> - <level>{message}</level>"
)
FORWARDED = ("discord", "nio", "aiohttp", "aiosqlite", "asyncio")
"""Libraries whose stdlib logs we want; aiosqlite is chatty, so it is capped at WARNING below."""


class InterceptHandler(logging.Handler):
    """Send stdlib log records into loguru, keeping their level and original caller."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        frame: FrameType | None = logging.currentframe()
        depth = 0
        while frame is not None and (depth == 0 or frame.f_code.co_filename == logging.__file__):
            frame = frame.f_back
            depth += 1
        logger.opt(depth=depth, exception=record.exc_info).log(level, record.getMessage())


class Redactor:
    """Replaces every configured secret (and its JSON-escaped form) with a marker."""

    def __init__(self, secrets: Iterable[str]) -> None:
        variants = set()
        for secret in secrets:
            if secret and len(secret) >= 4:  # tiny values would redact ordinary words
                variants.add(secret)
                variants.add(json.dumps(secret)[1:-1])
        self._secrets = sorted(variants, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def patch(self, record: Record) -> None:
        record["message"] = self(record["message"])


class _RedactingSink:
    """The sink loguru writes to: redact the finished text, write it, flush it."""

    def __init__(self, stream: TextIO, redact: Redactor) -> None:
        self._stream = stream
        self._redact = redact

    def __call__(self, message: Message) -> None:
        self._stream.write(self._redact(str(message)))
        self._stream.flush()


_STDLIB_LEVELS = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "SUCCESS": logging.INFO,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
}


def configure_logging(
    settings: Settings, secrets: Iterable[str] | None = None, *, stream: TextIO | None = None
) -> None:
    """(Re)configure logging; calling it again replaces the previous set-up, never duplicates it.

    `secrets` defaults to the secret values in `settings`; `stream` defaults to stderr (stdout
    belongs to the console adapter's conversation).
    """
    redactor = Redactor(settings.secret_values() if secrets is None else secrets)
    logger.remove()  # the default stderr handler, and our own from an earlier call
    logger.configure(patcher=redactor.patch)
    out = stream if stream is not None else sys.stderr
    options: dict[str, Any] = {
        "level": settings.log_level,
        "backtrace": False,
        "diagnose": False,
    }
    if settings.log_format == "json":
        options["serialize"] = True
    else:
        options["format"] = TEXT_FORMAT
        options["colorize"] = _is_tty(out)
    logger.add(_RedactingSink(out, redactor), **options)
    _forward_stdlib(settings.log_level)


def _forward_stdlib(level: str) -> None:
    numeric = _STDLIB_LEVELS.get(level, logging.INFO)
    logging.basicConfig(handlers=[InterceptHandler()], level=numeric, force=True)
    for name in FORWARDED:
        logging.getLogger(name).setLevel(logging.NOTSET)
    if level != "TRACE":
        logging.getLogger("aiosqlite").setLevel(max(logging.WARNING, numeric))


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
