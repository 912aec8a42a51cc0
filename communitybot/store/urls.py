"""Database URLs: which engine one names, and how to show one without its password."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(target: object) -> bool:
    """`target` (a path or a URL) names a PostgreSQL database."""
    return isinstance(target, str) and target.lower().startswith(POSTGRES_SCHEMES)


def redacted(url: str) -> str:
    """`url` without its password (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=user + host))


def password_forms(url: str) -> list[str]:
    """The URL's password as written (percent-encoded) and as sent: both are never logged."""
    password = urlsplit(url).password
    if not password:
        return []
    return sorted({password, unquote(password)})


def port_is_valid(url: str) -> bool:
    """The URL's port, if it names one, is a number from 0 to 65535 (else connecting fails
    deep inside a library with a traceback; callers say so in one line instead)."""
    try:
        urlsplit(url).port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return False
    return True


def redacted_host(url: str) -> str:
    """The URL up to its host, without user or password (for a URL too broken to redact)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('@', 1)[-1].split('/', 1)[0]}"
