"""The dashboard's rows in the database: the installation secret, the public URL, used links.

The secret lives in the database (not a setting) so every process of one installation signs and
checks with the same key without the operator managing one more secret, and a database copy
(`communitybot db copy`) carries it along. It is never logged and never leaves this module
except to `links`. The public URL is written by the running dashboard at start and cleared when
it is off, so the `dashboard` command (which has no settings) knows whether to hand out a link.

Writes take the writer turn, like the adapters' state: on SQLite a bare statement could
otherwise land inside an event's open transaction (`communitybot.units`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from communitybot.dashboard.links import new_secret
from communitybot.priority_lock import Priority, PriorityLock
from communitybot.store.db import Database


def _iso(moment: datetime) -> str:
    """Fixed-width UTC text, so text order is time order (as the jobs table keeps due_at)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Installation:
    secret: str
    base_url: str | None


async def read(db: Database) -> Installation | None:
    """The secret and public URL; None before the dashboard ever ran."""
    row = await db.fetch_one("SELECT secret, base_url FROM dashboard_installation WHERE id = 1")
    if row is None:
        return None
    return Installation(str(row["secret"]), row["base_url"])


async def configure(
    db: Database, writer: PriorityLock, base_url: str | None, now: datetime
) -> Installation:
    """Record the public URL (None: the dashboard is off), creating the secret on first use."""
    async with writer.hold(Priority.INTERACTIVE), db.transaction():
        await db.execute(
            "INSERT INTO dashboard_installation (id, secret, base_url, updated_at)"
            " VALUES (1, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET base_url = excluded.base_url,"
            " updated_at = excluded.updated_at",
            (new_secret(), base_url, _iso(now)),
        )
    found = await read(db)
    assert found is not None
    return found


async def switch_off(db: Database, writer: PriorityLock, now: datetime) -> None:
    """Forget the public URL if one is recorded (the dashboard is not served): the command then
    says the dashboard is off. Writes nothing on an installation that never ran it."""
    if await read(db) is None:
        return
    async with writer.hold(Priority.INTERACTIVE), db.transaction():
        await db.execute(
            "UPDATE dashboard_installation SET base_url = NULL, updated_at = ? WHERE id = 1",
            (_iso(now),),
        )


async def use_link(
    db: Database, writer: PriorityLock, nonce: str, expires_at: datetime, now: datetime
) -> bool:
    """Record a link's nonce as used: True the first time, False if it was used already.
    Rows of links expired by now are deleted on the way (they are refused as expired anyway)."""
    async with writer.hold(Priority.INTERACTIVE), db.transaction():
        await db.execute("DELETE FROM dashboard_used_links WHERE expires_at < ?", (_iso(now),))
        rows = await db.fetch_all(
            "INSERT INTO dashboard_used_links (nonce, used_at, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT (nonce) DO NOTHING RETURNING nonce",
            (nonce, _iso(now), _iso(expires_at)),
        )
    return bool(rows)
