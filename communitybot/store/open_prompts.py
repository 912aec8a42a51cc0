"""Open prompts: the last choice question a member was asked privately and may answer by typing.

Buttons answer themselves (`ChoicePicked` carries the prompt's id); on Matrix and in the console
the member types "1" or "not yet" instead, and this row says which question that answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from communitybot.replies import Choice
from communitybot.store.db import Database
from communitybot.store.timefmt import from_db, to_db


@dataclass(frozen=True)
class OpenPrompt:
    member_id: int
    custom_id: str
    choices: tuple[Choice, ...]
    asked_at: datetime


class OpenPromptRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(
        self, member_id: int, custom_id: str, choices: tuple[Choice, ...], now: datetime
    ) -> None:
        """Record (or replace) the member's open question."""
        encoded = json.dumps([[c.value, c.label] for c in choices])
        await self._db.execute(
            "INSERT INTO open_prompts (member_id, custom_id, choices, asked_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET"
            " custom_id = excluded.custom_id, choices = excluded.choices,"
            " asked_at = excluded.asked_at",
            (member_id, custom_id, encoded, to_db(now)),
        )

    async def get(self, member_id: int) -> OpenPrompt | None:
        row = await self._db.fetch_one(
            "SELECT member_id, custom_id, choices, asked_at FROM open_prompts WHERE member_id = ?",
            (member_id,),
        )
        if row is None:
            return None
        asked_at = from_db(row["asked_at"])
        assert asked_at is not None
        choices = tuple(Choice(str(v), str(label)) for v, label in json.loads(row["choices"]))
        return OpenPrompt(int(row["member_id"]), str(row["custom_id"]), choices, asked_at)

    async def export_for_member(self, member_id: int) -> dict[str, str] | None:
        """The open question, for `/mydata`."""
        opened = await self.get(member_id)
        if opened is None:
            return None
        return {"question": opened.custom_id, "asked_at": to_db(opened.asked_at)}

    async def clear(self, member_id: int) -> None:
        await self._db.execute("DELETE FROM open_prompts WHERE member_id = ?", (member_id,))
