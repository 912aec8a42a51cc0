"""Logging for the whole process: loguru to stderr, libraries' stdlib logging forwarded into it.

Only the composition root calls `configure_logging` (never at import). Secrets are scrubbed in
three ways: the configured ones (settings) by value; the ones learnt at run time (a Matrix access
token from a password login, Discord interaction tokens) by value once registered with
`register_secret`; and anything shaped like a secret (`"access_token": "…"`, `token=…` in a
URL, `Authorization: Bearer …`, webhook and interaction URLs) by pattern, because libraries log
a response before our code ever sees it. A value a pattern catches is registered too, so its
later appearances in other shapes are scrubbed as well. Scrubbing runs on each record (message
and extra) and on the finished text (text lines with tracebacks; JSON lines field by field).
`diagnose=False` keeps variable values — tokens among them — out of tracebacks.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
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

INTERACTION_TOKEN_TTL = 15 * 60.0
"""Discord interaction tokens stop working after 15 minutes; scrubbing them longer buys nothing."""
MIN_SECRET_LENGTH = 8
"""Shorter values are not registered: they would scrub ordinary words out of every line."""

_WORD_RUN = re.compile(rf"[A-Za-z0-9_\-]{{{MIN_SECRET_LENGTH},}}")
_SECRET_KEY = r"(?:\w+_)?(?:access_token|token|password|secret)"
_PATTERNS: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    # Each pattern with the words a line must contain for it to be tried at all (a lower-case
    # word matches any case): a megabyte gateway dump without them costs a substring search,
    # not a regex scan.
    #
    # "access_token": "…", 'token': '…' (a Python repr), \"password\": \"…\" (escaped JSON),
    # ('access_token', '…') (SQL parameters), token="…".
    (
        ("token", "password", "secret"),
        re.compile(
            rf"""(?P<keep>(?P<q>\\?["']?)\b{_SECRET_KEY}(?P=q)\s*[:=,]\s*\\?["'])"""
            r"""(?P<secret>[^"'\\\s]{4,})""",
            re.IGNORECASE,
        ),
    ),
    # ?access_token=… and &token=… in a URL (matrix-nio puts the token in the query string).
    (
        ("token=", "password=", "secret="),
        re.compile(
            rf"(?P<keep>[?&;]{_SECRET_KEY}=)(?P<secret>[^&;\s\"'#<>]{{4,}})",
            re.IGNORECASE,
        ),
    ),
    # Authorization: Bearer … / Bot … (a value of 16+ token characters with a letter in it).
    (
        ("Bearer ", "Bot "),
        re.compile(r"(?P<keep>\b(?:Bearer|Bot)\s+)(?P<secret>(?=\S*[A-Za-z])[\w.~+/=\-]{16,})"),
    ),
    # Discord webhook and interaction URLs carry the interaction token as a path segment.
    (
        ("/webhooks/", "/interactions/"),
        re.compile(
            r"(?P<keep>/(?:webhooks|interactions)/\d+/)(?P<secret>[^/\s?#\"'<>]{4,})",
            re.IGNORECASE,
        ),
    ),
    # A one-time link code (`communitybot.identity`) in a command a platform library dumps at
    # DEBUG: "!link ABCD-EFGH" in a Matrix event body, {"value": "ABCD-EFGH"} in a Discord
    # interaction (only in lines that mention "link").
    (
        ("link",),
        re.compile(
            r"(?P<keep>\blink\s+)(?P<secret>[0-9A-Za-z]{4}[\s-]?[0-9A-Za-z]{4})\b",
            re.IGNORECASE,
        ),
    ),
    (
        ("link",),
        re.compile(
            r"""(?P<keep>["']value["']\s*:\s*["'])"""
            r"""(?P<secret>[0-9A-Za-z]{4}[\s-]?[0-9A-Za-z]{4})(?=["'])"""
        ),
    ),
)


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


class SecretRegistry:
    """Secrets learnt while running, scrubbed from every log line from the moment they arrive.

    Thread-safe (aiosqlite and discord.py log from other threads) and bounded: lasting secrets
    (a Matrix access token) up to `lasting_capacity`, expiring ones (interaction tokens, valid
    15 minutes) up to `capacity`, the oldest dropped first. Secrets made of one run of token
    characters are found by a set look-up per word of the line, so a long registry costs no
    more per line than a short one.
    """

    def __init__(
        self,
        *,
        capacity: int = 10_000,
        lasting_capacity: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._capacity = capacity
        self._lasting_capacity = lasting_capacity
        self._clock = clock
        self._lasting: OrderedDict[str, None] = OrderedDict()
        self._expiring: OrderedDict[str, float] = OrderedDict()
        self._odd: dict[str, int] = {}
        """Secrets that are not one word run, searched for one by one (rare), with a count."""

    def add(self, value: str, ttl: float | None = None) -> None:
        """Scrub `value` from now on: for `ttl` seconds, or (None) for the process's life."""
        if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            if ttl is None:
                if value not in self._lasting:
                    self._track(value)
                self._lasting[value] = None
                self._lasting.move_to_end(value)
                while len(self._lasting) > self._lasting_capacity:
                    self._untrack(self._lasting.popitem(last=False)[0])
            else:
                if value not in self._expiring:
                    self._track(value)
                self._expiring[value] = self._clock() + ttl
                self._expiring.move_to_end(value)
                self._purge()

    def clear(self) -> None:
        with self._lock:
            self._lasting.clear()
            self._expiring.clear()
            self._odd.clear()

    def __len__(self) -> int:
        with self._lock:
            self._purge()
            return len(self._lasting) + len(self._expiring)

    def redact(self, text: str) -> str:
        """`text` with every registered secret replaced by the marker."""
        if not self._lasting and not self._expiring:
            return text
        with self._lock:
            now = self._clock()
            found = {
                word
                for word in set(_WORD_RUN.findall(text))
                if word in self._lasting or self._expiring.get(word, 0.0) > now
            }
            found.update(secret for secret in self._odd if secret in text)
        for secret in sorted(found, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text

    def _track(self, value: str) -> None:
        if not _WORD_RUN.fullmatch(value):
            self._odd[value] = self._odd.get(value, 0) + 1

    def _untrack(self, value: str) -> None:
        if value in self._odd:
            self._odd[value] -= 1
            if self._odd[value] <= 0:
                del self._odd[value]

    def _purge(self) -> None:
        now = self._clock()
        while self._expiring:
            oldest, expires = next(iter(self._expiring.items()))
            if expires > now and len(self._expiring) <= self._capacity:
                break
            del self._expiring[oldest]
            self._untrack(oldest)


SECRETS = SecretRegistry()
"""The process-wide registry every Redactor consults unless given another."""


def register_secret(value: str, *, ttl: float | None = None) -> None:
    """Never log `value` again (for `ttl` seconds, or for the life of the process).

    Call it the moment a secret arrives at run time, e.g. the access token of a Matrix login.
    """
    SECRETS.add(value, ttl)


class Redactor:
    """Scrubs configured secrets, registered ones and anything shaped like a secret."""

    def __init__(self, secrets: Iterable[str], registry: SecretRegistry | None = None) -> None:
        variants = set()
        for secret in secrets:
            if secret and len(secret) >= 4:  # tiny values would redact ordinary words
                variants.add(secret)
                variants.add(json.dumps(secret)[1:-1])
        self._secrets = sorted(variants, key=len, reverse=True)
        self._registry = registry if registry is not None else SECRETS

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        lowered = text.lower()
        for words, pattern in _PATTERNS:
            if any(word in (lowered if word.islower() else text) for word in words):
                text = pattern.sub(self._by_pattern, text)
        return self._registry.redact(text)

    def _by_pattern(self, match: re.Match[str]) -> str:
        secret = match["secret"]
        if secret == REDACTED or secret.startswith(REDACTED):
            return match[0]
        if len(secret) >= 16 or any(c.isdigit() for c in secret):
            # Scrub it from later lines too (a plain word is not: it would hide that word).
            self._registry.add(secret, INTERACTION_TOKEN_TTL)
        return match["keep"] + REDACTED

    def deep(self, value: Any) -> Any:
        """Scrub every string inside `value` (dicts, lists), keeping its shape."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {key: self.deep(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.deep(item) for item in value)
        return value

    def patch(self, record: Record) -> None:
        record["message"] = self(record["message"])
        if record["extra"]:
            record["extra"].update(self.deep(dict(record["extra"])))


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Control characters (terminal escapes, bidi overrides) a one-line message must not carry."""

_active = Redactor(())
"""The redactor of the current logging set-up (configured secrets), for `scrub`."""


def scrub(text: str, limit: int | None = None) -> str:
    """`text` safe to show: secrets scrubbed, one line, at most `limit` characters.

    For text from outside (a homeserver's error message) and start-up failure lines, which are
    printed without going through the log sinks.
    """
    line = " ".join(_CONTROL.sub(" ", _active(str(text))).split())
    if limit is not None and len(line) > limit:
        line = line[: max(limit - 1, 0)].rstrip() + "…"
    return line


class _RedactingSink:
    """The sink loguru writes to: redact the finished text, write it, flush it.

    A JSON line is scrubbed field by field (decoded, scrubbed, encoded again), so a secret is
    found in its plain form whatever escaping JSON gave it, in the message, `extra`, the
    exception and the traceback text alike.
    """

    def __init__(self, stream: TextIO, redact: Redactor, *, serialized: bool = False) -> None:
        self._stream = stream
        self._redact = redact
        self._serialized = serialized

    def __call__(self, message: Message) -> None:
        self._stream.write(self._clean(str(message)))
        self._stream.flush()

    def _clean(self, text: str) -> str:
        if self._serialized:
            try:
                record = json.loads(text)
            except ValueError:
                return self._redact(text)
            return json.dumps(self._redact.deep(record), default=str, ensure_ascii=False) + "\n"
        return self._redact(text)


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
    global _active
    redactor = Redactor(settings.secret_values() if secrets is None else secrets)
    _active = redactor
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
    sink = _RedactingSink(out, redactor, serialized=settings.log_format == "json")
    logger.add(sink, **options)
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
