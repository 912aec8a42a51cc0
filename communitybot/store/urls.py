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
