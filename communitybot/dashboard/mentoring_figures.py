"""The mentoring page's figures: active and flagged pairs, check-in outcomes, waiting requests
and why each one waits.

Why a request waits is the matching round's own reasoning (`communitybot.mentoring.match`),
written as SQL so that it is counted over every waiting request in one aggregate query instead
of a solver run per page view: a round only considers requests with at least one tag; unless
the community allows pairs without a shared tag, a mentee waits while no mentor (present, not
paused, not themselves, not a mentor they already had) offers one of their tags
(`match.shares_no_tags`, told to the member as `match.NO_SHARED_TAGS`); else they wait for
one of those mentors to have a free seat; else a mentor fits and the next round pairs them
(unless their time-zone window rules every fitting mentor out, which only the solver knows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from communitybot.dashboard.paged import PAGE_SIZE
from communitybot.store.db import Database
from communitybot.store.timefmt import from_db, to_db

CHECKIN_WEEKS = 12
OUTCOMES: tuple[tuple[str, str], ...] = (
    ("met", "Met"),
    ("not_yet", "Not yet"),
    ("end", "Asked to end"),
    ("unanswered", "No answer (yet)"),
)
REASONS: tuple[tuple[str, str], ...] = (
    ("no_tags", "Chose no tag: a matching round only pairs requests with a tag"),
    ("no_shared_tag", "No mentor shares their tags yet"),
    ("mentors_full", "The mentors who share their tags have no free seat"),
    ("next_round", "A mentor fits: waiting for the next matching round"),
)

NAME = "CASE WHEN {m}.display_name <> '' THEN {m}.display_name ELSE {m}.user_id END"

WAITING = (
    " FROM mentee_requests r JOIN members m ON m.id = r.member_id"
    " WHERE m.community_id = ? AND m.left_at IS NULL AND (r.status = 'open'"
    "  OR (r.status = 'matched' AND NOT EXISTS (SELECT 1 FROM mentor_pairs p"
    "   WHERE p.mentee_id = r.member_id AND p.status = 'active')))"
)
"""Waiting requests, as `/stats` and the matching round count them."""

_FITTING = (
    "SELECT 1 FROM mentee_request_tags rt"
    " JOIN mentor_offer_tags ot ON ot.tag_id = rt.tag_id"
    " JOIN mentor_offers o ON o.member_id = ot.member_id AND o.paused = 0"
    " JOIN members mm ON mm.id = o.member_id AND mm.left_at IS NULL AND mm.community_id = ?"
    " WHERE rt.member_id = r.member_id AND o.member_id <> r.member_id"
    " AND NOT EXISTS (SELECT 1 FROM mentor_pairs h"
    "  WHERE h.mentor_id = o.member_id AND h.mentee_id = r.member_id)"
)
_ANY_MENTOR = (
    "SELECT 1 FROM mentor_offers o"
    " JOIN members mm ON mm.id = o.member_id AND mm.left_at IS NULL AND mm.community_id = ?"
    " WHERE o.paused = 0 AND o.member_id <> r.member_id"
    " AND NOT EXISTS (SELECT 1 FROM mentor_pairs h"
    "  WHERE h.mentor_id = o.member_id AND h.mentee_id = r.member_id)"
)
_FREE = (
    " AND o.capacity > (SELECT count(*) FROM mentor_pairs s"
    "  WHERE s.mentor_id = o.member_id AND s.status = 'active')"
)


def _reason_sql(allow_no_shared_tags: bool) -> str:
    """A CASE giving a waiting request's reason key; it takes the community id twice."""
    candidates = _ANY_MENTOR if allow_no_shared_tags else _FITTING
    return (
        "CASE WHEN NOT EXISTS (SELECT 1 FROM mentee_request_tags t"
        "  WHERE t.member_id = r.member_id) THEN 'no_tags'"
        f" WHEN NOT EXISTS ({candidates}) THEN 'no_shared_tag'"
        f" WHEN NOT EXISTS ({candidates}{_FREE}) THEN 'mentors_full'"
        " ELSE 'next_round' END"
    )


@dataclass(frozen=True)
class PairRow:
    mentor: str
    mentee: str
    since: date
    shared: str
    flagged: date | None


@dataclass(frozen=True)
class WaitingRow:
    mentee: str
    since: date
    tags: str
    reason: str


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int


async def _allow_no_shared_tags(db: Database, community_id: int) -> bool:
    row = await db.fetch_one(
        "SELECT allow_no_shared_tags FROM mentoring_settings WHERE community_id = ?",
        (community_id,),
    )
    return bool(row[0]) if row is not None else False


def _day(text: object) -> date:
    moment = from_db(str(text))
    assert moment is not None
    return moment.date()


_PAIRS = (
    "SELECT p.created_at, p.shared, p.flagged_at,"
    f" {NAME.format(m='a')} AS mentor, {NAME.format(m='b')} AS mentee"
    " FROM mentor_pairs p JOIN members a ON a.id = p.mentor_id"
    " JOIN members b ON b.id = p.mentee_id"
    " WHERE p.community_id = ? AND p.status = 'active'"
)


def _pair(row: Any) -> PairRow:
    return PairRow(
        mentor=str(row[3]),
        mentee=str(row[4]),
        since=_day(row[0]),
        shared=str(row[1]),
        flagged=_day(row[2]) if row[2] is not None else None,
    )


async def active_pairs(
    db: Database, community_id: int, offset: int, limit: int = PAGE_SIZE
) -> list[PairRow]:
    """One page of the active pairs, newest first."""
    rows = await db.fetch_all(
        _PAIRS + " ORDER BY p.created_at DESC, p.id DESC LIMIT ? OFFSET ?",
        (community_id, limit, offset),
    )
    return [_pair(row) for row in rows]


async def flagged_pairs(
    db: Database, community_id: int, offset: int, limit: int = PAGE_SIZE
) -> list[PairRow]:
    """One page of the active pairs flagged for the moderators, longest flagged first."""
    rows = await db.fetch_all(
        _PAIRS + " AND p.flagged_at IS NOT NULL ORDER BY p.flagged_at, p.id LIMIT ? OFFSET ?",
        (community_id, limit, offset),
    )
    return [_pair(row) for row in rows]


async def checkin_outcomes(db: Database, community_id: int, now: datetime) -> list[Count]:
    """Check-in questions asked in the last 12 weeks, by their answer."""
    since = now - timedelta(weeks=CHECKIN_WEEKS)
    rows = await db.fetch_all(
        "SELECT coalesce(c.answer, 'unanswered') AS outcome, count(*) AS n"
        " FROM mentor_checkins c JOIN mentor_pairs p ON p.id = c.pair_id"
        " WHERE p.community_id = ? AND c.asked_at >= ?"
        " GROUP BY coalesce(c.answer, 'unanswered')",
        (community_id, to_db(since)),
    )
    found = {str(row[0]): int(row[1]) for row in rows}
    return [Count(key, label, found.get(key, 0)) for key, label in OUTCOMES]


async def waiting_reasons(db: Database, community_id: int) -> list[Count]:
    """How many requests wait, by why (see the module doc)."""
    reason = _reason_sql(await _allow_no_shared_tags(db, community_id))
    rows = await db.fetch_all(
        f"SELECT reason, count(*) FROM (SELECT {reason} AS reason{WAITING}) w GROUP BY reason",
        (community_id, community_id, community_id),
    )
    found = {str(row[0]): int(row[1]) for row in rows}
    return [Count(key, label, found.get(key, 0)) for key, label in REASONS]


async def waiting_requests(
    db: Database, community_id: int, offset: int, limit: int = PAGE_SIZE
) -> list[WaitingRow]:
    """One page of the waiting requests, longest waiting first, each with its reason."""
    labels = dict(REASONS)
    reason = _reason_sql(await _allow_no_shared_tags(db, community_id))
    rows = await db.fetch_all(
        f"SELECT r.member_id, r.updated_at, {NAME.format(m='m')} AS name, {reason} AS reason"
        f"{WAITING} ORDER BY r.updated_at, r.member_id LIMIT ? OFFSET ?",
        (community_id, community_id, community_id, limit, offset),
    )
    ids = [int(row[0]) for row in rows]
    tags: dict[int, list[str]] = {member_id: [] for member_id in ids}
    if ids:
        marks = ", ".join("?" for _ in ids)
        for row in await db.fetch_all(
            "SELECT rt.member_id, t.name FROM mentee_request_tags rt"
            f" JOIN tags t ON t.id = rt.tag_id WHERE rt.member_id IN ({marks})"
            " ORDER BY t.name",
            ids,
        ):
            tags[int(row[0])].append(str(row[1]))
    return [
        WaitingRow(
            mentee=str(row[2]),
            since=_day(row[1]),
            tags=", ".join(tags[int(row[0])]),
            reason=labels.get(str(row[3]), str(row[3])),
        )
        for row in rows
    ]
