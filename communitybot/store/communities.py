"""Communities and their channel/role settings.

Every event reads its community's row, which only moderators change: the rows are kept in a
`CommittedCache` (see `communitybot.store.cache` for how it survives rollbacks).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from communitybot.events import CommunityRef
from communitybot.models import Community
from communitybot.store.cache import CommittedCache
from communitybot.store.db import Database
from communitybot.store.timefmt import to_db

SETTING_COLUMNS = (
    "welcome_channel",
    "introductions_channel",
    "modlog_channel",
    "moderator_role",
    "name",
    "language",
    "languages",
)


def _community(row: Any) -> Community:
    return Community(
        id=row["id"],
        ref=CommunityRef(row["platform"], row["space_id"], row["name"] or ""),
        welcome_channel=row["welcome_channel"],
        introductions_channel=row["introductions_channel"],
        modlog_channel=row["modlog_channel"],
        moderator_role=row["moderator_role"],
        name=row["name"],
        language=row["language"],
        languages=tuple(code for code in (row["languages"] or "").split(",") if code),
    )


def _ref_key(ref: CommunityRef) -> tuple[str, str]:
    return (ref.platform, ref.space_id)


def _ref_from_key(value: Any) -> CommunityRef:
    """A key as another process sent it (JSON: a two-item list)."""
    platform, space_id = value
    return CommunityRef(str(platform), str(space_id))


class CommunityRepository:
    def __init__(self, db: Database, *, cached: bool = True) -> None:
        self._db = db
        self._cache: CommittedCache[CommunityRef, Community] = CommittedCache(
            keep=cached, kind="communities", encode=_ref_key, decode=_ref_from_key
        )

    @property
    def cache(self) -> CommittedCache[CommunityRef, Community]:
        """The rows kept in memory (other processes' changes drop them: `store.changes`)."""
        return self._cache

    def new_unit(self) -> None:
        """A unit of work starts on the write path (see `CommittedCache.new_unit`)."""
        self._cache.new_unit()

    async def get(self, ref: CommunityRef) -> Community | None:
        cached = self._cache.get(ref)
        if cached is not None:
            return cached
        token = self._cache.token()
        row = await self._db.fetch_one(
            "SELECT * FROM communities WHERE platform = ? AND space_id = ?",
            (ref.platform, ref.space_id),
        )
        if row is None:
            return None
        community = _community(row)
        self._cache.put(ref, community, token)
        return community

    async def get_by_id(self, community_id: int) -> Community | None:
        row = await self._db.fetch_one("SELECT * FROM communities WHERE id = ?", (community_id,))
        return _community(row) if row else None

    async def ensure(self, ref: CommunityRef, now: datetime) -> tuple[Community, bool]:
        """The community, created on first contact; the flag says whether it is new."""
        existing = await self.get(ref)
        if existing:
            return existing, False
        self._cache.wrote(ref)
        await self._db.execute(
            "INSERT INTO communities (platform, space_id, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (platform, space_id) DO NOTHING",
            (ref.platform, ref.space_id, to_db(now)),
        )
        created = await self.get(ref)
        assert created is not None
        return created, True

    async def update_settings(self, community_id: int, **values: str | None) -> Community:
        unknown = set(values) - set(SETTING_COLUMNS)
        if unknown:
            raise ValueError(f"unknown community settings: {sorted(unknown)}")
        if values:
            before = await self.get_by_id(community_id)
            if before is None:
                self._cache.wrote_all()
            else:
                self._cache.wrote(before.ref)
            assignments = ", ".join(f"{column} = ?" for column in values)
            await self._db.execute(
                f"UPDATE communities SET {assignments} WHERE id = ?",
                (*values.values(), community_id),
            )
        community = await self.get_by_id(community_id)
        assert community is not None
        return community

    async def claim_setup_hint(self, community_id: int, now: datetime) -> bool:
        """True the first time only: the "set up your channels" hint is due once per community."""
        claimed = await self._db.execute(
            "UPDATE communities SET setup_hint_at = ? WHERE id = ? AND setup_hint_at IS NULL",
            (to_db(now), community_id),
        )
        return claimed == 1
