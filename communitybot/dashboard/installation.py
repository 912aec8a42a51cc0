"""The dashboard's rows in the database: the installation secret, where each platform's
dashboard is served, and the sign-in links already used.

The secret lives in the database (not a setting) so every process of one installation signs and
checks with the same key without the operator managing one more secret, and a database copy
(`communitybot db copy`) carries it along. It is never logged and leaves this module only for
`links`. The URLs are per platform because a dashboard can check the rights only of the
platforms its own process serves (`access`): with a Discord process and a Matrix process on one
PostgreSQL database, each records (or clears) only its own platform's row, and the `dashboard`
command (which has no settings) hands out a link only where one is served.

Writes take the writer turn, like the adapters' state: on SQLite a bare statement could
otherwise land inside an event's open transaction (`communitybot.units`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from communitybot.dashboard.links import new_secret
from communitybot.priority_lock import Priority, PriorityLock
from communitybot.store.db import Database


def _iso(moment: datetime) -> str:
    """Fixed-width UTC text, so text order is time order (as the jobs table keeps due_at)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


async def secret(db: Database) -> str | None:
    """The signing secret; None before the dashboard ever ran."""
    row = await db.fetch_one("SELECT secret FROM dashboard_installation WHERE id = 1")
    return str(row["secret"]) if row is not None else None


async def url_for(db: Database, platform: str) -> str | None:
    """The public URL of the dashboard serving `platform` now, or None."""
    row = await db.fetch_one("SELECT base_url FROM dashboard_urls WHERE platform = ?", (platform,))
    return str(row["base_url"]) if row is not None else None


async def serve(
    db: Database, writer: PriorityLock, platform: str, base_url: str, now: datetime
) -> None:
    """Record that this process serves `platform`'s dashboard at `base_url` (and make the
    installation's secret if there is none yet)."""
    async with writer.hold(Priority.INTERACTIVE), db.transaction():
        await db.execute(
            "INSERT INTO dashboard_installation (id, secret, created_at) VALUES (1, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            (new_secret(), _iso(now)),
        )
        await db.execute(
            "INSERT INTO dashboard_urls (platform, base_url, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (platform) DO UPDATE SET base_url = excluded.base_url,"
            " updated_at = excluded.updated_at",
            (platform, base_url, _iso(now)),
        )


async def stop_serving(db: Database, writer: PriorityLock, platforms: Iterable[str]) -> None:
    """No dashboard serves these platforms (any more): `dashboard` then says it is off there.
    Writes nothing when no row names them (an installation that never ran the dashboard)."""
    names = sorted(set(platforms))
    if not names:
        return
    marks = ", ".join("?" for _ in names)
    found = await db.fetch_all(
        f"SELECT platform FROM dashboard_urls WHERE platform IN ({marks})", names
    )
    if not found:
        return
    async with writer.hold(Priority.INTERACTIVE), db.transaction():
        await db.execute(f"DELETE FROM dashboard_urls WHERE platform IN ({marks})", names)


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
