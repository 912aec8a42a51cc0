"""Chat series and reminder subscriptions: what the `/chat` commands and reminder jobs read.

A series row holds its schedule (see `communitybot.chats.schedule`) and its next occurrence in
UTC, so listing upcoming chats never recomputes a rule; the chat-start job recomputes it once
the chat has begun. Callers run inside the event's (or the scheduler batch's) transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal

from communitybot.chats.schedule import Schedule, ScheduleKind
from communitybot.models import Member
from communitybot.store.db import Database
from communitybot.store.members import member_from_row
from communitybot.store.timefmt import to_db

SeriesStatus = Literal["active", "cancelled", "ended"]


@dataclass(frozen=True)
class ChatSeries:
    id: int
    community_id: int
    hashtag: str
    title: str
    channel_id: str
    schedule: Schedule
    duration_minutes: int
    next_start: datetime | None
    skipped: tuple[date, ...]
    status: SeriesStatus
    description: str = ""
    ping_role: str | None = None
    """A role id (Discord) or "room" (Matrix @room) pinged at the start; None: no ping."""
    network_id: int | None = None
    """A network chat (issue #15): every affiliate runs it in a room of its own."""


@dataclass(frozen=True)
class Subscription:
    series_id: int
    member_id: int
    lead_minutes: tuple[int, ...]
    community_id: int | None = None
    """The subscriber's community: their reminders are that community's jobs (its platform's
    process sends them, naming its own room of a network chat)."""


def _series(row: Any) -> ChatSeries:
    kind: ScheduleKind = row["kind"]
    schedule = Schedule(
        kind=kind,
        timezone=row["timezone"],
        local_time=time.fromisoformat(row["local_time"]),
        anchor=date.fromisoformat(row["anchor"]),
        interval=int(row["interval"]),
        nth=row["nth"],
    )
    return ChatSeries(
        id=row["id"],
        community_id=row["community_id"],
        hashtag=row["hashtag"],
        title=row["title"],
        channel_id=row["channel_id"],
        schedule=schedule,
        duration_minutes=int(row["duration_minutes"]),
        next_start=datetime.fromisoformat(row["next_start"]) if row["next_start"] else None,
        skipped=tuple(date.fromisoformat(d) for d in json.loads(row["skipped"])),
        status=row["status"],
        description=row["description"],
        ping_role=row["ping_role"],
        network_id=row["network_id"],
    )


class ChatRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        community_id: int,
        hashtag: str,
        title: str,
        channel_id: str,
        schedule: Schedule,
        duration_minutes: int,
        next_start: datetime,
        created_by: int | None,
        now: datetime,
        *,
        description: str = "",
        ping_role: str | None = None,
        network_id: int | None = None,
    ) -> ChatSeries:
        row = await self._db.fetch_one(
            "INSERT INTO chat_series (community_id, hashtag, title, channel_id, kind, timezone,"
            " local_time, anchor, interval, nth, duration_minutes, next_start, created_by,"
            " created_at, description, ping_role, network_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                community_id,
                hashtag,
                title,
                channel_id,
                schedule.kind,
                schedule.timezone,
                schedule.local_time.isoformat(timespec="minutes"),
                schedule.anchor.isoformat(),
                schedule.interval,
                schedule.nth,
                duration_minutes,
                to_db(next_start),
                created_by,
                to_db(now),
                description,
                ping_role,
                network_id,
            ),
        )
        assert row is not None
        created = await self.get(int(row["id"]))
        assert created is not None
        return created

    async def get(self, series_id: int) -> ChatSeries | None:
        row = await self._db.fetch_one("SELECT * FROM chat_series WHERE id = ?", (series_id,))
        return _series(row) if row else None

    async def find(self, community_id: int, hashtag: str) -> ChatSeries | None:
        """The active series with this hashtag."""
        row = await self._db.fetch_one(
            "SELECT * FROM chat_series WHERE community_id = ? AND hashtag = ?"
            " AND status = 'active'",
            (community_id, hashtag),
        )
        return _series(row) if row else None

    async def find_network(self, network_id: int, hashtag: str) -> ChatSeries | None:
        """The network's active network chat with this hashtag."""
        row = await self._db.fetch_one(
            "SELECT * FROM chat_series WHERE network_id = ? AND hashtag = ? AND status = 'active'",
            (network_id, hashtag),
        )
        return _series(row) if row else None

    async def network_active(self, network_id: int) -> list[ChatSeries]:
        """The network's active network chats, soonest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM chat_series WHERE network_id = ? AND status = 'active'"
            " ORDER BY CASE WHEN next_start IS NULL THEN 0 ELSE 1 END, next_start, hashtag",
            (network_id,),
        )
        return [_series(r) for r in rows]

    async def active(self, community_id: int) -> list[ChatSeries]:
        """Active series, soonest next chat first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM chat_series WHERE community_id = ? AND status = 'active'"
            " ORDER BY CASE WHEN next_start IS NULL THEN 0 ELSE 1 END, next_start, hashtag",
            (community_id,),
        )
        return [_series(r) for r in rows]

    async def advance(
        self, series_id: int, schedule: Schedule, next_start: datetime | None
    ) -> None:
        """Store the re-anchored schedule and the next occurrence (None: the series ended)."""
        await self._db.execute(
            "UPDATE chat_series SET anchor = ?, next_start = ?,"
            " status = CASE WHEN CAST(? AS TEXT) IS NULL THEN 'ended' ELSE status END WHERE id = ?",
            (
                schedule.anchor.isoformat(),
                to_db(next_start) if next_start else None,
                to_db(next_start) if next_start else None,
                series_id,
            ),
        )

    async def save_details(self, series: ChatSeries) -> None:
        """Store an edited series: title, description, channel, schedule, duration, next chat
        and ping (hashtag, status and skipped dates are changed by their own methods)."""
        schedule = series.schedule
        await self._db.execute(
            "UPDATE chat_series SET title = ?, description = ?, channel_id = ?, kind = ?,"
            " timezone = ?, local_time = ?, anchor = ?, interval = ?, nth = ?,"
            " duration_minutes = ?, next_start = ?, ping_role = ? WHERE id = ?",
            (
                series.title,
                series.description,
                series.channel_id,
                schedule.kind,
                schedule.timezone,
                schedule.local_time.isoformat(timespec="minutes"),
                schedule.anchor.isoformat(),
                schedule.interval,
                schedule.nth,
                series.duration_minutes,
                to_db(series.next_start) if series.next_start else None,
                series.ping_role,
                series.id,
            ),
        )

    async def set_skipped(self, series_id: int, skipped: tuple[date, ...]) -> None:
        await self._db.execute(
            "UPDATE chat_series SET skipped = ? WHERE id = ?",
            (json.dumps(sorted(d.isoformat() for d in skipped)), series_id),
        )

    async def cancel(self, series_id: int) -> None:
        await self._db.execute(
            "UPDATE chat_series SET status = 'cancelled' WHERE id = ?", (series_id,)
        )

    # Subscriptions ------------------------------------------------------------------------
    async def subscribe(
        self, series_id: int, member_id: int, lead_minutes: tuple[int, ...], now: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO chat_subscriptions (series_id, member_id, lead_minutes, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (series_id, member_id)"
            " DO UPDATE SET lead_minutes = excluded.lead_minutes",
            (series_id, member_id, json.dumps(list(lead_minutes)), to_db(now)),
        )

    async def unsubscribe(self, series_id: int, member_id: int) -> bool:
        changed = await self._db.execute(
            "DELETE FROM chat_subscriptions WHERE series_id = ? AND member_id = ?",
            (series_id, member_id),
        )
        return changed > 0

    async def subscription(self, series_id: int, member_id: int) -> Subscription | None:
        row = await self._db.fetch_one(
            "SELECT s.*, m.community_id FROM chat_subscriptions s"
            " JOIN members m ON m.id = s.member_id WHERE s.series_id = ? AND s.member_id = ?",
            (series_id, member_id),
        )
        return _subscription(row) if row else None

    async def subscribers(self, series_id: int) -> list[Subscription]:
        rows = await self._db.fetch_all(
            "SELECT s.*, m.community_id FROM chat_subscriptions s"
            " JOIN members m ON m.id = s.member_id"
            " WHERE s.series_id = ? AND m.left_at IS NULL ORDER BY s.member_id",
            (series_id,),
        )
        return [_subscription(r) for r in rows]

    async def export_for_member(self, member_id: int) -> list[dict[str, Any]]:
        """The member's chat subscriptions, for `/mydata`."""
        rows = await self._db.fetch_all(
            "SELECT c.hashtag, c.title, s.lead_minutes, s.created_at FROM chat_subscriptions s"
            " JOIN chat_series c ON c.id = s.series_id WHERE s.member_id = ? ORDER BY c.hashtag",
            (member_id,),
        )
        return [
            {
                "hashtag": row["hashtag"],
                "title": row["title"],
                "reminder_minutes_before": json.loads(row["lead_minutes"]),
                "subscribed_at": row["created_at"],
            }
            for row in rows
        ]

    async def export_hosting(self, member_id: int) -> list[dict[str, Any]]:
        """The chat series the member hosts (or hosted), for `/mydata`."""
        rows = await self._db.fetch_all(
            "SELECT c.hashtag, c.title, c.status FROM chat_hosts h"
            " JOIN chat_series c ON c.id = h.series_id WHERE h.member_id = ? ORDER BY c.id",
            (member_id,),
        )
        return [
            {"hashtag": row["hashtag"], "title": row["title"], "status": row["status"]}
            for row in rows
        ]

    # Hosts -------------------------------------------------------------------------------------

    async def hosts(self, series_id: int) -> list[int]:
        """Member ids of the series' hosts (including any who have since left), in id order."""
        rows = await self._db.fetch_all(
            "SELECT member_id FROM chat_hosts WHERE series_id = ? ORDER BY member_id",
            (series_id,),
        )
        return [int(row["member_id"]) for row in rows]

    async def set_hosts(self, series_id: int, member_ids: list[int]) -> None:
        """Replace the series' hosts."""
        await self._db.execute("DELETE FROM chat_hosts WHERE series_id = ?", (series_id,))
        for member_id in dict.fromkeys(member_ids):
            await self._db.execute(
                "INSERT INTO chat_hosts (series_id, member_id) VALUES (?, ?)",
                (series_id, member_id),
            )

    async def hosted_by(self, member_id: int) -> list[ChatSeries]:
        """The active series this member hosts (a leaving host's chats need a new host)."""
        rows = await self._db.fetch_all(
            "SELECT s.* FROM chat_series s JOIN chat_hosts h ON h.series_id = s.id"
            " WHERE h.member_id = ? AND s.status = 'active' ORDER BY s.id",
            (member_id,),
        )
        return [_series(row) for row in rows]

    async def present_hosts(self, series_id: int) -> list[Member]:
        """The series' hosts still in the community, in id order (for lists and announcements)."""
        rows = await self._db.fetch_all(
            "SELECT m.* FROM chat_hosts h JOIN members m ON m.id = h.member_id"
            " WHERE h.series_id = ? AND m.left_at IS NULL ORDER BY m.id",
            (series_id,),
        )
        return [member_from_row(row) for row in rows]


def _subscription(row: Any) -> Subscription:
    return Subscription(
        series_id=row["series_id"],
        member_id=row["member_id"],
        lead_minutes=tuple(int(m) for m in json.loads(row["lead_minutes"])),
        community_id=row["community_id"],
    )
