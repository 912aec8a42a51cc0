"""The mentoring page's figures: active and flagged pairs, check-in outcomes, waiting requests
and why each one waits.

Why a request waits is the matching round's own reasoning (`communitybot.mentoring.match`),
applied to what the round would load, without running the solver: a round only considers
requests with at least one tag; unless the community allows pairs without a shared tag, a
mentee waits while no mentor other than themselves and the mentors they already had offers one
of their tags (`match.shares_no_tags`, the rule behind `match.NO_SHARED_TAGS`); else they wait
for one of those mentors to have a free seat; else a mentor fits and the next round pairs them
(unless their time-zone window rules every fitting mentor out, which only the solver knows;
linked accounts of one person, never paired together, are not looked at here either).

A handful of queries per page view (waiting requests with their tags, the offers, the seats
taken, the waiting mentees' past pairs), none per member; pairs are read a page at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from communitybot.dashboard.paged import PAGE_SIZE
from communitybot.i18n import N_, tr
from communitybot.mentoring.match import shares_no_tags
from communitybot.store.db import Database
from communitybot.store.mentoring import MentoringRepository
from communitybot.store.timefmt import from_db, to_db

CHECKIN_WEEKS = 12
OUTCOMES: tuple[tuple[str, str], ...] = (
    ("met", N_("Met")),
    ("not_yet", N_("Not yet")),
    ("end", N_("Asked to end")),
    ("unanswered", N_("No answer (yet)")),
)
REASONS: tuple[tuple[str, str], ...] = (
    ("no_tags", N_("Chose no tag: a matching round only pairs requests with a tag")),
    ("no_shared_tag", N_("No mentor shares their tags yet")),
    ("no_mentor", N_("No mentor is offering (pairs without a shared tag are allowed)")),
    ("mentors_full", N_("The mentors who could fit have no free seat")),
    ("next_round", N_("A mentor fits: waiting for the next matching round")),
)

NAME = "CASE WHEN {m}.display_name <> '' THEN {m}.display_name ELSE {m}.user_id END"


@dataclass(frozen=True)
class Waiting:
    """Every waiting request (ids only) with why it waits, in the order the round reads them."""

    reasons: tuple[tuple[int, str], ...]
    """(mentee member id, reason key), oldest member first."""

    def counts(self) -> list[Count]:
        found: dict[str, int] = {}
        for _, reason in self.reasons:
            found[reason] = found.get(reason, 0) + 1
        return [Count(key, tr(label), found.get(key, 0)) for key, label in REASONS]


async def waiting(db: Database, community_id: int) -> Waiting:
    """Why each waiting request waits (see the module doc)."""
    store = MentoringRepository(db)
    requests = await store.open_requests(community_id)
    if not requests:
        return Waiting(())
    allow_any = (await store.settings(community_id)).allow_no_shared_tags
    offers = await store.offers(community_id)
    offered: dict[int, set[int]] = {}
    for offer in offers:
        for tag in offer.tag_ids:
            offered.setdefault(tag, set()).add(offer.member_id)
    free = await _free_mentors(db, {o.member_id: o.capacity for o in offers})
    had = await _had(db, [r.member_id for r in requests])
    reasons = []
    for request in requests:
        excluded = {request.member_id, *had.get(request.member_id, ())}
        if allow_any:
            fitting = {o.member_id for o in offers} - excluded
        else:
            fitting = {m for t in request.tag_ids for m in offered.get(t, ())} - excluded
        if not request.tag_ids:
            reason = "no_tags"
        elif not allow_any and shares_no_tags(request.tag_ids, offered, excluded):
            reason = "no_shared_tag"
        elif not fitting:
            reason = "no_mentor"
        elif not fitting & free:
            reason = "mentors_full"
        else:
            reason = "next_round"
        reasons.append((request.member_id, reason))
    return Waiting(tuple(reasons))


async def _free_mentors(db: Database, capacity: dict[int, int]) -> set[int]:
    """The offering mentors with a seat left (active pairs anywhere take a seat)."""
    taken: dict[int, int] = {}
    ids = list(capacity)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        for row in await db.fetch_all(
            "SELECT mentor_id, count(*) FROM mentor_pairs"
            f" WHERE status = 'active' AND mentor_id IN ({marks}) GROUP BY mentor_id",
            chunk,
        ):
            taken[int(row[0])] = int(row[1])
    return {m for m, seats in capacity.items() if seats > taken.get(m, 0)}


async def _had(db: Database, mentee_ids: Sequence[int]) -> dict[int, set[int]]:
    """Mentors each mentee may not get (the round's hard rules): every mentor they already had,
    and anyone they mentor now."""
    out: dict[int, set[int]] = {}
    for start in range(0, len(mentee_ids), 500):
        chunk = list(mentee_ids[start : start + 500])
        marks = ", ".join("?" for _ in chunk)
        for row in await db.fetch_all(
            f"SELECT mentee_id, mentor_id FROM mentor_pairs WHERE mentee_id IN ({marks})"
            " UNION SELECT mentor_id, mentee_id FROM mentor_pairs"
            f" WHERE status = 'active' AND mentor_id IN ({marks})",
            chunk + chunk,
        ):
            out.setdefault(int(row[0]), set()).add(int(row[1]))
    return out


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


@dataclass(frozen=True)
class Totals:
    active_pairs: int
    flagged_pairs: int
    waiting_requests: int


async def totals(db: Database, community_id: int, found: Waiting) -> Totals:
    """Active and flagged pairs (as `/stats` counts them) and the waiting requests."""
    row = await db.fetch_one(
        "SELECT count(*), count(flagged_at) FROM mentor_pairs"
        " WHERE community_id = ? AND status = 'active'",
        (community_id,),
    )
    assert row is not None
    return Totals(int(row[0]), int(row[1]), len(found.reasons))


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
    return [Count(key, tr(label), found.get(key, 0)) for key, label in OUTCOMES]


async def waiting_requests(
    db: Database, found: Waiting, offset: int, limit: int = PAGE_SIZE
) -> list[WaitingRow]:
    """One page of the waiting requests, in the order the round reads them (member id), each
    with its reason."""
    labels = dict(REASONS)
    page = found.reasons[offset : offset + limit]
    if not page:
        return []
    ids = [member_id for member_id, _ in page]
    marks = ", ".join("?" for _ in ids)
    rows = await db.fetch_all(
        f"SELECT m.id, r.updated_at, {NAME.format(m='m')} FROM members m"
        f" JOIN mentee_requests r ON r.member_id = m.id WHERE m.id IN ({marks})",
        ids,
    )
    about = {int(row[0]): (_day(row[1]), str(row[2])) for row in rows}
    tags: dict[int, list[str]] = {member_id: [] for member_id in ids}
    for row in await db.fetch_all(
        "SELECT rt.member_id, t.name FROM mentee_request_tags rt"
        f" JOIN tags t ON t.id = rt.tag_id WHERE rt.member_id IN ({marks}) ORDER BY t.name",
        ids,
    ):
        tags[int(row[0])].append(str(row[1]))
    return [
        WaitingRow(
            mentee=about[member_id][1],
            since=about[member_id][0],
            tags=", ".join(tags[member_id]),
            reason=tr(labels[reason]),
        )
        for member_id, reason in page
        if member_id in about
    ]
