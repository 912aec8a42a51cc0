"""Interest tags, their aliases, and which members carry which tags."""

from __future__ import annotations

from communitybot.store.db import Database


class TagRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
