"""A network's onboarding questions and each membership's answers to them (migration 0027).

Stewards shape one list of questions per network (`network questions …`); every affiliate asks
them before its own. Answers are kept per membership, like community answers, so they go with
the member row (`/forgetme`, a community deleted). "Once per person" is a read across the
person's memberships: `earlier_answers` finds the latest other membership of the same account,
or of an account linked to it, in the network's affiliates, and `copy_answers` gives the new
membership the same rows.

Which network questions a community asks is read on every join: it is kept per community in a
`CommittedCache` of the same kind as the community's own question list ("questions"), so other
processes drop both on one notification. It is dropped for every affiliate when a steward edits
the network's questions, and for a community when it joins or leaves a network
(`community_changed`, called after `network join|leave`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from communitybot.events import UserRef
from communitybot.models import Question
from communitybot.store.cache import CommittedCache
from communitybot.store.db import Database
from communitybot.store.question_lists import NETWORK_QUESTIONS as QUESTIONS
from communitybot.store.timefmt import from_db, to_db


@dataclass(frozen=True)
class NetworkQuestion(Question):
    """A question of a network, asked in every affiliate. `community_id` is 0: it belongs to no
    one community (`network_id` says whose it is)."""

    network_id: int = 0


@dataclass(frozen=True)
class NetworkAnswer:
    question_id: int
    value: str | None
    skipped: bool
    answered_at: datetime | None


@dataclass(frozen=True)
class AskedQuestions:
    """What a community's members are asked before its own questions."""

    network_id: int | None
    network_name: str
    questions: tuple[NetworkQuestion, ...]


@dataclass(frozen=True)
class EarlierAnswers:
    """The answers one person already gave to a network's questions, through another
    membership (`member_id` in `community_id`)."""

    member_id: int
    community_id: int
    answers: dict[int, NetworkAnswer]


NO_NETWORK = AskedQuestions(None, "", ())


def _question(row: Any) -> NetworkQuestion:
    return NetworkQuestion(
        id=int(row["id"]),
        community_id=0,
        key=row["key"],
        position=int(row["position"]),
        kind=row["kind"],
        target=row["target"],
        prompt=row["prompt"],
        choices=tuple(json.loads(row["choices"] or "[]")),
        max_length=row["max_length"],
        tag_category=row["tag_category"],
        network_id=int(row["network_id"]),
    )


def _answer(row: Any) -> NetworkAnswer:
    return NetworkAnswer(
        int(row["question_id"]), row["value"], bool(row["skipped"]), from_db(row["answered_at"])
    )


class NetworkQuestionRepository:
    def __init__(self, db: Database, *, cached: bool = True) -> None:
        self._db = db
        self._asked: CommittedCache[int, AskedQuestions] = CommittedCache(
            keep=cached, kind="questions", decode=int
        )

    @property
    def cache(self) -> CommittedCache[int, AskedQuestions]:
        return self._asked

    def new_unit(self) -> None:
        self._asked.new_unit()

    # What a community asks -------------------------------------------------------------------
    async def for_community(self, community_id: int) -> AskedQuestions:
        """The network questions this community's members are asked (none outside a network)."""
        cached = self._asked.get(community_id)
        if cached is not None:
            return cached
        token = self._asked.token()
        network = await self._db.fetch_one(
            "SELECT n.id, n.name FROM networks n JOIN network_affiliates a ON a.network_id = n.id"
            " WHERE a.community_id = ?",
            (community_id,),
        )
        if network is None:
            asked = NO_NETWORK
        else:
            questions = await self.questions(int(network["id"]))
            asked = AskedQuestions(int(network["id"]), str(network["name"]), tuple(questions))
        self._asked.put(community_id, asked, token)
        return asked

    def community_changed(self, community_id: int) -> None:
        """The community joined or left a network: what it asks is read again."""
        self._asked.wrote(community_id)

    async def _wrote(self, network_id: int) -> None:
        rows = await self._db.fetch_all(
            "SELECT community_id FROM network_affiliates WHERE network_id = ?", (network_id,)
        )
        for row in rows:
            self._asked.wrote(int(row["community_id"]))

    # The network's questions -----------------------------------------------------------------
    async def questions(self, network_id: int) -> list[NetworkQuestion]:
        return [_question(r) for r in await QUESTIONS.rows(self._db, network_id)]

    async def get(self, network_id: int, key: str) -> NetworkQuestion | None:
        row = await QUESTIONS.row(self._db, network_id, key)
        return _question(row) if row else None

    async def add(
        self,
        network_id: int,
        key: str,
        kind: str,
        target: str,
        prompt: str,
        choices: tuple[str, ...] | list[str] = (),
        max_length: int | None = None,
        tag_category: str | None = None,
    ) -> NetworkQuestion:
        """Append a question after the network's last one."""
        await self._wrote(network_id)
        row = await QUESTIONS.append(
            self._db, network_id, key, kind, target, prompt, choices, max_length, tag_category
        )
        assert row is not None
        return _question(row)

    async def update(self, question_id: int, **values: Any) -> NetworkQuestion:
        """Change prompt, choices, max_length or tag_category (members are not re-asked)."""
        row = await QUESTIONS.update(self._db, question_id, values)
        assert row is not None
        question = _question(row)
        if values:
            await self._wrote(question.network_id)
        return question

    async def move(self, network_id: int, key: str, position: int) -> int:
        """Move `key` to `position` (clamped to 1..n); its new position, 0 if unknown."""
        await self._wrote(network_id)
        return await QUESTIONS.move(self._db, await self.questions(network_id), key, position)

    async def remove(self, network_id: int, key: str) -> int:
        """Delete a question with its answers; how many answers went with it."""
        question = await self.get(network_id, key)
        if question is None:
            return 0
        await self._wrote(network_id)
        rest = [q.id for q in await self.questions(network_id)]
        return await QUESTIONS.remove(self._db, question, rest)

    # Answers ---------------------------------------------------------------------------------
    async def answers(self, member_id: int) -> dict[int, NetworkAnswer]:
        """Network question id → this membership's answer."""
        rows = await self._db.fetch_all(
            "SELECT * FROM network_answers WHERE member_id = ?", (member_id,)
        )
        return {int(r["question_id"]): _answer(r) for r in rows}

    async def save_answer(
        self, member_id: int, question_id: int, value: str | None, skipped: bool, now: datetime
    ) -> None:
        await QUESTIONS.save_answer(self._db, member_id, question_id, value, skipped, to_db(now))

    async def delete_answer(self, member_id: int, question_id: int) -> None:
        await QUESTIONS.delete_answer(self._db, member_id, question_id)

    async def clear_answers(self, member_id: int) -> None:
        await QUESTIONS.clear_answers(self._db, member_id)

    async def earlier_answers(
        self, network_id: int, member_id: int, user: UserRef
    ) -> EarlierAnswers | None:
        """The latest answers the same person gave to this network's questions through another
        membership: the same platform account in another affiliate, or an account linked to
        it (`person_accounts`). None when there are none."""
        row = await self._db.fetch_one(
            # From the person's accounts (a handful) to their memberships (members_by_user)
            # to those memberships' answers: never a scan of the network's answers.
            "WITH accounts (platform, user_id) AS ("
            " SELECT CAST(? AS TEXT), CAST(? AS TEXT)"
            " UNION SELECT theirs.platform, theirs.user_id FROM person_accounts mine"
            " JOIN person_accounts theirs ON theirs.person_id = mine.person_id"
            " WHERE mine.platform = ? AND mine.user_id = ?)"
            " SELECT a.member_id, m.community_id, max(a.answered_at) AS latest"
            " FROM accounts u"
            " JOIN members m ON m.platform = u.platform AND m.user_id = u.user_id"
            " JOIN network_answers a ON a.member_id = m.id"
            " JOIN network_questions q ON q.id = a.question_id"
            " WHERE q.network_id = ? AND m.id <> ?"
            " GROUP BY a.member_id, m.community_id ORDER BY latest DESC, a.member_id DESC"
            " LIMIT 1",
            (user.platform, user.user_id, user.platform, user.user_id, network_id, member_id),
        )
        if row is None:
            return None
        source = int(row["member_id"])
        rows = await self._db.fetch_all(
            "SELECT a.* FROM network_answers a JOIN network_questions q ON q.id = a.question_id"
            " WHERE a.member_id = ? AND q.network_id = ?",
            (source, network_id),
        )
        return EarlierAnswers(
            source, int(row["community_id"]), {int(r["question_id"]): _answer(r) for r in rows}
        )

    async def copy_answers(
        self, member_id: int, answers: dict[int, NetworkAnswer], now: datetime
    ) -> None:
        """Give this membership the same answers (answered now, here)."""
        await self._db.execute_many(
            "INSERT INTO network_answers (member_id, question_id, value, skipped, answered_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (member_id, question_id) DO UPDATE SET"
            " value = excluded.value, skipped = excluded.skipped,"
            " answered_at = excluded.answered_at",
            [
                (member_id, a.question_id, a.value, int(a.skipped), to_db(now))
                for a in answers.values()
            ],
        )

    async def export_for_member(self, member_id: int) -> list[dict[str, Any]]:
        """This membership's answers to network questions, ready for `json.dumps`."""
        rows = await self._db.fetch_all(
            "SELECT n.name AS network, q.key, q.prompt, q.kind, a.value, a.skipped,"
            " a.answered_at FROM network_answers a"
            " JOIN network_questions q ON q.id = a.question_id"
            " JOIN networks n ON n.id = q.network_id"
            " WHERE a.member_id = ? ORDER BY n.id, q.position",
            (member_id,),
        )
        out = []
        for row in rows:
            value: Any = row["value"]
            if row["kind"] == "multi" and value is not None:
                value = json.loads(value)
            out.append(
                {
                    "network": row["network"],
                    "question": row["key"],
                    "prompt": row["prompt"],
                    "value": value,
                    "skipped": bool(row["skipped"]),
                    "answered_at": row["answered_at"],
                }
            )
        return out
