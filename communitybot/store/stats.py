"""Counts for moderators' `/stats` that no other repository needs.

Only present members count (not those who left), so the figures describe the community as it
is now. Each query is one aggregate over the members table, cheap even for large servers. A
member "would like a mentor" if their profile says so or they have an open mentor request (and
likewise for offering), so `/stats` never says 0 while requests are waiting.
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
            " coalesce(sum(CASE WHEN discoverable = 1 THEN 1 ELSE 0 END), 0) AS discoverable,"
            # Said in onboarding or the profile, or shown by an open request / a live offer
            # (`/mentor request` does not touch the profile flag): one count, either way.
            " coalesce(sum(CASE WHEN wants_mentor = 1 OR EXISTS (SELECT 1 FROM mentee_requests r"
            "  WHERE r.member_id = members.id AND r.status = 'open') THEN 1 ELSE 0 END), 0)"
            " AS wants_mentor,"
            " coalesce(sum(CASE WHEN offers_mentor = 1 OR EXISTS (SELECT 1 FROM mentor_offers o"
            "  WHERE o.member_id = members.id AND o.paused = 0) THEN 1 ELSE 0 END), 0)"
            " AS offers_mentor"
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
