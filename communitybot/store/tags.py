"""Interest tags, their aliases, and which members carry which tags.

Names and aliases arrive here already normalised (`text.normalize_tag`); this layer only stores
and looks up. A name and an alias share one namespace per community: the feature layer refuses
clashes before calling `create`, `rename` or `add_alias`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from communitybot.models import Tag
from communitybot.store.db import Database
from communitybot.store.network_tags import NetworkTagRepository
from communitybot.store.timefmt import to_db


def _tag(row: Any, aliases: Iterable[str] = ()) -> Tag:
    return Tag(
        id=row["id"],
        community_id=row["community_id"],
        name=row["name"],
        category=row["category"],
        description=row["description"],
        channel_id=row["channel_id"],
        role_id=row["role_id"],
        aliases=tuple(sorted(aliases)),
    )


class TagRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.network = NetworkTagRepository(db)
        """The network's shared tags and the links of this store's tags to them (`tags.mirror`)."""

    # Tags ------------------------------------------------------------------------------------
    async def _with_aliases(self, rows: Sequence[Any]) -> list[Tag]:
        """Attach aliases to tag rows with one extra query, whatever the number of tags."""
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        marks = ",".join("?" * len(ids))
        alias_rows = await self._db.fetch_all(
            f"SELECT tag_id, alias FROM tag_aliases WHERE tag_id IN ({marks})", ids
        )
        aliases: dict[int, list[str]] = {}
        for alias_row in alias_rows:
            aliases.setdefault(alias_row["tag_id"], []).append(alias_row["alias"])
        return [_tag(row, aliases.get(row["id"], ())) for row in rows]

    async def get(self, tag_id: int) -> Tag | None:
        row = await self._db.fetch_one("SELECT * FROM tags WHERE id = ?", (tag_id,))
        return (await self._with_aliases([row]))[0] if row else None

    async def get_by_name(self, community_id: int, name: str) -> Tag | None:
        """The tag called `name`, or the tag `name` is an alias of."""
        row = await self._db.fetch_one(
            "SELECT * FROM tags WHERE community_id = ? AND (name = ? OR id = "
            "(SELECT tag_id FROM tag_aliases WHERE community_id = ? AND alias = ?))"
            " ORDER BY name = ? DESC LIMIT 1",
            (community_id, name, community_id, name, name),
        )
        return (await self._with_aliases([row]))[0] if row else None

    async def all(self, community_id: int) -> list[Tag]:
        rows = await self._db.fetch_all(
            "SELECT * FROM tags WHERE community_id = ? ORDER BY category, name", (community_id,)
        )
        return await self._with_aliases(rows)

    async def names(self, community_id: int) -> dict[int, str]:
        """Tag id → name, for output that names tags (no aliases needed, one light query)."""
        rows = await self._db.fetch_all(
            "SELECT id, name FROM tags WHERE community_id = ?", (community_id,)
        )
        return {int(row["id"]): str(row["name"]) for row in rows}

    async def network_copies(self, tag_ids: Sequence[int]) -> dict[int, dict[int, int]]:
        """For each of these tags that is a network tag's copy (`tags.network_tag_id`): every
        affiliate's copy of the same network tag, community id → tag id (one indexed query;
        the tag's own row included). Local tags are absent from the answer."""
        if not tag_ids:
            return {}
        marks = ",".join("?" * len(tag_ids))
        rows = await self._db.fetch_all(
            "SELECT q.id AS query_id, t.community_id, t.id AS tag_id FROM tags q"
            " JOIN tags t ON t.network_tag_id = q.network_tag_id"
            f" WHERE q.id IN ({marks}) AND q.network_tag_id IS NOT NULL",
            tuple(tag_ids),
        )
        out: dict[int, dict[int, int]] = {}
        for row in rows:
            out.setdefault(int(row["query_id"]), {})[int(row["community_id"])] = int(row["tag_id"])
        return out

    async def ids_by_key(
        self, community_ids: Sequence[int], keys: Sequence[str]
    ) -> dict[tuple[int, str], int]:
        """(community id, name or alias) → tag id, for these names and aliases in these
        communities (one query: matching tags across a network's affiliates by name)."""
        if not community_ids or not keys:
            return {}
        in_communities = ",".join("?" * len(community_ids))
        in_keys = ",".join("?" * len(keys))
        rows = await self._db.fetch_all(
            f"SELECT community_id, name AS tag_key, id AS tag_id FROM tags"
            f" WHERE community_id IN ({in_communities}) AND name IN ({in_keys})"
            f" UNION ALL SELECT community_id, alias AS tag_key, tag_id FROM tag_aliases"
            f" WHERE community_id IN ({in_communities}) AND alias IN ({in_keys})",
            (*community_ids, *keys, *community_ids, *keys),
        )
        return {(int(row["community_id"]), str(row["tag_key"])): int(row["tag_id"]) for row in rows}

    async def create(
        self, community_id: int, name: str, category: str, now: datetime, description: str = ""
    ) -> Tag:
        row = await self._db.fetch_one(
            "INSERT INTO tags (community_id, name, category, description, created_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (community_id, name, category, description, to_db(now)),
        )
        assert row is not None
        tag = await self.get(int(row[0]))
        assert tag is not None
        return tag

    async def ensure_tag(
        self, community_id: int, name: str, category: str, now: datetime, description: str = ""
    ) -> Tag:
        """The tag (or the tag it is an alias of), created if missing: seeding can run twice."""
        existing = await self.get_by_name(community_id, name)
        if existing is not None:
            return existing
        return await self.create(community_id, name, category, now, description)

    async def rename(self, tag_id: int, new_name: str) -> Tag:
        await self._db.execute("UPDATE tags SET name = ? WHERE id = ?", (new_name, tag_id))
        tag = await self.get(tag_id)
        assert tag is not None
        return tag

    async def describe(self, tag_id: int, category: str, description: str) -> None:
        """Set a tag's category and description (a network tag's copy follows the network's)."""
        await self._db.execute(
            "UPDATE tags SET category = ?, description = ? WHERE id = ?",
            (category, description, tag_id),
        )

    async def add_alias(self, tag_id: int, alias: str) -> Tag:
        await self._db.execute(
            "INSERT INTO tag_aliases (community_id, alias, tag_id)"
            " SELECT community_id, ?, id FROM tags WHERE id = ?",
            (alias, tag_id),
        )
        tag = await self.get(tag_id)
        assert tag is not None
        return tag

    async def remove_alias(self, community_id: int, alias: str) -> None:
        await self._db.execute(
            "DELETE FROM tag_aliases WHERE community_id = ? AND alias = ?", (community_id, alias)
        )

    async def merge(self, source_id: int, target_id: int) -> int:
        """Fold `source` into `target`: members, aliases and the source's name all move over.

        A member who carried both keeps their single target row. The source's name becomes an
        alias of the target, so whatever members typed before still resolves. Returns how many
        members newly gained the target tag.
        """
        source = await self.get(source_id)
        if source is None or source_id == target_id:
            return 0
        gained = await self._db.fetch_all(
            "INSERT INTO member_tags (member_id, tag_id, source, added_at)"
            " SELECT member_id, ?, source, added_at FROM member_tags WHERE tag_id = ?"
            " ON CONFLICT (member_id, tag_id) DO NOTHING RETURNING member_id",
            (target_id, source_id),
        )
        moved = len(gained)
        await self._db.execute(
            "UPDATE tag_aliases SET tag_id = ? WHERE tag_id = ?", (target_id, source_id)
        )
        await self._db.execute("DELETE FROM tags WHERE id = ?", (source_id,))
        await self._db.execute(
            "INSERT INTO tag_aliases (community_id, alias, tag_id) VALUES (?, ?, ?)"
            " ON CONFLICT (community_id, alias) DO NOTHING",
            (source.community_id, source.name, target_id),
        )
        return moved

    async def delete(self, tag_id: int) -> None:
        """Delete a tag; its aliases and member rows go with it (foreign-key cascade)."""
        await self._db.execute("DELETE FROM tags WHERE id = ?", (tag_id,))

    async def link(self, tag_id: int, channel_id: str | None, role_id: str | None) -> Tag:
        await self._db.execute(
            "UPDATE tags SET channel_id = ?, role_id = ? WHERE id = ?",
            (channel_id, role_id, tag_id),
        )
        tag = await self.get(tag_id)
        assert tag is not None
        return tag

    # Member tags -----------------------------------------------------------------------------
    async def tags_of_member(self, member_id: int) -> list[Tag]:
        rows = await self._db.fetch_all(
            "SELECT t.* FROM tags t JOIN member_tags mt ON mt.tag_id = t.id"
            " WHERE mt.member_id = ? ORDER BY t.category, t.name",
            (member_id,),
        )
        return await self._with_aliases(rows)

    async def add_member_tags(
        self, member_id: int, tag_ids: Iterable[int], source: str, now: datetime
    ) -> None:
        """Idempotent: a tag the member already has keeps its original source and date."""
        await self._db.execute_many(
            "INSERT INTO member_tags (member_id, tag_id, source, added_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (member_id, tag_id) DO NOTHING",
            [(member_id, tag_id, source, to_db(now)) for tag_id in dict.fromkeys(tag_ids)],
        )

    async def remove_member_tags(self, member_id: int, tag_ids: Iterable[int]) -> None:
        await self._db.execute_many(
            "DELETE FROM member_tags WHERE member_id = ? AND tag_id = ?",
            [(member_id, tag_id) for tag_id in dict.fromkeys(tag_ids)],
        )

    async def member_tag_ids_by_source(self, member_id: int, source: str) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT tag_id FROM member_tags WHERE member_id = ? AND source = ? ORDER BY tag_id",
            (member_id, source),
        )
        return [int(row[0]) for row in rows]

    async def member_tag_ids(self, member_id: int) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT tag_id FROM member_tags WHERE member_id = ? ORDER BY tag_id", (member_id,)
        )
        return [int(row[0]) for row in rows]

    # Counts ----------------------------------------------------------------------------------
    async def member_counts(self, community_id: int) -> dict[int, int]:
        """tag id → members who carry it and are still in the community (every tag listed)."""
        rows = await self._db.fetch_all(
            "SELECT t.id, count(m.id) FROM tags t"
            " LEFT JOIN member_tags mt ON mt.tag_id = t.id"
            " LEFT JOIN members m ON m.id = mt.member_id AND m.left_at IS NULL"
            " WHERE t.community_id = ? GROUP BY t.id",
            (community_id,),
        )
        return {int(row[0]): int(row[1]) for row in rows}

    async def top_tags(self, community_id: int, limit: int) -> list[tuple[Tag, int]]:
        """The most carried tags among present members, most popular first (ties by name)."""
        counts = await self.member_counts(community_id)
        tags = {tag.id: tag for tag in await self.all(community_id)}
        ranked = sorted(
            (tag_id for tag_id, count in counts.items() if count > 0),
            key=lambda tag_id: (-counts[tag_id], tags[tag_id].name),
        )
        return [(tags[tag_id], counts[tag_id]) for tag_id in ranked[:limit]]
