"""Counts for moderators' `/stats` that no other repository needs.

Only present members count (not those who left), so the figures describe the community as it
is now. Each query is one aggregate over the members table, cheap even for large servers.
"""

from __future__ import annotations

from dataclasses import dataclass

from communitybot.store.db import Database


@dataclass(frozen=True)
class MemberCounts:
    present: int
    discoverable: int
    wants_mentor: int
    offers_mentor: int


class StatsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def member_counts(self, community_id: int) -> MemberCounts:
        row = await self._db.fetch_one(
            "SELECT count(*) AS present,"
            " coalesce(sum(discoverable = 1), 0) AS discoverable,"
            " coalesce(sum(wants_mentor = 1), 0) AS wants_mentor,"
            " coalesce(sum(offers_mentor = 1), 0) AS offers_mentor"
            " FROM members WHERE community_id = ? AND left_at IS NULL",
            (community_id,),
        )
        if row is None:
            return MemberCounts(0, 0, 0, 0)
        return MemberCounts(
            present=int(row["present"]),
            discoverable=int(row["discoverable"]),
            wants_mentor=int(row["wants_mentor"]),
            offers_mentor=int(row["offers_mentor"]),
        )
