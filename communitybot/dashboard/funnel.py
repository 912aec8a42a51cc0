"""The onboarding funnel: of the members here now, how many started and finished onboarding,
chose a first tag, and were first paired (a mentor pairing or a peer-round group).

Present members only (like `/stats`), so every stage is a share of the same people. One
aggregate over the members table with indexed EXISTS probes: no per-member round trips.
"""

from __future__ import annotations

from dataclasses import dataclass

from communitybot.i18n import N_, tr
from communitybot.store.db import Database

STAGES: tuple[tuple[str, str], ...] = (
    ("joined", N_("Joined")),
    ("started", N_("Started onboarding")),
    ("finished", N_("Finished onboarding")),
    ("first_tag", N_("Chose a first tag")),
    ("first_pairing", N_("First pairing")),
)


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    members: int
    share: float
    """Of those who joined (0 when nobody did)."""

    @property
    def percent(self) -> str:
        return f"{self.share * 100:.0f}%"


async def funnel(db: Database, community_id: int) -> list[Stage]:
    row = await db.fetch_one(
        "SELECT count(*) AS joined,"
        " coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM onboarding_progress p"
        "  WHERE p.member_id = m.id) THEN 1 ELSE 0 END), 0) AS started,"
        " coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM onboarding_progress p"
        "  WHERE p.member_id = m.id AND p.status = 'completed') THEN 1 ELSE 0 END), 0)"
        " AS finished,"
        " coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM member_tags t"
        "  WHERE t.member_id = m.id) THEN 1 ELSE 0 END), 0) AS first_tag,"
        " coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM mentor_pairs mp"
        "  WHERE mp.mentor_id = m.id OR mp.mentee_id = m.id)"
        "  OR EXISTS (SELECT 1 FROM round_group_members g WHERE g.member_id = m.id)"
        "  THEN 1 ELSE 0 END), 0) AS first_pairing"
        " FROM members m WHERE m.community_id = ? AND m.left_at IS NULL",
        (community_id,),
    )
    counts = {key: int(row[key]) if row is not None else 0 for key, _ in STAGES}
    joined = counts["joined"]
    return [
        Stage(key, tr(label), counts[key], counts[key] / joined if joined else 0.0)
        for key, label in STAGES
    ]


def csv_rows(stages: list[Stage]) -> list[list[str]]:
    """The funnel as CSV rows, header first (numbers only, so nothing a spreadsheet runs)."""
    return [["stage", "members", "share_of_joined"]] + [
        [stage.key, str(stage.members), f"{stage.share:.4f}"] for stage in stages
    ]
