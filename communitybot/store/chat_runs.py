"""Running chats: question scripts, one run per occurrence, and what members said in it.

What the `/chat questions` and `/chat transcript` commands, the chat jobs (start, question, end)
and the channel-message handler read and write. Callers run inside the event's (or the scheduler
batch's) transaction, except `is_live`, which the bot calls before opening one: a channel
message in a conversation with no running chat must not cost a write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from communitybot.events import CommunityRef
from communitybot.store.db import Database
from communitybot.store.timefmt import from_db, to_db

RunStatus = Literal["running", "ended"]


@dataclass(frozen=True)
class ScriptQuestion:
    """A loaded question; `offset` is minutes after the start, None: spaced evenly at the start."""

    text: str
    offset: int | None = None


@dataclass(frozen=True)
class RunQuestion:
    number: int
    text: str
    offset: int
    """Minutes after the start the question is (or was) posted."""


@dataclass(frozen=True)
class ChatRun:
    id: int
    series_id: int
    community_id: int
    started_at: datetime
    ends_at: datetime
    conversation_id: str
    in_thread: bool
    title: str
    questions: tuple[RunQuestion, ...]
    current_question: int
    status: RunStatus
    network_id: int | None = None
    """A network chat's run (issue #15): its places are its legs (`store.chat_legs`)."""

    def question(self, number: int) -> RunQuestion | None:
        return self.questions[number - 1] if 1 <= number <= len(self.questions) else None


@dataclass(frozen=True)
class RunMessage:
    """One recorded message, with its author's name (for the transcript)."""

    member_id: int
    author: str
    question: int
    text: str
    posted_at: datetime
    community_id: int | None = None
    """The leg (affiliate) it was said in, in a network run; None in a community's own chat."""
    kept_home: bool = False
    """Not relayed (`chat norelay`, a bridged ghost): other affiliates' transcripts leave it out."""


@dataclass(frozen=True)
class NewMessage:
    run_id: int
    message_id: str
    member_id: int
    question: int
    text: str
    community_id: int | None = None
    kept_home: bool = False


def _run(row: Any) -> ChatRun:
    questions = tuple(
        RunQuestion(number, str(q["text"]), int(q["offset"]))
        for number, q in enumerate(json.loads(row["questions"]), start=1)
    )
    return ChatRun(
        id=row["id"],
        series_id=row["series_id"],
        community_id=row["community_id"],
        started_at=datetime.fromisoformat(row["started_at"]),
        ends_at=datetime.fromisoformat(row["ends_at"]),
        conversation_id=row["conversation_id"],
        in_thread=bool(row["in_thread"]),
        title=row["title"],
        questions=questions,
        current_question=int(row["current_question"]),
        status=row["status"],
        network_id=row["network_id"],
    )


@dataclass(frozen=True)
class LastChat:
    hashtag: str
    started_at: datetime
    participants: int
    messages: int


@dataclass(frozen=True)
class ChatSummary:
    active_series: int
    subscriptions: int
    last: LastChat | None


class ChatRunRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Scripts -----------------------------------------------------------------------------------
    async def set_script(
        self, series_id: int, questions: list[ScriptQuestion], member_id: int, now: datetime
    ) -> None:
        payload = json.dumps([{"text": q.text, "offset": q.offset} for q in questions])
        await self._db.execute(
            "INSERT INTO chat_scripts (series_id, questions, set_by, set_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (series_id) DO UPDATE SET questions = excluded.questions,"
            " set_by = excluded.set_by, set_at = excluded.set_at",
            (series_id, payload, member_id, to_db(now)),
        )

    async def script(self, series_id: int) -> list[ScriptQuestion]:
        row = await self._db.fetch_one(
            "SELECT questions FROM chat_scripts WHERE series_id = ?", (series_id,)
        )
        if row is None:
            return []
        return [
            ScriptQuestion(str(q["text"]), None if q["offset"] is None else int(q["offset"]))
            for q in json.loads(row["questions"])
        ]

    async def clear_script(self, series_id: int) -> bool:
        return (
            await self._db.execute("DELETE FROM chat_scripts WHERE series_id = ?", (series_id,)) > 0
        )

    # Runs ----------------------------------------------------------------------------------------
    async def for_occurrence(self, series_id: int, started_at: datetime) -> ChatRun | None:
        row = await self._db.fetch_one(
            "SELECT * FROM chat_runs WHERE series_id = ? AND started_at = ?",
            (series_id, to_db(started_at)),
        )
        return _run(row) if row else None

    async def create(
        self,
        series_id: int,
        community_id: int,
        started_at: datetime,
        duration: timedelta,
        conversation_id: str,
        in_thread: bool,
        title: str,
        questions: list[RunQuestion],
        network_id: int | None = None,
    ) -> ChatRun:
        payload = json.dumps([{"text": q.text, "offset": q.offset} for q in questions])
        await self._db.execute(
            "INSERT INTO chat_runs (series_id, community_id, started_at, ends_at,"
            " conversation_id, in_thread, title, questions, network_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                series_id,
                community_id,
                to_db(started_at),
                to_db(started_at + duration),
                conversation_id,
                int(in_thread),
                title,
                payload,
                network_id,
            ),
        )
        created = await self.for_occurrence(series_id, started_at)
        assert created is not None
        return created

    async def get(self, run_id: int) -> ChatRun | None:
        row = await self._db.fetch_one("SELECT * FROM chat_runs WHERE id = ?", (run_id,))
        return _run(row) if row else None

    async def is_live(
        self, community: CommunityRef, conversation_id: str, parent_id: str | None
    ) -> bool:
        """Whether a chat runs in this conversation (or in the channel of this thread): a read."""
        places = (conversation_id, parent_id or conversation_id)
        where = (community.platform, community.space_id)
        row = await self._db.fetch_one(
            "SELECT 1 FROM chat_runs r JOIN communities c ON c.id = r.community_id"
            " WHERE r.status = 'running' AND r.conversation_id IN (?, ?)"
            " AND c.platform = ? AND c.space_id = ?"
            " UNION ALL SELECT 1 FROM chat_legs l JOIN chat_runs r ON r.id = l.run_id"
            " JOIN communities c ON c.id = l.community_id"
            " WHERE r.status = 'running' AND l.conversation_id IN (?, ?)"
            " AND c.platform = ? AND c.space_id = ? LIMIT 1",
            (*places, *where, *places, *where),
        )
        return row is not None

    async def live_in(
        self, community_id: int, conversation_id: str, parent_id: str | None
    ) -> ChatRun | None:
        """The running chat in this conversation, preferring the conversation over its parent:
        the community's own, or a network chat whose leg here is this conversation."""
        row = await self._db.fetch_one(
            "SELECT * FROM chat_runs WHERE status = 'running' AND community_id = ?"
            " AND conversation_id IN (?, ?) ORDER BY conversation_id = ? DESC, id DESC LIMIT 1",
            (community_id, conversation_id, parent_id or conversation_id, conversation_id),
        )
        if row is None:
            row = await self._db.fetch_one(
                "SELECT r.* FROM chat_legs l JOIN chat_runs r ON r.id = l.run_id"
                " WHERE r.status = 'running' AND l.community_id = ?"
                " AND l.conversation_id IN (?, ?)"
                " ORDER BY l.conversation_id = ? DESC, r.id DESC LIMIT 1",
                (community_id, conversation_id, parent_id or conversation_id, conversation_id),
            )
        return _run(row) if row else None

    async def set_current(self, run_id: int, number: int) -> None:
        await self._db.execute(
            "UPDATE chat_runs SET current_question = ? WHERE id = ? AND current_question < ?",
            (number, run_id, number),
        )

    async def end(self, run_id: int) -> bool:
        """Mark the run ended; False when it already was (the recap is then not repeated)."""
        changed = await self._db.execute(
            "UPDATE chat_runs SET status = 'ended' WHERE id = ? AND status = 'running'", (run_id,)
        )
        return changed > 0

    async def of_hashtag(
        self, community_id: int, hashtag: str, limit: int = 200, network_id: int | None = None
    ) -> list[tuple[ChatRun, str]]:
        """The latest runs of the series with this hashtag (any status), each with the series'
        time zone (dates are the chat's local dates), newest first; with `network_id`, the
        network's chats with that hashtag too (an affiliate reads them like its own)."""
        rows = await self._db.fetch_all(
            "SELECT r.*, s.timezone AS series_timezone FROM chat_runs r"
            " JOIN chat_series s ON s.id = r.series_id"
            " WHERE (r.community_id = ? OR (s.network_id IS NOT NULL AND s.network_id = ?))"
            " AND s.hashtag = ? ORDER BY r.started_at DESC LIMIT ?",
            (community_id, network_id, hashtag, limit),
        )
        return [(_run(row), str(row["series_timezone"])) for row in rows]

    # Messages ------------------------------------------------------------------------------------
    async def record(self, message: NewMessage, now: datetime) -> bool:
        """Store one message once (a repeated message id changes nothing); True if new."""
        inserted = await self._db.fetch_one(
            "INSERT INTO chat_run_messages (run_id, message_id, member_id, question,"
            " text, posted_at, community_id, kept_home, seq) SELECT CAST(? AS INTEGER),"
            " CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS TEXT),"
            " CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS INTEGER),"
            " coalesce(max(seq), 0) + 1 FROM chat_run_messages WHERE run_id = ?"
            " ON CONFLICT (run_id, message_id) DO NOTHING RETURNING run_id",
            (
                message.run_id,
                message.message_id,
                message.member_id,
                message.question,
                message.text,
                to_db(now),
                message.community_id,
                int(message.kept_home),
                message.run_id,
            ),
        )
        return inserted is not None

    async def record_exchange(self, run_id: int, member_id: int, other_id: int) -> None:
        await self._db.execute(
            "INSERT INTO chat_run_exchanges (run_id, member_id, other_id)"
            " VALUES (?, ?, ?) ON CONFLICT (run_id, member_id, other_id) DO NOTHING",
            (run_id, member_id, other_id),
        )

    async def messages(self, run_id: int) -> list[RunMessage]:
        rows = await self._db.fetch_all(
            "SELECT m.member_id, m.question, m.text, m.posted_at, m.community_id, m.kept_home,"
            " p.display_name, p.user_id"
            " FROM chat_run_messages m JOIN members p ON p.id = m.member_id"
            " WHERE m.run_id = ? ORDER BY m.posted_at, m.seq, m.message_id",
            (run_id,),
        )
        return [
            RunMessage(
                member_id=int(row["member_id"]),
                author=row["display_name"] or row["user_id"],
                question=int(row["question"]),
                text=row["text"],
                posted_at=datetime.fromisoformat(row["posted_at"]),
                community_id=row["community_id"],
                kept_home=bool(row["kept_home"]),
            )
            for row in rows
        ]

    async def counts_by_question(self, run_id: int) -> dict[int, int]:
        rows = await self._db.fetch_all(
            "SELECT question, count(*) AS n FROM chat_run_messages WHERE run_id = ?"
            " GROUP BY question",
            (run_id,),
        )
        return {int(row["question"]): int(row["n"]) for row in rows}

    async def participants(self, run_id: int) -> list[int]:
        """Member ids of everyone who posted, most messages first."""
        rows = await self._db.fetch_all(
            "SELECT member_id FROM chat_run_messages WHERE run_id = ? GROUP BY member_id"
            " ORDER BY count(*) DESC, min(posted_at), member_id",
            (run_id,),
        )
        return [int(row["member_id"]) for row in rows]

    async def community_summary(self, community_id: int) -> ChatSummary:
        """What `/stats` says about chats: live series, subscribers, and the last chat held."""
        series = await self._db.fetch_one(
            "SELECT count(*) FROM chat_series WHERE community_id = ? AND status = 'active'",
            (community_id,),
        )
        subscribed = await self._db.fetch_one(
            "SELECT count(*) FROM chat_subscriptions s JOIN chat_series c ON c.id = s.series_id"
            " JOIN members m ON m.id = s.member_id"
            " WHERE c.community_id = ? AND c.status = 'active' AND m.left_at IS NULL",
            (community_id,),
        )
        last = await self._db.fetch_one(
            "SELECT r.id, r.started_at, c.hashtag,"
            " (SELECT count(*) FROM chat_run_messages WHERE run_id = r.id) AS messages,"
            " (SELECT count(DISTINCT member_id) FROM chat_run_messages WHERE run_id = r.id)"
            " AS participants"
            " FROM chat_runs r JOIN chat_series c ON c.id = r.series_id"
            " WHERE r.community_id = ? ORDER BY r.started_at DESC LIMIT 1",
            (community_id,),
        )
        held = None
        if last is not None:
            started = from_db(last["started_at"])
            assert started is not None
            held = LastChat(
                str(last["hashtag"]), started, int(last["participants"]), int(last["messages"])
            )
        return ChatSummary(
            int(series[0]) if series else 0, int(subscribed[0]) if subscribed else 0, held
        )

    async def exchanges(self, run_id: int) -> set[tuple[int, int]]:
        """Who replied to or mentioned whom, as directed (member, other) pairs."""
        rows = await self._db.fetch_all(
            "SELECT member_id, other_id FROM chat_run_exchanges WHERE run_id = ?", (run_id,)
        )
        return {(int(row["member_id"]), int(row["other_id"])) for row in rows}

    async def export_for_member(self, member_id: int) -> list[dict[str, Any]]:
        """The member's messages in topic chats, for `/mydata`."""
        rows = await self._db.fetch_all(
            "SELECT s.hashtag, r.started_at, m.question, m.text, m.posted_at"
            " FROM chat_run_messages m JOIN chat_runs r ON r.id = m.run_id"
            " JOIN chat_series s ON s.id = r.series_id WHERE m.member_id = ?"
            " ORDER BY m.posted_at, m.seq, m.message_id",
            (member_id,),
        )
        return [
            {
                "hashtag": row["hashtag"],
                "chat_started_at": row["started_at"],
                "question": row["question"] or None,
                "text": row["text"],
                "posted_at": row["posted_at"],
            }
            for row in rows
        ]

    # Host tools (issue #15): the running chat of a series, its pause, an early end ---------------
    async def running_of_hashtag(
        self, community_id: int, hashtag: str, network_id: int | None = None
    ) -> ChatRun | None:
        """The chat of the series with this hashtag running now, if any (the series may have
        ended meanwhile: a one-off chat's series ends when its chat starts); with
        `network_id`, the network's chat with that hashtag too (an affiliate steers it)."""
        row = await self._db.fetch_one(
            "SELECT r.* FROM chat_runs r JOIN chat_series s ON s.id = r.series_id"
            " WHERE (r.community_id = ? OR (s.network_id IS NOT NULL AND s.network_id = ?))"
            " AND s.hashtag = ? AND r.status = 'running'"
            " ORDER BY r.started_at DESC LIMIT 1",
            (community_id, network_id, hashtag),
        )
        return _run(row) if row else None

    async def pause_state(self, run_id: int) -> RunPause:
        """The run's pause (a run never paused: not paused, nothing shifted)."""
        row = await self._db.fetch_one(
            "SELECT paused_at, paused_seconds, pauses FROM chat_run_pauses WHERE run_id = ?",
            (run_id,),
        )
        if row is None:
            return RunPause(None, 0, 0)
        return RunPause(from_db(row["paused_at"]), int(row["paused_seconds"]), int(row["pauses"]))

    async def pause(self, run_id: int, now: datetime) -> RunPause:
        """Start a pause (the caller checked there is none); returns the new state."""
        await self._db.execute(
            "INSERT INTO chat_run_pauses (run_id, paused_at, pauses) VALUES (?, ?, 1)"
            " ON CONFLICT (run_id) DO UPDATE SET paused_at = excluded.paused_at,"
            " pauses = chat_run_pauses.pauses + 1",
            (run_id, to_db(now)),
        )
        return await self.pause_state(run_id)

    async def resume(self, run_id: int, paused: timedelta) -> RunPause:
        """End the pause: its length joins the total and the run's end moves by as much."""
        seconds = int(paused.total_seconds())
        await self._db.execute(
            "UPDATE chat_run_pauses SET paused_at = NULL, paused_seconds = paused_seconds + ?"
            " WHERE run_id = ?",
            (seconds, run_id),
        )
        run = await self.get(run_id)
        assert run is not None
        await self.set_ends_at(run_id, run.ends_at + timedelta(seconds=seconds))
        return await self.pause_state(run_id)

    async def set_ends_at(self, run_id: int, ends_at: datetime) -> None:
        """Move the run's end (a resumed pause; a host ending the chat early)."""
        await self._db.execute(
            "UPDATE chat_runs SET ends_at = ? WHERE id = ?", (to_db(ends_at), run_id)
        )


@dataclass(frozen=True)
class RunPause:
    """A run's pause state (`chat_run_pauses`)."""

    paused_at: datetime | None
    """When the current pause began; None: the questions are not paused."""
    paused_seconds: int
    """The finished pauses' total: the questions still to come and the end moved by this."""
    pauses: int
    """How many pauses were started (numbers the re-created jobs' keys)."""

    @property
    def shift(self) -> timedelta:
        return timedelta(seconds=self.paused_seconds)
