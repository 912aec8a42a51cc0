"""A network's own tags (migration 0026) and the links from each affiliate's copies to them.

The network's tags are the source of truth for the shared taxonomy; each affiliate has an
ordinary `tags` row per network tag, linked by `tags.network_tag_id`
(`communitybot.tags.mirror` keeps the copies in step). Names and aliases arrive normalised and
share one namespace per network; the feature layer refuses clashes before writing. Callers run
inside the event's transaction, so a steward's change and every affiliate's copy commit together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from communitybot.store.db import Database
from communitybot.store.timefmt import to_db


@dataclass(frozen=True)
class NetworkTag:
    id: int
    network_id: int
    name: str
    category: str
    description: str
    aliases: tuple[str, ...] = ()


def _network_tag(row: Any, aliases: Iterable[str] = ()) -> NetworkTag:
    return NetworkTag(
        id=int(row["id"]),
        network_id=int(row["network_id"]),
        name=row["name"],
        category=row["category"],
        description=row["description"],
        aliases=tuple(sorted(aliases)),
    )


class NetworkTagRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def _with_aliases(self, rows: Sequence[Any]) -> list[NetworkTag]:
        """Attach aliases with one extra query, whatever the number of tags."""
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        marks = ",".join("?" * len(ids))
        alias_rows = await self._db.fetch_all(
            "SELECT network_tag_id, alias FROM network_tag_aliases"
            f" WHERE network_tag_id IN ({marks})",
            ids,
        )
        aliases: dict[int, list[str]] = {}
        for alias_row in alias_rows:
            aliases.setdefault(int(alias_row["network_tag_id"]), []).append(alias_row["alias"])
        return [_network_tag(row, aliases.get(int(row["id"]), ())) for row in rows]

    # The network's tags ----------------------------------------------------------------------
    async def get(self, network_tag_id: int) -> NetworkTag | None:
        row = await self._db.fetch_one("SELECT * FROM network_tags WHERE id = ?", (network_tag_id,))
        return (await self._with_aliases([row]))[0] if row else None

    async def get_by_name(self, network_id: int, name: str) -> NetworkTag | None:
        """The network tag called `name`, or the one `name` is an alias of."""
        row = await self._db.fetch_one(
            "SELECT * FROM network_tags WHERE network_id = ? AND (name = ? OR id ="
            " (SELECT network_tag_id FROM network_tag_aliases WHERE network_id = ? AND alias = ?))"
            " ORDER BY name = ? DESC LIMIT 1",
            (network_id, name, network_id, name, name),
        )
        return (await self._with_aliases([row]))[0] if row else None

    async def all(self, network_id: int) -> list[NetworkTag]:
        rows = await self._db.fetch_all(
            "SELECT * FROM network_tags WHERE network_id = ? ORDER BY category, name",
            (network_id,),
        )
        return await self._with_aliases(rows)

    async def create(
        self, network_id: int, name: str, category: str, description: str, now: datetime
    ) -> NetworkTag:
        row = await self._db.fetch_one(
            "INSERT INTO network_tags (network_id, name, category, description, created_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (network_id, name, category, description, to_db(now)),
        )
        assert row is not None
        created = await self.get(int(row[0]))
        assert created is not None
        return created

    async def rename(self, network_tag_id: int, name: str) -> None:
        """Renames the tag; a new name that was one of its aliases stops being an alias."""
        await self._db.execute(
            "DELETE FROM network_tag_aliases WHERE network_tag_id = ? AND alias = ?",
            (network_tag_id, name),
        )
        await self._db.execute(
            "UPDATE network_tags SET name = ? WHERE id = ?", (name, network_tag_id)
        )

    async def set_category(self, network_tag_id: int, category: str) -> None:
        await self._db.execute(
            "UPDATE network_tags SET category = ? WHERE id = ?", (category, network_tag_id)
        )

    async def add_alias(self, network_tag_id: int, alias: str) -> None:
        await self._db.execute(
            "INSERT INTO network_tag_aliases (network_id, alias, network_tag_id)"
            " SELECT network_id, ?, id FROM network_tags WHERE id = ?",
            (alias, network_tag_id),
        )

    async def merge(self, source_id: int, target_id: int) -> None:
        """Fold `source` into `target` in the network's list: its aliases and its name become
        the target's aliases. The affiliates' copies are the caller's (`tags.mirror`)."""
        source = await self.get(source_id)
        if source is None or source_id == target_id:
            return
        await self._db.execute(
            "UPDATE network_tag_aliases SET network_tag_id = ? WHERE network_tag_id = ?",
            (target_id, source_id),
        )
        await self.delete(source_id)
        await self._db.execute(
            "INSERT INTO network_tag_aliases (network_id, alias, network_tag_id) VALUES (?, ?, ?)"
            " ON CONFLICT (network_id, alias) DO NOTHING",
            (source.network_id, source.name, target_id),
        )

    async def delete(self, network_tag_id: int) -> None:
        """The network tag goes; every affiliate's copy stays, unlinked (a local tag)."""
        await self._db.execute(
            "UPDATE tags SET network_tag_id = NULL WHERE network_tag_id = ?", (network_tag_id,)
        )
        await self._db.execute("DELETE FROM network_tags WHERE id = ?", (network_tag_id,))

    # Affiliates' copies ----------------------------------------------------------------------
    async def copy_in(self, network_tag_id: int, community_id: int) -> int | None:
        """The id of this affiliate's copy of the network tag, if it has one."""
        row = await self._db.fetch_one(
            "SELECT id FROM tags WHERE network_tag_id = ? AND community_id = ?",
            (network_tag_id, community_id),
        )
        return int(row["id"]) if row else None

    async def link_of(self, tag_id: int) -> int | None:
        """The network tag this community tag is a copy of (None: a local tag)."""
        row = await self._db.fetch_one("SELECT network_tag_id FROM tags WHERE id = ?", (tag_id,))
        if row is None or row["network_tag_id"] is None:
            return None
        return int(row["network_tag_id"])

    async def linked_in(self, community_id: int) -> set[int]:
        """The ids of this community's tags that are copies of network tags."""
        rows = await self._db.fetch_all(
            "SELECT id FROM tags WHERE community_id = ? AND network_tag_id IS NOT NULL",
            (community_id,),
        )
        return {int(row["id"]) for row in rows}

    async def link(self, tag_id: int, network_tag_id: int) -> None:
        await self._db.execute(
            "UPDATE tags SET network_tag_id = ? WHERE id = ?", (network_tag_id, tag_id)
        )

    async def unlink_community(self, community_id: int) -> int:
        """An affiliate leaves: its copies become its own local tags. Returns how many."""
        return await self._db.execute(
            "UPDATE tags SET network_tag_id = NULL"
            " WHERE community_id = ? AND network_tag_id IS NOT NULL",
            (community_id,),
        )
