"""Members of a community: identity, profile fields, discoverability, leaving, forgetting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from communitybot.events import UserRef
from communitybot.models import Member
from communitybot.store.db import Database
from communitybot.store.timefmt import from_db, to_db

PROFILE_COLUMNS = (
    "display_name",
    "role",
    "timezone",
    "wants_mentor",
    "offers_mentor",
    "intro",
    "discoverable",
    "network_visible",
    "language",
)


def _optional_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def member_from_row(row: Any) -> Member:
    return Member(
        id=row["id"],
        community_id=row["community_id"],
        ref=UserRef(row["platform"], row["user_id"], row["display_name"]),
        display_name=row["display_name"],
        role=row["role"],
        timezone=row["timezone"],
        wants_mentor=_optional_bool(row["wants_mentor"]),
        offers_mentor=_optional_bool(row["offers_mentor"]),
        intro=row["intro"],
        discoverable=bool(row["discoverable"]),
        network_visible=bool(row["network_visible"]),
        joined_at=from_db(row["joined_at"]),
        left_at=from_db(row["left_at"]),
        language=row["language"] if "language" in row.keys() else None,  # noqa: SIM118 (sqlite3.Row: `in` reads values)
    )


class MemberRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, community_id: int, user: UserRef) -> Member | None:
        row = await self._db.fetch_one(
            "SELECT * FROM members WHERE community_id = ? AND platform = ? AND user_id = ?",
            (community_id, user.platform, user.user_id),
        )
        return member_from_row(row) if row else None

    async def get_by_id(self, member_id: int) -> Member | None:
        row = await self._db.fetch_one("SELECT * FROM members WHERE id = ?", (member_id,))
        return member_from_row(row) if row else None

    async def get_many(self, member_ids: list[int]) -> dict[int, Member]:
        """Members by id, in one query (ids not found are left out)."""
        if not member_ids:
            return {}
        marks = ",".join("?" * len(member_ids))
        rows = await self._db.fetch_all(
            f"SELECT * FROM members WHERE id IN ({marks})", tuple(member_ids)
        )
        return {int(row["id"]): member_from_row(row) for row in rows}

    async def ensure(self, community_id: int, user: UserRef, now: datetime) -> tuple[Member, bool]:
        """The member, created on first contact (or re-joined); the flag says whether new."""
        existing = await self.get(community_id, user)
        if existing:
            changes: dict[str, Any] = {}
            if user.display_name and user.display_name != existing.display_name:
                changes["display_name"] = user.display_name
            if existing.left_at is not None:
                await self._db.execute(
                    "UPDATE members SET left_at = NULL WHERE id = ?", (existing.id,)
                )
            if changes:
                return await self.update(existing.id, **changes), False
            if existing.left_at is not None:
                refreshed = await self.get_by_id(existing.id)
                assert refreshed is not None
                return refreshed, False
            return existing, False
        await self._db.execute(
            "INSERT INTO members (community_id, platform, user_id, display_name,"
            " joined_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (community_id, platform, user_id) DO NOTHING",
            (community_id, user.platform, user.user_id, user.display_name, to_db(now)),
        )
        created = await self.get(community_id, user)
        assert created is not None
        return created, True

    async def join(self, community_id: int, user: UserRef, now: datetime) -> tuple[Member, bool]:
        """Like `ensure`, for a join: most joining members are new, so try the insert first.

        One statement (`INSERT … ON CONFLICT DO NOTHING RETURNING *`) for a new member instead
        of read, insert, read again; someone already known falls back to `ensure`.
        """
        row = await self._db.fetch_one(
            "INSERT INTO members (community_id, platform, user_id, display_name, joined_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (community_id, platform, user_id) DO NOTHING"
            " RETURNING *",
            (community_id, user.platform, user.user_id, user.display_name, to_db(now)),
            quick=True,
        )
        if row is not None:
            return member_from_row(row), True
        return await self.ensure(community_id, user, now)

    async def update(self, member_id: int, **values: Any) -> Member:
        unknown = set(values) - set(PROFILE_COLUMNS)
        if unknown:
            raise ValueError(f"unknown profile fields: {sorted(unknown)}")
        if values:
            assignments = ", ".join(f"{column} = ?" for column in values)
            # Flags are stored as 0/1 integers on every backend (PostgreSQL's driver will not
            # put a Python bool into an INTEGER column).
            stored = [int(v) if isinstance(v, bool) else v for v in values.values()]
            await self._db.execute(
                f"UPDATE members SET {assignments} WHERE id = ?", (*stored, member_id)
            )
        member = await self.get_by_id(member_id)
        assert member is not None
        return member

    async def mark_left(self, member_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE members SET left_at = ? WHERE id = ?", (to_db(now), member_id)
        )

    async def find_by_name(self, community_id: int, name: str) -> Member | None:
        """A member by user id or (case-insensitively) display name, for typed commands."""
        row = await self._db.fetch_one(
            "SELECT * FROM members WHERE community_id = ? AND (user_id = ? OR"
            " lower(display_name) = lower(?)) ORDER BY user_id = ? DESC LIMIT 1",
            (community_id, name, name, name),
        )
        return member_from_row(row) if row else None

    async def all_for_user(self, user: UserRef) -> list[Member]:
        """Every community membership of one platform user (for export and forgetting)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM members WHERE platform = ? AND user_id = ? ORDER BY id",
            (user.platform, user.user_id),
        )
        return [member_from_row(r) for r in rows]

    async def delete(self, member_id: int) -> None:
        """Remove one membership row (and, by cascade, anything hanging off it)."""
        await self._empty_groups("(?)", (member_id,))
        await self._db.execute("DELETE FROM members WHERE id = ?", (member_id,))

    async def delete_everywhere(self, user: UserRef) -> int:
        """Forget a user: every membership and (by cascade) everything hanging off it."""
        await self._empty_groups(
            "(SELECT id FROM members WHERE platform = ? AND user_id = ?)",
            (user.platform, user.user_id),
        )
        return await self._db.execute(
            "DELETE FROM members WHERE platform = ? AND user_id = ?", (user.platform, user.user_id)
        )

    async def _empty_groups(self, who: str, params: tuple[str | int, ...]) -> None:
        """Before these members' seats go (the cascade; `who`: their ids, as an SQL set): a
        peer-round group within one community left with no seat leaves that community's
        monthly count and no longer has one community (migration 0040), or the network's
        figures would go on counting a meeting nobody is left in."""
        emptied = await self._db.fetch_all(
            "SELECT g.id, g.seat_community, substr(g.created_at, 1, 7) FROM round_groups g"
            " WHERE g.seat_community IS NOT NULL"
            f" AND g.id IN (SELECT group_id FROM round_group_members WHERE member_id IN {who})"
            " AND NOT EXISTS (SELECT 1 FROM round_group_members o"
            f"  WHERE o.group_id = g.id AND o.member_id NOT IN {who})",
            params * 2,
        )
        await self._db.execute_many(
            "UPDATE round_meeting_months SET meetings = meetings - 1"
            " WHERE community_id = ? AND month = ?",
            [(int(row[1]), str(row[2])) for row in emptied],
        )
        await self._db.execute_many(
            "UPDATE round_groups SET seat_community = NULL WHERE id = ?",
            [(int(row[0]),) for row in emptied],
        )

    async def count(self, community_id: int) -> int:
        row = await self._db.fetch_one(
            "SELECT count(*) FROM members WHERE community_id = ? AND left_at IS NULL",
            (community_id,),
        )
        return int(row[0]) if row else 0
