"""Browser sessions: who signed in, what their links opened, and their form (CSRF) token.

Kept in the database (tables `dashboard_sessions` and `dashboard_session_scopes`), so a restart
of the bot, or a standby that takes over on PostgreSQL, keeps moderators signed in: every
process of the installation reads the same rows. The cookie's value is 256 random bits; only
its SHA-256 is stored, so a database dump or copy never holds a cookie that opens a session.

A session only says who the person is and which communities and networks their links were
for; their moderator and steward rights are checked again from the store and the platform at
every request (`access`, `network_access`). Expired rows are deleted at each sign-in (one
indexed delete), so the tables hold at most the sessions of the last 8 hours.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from communitybot.priority_lock import Priority, PriorityLock
from communitybot.store.db import Database

SESSION_LIFETIME = timedelta(hours=8)
"""A working day; after that the moderator asks for a new link."""

Scope = Literal["community", "network"]


@dataclass
class Session:
    key: str
    """The SHA-256 of the cookie's value: the session's row (never the cookie itself)."""
    platform: str
    user_id: str
    communities: set[int]
    csrf: str
    expires_at: datetime
    created_at: datetime = field(compare=False)
    networks: dict[int, str] = field(default_factory=dict, compare=False)
    """Networks whose pages this session also opens (id → name): its person was their steward
    when signing in; `network_access` checks that again at every request."""

    def csrf_ok(self, sent: str | None) -> bool:
        """Whether a form carried this session's token (constant-time comparison)."""
        return sent is not None and hmac.compare_digest(sent, self.csrf)


def _key(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def _iso(moment: datetime) -> str:
    """Fixed-width UTC text, so text order is time order (as `installation` keeps its times)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class Sessions:
    """The installation's sessions, read on `reader` and written in the writer's turn on `db`
    (on SQLite a bare write could otherwise land inside an event's open transaction)."""

    def __init__(self, db: Database, writer: PriorityLock, reader: Database | None = None) -> None:
        self._db = db
        self._writer = writer
        self._reader = reader or db

    async def open(
        self,
        platform: str,
        user_id: str,
        community_id: int | None,
        now: datetime,
        networks: Mapping[int, str] | None = None,
    ) -> tuple[str, Session]:
        """A new session (the cookie value to set, and the session) for the community its link
        was for (None: a steward's link that opens only `networks`); expired sessions are
        deleted on the way."""
        cookie = secrets.token_urlsafe(32)
        session = Session(
            _key(cookie),
            platform,
            user_id,
            {community_id} if community_id is not None else set(),
            secrets.token_urlsafe(32),
            now + SESSION_LIFETIME,
            created_at=now,
            networks=dict(networks or {}),
        )
        async with self._writer.hold(Priority.INTERACTIVE), self._db.transaction():
            await self._db.execute(
                "DELETE FROM dashboard_session_scopes WHERE id_hash IN"
                " (SELECT id_hash FROM dashboard_sessions WHERE expires_at <= ?)",
                (_iso(now),),
            )
            await self._db.execute(
                "DELETE FROM dashboard_sessions WHERE expires_at <= ?", (_iso(now),)
            )
            await self._db.execute(
                "INSERT INTO dashboard_sessions"
                " (id_hash, platform, user_id, csrf, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (session.key, platform, user_id, session.csrf, _iso(now), _iso(session.expires_at)),
            )
            scopes = [(session.key, "community", c) for c in sorted(session.communities)]
            scopes += [(session.key, "network", n) for n in sorted(session.networks)]
            if scopes:
                await self._db.execute_many(
                    "INSERT INTO dashboard_session_scopes (id_hash, kind, target_id)"
                    " VALUES (?, ?, ?)",
                    scopes,
                )
        return cookie, session

    async def get(self, cookie: str | None, now: datetime) -> Session | None:
        """The live session for this cookie value, or None (unknown, expired, signed out).
        One indexed read: the session's row joined with what it opens."""
        if not cookie:
            return None
        rows = await self._reader.fetch_all(
            "SELECT d.platform, d.user_id, d.csrf, d.created_at, d.expires_at,"
            " s.kind, s.target_id, n.name AS network_name"
            " FROM dashboard_sessions d"
            " LEFT JOIN dashboard_session_scopes s ON s.id_hash = d.id_hash"
            " LEFT JOIN networks n ON s.kind = 'network' AND n.id = s.target_id"
            " WHERE d.id_hash = ? ORDER BY s.kind, s.target_id",
            (_key(cookie),),
        )
        if not rows:
            return None
        first = rows[0]
        expires_at = datetime.fromisoformat(str(first["expires_at"]))
        if now >= expires_at:
            return None  # its row goes at the next sign-in
        session = Session(
            _key(cookie),
            str(first["platform"]),
            str(first["user_id"]),
            set(),
            str(first["csrf"]),
            expires_at,
            created_at=datetime.fromisoformat(str(first["created_at"])),
        )
        for row in rows:
            if row["kind"] == "community":
                session.communities.add(int(row["target_id"]))
            elif row["kind"] == "network":
                session.networks[int(row["target_id"])] = str(row["network_name"] or "")
        return session

    async def add(self, session: Session, kind: Scope, target_id: int, name: str = "") -> None:
        """This session now also opens that community or network (`name`: a network's)."""
        if kind == "community":
            session.communities.add(target_id)
        else:
            session.networks[target_id] = name
        async with self._writer.hold(Priority.INTERACTIVE), self._db.transaction():
            if await self._db.fetch_one(
                "SELECT 1 FROM dashboard_sessions WHERE id_hash = ?", (session.key,)
            ):  # signed out meanwhile (another tab): nothing to add to
                await self._db.execute(
                    "INSERT INTO dashboard_session_scopes (id_hash, kind, target_id)"
                    " VALUES (?, ?, ?) ON CONFLICT (id_hash, kind, target_id) DO NOTHING",
                    (session.key, kind, target_id),
                )

    async def drop(self, session: Session, kind: Scope, target_id: int) -> None:
        """This session no longer opens that community or network (its person lost the role):
        a later link brings it back, the role alone does not."""
        if kind == "community":
            session.communities.discard(target_id)
        else:
            session.networks.pop(target_id, None)
        async with self._writer.hold(Priority.INTERACTIVE), self._db.transaction():
            await self._db.execute(
                "DELETE FROM dashboard_session_scopes"
                " WHERE id_hash = ? AND kind = ? AND target_id = ?",
                (session.key, kind, target_id),
            )

    async def close(self, cookie: str | None) -> None:
        """Sign out: the session's rows are deleted (its scopes with them)."""
        if not cookie:
            return
        async with self._writer.hold(Priority.INTERACTIVE), self._db.transaction():
            await self._db.execute(
                "DELETE FROM dashboard_session_scopes WHERE id_hash = ?", (_key(cookie),)
            )
            await self._db.execute(
                "DELETE FROM dashboard_sessions WHERE id_hash = ?", (_key(cookie),)
            )

    async def count(self, now: datetime) -> int:
        """How many sessions are live at `now` (for tests and operators)."""
        row = await self._reader.fetch_one(
            "SELECT count(*) AS n FROM dashboard_sessions WHERE expires_at > ?", (_iso(now),)
        )
        return int(row["n"]) if row is not None else 0


async def forget(db: Database, platform: str, user_id: str) -> None:
    """`/forgetme`: this person's sessions end (inside the forgetting unit's transaction)."""
    await db.execute(
        "DELETE FROM dashboard_session_scopes WHERE id_hash IN"
        " (SELECT id_hash FROM dashboard_sessions WHERE platform = ? AND user_id = ?)",
        (platform, user_id),
    )
    await db.execute(
        "DELETE FROM dashboard_sessions WHERE platform = ? AND user_id = ?", (platform, user_id)
    )
