"""An ordered list of onboarding questions and its answers: the SQL a community's questions
(`onboarding_questions`) and a network's (`network_questions`) share.

The two lists differ only in their tables and in whom a list belongs to (a community, a
network); appending, editing, moving and removing a question are the same statements. The
repositories (`store.onboarding`, `store.network_questions`) keep what differs — their caches,
which they mark written before calling here — and turn rows into their question types.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from communitybot.models import Question
from communitybot.store.db import Database

EDITABLE_COLUMNS = ("prompt", "choices", "max_length", "tag_category")


@dataclass(frozen=True)
class QuestionList:
    questions: str
    """The questions' table."""
    answers: str
    """The answers' table (rows cascade with their question)."""
    owner: str
    """The column naming whose list it is (`community_id`, `network_id`)."""

    async def rows(self, db: Database, owner_id: int) -> list[Any]:
        return await db.fetch_all(
            f"SELECT * FROM {self.questions} WHERE {self.owner} = ? ORDER BY position, id",
            (owner_id,),
        )

    async def row(self, db: Database, owner_id: int, key: str) -> Any:
        return await db.fetch_one(
            f"SELECT * FROM {self.questions} WHERE {self.owner} = ? AND key = ?",
            (owner_id, key),
        )

    async def append(
        self,
        db: Database,
        owner_id: int,
        key: str,
        kind: str,
        target: str,
        prompt: str,
        choices: Sequence[str],
        max_length: int | None,
        tag_category: str | None,
    ) -> Any:
        """Add a question after the last one; its row."""
        last = await db.fetch_one(
            f"SELECT coalesce(max(position), 0) FROM {self.questions} WHERE {self.owner} = ?",
            (owner_id,),
        )
        return await db.fetch_one(
            f"INSERT INTO {self.questions} ({self.owner}, key, position, kind, target, prompt,"
            " choices, max_length, tag_category) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (
                owner_id,
                key,
                (int(last[0]) if last else 0) + 1,
                kind,
                target,
                prompt,
                json.dumps(list(choices)),
                max_length,
                tag_category,
            ),
        )

    async def update(self, db: Database, question_id: int, values: dict[str, Any]) -> Any:
        """Change prompt, choices, max_length or tag_category; the row as it is now."""
        unknown = set(values) - set(EDITABLE_COLUMNS)
        if unknown:
            raise ValueError(f"unknown question fields: {sorted(unknown)}")
        if "choices" in values:
            values = {**values, "choices": json.dumps(list(values["choices"]))}
        if not values:
            return await db.fetch_one(
                f"SELECT * FROM {self.questions} WHERE id = ?", (question_id,)
            )
        assignments = ", ".join(f"{column} = ?" for column in values)
        return await db.fetch_one(
            f"UPDATE {self.questions} SET {assignments} WHERE id = ? RETURNING *",
            (*values.values(), question_id),
        )

    async def renumber(self, db: Database, ordered_ids: Sequence[int]) -> None:
        """Positions become 1..n in the given order, with no gaps or ties."""
        await db.execute_many(
            f"UPDATE {self.questions} SET position = ? WHERE id = ?",
            [(index, question_id) for index, question_id in enumerate(ordered_ids, start=1)],
        )

    async def move(
        self, db: Database, questions: Sequence[Question], key: str, position: int
    ) -> int:
        """Move `key` to `position` (clamped to 1..n) among `questions` (the list in order);
        its new position, 0 if there is no such question."""
        moving = next((q for q in questions if q.key == key), None)
        if moving is None:
            return 0
        ids = [q.id for q in questions if q.key != key]
        final = max(1, min(position, len(questions)))
        ids.insert(final - 1, moving.id)
        await self.renumber(db, ids)
        return final

    async def remove(self, db: Database, question: Question, rest: Sequence[int]) -> int:
        """Delete a question (its answers go by cascade) and number `rest`, the ids of the
        others in order, 1..n; how many answers went with it."""
        row = await db.fetch_one(
            f"SELECT count(*) FROM {self.answers} WHERE question_id = ?", (question.id,)
        )
        await db.execute(f"DELETE FROM {self.questions} WHERE id = ?", (question.id,))
        await self.renumber(db, [i for i in rest if i != question.id])
        return int(row[0]) if row else 0

    # Answers ---------------------------------------------------------------------------------
    async def save_answer(
        self,
        db: Database,
        member_id: int,
        question_id: int,
        value: str | None,
        skipped: bool,
        answered_at: str,
    ) -> None:
        """A membership's answer (or skip), replacing an earlier one."""
        await db.execute(
            f"INSERT INTO {self.answers} (member_id, question_id, value, skipped, answered_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (member_id, question_id) DO UPDATE SET"
            " value = excluded.value, skipped = excluded.skipped,"
            " answered_at = excluded.answered_at",
            (member_id, question_id, value, int(skipped), answered_at),
        )

    async def delete_answer(self, db: Database, member_id: int, question_id: int) -> None:
        await db.execute(
            f"DELETE FROM {self.answers} WHERE member_id = ? AND question_id = ?",
            (member_id, question_id),
        )

    async def clear_answers(self, db: Database, member_id: int) -> None:
        await db.execute(f"DELETE FROM {self.answers} WHERE member_id = ?", (member_id,))


COMMUNITY_QUESTIONS = QuestionList("onboarding_questions", "onboarding_answers", "community_id")
NETWORK_QUESTIONS = QuestionList("network_questions", "network_answers", "network_id")
