"""Onboarding questions, each member's progress through them, and the answers they gave.

Answers are written one by one as they arrive, so "where is this member?" is always answerable
from the database alone: the current question is the first one without an answer row. That is
what makes the flow survive a restart. (Pending confirmations live elsewhere.)

A community's question list is read on every join and every answer but changed only by
moderators: it is kept in a `CommittedCache`, dropped by every question write here and never
refilled inside the unit of work that wrote (see `communitybot.store.cache` for why a rollback
cannot leave a wrong list behind).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from communitybot.models import Question
from communitybot.store.cache import CommittedCache
from communitybot.store.db import Database
from communitybot.store.network_questions import NetworkQuestionRepository
from communitybot.store.question_lists import COMMUNITY_QUESTIONS as QUESTIONS
from communitybot.store.timefmt import from_db, to_db

STATUSES = ("active", "awaiting_consent", "completed")


@dataclass(frozen=True)
class Progress:
    """Where a member is in the flow; no row at all means not started (or paused with `stop`)."""

    member_id: int
    status: str
    started_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True)
class Answer:
    question_id: int
    value: str | None
    skipped: bool
    answered_at: datetime | None


def _question(row: Any) -> Question:
    return Question(
        id=row["id"],
        community_id=row["community_id"],
        key=row["key"],
        position=row["position"],
        kind=row["kind"],
        target=row["target"],
        prompt=row["prompt"],
        choices=tuple(json.loads(row["choices"] or "[]")),
        max_length=row["max_length"],
        tag_category=row["tag_category"],
    )


class _QuestionCaches:
    """Both question caches as one for other processes' notifications (kind "questions", keyed
    by community): a community's own list and the network questions it asks."""

    def __init__(self, *caches: CommittedCache[int, Any]) -> None:
        self._caches = caches

    def remote_changed(self, keys: list[Any]) -> None:
        for cache in self._caches:
            cache.remote_changed(keys)

    def remote_gap(self) -> None:
        for cache in self._caches:
            cache.remote_gap()

    def get(self, community_id: int) -> Any:
        """The community's own question list, if kept."""
        return self._caches[0].get(community_id)

    def __len__(self) -> int:
        return sum(len(cache) for cache in self._caches)


class OnboardingRepository:
    def __init__(self, db: Database, *, cached: bool = True) -> None:
        self._db = db
        self._questions: CommittedCache[int, tuple[Question, ...]] = CommittedCache(
            keep=cached, kind="questions", decode=int
        )
        self.network = NetworkQuestionRepository(db, cached=cached)
        """The network's questions, asked in every affiliate before its own (migration 0027)."""
        self._caches = _QuestionCaches(self._questions, self.network.cache)

    @property
    def cache(self) -> _QuestionCaches:
        """The question lists kept in memory (other processes' changes drop them)."""
        return self._caches

    def new_unit(self) -> None:
        """A unit of work starts on the write path (see `CommittedCache.new_unit`)."""
        self._questions.new_unit()
        self.network.new_unit()

    # Questions --------------------------------------------------------------------------------
    async def list_questions(self, community_id: int) -> list[Question]:
        """The community's questions in order (from memory when nothing changed them)."""
        cached = self._questions.get(community_id)
        if cached is not None:
            return list(cached)
        token = self._questions.token()
        rows = await QUESTIONS.rows(self._db, community_id)
        questions = tuple(_question(r) for r in rows)
        self._questions.put(community_id, questions, token)
        return list(questions)

    async def get_question(self, community_id: int, key: str) -> Question | None:
        row = await QUESTIONS.row(self._db, community_id, key)
        return _question(row) if row else None

    async def add_question(
        self,
        community_id: int,
        key: str,
        kind: str,
        target: str,
        prompt: str,
        choices: tuple[str, ...] | list[str] = (),
        max_length: int | None = None,
        tag_category: str | None = None,
    ) -> Question:
        """Append a question after the last one."""
        self._questions.wrote(community_id)
        row = await QUESTIONS.append(
            self._db, community_id, key, kind, target, prompt, choices, max_length, tag_category
        )
        assert row is not None
        return _question(row)

    async def update_question(self, question_id: int, **values: Any) -> Question:
        """Change prompt, choices, max_length or tag_category (the flow reads them live)."""
        row = await QUESTIONS.update(self._db, question_id, values)
        assert row is not None
        if values:
            self._questions.wrote(int(row["community_id"]))
        return _question(row)

    async def move_question(self, community_id: int, key: str, position: int) -> int:
        """Move `key` to `position` (clamped to 1..n); returns its new position, 0 if unknown."""
        questions = await self.list_questions(community_id)
        self._questions.wrote(community_id)
        return await QUESTIONS.move(self._db, questions, key, position)

    async def remove_question(self, community_id: int, key: str) -> int:
        """Delete a question (its answers go by cascade); returns how many answers went with it."""
        question = await self.get_question(community_id, key)
        if question is None:
            return 0
        rest = [q.id for q in await self.list_questions(community_id)]
        self._questions.wrote(community_id)
        return await QUESTIONS.remove(self._db, question, rest)

    # Progress ---------------------------------------------------------------------------------
    async def get_progress(self, member_id: int) -> Progress | None:
        row = await self._db.fetch_one(
            "SELECT * FROM onboarding_progress WHERE member_id = ?", (member_id,)
        )
        if row is None:
            return None
        return Progress(
            member_id=row["member_id"],
            status=row["status"],
            started_at=from_db(row["started_at"]),
            completed_at=from_db(row["completed_at"]),
        )

    async def start(self, member_id: int, now: datetime, *, fresh: bool = False) -> None:
        """Begin (or begin again): status active, fresh start time, no answers.

        `fresh`: the member's row was created in this very unit of work, so there are no
        answers to clear (one statement less on every join).
        """
        if not fresh:
            await self.clear_answers(member_id)
            await self.network.clear_answers(member_id)
        await self._db.execute(
            "INSERT INTO onboarding_progress (member_id, status, started_at)"
            " VALUES (?, 'active', ?)"
            " ON CONFLICT (member_id) DO UPDATE SET status = 'active',"
            " started_at = excluded.started_at, completed_at = NULL",
            (member_id, to_db(now)),
            quick=True,
        )

    async def set_status(self, member_id: int, status: str, now: datetime) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown onboarding status {status!r}")
        completed = to_db(now) if status == "completed" else None
        await self._db.execute(
            "UPDATE onboarding_progress SET status = ?, completed_at = ? WHERE member_id = ?",
            (status, completed, member_id),
        )

    async def pause(self, member_id: int) -> None:
        """`stop`: drop the progress row so the flow no longer claims the member's messages.

        The answers stay (they are part of the member's data until the next start).
        """
        await self._db.execute("DELETE FROM onboarding_progress WHERE member_id = ?", (member_id,))

    # Answers ----------------------------------------------------------------------------------
    async def answers(self, member_id: int) -> dict[int, Answer]:
        """question id → answer, for one member."""
        rows = await self._db.fetch_all(
            "SELECT * FROM onboarding_answers WHERE member_id = ?", (member_id,)
        )
        return {
            r["question_id"]: Answer(
                r["question_id"], r["value"], bool(r["skipped"]), from_db(r["answered_at"])
            )
            for r in rows
        }

    async def save_answer(
        self, member_id: int, question_id: int, value: str | None, skipped: bool, now: datetime
    ) -> None:
        await QUESTIONS.save_answer(self._db, member_id, question_id, value, skipped, to_db(now))

    async def delete_answer(self, member_id: int, question_id: int) -> None:
        await QUESTIONS.delete_answer(self._db, member_id, question_id)

    async def clear_answers(self, member_id: int) -> None:
        await QUESTIONS.clear_answers(self._db, member_id)

    # For moderators and for the member's data export ------------------------------------------
    async def completion_counts(self, community_id: int) -> dict[str, int]:
        """How far present members got: active, awaiting_consent, completed, paused, not_started.

        "paused" are members without a progress row who did answer something (they typed `stop`),
        to their community's questions or its network's;
        "not_started" are the other members without a progress row.
        """
        rows = await self._db.fetch_all(
            "SELECT CASE WHEN p.status IS NOT NULL THEN p.status"
            " WHEN EXISTS (SELECT 1 FROM onboarding_answers a WHERE a.member_id = m.id)"
            " OR EXISTS (SELECT 1 FROM network_answers na WHERE na.member_id = m.id)"
            " THEN 'paused' ELSE 'not_started' END AS state, count(*) AS n"
            " FROM members m LEFT JOIN onboarding_progress p ON p.member_id = m.id"
            " WHERE m.community_id = ? AND m.left_at IS NULL GROUP BY state",
            (community_id,),
        )
        counts = dict.fromkeys((*STATUSES, "paused", "not_started"), 0)
        for row in rows:
            counts[row["state"]] = int(row["n"])
        return counts

    async def export_for_member(self, member_id: int) -> dict[str, Any]:
        """Everything onboarding stored about one member, ready for `json.dumps`."""
        progress = await self.get_progress(member_id)
        rows = await self._db.fetch_all(
            "SELECT q.key, q.prompt, q.kind, a.value, a.skipped, a.answered_at"
            " FROM onboarding_answers a JOIN onboarding_questions q ON q.id = a.question_id"
            " WHERE a.member_id = ? ORDER BY q.position",
            (member_id,),
        )
        answers = []
        for row in rows:
            value: Any = row["value"]
            if row["kind"] == "multi" and value is not None:
                value = json.loads(value)
            answers.append(
                {
                    "question": row["key"],
                    "prompt": row["prompt"],
                    "value": value,
                    "skipped": bool(row["skipped"]),
                    "answered_at": row["answered_at"],
                }
            )
        network_answers = await self.network.export_for_member(member_id)
        status = progress.status if progress else ("paused" if answers or network_answers else None)
        return {
            "status": status,
            "started_at": to_db(progress.started_at) if progress and progress.started_at else None,
            "completed_at": (
                to_db(progress.completed_at) if progress and progress.completed_at else None
            ),
            "answers": answers,
            "network_answers": network_answers,
        }
