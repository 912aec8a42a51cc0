"""Mentor offers, mentee requests and pairings: the durable side of mentor matching.

Like every repository, calls run inside the caller's transaction. A pairing's
(mentor, mentee, round) key is unique, so recording a round twice (a replay after a restart)
adds nothing: `add_pair` reports whether the row is new, and only new rows get introductions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import groupby
from typing import Any, Literal

from communitybot.models import Member
from communitybot.store.db import Database
from communitybot.store.members import member_from_row
from communitybot.store.timefmt import from_db, to_db

NetworkJob = Literal["mentors", "rounds"]
"""What a network schedule runs: automatic `network mentors match`, or `network rounds run`."""


@dataclass(frozen=True)
class NetworkSchedule:
    """When a network's matching runs by itself (migration 0030: `network_schedules`)."""

    network_id: int
    kind: NetworkJob
    frequency: Literal["weekly", "biweekly", "monthly"]
    weekday: int
    local_time: time
    timezone: str
    active: bool
    """False: paused (or auto_match off); the timing is kept for resuming."""
    anchor: date
    next_at: datetime | None
    generation: int
    """Grows with every change: a job planned under an older one is a no-op."""
    community_id: int | None
    """The affiliate whose process runs the job (and whose rounds record a network round)."""


def _network_schedule(row: Any) -> NetworkSchedule:
    hours, minutes = (int(part) for part in str(row["local_time"]).split(":"))
    home = row["community_id"]
    return NetworkSchedule(
        network_id=int(row["network_id"]),
        kind=row["kind"],
        frequency=row["frequency"],
        weekday=int(row["weekday"]),
        local_time=time(hours, minutes),
        timezone=str(row["timezone"]),
        active=bool(row["active"]),
        anchor=date.fromisoformat(str(row["anchor"])),
        next_at=from_db(row["next_at"]),
        generation=int(row["generation"]),
        community_id=None if home is None else int(home),
    )


@dataclass(frozen=True)
class MentorOffer:
    member_id: int
    capacity: int
    note: str
    paused: bool
    tag_ids: tuple[int, ...]


@dataclass(frozen=True)
class MenteeRequest:
    member_id: int
    goals: str
    status: str
    tag_ids: tuple[int, ...]
    window_minutes: int | None = None
    """Hard rule: only mentors whose UTC offset is this close to the mentee's (None: any)."""


@dataclass(frozen=True)
class MentoringSettings:
    """A community's mentoring settings (defaults until a moderator changes them)."""

    auto_match: bool = False
    checkin_days: int = 14
    allow_no_shared_tags: bool = False
    """Whether a mentee may be paired with a mentor sharing none of their tags."""


@dataclass(frozen=True)
class MentorPair:
    id: int
    mentor_id: int
    mentee_id: int
    round_key: str
    score: int
    shared: str
    status: str
    created_at: datetime
    community_id: int
    flagged_at: datetime | None = None
    """When the moderators were told a side left two check-ins unanswered."""


_PAIR_COLUMNS = (
    "id, mentor_id, mentee_id, round_key, score, shared, status, created_at, community_id,"
    " flagged_at"
)


_CHUNK = 400
"""Member ids per `IN (...)` list: well under SQLite's and PostgreSQL's parameter limits."""


def _pair(row: Sequence[object]) -> MentorPair:
    created = from_db(str(row[7]))
    assert created is not None
    return MentorPair(
        int(str(row[0])),
        int(str(row[1])),
        int(str(row[2])),
        str(row[3]),
        int(str(row[4])),
        str(row[5]),
        str(row[6]),
        created,
        int(str(row[8])),
        from_db(str(row[9])) if row[9] is not None else None,
    )


class MentoringRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Offers ----------------------------------------------------------------------------------
    async def put_offer(
        self, member_id: int, capacity: int, note: str, tag_ids: Iterable[int], now: datetime
    ) -> None:
        """Create or replace the member's offer (un-pausing it: offering again means available)."""
        await self._db.execute(
            "INSERT INTO mentor_offers (member_id, capacity, note, paused, updated_at)"
            " VALUES (?, ?, ?, 0, ?) ON CONFLICT (member_id) DO UPDATE SET"
            " capacity = excluded.capacity, note = excluded.note, paused = 0,"
            " updated_at = excluded.updated_at",
            (member_id, capacity, note, to_db(now)),
        )
        await self._db.execute("DELETE FROM mentor_offer_tags WHERE member_id = ?", (member_id,))
        await self._db.execute_many(
            "INSERT INTO mentor_offer_tags (member_id, tag_id) VALUES (?, ?)",
            [(member_id, tag_id) for tag_id in dict.fromkeys(tag_ids)],
        )

    async def get_offer(self, member_id: int) -> MentorOffer | None:
        row = await self._db.fetch_one(
            "SELECT capacity, note, paused FROM mentor_offers WHERE member_id = ?", (member_id,)
        )
        if row is None:
            return None
        tags = await self._db.fetch_all(
            "SELECT tag_id FROM mentor_offer_tags WHERE member_id = ? ORDER BY tag_id",
            (member_id,),
        )
        return MentorOffer(
            member_id, int(row[0]), str(row[1]), bool(row[2]), tuple(int(t[0]) for t in tags)
        )

    async def set_paused(self, member_id: int, paused: bool) -> None:
        await self._db.execute(
            "UPDATE mentor_offers SET paused = ? WHERE member_id = ?", (int(paused), member_id)
        )

    async def offers(self, community_id: int) -> list[MentorOffer]:
        """Un-paused offers of members still in the community."""
        rows = await self._db.fetch_all(
            "SELECT o.member_id, o.capacity, o.note, t.tag_id"
            " FROM mentor_offers o JOIN members m ON m.id = o.member_id"
            " LEFT JOIN mentor_offer_tags t ON t.member_id = o.member_id"
            " WHERE m.community_id = ? AND m.left_at IS NULL AND o.paused = 0"
            " ORDER BY o.member_id, t.tag_id",
            (community_id,),
        )
        return [
            MentorOffer(int(first[0]), int(first[1]), str(first[2]), False, tags)
            for first, tags in _with_tag_ids(rows, 3)
        ]

    # Requests --------------------------------------------------------------------------------
    async def put_request(
        self,
        member_id: int,
        goals: str,
        tag_ids: Iterable[int],
        now: datetime,
        window_minutes: int | None = None,
    ) -> None:
        await self._db.execute(
            "INSERT INTO mentee_requests (member_id, goals, status, updated_at, tz_window_minutes)"
            " VALUES (?, ?, 'open', ?, ?) ON CONFLICT (member_id) DO UPDATE SET"
            " goals = excluded.goals, status = 'open', updated_at = excluded.updated_at,"
            " tz_window_minutes = excluded.tz_window_minutes",
            (member_id, goals, to_db(now), window_minutes),
        )
        await self._db.execute("DELETE FROM mentee_request_tags WHERE member_id = ?", (member_id,))
        await self._db.execute_many(
            "INSERT INTO mentee_request_tags (member_id, tag_id) VALUES (?, ?)",
            [(member_id, tag_id) for tag_id in dict.fromkeys(tag_ids)],
        )

    async def get_request(self, member_id: int) -> MenteeRequest | None:
        row = await self._db.fetch_one(
            "SELECT goals, status, tz_window_minutes FROM mentee_requests WHERE member_id = ?",
            (member_id,),
        )
        if row is None:
            return None
        tags = await self._db.fetch_all(
            "SELECT tag_id FROM mentee_request_tags WHERE member_id = ? ORDER BY tag_id",
            (member_id,),
        )
        return MenteeRequest(
            member_id, str(row[0]), str(row[1]), tuple(int(t[0]) for t in tags), row[2]
        )

    async def set_request_status(self, member_id: int, status: str) -> None:
        await self._db.execute(
            "UPDATE mentee_requests SET status = ? WHERE member_id = ?", (status, member_id)
        )

    async def open_requests(self, community_id: int) -> list[MenteeRequest]:
        """Open requests of members still in the community, oldest member first.

        A matched request whose pairing vanished (the mentor was forgotten) counts as open again.
        """
        rows = await self._db.fetch_all(
            "SELECT r.member_id, r.goals, r.tz_window_minutes, t.tag_id"
            " FROM mentee_requests r JOIN members m ON m.id = r.member_id"
            " LEFT JOIN mentee_request_tags t ON t.member_id = r.member_id"
            " WHERE m.community_id = ? AND m.left_at IS NULL AND (r.status = 'open'"
            "  OR (r.status = 'matched' AND NOT EXISTS (SELECT 1 FROM mentor_pairs p"
            "   WHERE p.mentee_id = r.member_id AND p.status = 'active')))"
            " ORDER BY r.member_id, t.tag_id",
            (community_id,),
        )
        return [
            MenteeRequest(int(first[0]), str(first[1]), "open", tags, first[2])
            for first, tags in _with_tag_ids(rows, 3)
        ]

    async def round_members(self, community_id: int) -> dict[int, Member]:
        """Present members with a request or an offer, by id: one query for a whole round."""
        rows = await self._db.fetch_all(
            "SELECT * FROM members WHERE community_id = ? AND left_at IS NULL AND ("
            " id IN (SELECT member_id FROM mentee_requests)"
            " OR id IN (SELECT member_id FROM mentor_offers))",
            (community_id,),
        )
        return {member.id: member for member in map(member_from_row, rows)}

    # Pairs -----------------------------------------------------------------------------------
    async def add_pair(
        self,
        community_id: int,
        mentor_id: int,
        mentee_id: int,
        round_key: str,
        score: int,
        shared: str,
        now: datetime,
    ) -> int | None:
        """Record a pairing: its id, or None when this (mentor, mentee, round) already exists."""
        existing = await self._db.fetch_one(
            "SELECT 1 FROM mentor_pairs WHERE mentor_id = ? AND mentee_id = ? AND round_key = ?",
            (mentor_id, mentee_id, round_key),
        )
        if existing is not None:
            return None
        row = await self._db.fetch_one(
            "INSERT INTO mentor_pairs (community_id, mentor_id, mentee_id, round_key, score,"
            " shared, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (community_id, mentor_id, mentee_id, round_key, score, shared, to_db(now)),
        )
        return int(row[0]) if row is not None else None

    async def get_pair(self, pair_id: int) -> MentorPair | None:
        row = await self._db.fetch_one(
            f"SELECT {_PAIR_COLUMNS} FROM mentor_pairs WHERE id = ?", (pair_id,)
        )
        return _pair(row) if row is not None else None

    async def active_pairs_of(self, member_id: int) -> list[MentorPair]:
        """Live pairings where the member is mentor or mentee, oldest first."""
        rows = await self._db.fetch_all(
            f"SELECT {_PAIR_COLUMNS} FROM mentor_pairs WHERE status = 'active'"
            " AND (mentor_id = ? OR mentee_id = ?) ORDER BY id",
            (member_id, member_id),
        )
        return [_pair(r) for r in rows]

    async def community_pairs(self, community_id: int) -> list[MentorPair]:
        """Every pairing ever made in the community (active and ended): the round's hard rules.

        Includes pairings made across a network whose mentor or mentee is a member here (the
        row's `community_id` is the mentee's): a mentor's seat taken by a network round is
        taken for the community's rounds too.
        """
        rows = await self._db.fetch_all(
            f"SELECT {_PAIR_COLUMNS} FROM mentor_pairs WHERE community_id = ?"
            " OR mentor_id IN (SELECT id FROM members WHERE community_id = ?)"
            " OR mentee_id IN (SELECT id FROM members WHERE community_id = ?) ORDER BY id",
            (community_id, community_id, community_id),
        )
        return [_pair(r) for r in rows]

    async def pairs_among(self, member_ids: Iterable[int]) -> list[MentorPair]:
        """Every pairing (active and ended) with a mentor or mentee among `member_ids`: a
        network round's hard rules and seats taken, in any community."""
        ids = sorted(set(member_ids))
        found: dict[int, MentorPair] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ", ".join("?" for _ in chunk)
            rows = await self._db.fetch_all(
                f"SELECT {_PAIR_COLUMNS} FROM mentor_pairs WHERE mentor_id IN ({marks})"
                f" OR mentee_id IN ({marks})",
                (*chunk, *chunk),
            )
            for row in rows:
                pair = _pair(row)
                found[pair.id] = pair
        return [found[k] for k in sorted(found)]

    # Across a network ------------------------------------------------------------------------
    async def network_round_members(self, network_id: int) -> dict[int, Member]:
        """Members of the network's affiliates who may be matched across it: present, findable
        across the network (`privacy discoverable network`), with a request or an offer."""
        rows = await self._db.fetch_all(
            "SELECT m.* FROM members m JOIN network_affiliates a ON a.community_id = m.community_id"
            " WHERE a.network_id = ? AND m.left_at IS NULL AND m.discoverable = 1"
            " AND m.network_visible = 1 AND (m.id IN (SELECT member_id FROM mentee_requests)"
            " OR m.id IN (SELECT member_id FROM mentor_offers))",
            (network_id,),
        )
        return {member.id: member for member in map(member_from_row, rows)}

    async def network_people(self, network_id: int) -> dict[int, int]:
        """Member id → person id (`person_accounts`) for every linked account that is a member
        of one of the network's affiliates: one query for a whole network round."""
        rows = await self._db.fetch_all(
            "SELECT m.id, pa.person_id FROM members m"
            " JOIN network_affiliates a ON a.community_id = m.community_id"
            " JOIN person_accounts pa ON pa.platform = m.platform AND pa.user_id = m.user_id"
            " WHERE a.network_id = ?",
            (network_id,),
        )
        return {int(row[0]): int(row[1]) for row in rows}

    async def network_prefer_outside(self, network_id: int) -> bool:
        """The network's `network mentors prefer-outside` setting (on until a steward says)."""
        row = await self._db.fetch_one(
            "SELECT prefer_outside FROM network_mentoring_settings WHERE network_id = ?",
            (network_id,),
        )
        return True if row is None else bool(row[0])

    async def put_network_prefer_outside(self, network_id: int, on: bool) -> None:
        await self._db.execute(
            "INSERT INTO network_mentoring_settings (network_id, prefer_outside) VALUES (?, ?)"
            " ON CONFLICT (network_id) DO UPDATE SET prefer_outside = excluded.prefer_outside",
            (network_id, int(on)),
        )

    async def network_schedule(self, network_id: int, kind: NetworkJob) -> NetworkSchedule | None:
        """The network's schedule for `kind` (None: never set up)."""
        row = await self._db.fetch_one(
            "SELECT * FROM network_schedules WHERE network_id = ? AND kind = ?",
            (network_id, kind),
        )
        return _network_schedule(row) if row else None

    async def put_network_schedule(
        self,
        network_id: int,
        kind: NetworkJob,
        frequency: str,
        weekday: int,
        local_time: time,
        timezone: str,
        anchor: date,
        next_at: datetime,
        community_id: int,
        now: datetime,
    ) -> NetworkSchedule:
        """Turn the schedule on (or change it): a new generation, so older jobs become no-ops."""
        await self._db.execute(
            "INSERT INTO network_schedules (network_id, kind, frequency, weekday, local_time,"
            " timezone, active, anchor, next_at, generation, community_id, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, 1, ?, ?) ON CONFLICT (network_id, kind)"
            " DO UPDATE SET frequency = excluded.frequency, weekday = excluded.weekday,"
            " local_time = excluded.local_time, timezone = excluded.timezone, active = 1,"
            " anchor = excluded.anchor, next_at = excluded.next_at,"
            " generation = network_schedules.generation + 1,"
            " community_id = excluded.community_id, updated_at = excluded.updated_at",
            (
                network_id,
                kind,
                frequency,
                weekday,
                f"{local_time:%H:%M}",
                timezone,
                anchor.isoformat(),
                to_db(next_at),
                community_id,
                to_db(now),
            ),
        )
        saved = await self.network_schedule(network_id, kind)
        assert saved is not None
        return saved

    async def pause_network_schedule(
        self, network_id: int, kind: NetworkJob, now: datetime
    ) -> None:
        """Stop the schedule (keeping its timing for `resume`); a planned job becomes a no-op."""
        await self._db.execute(
            "UPDATE network_schedules SET active = 0, next_at = NULL,"
            " generation = generation + 1, updated_at = ? WHERE network_id = ? AND kind = ?",
            (to_db(now), network_id, kind),
        )

    async def advance_network_schedule(
        self,
        network_id: int,
        kind: NetworkJob,
        anchor: date,
        next_at: datetime | None,
        community_id: int,
    ) -> None:
        """The scheduled run is happening: hold its date as the anchor, the following as next,
        and the affiliate that runs it."""
        await self._db.execute(
            "UPDATE network_schedules SET anchor = ?, next_at = ?, community_id = ?"
            " WHERE network_id = ? AND kind = ?",
            (
                anchor.isoformat(),
                to_db(next_at) if next_at else None,
                community_id,
                network_id,
                kind,
            ),
        )

    async def network_pair_counts(self, network_id: int) -> tuple[int, int, int]:
        """(pairings, of them active, of them across affiliate lines) among the members of the
        network's affiliates, ever made: `network stats`' measure of breaking silos."""
        row = await self._db.fetch_one(
            "SELECT count(*) AS pairs,"
            " coalesce(sum(CASE WHEN p.status = 'active' THEN 1 ELSE 0 END), 0) AS active,"
            " coalesce(sum(CASE WHEN a.community_id <> b.community_id THEN 1 ELSE 0 END), 0)"
            "  AS crossing"
            " FROM mentor_pairs p JOIN members a ON a.id = p.mentor_id"
            " JOIN members b ON b.id = p.mentee_id"
            " JOIN network_affiliates na ON na.community_id = a.community_id"
            " JOIN network_affiliates nb ON nb.community_id = b.community_id"
            " WHERE na.network_id = ? AND nb.network_id = ?",
            (network_id, network_id),
        )
        if row is None:
            return 0, 0, 0
        return int(row[0]), int(row[1]), int(row[2])

    async def end_pair(
        self, pair_id: int, ended_by: int, feedback: str | None, now: datetime
    ) -> None:
        await self._db.execute(
            "UPDATE mentor_pairs SET status = 'ended', ended_at = ?, ended_by = ?, feedback = ?"
            " WHERE id = ? AND status = 'active'",
            (to_db(now), ended_by, feedback, pair_id),
        )

    async def export_for_member(self, member_id: int) -> dict[str, Any]:
        """The member's offer, request and pairings, for `/mydata`.

        Feedback is shown only when this member wrote it; the partner is named, nothing more.
        """
        offer = await self._db.fetch_one(
            "SELECT capacity, note, paused, updated_at FROM mentor_offers WHERE member_id = ?",
            (member_id,),
        )
        request = await self._db.fetch_one(
            "SELECT goals, status, tz_window_minutes, updated_at FROM mentee_requests"
            " WHERE member_id = ?",
            (member_id,),
        )
        pairs = await self._db.fetch_all(
            "SELECT p.mentor_id, p.mentee_id, p.status, p.shared, p.created_at, p.ended_at,"
            " p.ended_by, p.feedback, m.display_name AS partner FROM mentor_pairs p"
            " JOIN members m ON m.id = CASE WHEN p.mentor_id = ? THEN p.mentee_id"
            " ELSE p.mentor_id END WHERE p.mentor_id = ? OR p.mentee_id = ? ORDER BY p.id",
            (member_id, member_id, member_id),
        )
        checkins = await self._db.fetch_all(
            "SELECT c.round, c.asked_at, c.answer, c.answered_at, m.display_name AS partner"
            " FROM mentor_checkins c JOIN mentor_pairs p ON p.id = c.pair_id"
            " JOIN members m ON m.id = CASE WHEN p.mentor_id = c.member_id THEN p.mentee_id"
            " ELSE p.mentor_id END WHERE c.member_id = ? ORDER BY c.pair_id, c.round",
            (member_id,),
        )
        return {
            "offer": dict(offer) if offer else None,
            "request": dict(request) if request else None,
            "pairings": [
                {
                    "role": "mentor" if row["mentor_id"] == member_id else "mentee",
                    "partner": row["partner"],
                    "status": row["status"],
                    "shared": row["shared"],
                    "created_at": row["created_at"],
                    "ended_at": row["ended_at"],
                    "your_feedback": row["feedback"] if row["ended_by"] == member_id else None,
                }
                for row in pairs
            ],
            "checkins": [dict(row) for row in checkins],
        }

    # Settings --------------------------------------------------------------------------------
    async def settings(self, community_id: int) -> MentoringSettings:
        row = await self._db.fetch_one(
            "SELECT auto_match, checkin_days, allow_no_shared_tags FROM mentoring_settings"
            " WHERE community_id = ?",
            (community_id,),
        )
        if row is None:
            return MentoringSettings()
        return MentoringSettings(bool(row[0]), int(row[1]), bool(row[2]))

    async def put_settings(self, community_id: int, settings: MentoringSettings) -> None:
        await self._db.execute(
            "INSERT INTO mentoring_settings"
            " (community_id, auto_match, checkin_days, allow_no_shared_tags)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (community_id) DO UPDATE SET"
            " auto_match = excluded.auto_match, checkin_days = excluded.checkin_days,"
            " allow_no_shared_tags = excluded.allow_no_shared_tags",
            (
                community_id,
                int(settings.auto_match),
                settings.checkin_days,
                int(settings.allow_no_shared_tags),
            ),
        )


def _with_tag_ids(rows: Sequence[Any], column: int) -> list[tuple[Any, tuple[int, ...]]]:
    """Rows of (member …, tag id or NULL), ordered by member and tag, folded into one
    (first row, sorted tag ids) per member: the portable spelling of `group_concat`."""
    folded: list[tuple[Any, tuple[int, ...]]] = []
    for _, group in groupby(rows, key=lambda row: row[0]):
        members_rows = list(group)
        tags = tuple(int(row[column]) for row in members_rows if row[column] is not None)
        folded.append((members_rows[0], tags))
    return folded
