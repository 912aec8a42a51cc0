"""Network chats' own rows (issue #15): each affiliate's room for a network series, each
affiliate's leg of a network run, members' `chat norelay`, and the look-ups the relay needs on a
network run's messages (keyed by their relay key).

Kept apart from `store.chat_runs` (a community's own chats), which only learned to find a run
by one of its legs. Callers run inside the event's (or the job's) transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from communitybot.events import CommunityRef
from communitybot.store.db import Database
from communitybot.store.timefmt import to_db

LegStatus = Literal["open", "lost"]


@dataclass(frozen=True)
class Leg:
    """One affiliate's place in a network run."""

    run_id: int
    community_id: int
    community: CommunityRef
    conversation_id: str
    in_thread: bool
    status: LegStatus


@dataclass(frozen=True)
class LegMessage:
    """A recorded message of a network run, as the relay needs it."""

    key: str
    member_id: int
    community_id: int | None
    text: str
    kept_home: bool


def _leg(row: Any) -> Leg:
    return Leg(
        run_id=int(row["run_id"]),
        community_id=int(row["community_id"]),
        community=CommunityRef(row["platform"], row["space_id"], row["name"] or ""),
        conversation_id=row["conversation_id"],
        in_thread=bool(row["in_thread"]),
        status=row["status"],
    )


def _message(row: Any) -> LegMessage:
    return LegMessage(
        key=row["message_id"],
        member_id=int(row["member_id"]),
        community_id=row["community_id"],
        text=row["text"],
        kept_home=bool(row["kept_home"]),
    )


_LEGS = (
    "SELECT l.*, c.platform, c.space_id, c.name FROM chat_legs l"
    " JOIN communities c ON c.id = l.community_id"
)


class ChatLegRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Rooms ---------------------------------------------------------------------------------
    async def set_room(
        self, series_id: int, community_id: int, channel_id: str, now: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO chat_rooms (series_id, community_id, channel_id, set_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (series_id, community_id)"
            " DO UPDATE SET channel_id = excluded.channel_id, set_at = excluded.set_at",
            (series_id, community_id, channel_id, to_db(now)),
        )

    async def room(self, series_id: int, community_id: int) -> str | None:
        row = await self._db.fetch_one(
            "SELECT channel_id FROM chat_rooms WHERE series_id = ? AND community_id = ?",
            (series_id, community_id),
        )
        return str(row["channel_id"]) if row else None

    # Legs ----------------------------------------------------------------------------------
    async def add(
        self, run_id: int, community_id: int, conversation_id: str, in_thread: bool
    ) -> bool:
        """Record an opened leg once; False when the run already had one there."""
        inserted = await self._db.fetch_one(
            "INSERT INTO chat_legs (run_id, community_id, conversation_id, in_thread)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (run_id, community_id) DO NOTHING"
            " RETURNING run_id",
            (run_id, community_id, conversation_id, int(in_thread)),
        )
        return inserted is not None

    async def get(self, run_id: int, community_id: int) -> Leg | None:
        row = await self._db.fetch_one(
            _LEGS + " WHERE l.run_id = ? AND l.community_id = ?", (run_id, community_id)
        )
        return _leg(row) if row else None

    async def of_run(self, run_id: int) -> list[Leg]:
        """The run's legs, in the order the affiliates' communities were created."""
        rows = await self._db.fetch_all(
            _LEGS + " WHERE l.run_id = ? ORDER BY l.community_id", (run_id,)
        )
        return [_leg(row) for row in rows]

    async def running_at(self, community: CommunityRef, conversation_id: str) -> list[Leg]:
        """The open legs of running network chats in this conversation (a refused relay)."""
        rows = await self._db.fetch_all(
            _LEGS + " JOIN chat_runs r ON r.id = l.run_id WHERE r.status = 'running'"
            " AND l.status = 'open' AND l.conversation_id = ? AND c.platform = ?"
            " AND c.space_id = ?",
            (conversation_id, community.platform, community.space_id),
        )
        return [_leg(row) for row in rows]

    async def mark_lost(self, run_id: int, community_id: int) -> bool:
        """The leg takes no more relays; True only the first time (its moderators hear once)."""
        changed = await self._db.execute(
            "UPDATE chat_legs SET status = 'lost' WHERE run_id = ? AND community_id = ?"
            " AND status = 'open'",
            (run_id, community_id),
        )
        return changed > 0

    # norelay -------------------------------------------------------------------------------
    async def set_norelay(self, member_ids: list[int], on: bool, now: datetime) -> None:
        for member_id in dict.fromkeys(member_ids):
            if on:
                await self._db.execute(
                    "INSERT INTO chat_norelay (member_id, set_at) VALUES (?, ?)"
                    " ON CONFLICT (member_id) DO NOTHING",
                    (member_id, to_db(now)),
                )
            else:
                await self._db.execute("DELETE FROM chat_norelay WHERE member_id = ?", (member_id,))

    async def norelay(self, member_id: int) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 FROM chat_norelay WHERE member_id = ?", (member_id,)
        )
        return row is not None

    # A network run's messages ----------------------------------------------------------------
    async def message(self, run_id: int, key: str) -> LegMessage | None:
        row = await self._db.fetch_one(
            "SELECT * FROM chat_run_messages WHERE run_id = ? AND message_id = ?", (run_id, key)
        )
        return _message(row) if row else None

    async def edit(self, run_id: int, key: str, text: str) -> LegMessage | None:
        """Store the new text of a recorded message; None when it was never recorded."""
        found = await self.message(run_id, key)
        if found is None:
            return None
        await self._db.execute(
            "UPDATE chat_run_messages SET text = ? WHERE run_id = ? AND message_id = ?",
            (text, run_id, key),
        )
        return found

    async def delete(self, run_id: int, key: str) -> LegMessage | None:
        """Delete a recorded message (and nothing else); what it was, or None."""
        found = await self.message(run_id, key)
        if found is not None:
            await self._db.execute(
                "DELETE FROM chat_run_messages WHERE run_id = ? AND message_id = ?",
                (run_id, key),
            )
        return found

    async def relayed_by(self, member_ids: list[int]) -> list[tuple[int, str, int | None]]:
        """(run id, relay key, leg) of the members' messages that were relayed in network
        chats: what `/forgetme` deletes the copies of."""
        found: list[tuple[int, str, int | None]] = []
        for member_id in dict.fromkeys(member_ids):
            rows = await self._db.fetch_all(
                "SELECT m.run_id, m.message_id, m.community_id FROM chat_run_messages m"
                " JOIN chat_runs r ON r.id = m.run_id"
                " WHERE m.member_id = ? AND r.network_id IS NOT NULL AND m.kept_home = 0"
                " ORDER BY m.run_id, m.seq",
                (member_id,),
            )
            found += [(int(r["run_id"]), str(r["message_id"]), r["community_id"]) for r in rows]
        return found
