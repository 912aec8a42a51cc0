"""Peer rounds in the database: the schedule, who takes part, rounds, groups and follow-ups.

Like every repository, calls run inside the caller's transaction. A round is unique per
(community, round key = local date) and a group per idempotency key (round id + sorted member
ids): `add_round` and `add_group` say whether the row is new, and only new groups are introduced,
so a round replayed after a restart adds nothing and sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal

from communitybot.models import Member
from communitybot.store.db import Database
from communitybot.store.members import member_from_row
from communitybot.store.timefmt import from_db, to_db

Frequency = Literal["weekly", "biweekly", "monthly"]
Answer = Literal["yes", "no", "skip"]
ANSWERS: tuple[Answer, ...] = ("yes", "no", "skip")
GROUPS_PER_STATEMENT = 500
"""Rows per multi-row INSERT: 2,500 parameters, far below SQLite's limit."""


@dataclass(frozen=True)
class RoundSettings:
    community_id: int
    frequency: Frequency
    weekday: int
    local_time: time
    timezone: str
    no_repeat_rounds: int
    active: bool
    anchor: date
    next_at: datetime | None
    generation: int


@dataclass(frozen=True)
class Participant:
    member_id: int
    community_id: int
    status: Literal["active", "paused", "on_hold"]
    skip_rounds: int | None
    """Paused: how many more rounds to skip; None means until resumed."""
    confirmed_at: datetime


@dataclass(frozen=True)
class RoundGroup:
    id: int
    round_id: int
    community_id: int
    round_key: str
    member_ids: tuple[int, ...]
    shared: str
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class Seat:
    """One member's place in a group: the group, and what they said to the follow-up."""

    group: RoundGroup
    asked_at: datetime | None
    answer: Answer | None


@dataclass(frozen=True)
class RoundCounts:
    taking_part: int
    active: int
    paused: int
    on_hold: int
    rounds: int
    last_round_key: str | None
    last_groups: int
    last_members: int
    last_met: int
    last_answered: int
    last_asked: int


@dataclass(frozen=True)
class NetworkMeetings:
    """A network's peer-round meetings: per affiliate (a meeting counts for each affiliate with
    a seat in it), and per month YYYY-MM (meetings, of them across affiliate lines)."""

    per_affiliate: dict[int, int]
    per_month: dict[str, tuple[int, int]]

    @property
    def totals(self) -> tuple[int, int]:
        """All-time (meetings, of them across affiliate lines)."""
        return (
            sum(total for total, _ in self.per_month.values()),
            sum(crossing for _, crossing in self.per_month.values()),
        )


def group_key(round_id: int, member_ids: Iterable[int]) -> str:
    """The idempotency key of one introduction: the round and its sorted members."""
    return f"{round_id}:" + "-".join(str(i) for i in sorted(member_ids))


def _settings(row: Any) -> RoundSettings:
    hours, minutes = (int(part) for part in str(row["local_time"]).split(":"))
    return RoundSettings(
        community_id=int(row["community_id"]),
        frequency=row["frequency"],
        weekday=int(row["weekday"]),
        local_time=time(hours, minutes),
        timezone=str(row["timezone"]),
        no_repeat_rounds=int(row["no_repeat_rounds"]),
        active=bool(row["active"]),
        anchor=date.fromisoformat(str(row["anchor"])),
        next_at=from_db(row["next_at"]),
        generation=int(row["generation"]),
    )


def _participant(row: Any) -> Participant:
    confirmed = from_db(row["confirmed_at"])
    assert confirmed is not None
    skip = row["skip_rounds"]
    return Participant(
        int(row["member_id"]),
        int(row["community_id"]),
        row["status"],
        None if skip is None else int(skip),
        confirmed,
    )


_GROUP_COLUMNS = (
    "g.id, g.round_id, g.community_id, r.round_key, g.shared, g.created_at, g.closed_at"
)


def _group(row: Any, ids: tuple[int, ...]) -> RoundGroup:
    created = from_db(row["created_at"])
    assert created is not None
    return RoundGroup(
        id=int(row["id"]),
        round_id=int(row["round_id"]),
        community_id=int(row["community_id"]),
        round_key=str(row["round_key"]),
        member_ids=ids,
        shared=str(row["shared"]),
        created_at=created,
        closed_at=from_db(row["closed_at"]),
    )


class RoundRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Schedule --------------------------------------------------------------------------------
    async def settings(self, community_id: int) -> RoundSettings | None:
        row = await self._db.fetch_one(
            "SELECT * FROM round_settings WHERE community_id = ?", (community_id,)
        )
        return _settings(row) if row else None

    async def put_settings(
        self,
        community_id: int,
        frequency: Frequency,
        weekday: int,
        local_time: time,
        timezone: str,
        no_repeat_rounds: int,
        anchor: date,
        next_at: datetime,
        now: datetime,
    ) -> RoundSettings:
        """Turn rounds on (or change them): a new generation, so older jobs become no-ops."""
        await self._db.execute(
            "INSERT INTO round_settings (community_id, frequency, weekday, local_time, timezone,"
            " no_repeat_rounds, active, anchor, next_at, generation, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, 1, ?) ON CONFLICT (community_id) DO UPDATE SET"
            " frequency = excluded.frequency, weekday = excluded.weekday,"
            " local_time = excluded.local_time, timezone = excluded.timezone,"
            " no_repeat_rounds = excluded.no_repeat_rounds, active = 1, anchor = excluded.anchor,"
            " next_at = excluded.next_at, generation = round_settings.generation + 1,"
            " updated_at = excluded.updated_at",
            (
                community_id,
                frequency,
                weekday,
                f"{local_time:%H:%M}",
                timezone,
                no_repeat_rounds,
                anchor.isoformat(),
                to_db(next_at),
                to_db(now),
            ),
        )
        saved = await self.settings(community_id)
        assert saved is not None
        return saved

    async def turn_off(self, community_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE round_settings SET active = 0, next_at = NULL, generation = generation + 1,"
            " updated_at = ? WHERE community_id = ?",
            (to_db(now), community_id),
        )

    async def advance(self, community_id: int, anchor: date, next_at: datetime | None) -> None:
        """The scheduled round ran: hold its date as the anchor and the following one as next."""
        await self._db.execute(
            "UPDATE round_settings SET anchor = ?, next_at = ? WHERE community_id = ?",
            (anchor.isoformat(), to_db(next_at) if next_at else None, community_id),
        )

    # Participants ----------------------------------------------------------------------------
    async def participant(self, member_id: int) -> Participant | None:
        row = await self._db.fetch_one(
            "SELECT * FROM round_members WHERE member_id = ?", (member_id,)
        )
        return _participant(row) if row else None

    async def join(self, member_id: int, community_id: int, now: datetime) -> None:
        """Opt in, or re-confirm: active again, and earlier silent follow-ups stop counting."""
        await self._db.execute(
            "INSERT INTO round_members (member_id, community_id, status, skip_rounds,"
            " confirmed_at, updated_at) VALUES (?, ?, 'active', NULL, ?, ?)"
            " ON CONFLICT (member_id) DO UPDATE SET status = 'active', skip_rounds = NULL,"
            " confirmed_at = excluded.confirmed_at, updated_at = excluded.updated_at",
            (member_id, community_id, to_db(now), to_db(now)),
        )

    async def leave(self, member_id: int) -> bool:
        return (
            await self._db.execute("DELETE FROM round_members WHERE member_id = ?", (member_id,))
            > 0
        )

    async def pause(self, member_id: int, rounds: int | None, now: datetime) -> None:
        await self._db.execute(
            "UPDATE round_members SET status = 'paused', skip_rounds = ?, updated_at = ?"
            " WHERE member_id = ?",
            (rounds, to_db(now), member_id),
        )

    async def participants(self, community_id: int) -> list[Participant]:
        """Everyone opted in who is still in the community, by member id."""
        rows = await self._db.fetch_all(
            "SELECT r.* FROM round_members r JOIN members m ON m.id = r.member_id"
            " WHERE r.community_id = ? AND m.left_at IS NULL ORDER BY r.member_id",
            (community_id,),
        )
        return [_participant(row) for row in rows]

    async def members(self, community_id: int) -> dict[int, Member]:
        """Present participants' member records by id: one query for a whole round."""
        rows = await self._db.fetch_all(
            "SELECT m.* FROM members m JOIN round_members r ON r.member_id = m.id"
            " WHERE r.community_id = ? AND m.left_at IS NULL",
            (community_id,),
        )
        return {member.id: member for member in map(member_from_row, rows)}

    async def count_down_pauses(self, community_id: int, now: datetime) -> None:
        """A round happened: paused members have one round fewer to skip; at zero, they're back."""
        await self._db.execute(
            "UPDATE round_members SET skip_rounds = skip_rounds - 1, updated_at = ?"
            " WHERE community_id = ? AND status = 'paused' AND skip_rounds IS NOT NULL",
            (to_db(now), community_id),
        )
        await self._db.execute(
            "UPDATE round_members SET status = 'active', skip_rounds = NULL"
            " WHERE community_id = ? AND status = 'paused' AND skip_rounds <= 0",
            (community_id,),
        )

    async def put_on_hold(self, member_ids: Sequence[int], now: datetime) -> None:
        await self._db.execute_many(
            "UPDATE round_members SET status = 'on_hold', skip_rounds = NULL, updated_at = ?"
            " WHERE member_id = ?",
            [(to_db(now), member_id) for member_id in member_ids],
        )

    async def silent(self, community_id: int, streak: int) -> set[int]:
        """Active members whose last `streak` follow-ups (since they last joined) got no answer."""
        rows = await self._db.fetch_all(
            "SELECT member_id, count(*) AS asked, count(answer) AS answered FROM ("
            " SELECT gm.member_id, gm.answer, row_number() OVER ("
            "  PARTITION BY gm.member_id ORDER BY gm.group_id DESC) AS n"
            " FROM round_group_members gm"
            " JOIN round_groups g ON g.id = gm.group_id"
            " JOIN round_members r ON r.member_id = gm.member_id"
            " WHERE r.community_id = ? AND r.status = 'active' AND gm.asked_at IS NOT NULL"
            " AND g.created_at >= r.confirmed_at"
            ") AS recent WHERE n <= ? GROUP BY member_id",
            (community_id, streak),
        )
        return {
            int(row["member_id"])
            for row in rows
            if int(row["asked"]) >= streak and int(row["answered"]) == 0
        }

    async def tags_of(self, community_id: int) -> dict[int, tuple[int, ...]]:
        """member id → tag ids, for every participant (one query for a whole round)."""
        rows = await self._db.fetch_all(
            "SELECT mt.member_id, mt.tag_id FROM member_tags mt"
            " JOIN round_members r ON r.member_id = mt.member_id"
            " WHERE r.community_id = ? ORDER BY mt.member_id, mt.tag_id",
            (community_id,),
        )
        found: dict[int, list[int]] = {}
        for row in rows:
            found.setdefault(int(row[0]), []).append(int(row[1]))
        return {member: tuple(tags) for member, tags in found.items()}

    # Rounds and groups -----------------------------------------------------------------------
    async def round_id(self, community_id: int, round_key: str) -> int | None:
        row = await self._db.fetch_one(
            "SELECT id FROM rounds WHERE community_id = ? AND round_key = ?",
            (community_id, round_key),
        )
        return int(row[0]) if row else None

    async def add_round(
        self, community_id: int, round_key: str, trigger: str, now: datetime
    ) -> int | None:
        """Record a round run: its id, or None when this community already had this round."""
        row = await self._db.fetch_one(
            "INSERT INTO rounds (community_id, round_key, trigger, started_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (community_id, round_key) DO NOTHING RETURNING id",
            (community_id, round_key, trigger, to_db(now)),
        )
        return int(row[0]) if row else None

    async def add_groups(
        self,
        round_id: int,
        community_id: int,
        groups: Sequence[tuple[Sequence[int], str]],
        now: datetime,
    ) -> dict[str, int]:
        """Record introductions (member ids, shared tags) before they are sent.

        Returns idempotency key → id for the groups that are new; a group already recorded
        (a replay) is left out, so it is never introduced twice. A few statements per round.
        """
        created: dict[str, int] = {}
        stamp = to_db(now)
        rows = [
            (round_id, community_id, group_key(round_id, ids), shared, stamp)
            for ids, shared in groups
        ]
        for start in range(0, len(rows), GROUPS_PER_STATEMENT):
            chunk = rows[start : start + GROUPS_PER_STATEMENT]
            marks = ", ".join(["(?, ?, ?, ?, ?)"] * len(chunk))
            inserted = await self._db.fetch_all(
                "INSERT INTO round_groups (round_id, community_id, idempotency_key, shared,"
                f" created_at) VALUES {marks}"
                " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key",
                [value for row in chunk for value in row],
            )
            created.update({str(row[1]): int(row[0]) for row in inserted})
        await self._db.execute_many(
            # the seat keeps its member's community (fixed for a membership; migration 0039),
            # so the network's figures count seats per affiliate from an index
            "INSERT INTO round_group_members (group_id, member_id, community_id)"
            " SELECT ?, id, community_id FROM members WHERE id = ?",
            [
                (created[key], member_id)
                for (ids, _), (_, _, key, _, _) in zip(groups, rows, strict=True)
                if key in created
                for member_id in ids
            ],
        )
        await self._spread(list(created.values()))
        return created

    async def _spread(self, group_ids: Sequence[int]) -> None:
        """Note on each of these new groups the one community all its seats belong to (NULL
        when they span more, or there is none) and count it in that community's month
        (migration 0040), so the network's meetings are counted without reading seats."""
        for start in range(0, len(group_ids), GROUPS_PER_STATEMENT):
            chunk = list(group_ids[start : start + GROUPS_PER_STATEMENT])
            marks = ", ".join("?" * len(chunk))
            lowest, highest = (
                f"(SELECT {bound}(gm.community_id) FROM round_group_members gm"
                "  WHERE gm.group_id = round_groups.id)"
                for bound in ("min", "max")
            )
            await self._db.execute(
                f"UPDATE round_groups SET seat_community = CASE WHEN {lowest} = {highest}"
                f" THEN {lowest} ELSE NULL END WHERE id IN ({marks})",
                chunk,
            )
            await self._db.execute(
                "INSERT INTO round_meeting_months (community_id, month, meetings)"
                " SELECT seat_community, substr(created_at, 1, 7), count(*) FROM round_groups"
                f" WHERE id IN ({marks}) AND seat_community IS NOT NULL"
                " GROUP BY seat_community, substr(created_at, 1, 7)"
                " ON CONFLICT (community_id, month)"
                " DO UPDATE SET meetings = round_meeting_months.meetings + excluded.meetings",
                chunk,
            )

    async def recent_pairs(self, community_id: int, rounds: int) -> set[tuple[int, int]]:
        """Every two members who met in the community's last `rounds` rounds with groups."""
        if rounds <= 0:
            return set()
        rows = await self._db.fetch_all(
            "SELECT a.member_id, b.member_id FROM round_group_members a"
            " JOIN round_group_members b ON b.group_id = a.group_id AND b.member_id > a.member_id"
            " JOIN round_groups g ON g.id = a.group_id"
            " WHERE g.round_id IN (SELECT id FROM rounds r WHERE r.community_id = ? AND EXISTS"
            "  (SELECT 1 FROM round_groups x WHERE x.round_id = r.id) ORDER BY id DESC LIMIT ?)",
            (community_id, rounds),
        )
        return {(int(row[0]), int(row[1])) for row in rows}

    async def group(self, group_id: int) -> RoundGroup | None:
        row = await self._db.fetch_one(
            f"SELECT {_GROUP_COLUMNS} FROM round_groups g JOIN rounds r ON r.id = g.round_id"
            " WHERE g.id = ?",
            (group_id,),
        )
        return (await self._groups([row]))[0] if row else None

    async def seats_of(self, member_id: int, limit: int) -> list[Seat]:
        """The member's latest groups, newest first, with their follow-up state."""
        rows = await self._db.fetch_all(
            f"SELECT {_GROUP_COLUMNS}, gm.asked_at AS asked, gm.answer AS answer"
            " FROM round_group_members gm JOIN round_groups g ON g.id = gm.group_id"
            " JOIN rounds r ON r.id = g.round_id WHERE gm.member_id = ?"
            " ORDER BY g.id DESC LIMIT ?",
            (member_id, limit),
        )
        groups = await self._groups(rows)
        return [
            Seat(group, from_db(row["asked"]), row["answer"])
            for group, row in zip(groups, rows, strict=True)
        ]

    async def open_groups_of(self, member_id: int) -> list[RoundGroup]:
        """Groups with the member whose follow-up has not happened yet."""
        rows = await self._db.fetch_all(
            f"SELECT {_GROUP_COLUMNS} FROM round_group_members gm"
            " JOIN round_groups g ON g.id = gm.group_id JOIN rounds r ON r.id = g.round_id"
            " WHERE gm.member_id = ? AND g.closed_at IS NULL ORDER BY g.id",
            (member_id,),
        )
        return await self._groups(rows)

    async def _groups(self, rows: Sequence[Any]) -> list[RoundGroup]:
        """The groups of `rows` (`_GROUP_COLUMNS`), each with its members' ids, sorted: one
        more query for all of them, folded here (`group_concat` has no PostgreSQL spelling)."""
        if not rows:
            return []
        group_ids = list(dict.fromkeys(int(row["id"]) for row in rows))
        marks = ", ".join("?" * len(group_ids))
        seated = await self._db.fetch_all(
            f"SELECT group_id, member_id FROM round_group_members WHERE group_id IN ({marks})"
            " ORDER BY group_id, member_id",
            group_ids,
        )
        members: dict[int, list[int]] = {}
        for seat in seated:
            members.setdefault(int(seat[0]), []).append(int(seat[1]))
        return [_group(row, tuple(members.get(int(row["id"]), ()))) for row in rows]

    async def close_group(self, group_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE round_groups SET closed_at = ? WHERE id = ? AND closed_at IS NULL",
            (to_db(now), group_id),
        )

    async def mark_asked(self, group_id: int, member_ids: Sequence[int], now: datetime) -> None:
        await self._db.execute_many(
            "UPDATE round_group_members SET asked_at = ? WHERE group_id = ? AND member_id = ?",
            [(to_db(now), group_id, member_id) for member_id in member_ids],
        )

    async def answer(self, group_id: int, member_id: int, answer: Answer, now: datetime) -> bool:
        """Store the member's answer about a group they were asked about (False: no such seat)."""
        changed = await self._db.execute(
            "UPDATE round_group_members SET answer = ?, answered_at = ?"
            " WHERE group_id = ? AND member_id = ? AND asked_at IS NOT NULL",
            (answer, to_db(now), group_id, member_id),
        )
        return changed > 0

    # Figures and export ----------------------------------------------------------------------
    async def counts(self, community_id: int) -> RoundCounts:
        statuses = await self._db.fetch_all(
            "SELECT r.status, count(*) FROM round_members r JOIN members m ON m.id = r.member_id"
            " WHERE r.community_id = ? AND m.left_at IS NULL GROUP BY r.status",
            (community_id,),
        )
        by_status = {str(row[0]): int(row[1]) for row in statuses}
        ran = await self._db.fetch_one(
            "SELECT count(*) FROM rounds r WHERE community_id = ? AND EXISTS"
            " (SELECT 1 FROM round_groups g WHERE g.round_id = r.id)",
            (community_id,),
        )
        last = await self._db.fetch_one(
            "SELECT r.id, r.round_key FROM rounds r WHERE r.community_id = ? AND EXISTS"
            " (SELECT 1 FROM round_groups g WHERE g.round_id = r.id) ORDER BY r.id DESC LIMIT 1",
            (community_id,),
        )
        figures = (0, 0, 0, 0, 0)
        if last is not None:
            row = await self._db.fetch_one(
                "SELECT count(DISTINCT g.id), count(gm.member_id),"
                " coalesce(sum(CASE WHEN gm.answer = 'yes' THEN 1 ELSE 0 END), 0),"
                " count(gm.answer), count(gm.asked_at)"
                " FROM round_groups g LEFT JOIN round_group_members gm ON gm.group_id = g.id"
                " WHERE g.round_id = ?",
                (int(last[0]),),
            )
            assert row is not None
            figures = (int(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]))
        return RoundCounts(
            taking_part=sum(by_status.values()),
            active=by_status.get("active", 0),
            paused=by_status.get("paused", 0),
            on_hold=by_status.get("on_hold", 0),
            rounds=int(ran[0]) if ran else 0,
            last_round_key=str(last[1]) if last else None,
            last_groups=figures[0],
            last_members=figures[1],
            last_met=figures[2],
            last_answered=figures[3],
            last_asked=figures[4],
        )

    async def network_meetings(self, network_id: int) -> NetworkMeetings:
        """The network's peer-round meetings (groups with a seat in its affiliates) per
        affiliate and per month, and of them across affiliate lines (members from more than one
        affiliate): `network stats` and the stewards' network page.

        Two queries, neither grouping a year of seats: the groups within one community are
        counted per community and month at write time (`round_meeting_months`, migration 0040);
        only the groups whose seats span communities (or have none left: `round_groups_spread`)
        are read seat by seat, and every meeting that crossed a line is among those.
        """
        per_affiliate: dict[int, int] = {}
        per_month: dict[str, tuple[int, int]] = {}
        within = await self._db.fetch_all(
            "SELECT c.community_id, c.month, c.meetings FROM network_affiliates a"
            " JOIN round_meeting_months c ON c.community_id = a.community_id"
            " WHERE a.network_id = ?",
            (network_id,),
        )
        for community_id, month, n in within:
            per_affiliate[int(community_id)] = per_affiliate.get(int(community_id), 0) + int(n)
            total, crossing = per_month.get(str(month), (0, 0))
            per_month[str(month)] = (total + int(n), crossing)
        spread = await self._db.fetch_all(
            # the groups spanning communities: each one's distinct affiliates (from the seats'
            # index), then per affiliate how many, and per month how many and how many with
            # more than one affiliate (crossed a line), in SQL: a few rows back, not every seat
            "WITH seats AS (SELECT DISTINCT g.id AS group_id, substr(g.created_at, 1, 7) AS month,"
            "  gm.community_id FROM round_groups g"
            "  JOIN round_group_members gm ON gm.group_id = g.id"
            "  JOIN network_affiliates a ON a.community_id = gm.community_id"
            "  WHERE g.seat_community IS NULL AND a.network_id = ?)"
            " SELECT 'affiliate' AS kind, CAST(community_id AS TEXT) AS subject, count(*) AS n,"
            " 0 AS crossing FROM seats GROUP BY community_id"
            " UNION ALL SELECT 'month', month, count(*),"
            " coalesce(sum(CASE WHEN affiliates > 1 THEN 1 ELSE 0 END), 0)"
            " FROM (SELECT group_id, month, count(*) AS affiliates FROM seats"
            "  GROUP BY group_id, month) AS grouped GROUP BY month",
            (network_id,),
        )
        for kind, subject, n, crossing in spread:
            if kind == "affiliate":
                community_id = int(subject)
                per_affiliate[community_id] = per_affiliate.get(community_id, 0) + int(n)
            else:
                total, across = per_month.get(str(subject), (0, 0))
                per_month[str(subject)] = (total + int(n), across + int(crossing))
        return NetworkMeetings(per_affiliate, per_month)

    async def network_group_counts(self, network_id: int) -> tuple[int, int]:
        """(peer-round meetings, of them across affiliate lines) whose members are in the
        network's affiliates: a group counts as crossing when its members come from more than
        one affiliate (`network stats`)."""
        return (await self.network_meetings(network_id)).totals

    async def export_for_member(self, member_id: int) -> dict[str, Any]:
        """For `/mydata`: the member's participation and every group they were in."""
        participant = await self.participant(member_id)
        rows = await self._db.fetch_all(
            "SELECT g.id, r.round_key, g.shared, g.created_at, gm.asked_at, gm.answer,"
            " gm.answered_at FROM round_group_members gm"
            " JOIN round_groups g ON g.id = gm.group_id JOIN rounds r ON r.id = g.round_id"
            " WHERE gm.member_id = ? ORDER BY g.id",
            (member_id,),
        )
        groups = []
        for row in rows:
            others = await self._db.fetch_all(
                "SELECT m.display_name, m.user_id FROM round_group_members gm"
                " JOIN members m ON m.id = gm.member_id WHERE gm.group_id = ? AND gm.member_id != ?"
                " ORDER BY m.id",
                (int(row["id"]), member_id),
            )
            groups.append(
                {
                    "round": row["round_key"],
                    "introduced_at": row["created_at"],
                    "partners": [str(o[0]) or str(o[1]) for o in others],
                    "shared": row["shared"],
                    "follow_up_asked_at": row["asked_at"],
                    "your_answer": row["answer"],
                    "answered_at": row["answered_at"],
                }
            )
        return {
            "participation": (
                {
                    "status": participant.status,
                    "rounds_to_skip": participant.skip_rounds,
                    "confirmed_at": to_db(participant.confirmed_at),
                }
                if participant
                else None
            ),
            "groups": groups,
        }
