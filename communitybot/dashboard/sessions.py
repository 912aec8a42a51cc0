"""Browser sessions: who signed in, for which communities, and their form (CSRF) token.

Kept in memory, by the SHA-256 of the cookie's random value: a restart signs everyone out
(they run `dashboard` again), and a database dump never holds a live session. A session only
says who the person is and which communities their link was for; their moderator rights are
checked again from the store and the platform at every request (`access`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

SESSION_LIFETIME = timedelta(hours=8)
"""A working day; after that the moderator asks for a new link."""
MAX_SESSIONS = 10_000
"""Oldest sessions are dropped beyond this, so a flood of sign-ins cannot grow memory forever."""


@dataclass
class Session:
    platform: str
    user_id: str
    communities: set[int]
    csrf: str
    expires_at: datetime
    created_at: datetime = field(compare=False)
    networks: dict[int, str] = field(default_factory=dict, compare=False)
    """Networks whose pages this session also opens (id → name as last shown): its person
    was their steward when signing in; `network_access` checks that again at every request."""

    def csrf_ok(self, sent: str | None) -> bool:
        """Whether a form carried this session's token (constant-time comparison)."""
        return sent is not None and hmac.compare_digest(sent, self.csrf)


def _key(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


class Sessions:
    def __init__(self) -> None:
        self._by_key: dict[str, Session] = {}

    def open(
        self, platform: str, user_id: str, community_id: int, now: datetime
    ) -> tuple[str, Session]:
        """A new session (the cookie value to set, and the session)."""
        self._expire(now)
        while len(self._by_key) >= MAX_SESSIONS:
            self._by_key.pop(next(iter(self._by_key)))
        cookie = secrets.token_urlsafe(32)
        session = Session(
            platform,
            user_id,
            {community_id},
            secrets.token_urlsafe(32),
            now + SESSION_LIFETIME,
            created_at=now,
        )
        self._by_key[_key(cookie)] = session
        return cookie, session

    def get(self, cookie: str | None, now: datetime) -> Session | None:
        """The live session for this cookie value, or None (unknown or expired)."""
        if not cookie:
            return None
        session = self._by_key.get(_key(cookie))
        if session is None:
            return None
        if now >= session.expires_at:
            del self._by_key[_key(cookie)]
            return None
        return session

    def close(self, cookie: str | None) -> None:
        if cookie:
            self._by_key.pop(_key(cookie), None)

    def _expire(self, now: datetime) -> None:
        for key in [k for k, s in self._by_key.items() if now >= s.expires_at]:
            del self._by_key[key]

    def __len__(self) -> int:
        return len(self._by_key)
