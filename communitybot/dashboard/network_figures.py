"""The numbers of a network's dashboard page: its affiliates side by side, and who met whom
across affiliate lines (per month, and affiliate by affiliate).

The figures are `network stats`' definitions (members per affiliate, onboarding finished, the
all-time pairing and meeting totals), each asked as ONE aggregate query over the whole network
grouped by affiliate or by month, so a page costs the same few queries whether an affiliate has
ten members or a hundred thousand: the pairings' totals, months, matrix and active pairs per
affiliate come from one pass over the pairs (`pairings`), the peer-round meetings from the
per-group summary written with the rounds (`store.rounds.network_meetings`, migration 0040),
and members present and onboarding finished only for the affiliates on the page being shown,
in one statement.

Who counts where: a mentor pairing or a peer-round meeting counts for every affiliate one of
its members belongs to (a pairing across two affiliates shows in both rows); "crossing" means
its members come from more than one affiliate. Network-chat exchanges are the replies and
mentions between two members during a network chat (`chat_run_exchanges`); one crosses when
the two belong to different affiliates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from communitybot.store.db import Database
from communitybot.store.rounds import NetworkMeetings, RoundRepository
from communitybot.store.store import Store

MONTHS = 12
"""How far back the "across affiliates" lines reach."""


@dataclass(frozen=True)
class AffiliateRow:
    community_id: int
    members: int
    onboarded: int
    active_pairs: int
    meetings: int
    chat_participants: int
    open_asks: int


@dataclass(frozen=True)
class MonthShare:
    month: str
    """YYYY-MM."""
    pairings: int
    pairings_crossing: int
    meetings: int
    meetings_crossing: int
    exchanges: int
    exchanges_crossing: int


def percent(part: int, whole: int) -> float | None:
    """The share in percent (one decimal), None when there is nothing to share."""
    return round(100 * part / whole, 1) if whole else None


def last_months(now: datetime, count: int = MONTHS) -> list[str]:
    """The `count` months ending with the current one, oldest first, as YYYY-MM."""
    year, month = now.astimezone(UTC).year, now.astimezone(UTC).month
    found = []
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found[::-1]


async def _per_affiliate(db: Database, sql: str, network_id: int) -> dict[int, int]:
    rows = await db.fetch_all(sql, (network_id,) * sql.count("?"))
    return {int(row[0]): int(row[1]) for row in rows}


_CHAT_PARTICIPANTS = (
    # from the chat messages (a few thousand a year per community) to their writers, rather
    # than asking of every member of every affiliate whether they wrote one
    "SELECT m.community_id, count(DISTINCT m.id) AS n FROM chat_run_messages cm"
    " JOIN members m ON m.id = cm.member_id"
    " JOIN network_affiliates a ON a.community_id = m.community_id"
    " WHERE a.network_id = ? GROUP BY m.community_id"
)
_PRESENT = (
    # `network stats`' members present (`store.networks.affiliate_counts`) and
    # `store.onboarding.completion_counts`' "completed" (present members whose onboarding is
    # completed), for a page of affiliates in one statement: each one's present members are
    # one range of `members_present`, counted from the index and probed in
    # `onboarding_progress` by its key (the network-wide counts also read two flags per member)
    "SELECT a.community_id, (SELECT count(*) FROM members m"
    "  WHERE m.community_id = a.community_id AND m.left_at IS NULL) AS present,"
    " (SELECT count(*) FROM members m JOIN onboarding_progress p ON p.member_id = m.id"
    "  WHERE m.community_id = a.community_id AND m.left_at IS NULL"
    "  AND p.status = 'completed') AS done"
    " FROM network_affiliates a WHERE a.network_id = ? AND a.community_id IN ({marks})"
)
_OPEN_ASKS = (
    "SELECT k.community_id, count(*) AS n FROM asks k"
    " JOIN network_affiliates a ON a.community_id = k.community_id"
    " WHERE a.network_id = ? AND k.resolved_at IS NULL GROUP BY k.community_id"
)


async def affiliate_rows(
    store: Store,
    network_id: int,
    community_ids: Sequence[int],
    meetings: NetworkMeetings | None = None,
    pairs: Pairings | None = None,
) -> list[AffiliateRow]:
    """The figures of these affiliates (a page of them), in the order given. `meetings`: from
    `store.rounds.network_meetings`, and `pairs`: from `pairings`, when the caller has them
    already."""
    db = store.db
    if pairs is None:
        pairs = await pairings(db, network_id)
    if meetings is None:
        meetings = await store.rounds.network_meetings(network_id)
    chatting = await _per_affiliate(db, _CHAT_PARTICIPANTS, network_id)
    asks = await _per_affiliate(db, _OPEN_ASKS, network_id)
    present = await _present(db, network_id, community_ids)
    rows = []
    for community_id in community_ids:
        members, done = present.get(community_id, (0, 0))
        rows.append(
            AffiliateRow(
                community_id,
                members,
                done,
                pairs.active_by_affiliate.get(community_id, 0),
                meetings.per_affiliate.get(community_id, 0),
                chatting.get(community_id, 0),
                asks.get(community_id, 0),
            )
        )
    return rows


_PAIRINGS = (
    # every pairing with a member in the network's affiliates, counted by (mentor's affiliate,
    # whether it is one of the network's, mentee's likewise, month, active or not): one pass
    # over the pairs gives the pairings between two affiliates (`network stats`' totals, the
    # months, the matrix) and each affiliate's active pairs, either side (a pair within one
    # affiliate counts once for it)
    "SELECT a.community_id AS mentor_side,"
    " CASE WHEN na.community_id IS NULL THEN 0 ELSE 1 END AS mentor_in,"
    " b.community_id AS mentee_side,"
    " CASE WHEN nb.community_id IS NULL THEN 0 ELSE 1 END AS mentee_in,"
    " substr(p.created_at, 1, 7) AS month,"
    " CASE WHEN p.status = 'active' THEN 1 ELSE 0 END AS active, count(*) AS n"
    " FROM mentor_pairs p JOIN members a ON a.id = p.mentor_id"
    " JOIN members b ON b.id = p.mentee_id"
    " LEFT JOIN network_affiliates na"
    "  ON na.community_id = a.community_id AND na.network_id = ?"
    " LEFT JOIN network_affiliates nb"
    "  ON nb.community_id = b.community_id AND nb.network_id = ?"
    " WHERE na.community_id IS NOT NULL OR nb.community_id IS NOT NULL"
    " GROUP BY a.community_id, CASE WHEN na.community_id IS NULL THEN 0 ELSE 1 END,"
    " b.community_id, CASE WHEN nb.community_id IS NULL THEN 0 ELSE 1 END,"
    " substr(p.created_at, 1, 7), CASE WHEN p.status = 'active' THEN 1 ELSE 0 END"
)


@dataclass(frozen=True)
class Pairings:
    """The network's mentor pairings: between two members of its affiliates (ever made), and
    the active ones with at least one side in an affiliate."""

    total: int
    active: int
    crossing: int
    """Of them, between two different affiliates."""
    per_month: dict[str, tuple[int, int]]
    """YYYY-MM: (pairings made, of them across affiliate lines)."""
    between: dict[tuple[int, int], int]
    """(affiliate, other affiliate): pairings across the two, both orders, the same count."""
    active_by_affiliate: dict[int, int]
    """Active pairs with a side in the affiliate (the other side anywhere)."""


async def pairings(db: Database, network_id: int) -> Pairings:
    """All of the network's pairing figures, from one query (`_PAIRINGS`)."""
    total = active = crossing = 0
    per_month: dict[str, tuple[int, int]] = {}
    between: dict[tuple[int, int], int] = {}
    active_by_affiliate: dict[int, int] = {}
    for row in await db.fetch_all(_PAIRINGS, (network_id, network_id)):
        one, one_in, other, other_in = int(row[0]), bool(row[1]), int(row[2]), bool(row[3])
        month, is_active, n = str(row[4]), bool(row[5]), int(row[6])
        if is_active:
            for side in {side for side, inside in ((one, one_in), (other, other_in)) if inside}:
                active_by_affiliate[side] = active_by_affiliate.get(side, 0) + n
        if not (one_in and other_in):
            continue
        across = one != other
        total += n
        active += n if is_active else 0
        crossing += n if across else 0
        made, made_across = per_month.get(month, (0, 0))
        per_month[month] = (made + n, made_across + (n if across else 0))
        if across:
            between[(one, other)] = between.get((one, other), 0) + n
            between[(other, one)] = between.get((other, one), 0) + n
    return Pairings(total, active, crossing, per_month, between, active_by_affiliate)


_EXCHANGES_BY_MONTH = (
    "SELECT substr(r.started_at, 1, 7) AS month, count(*) AS total,"
    " coalesce(sum(CASE WHEN a.community_id <> b.community_id THEN 1 ELSE 0 END), 0)"
    "  AS crossing"
    " FROM chat_run_exchanges x JOIN chat_runs r ON r.id = x.run_id"
    " JOIN members a ON a.id = x.member_id JOIN members b ON b.id = x.other_id"
    " WHERE r.network_id = ? AND r.started_at >= ?"
    " GROUP BY substr(r.started_at, 1, 7)"
)


async def monthly_shares(
    db: Database,
    network_id: int,
    now: datetime,
    meetings: NetworkMeetings | None = None,
    pairs: Pairings | None = None,
) -> list[MonthShare]:
    """Per month of the last `MONTHS` (oldest first): pairings made, meetings introduced and
    network-chat exchanges, and how many of each crossed affiliate lines. `meetings`: from
    `store.rounds.network_meetings`, and `pairs`: from `pairings`, when the caller has them
    already."""
    months = last_months(now)
    since = f"{months[0]}-01"
    if pairs is None:
        pairs = await pairings(db, network_id)
    if meetings is None:
        meetings = await RoundRepository(db).network_meetings(network_id)
    exchanges = {
        str(r[0]): (int(r[1]), int(r[2]))
        for r in await db.fetch_all(_EXCHANGES_BY_MONTH, (network_id, since))
    }
    return [
        MonthShare(
            month,
            *pairs.per_month.get(month, (0, 0)),
            *meetings.per_month.get(month, (0, 0)),
            *exchanges.get(month, (0, 0)),
        )
        for month in months
    ]


async def _present(
    db: Database, network_id: int, community_ids: Sequence[int]
) -> dict[int, tuple[int, int]]:
    """Per affiliate: (members present, of them onboarded), for these affiliates only."""
    if not community_ids:
        return {}
    marks = ", ".join("?" * len(community_ids))
    rows = await db.fetch_all(_PRESENT.format(marks=marks), [network_id, *community_ids])
    return {int(row[0]): (int(row[1]), int(row[2])) for row in rows}
