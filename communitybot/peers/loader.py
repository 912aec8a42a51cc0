"""Read one community from the store in bulk, for the peer index.

Two aggregate queries instead of millions of rows: members grouped by (time zone, discoverable)
and member ids grouped by tag, each group as one comma-separated string that numpy parses in C.
The tag query walks the covering `member_tags_by_tag` index: one scan of `member_tags`. A
million members with six tags each load in a few seconds, and the parsing and array building run
in a worker thread so the event loop keeps serving other events meanwhile.
"""

from __future__ import annotations

import asyncio
import ctypes

import numpy as np

from communitybot.peers.community import CommunityIndex, Int64Array, MemberRows
from communitybot.store.store import Store

TRIM_AFTER_MEMBERS = 50_000
_MEMBERS_SQL = (
    "SELECT timezone, discoverable, group_concat(id) FROM members"
    " WHERE community_id = ? AND left_at IS NULL GROUP BY timezone, discoverable"
)
_TAGS_SQL = (
    "SELECT t.id, group_concat(mt.member_id) FROM tags t"
    " LEFT JOIN member_tags mt ON mt.tag_id = t.id"
    " WHERE t.community_id = ? GROUP BY t.id ORDER BY t.id"
)


def _ids(text: str | None) -> Int64Array:
    if not text:
        return np.zeros(0, np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",")


def _build(
    member_groups: list[tuple[str | None, int, str | None]],
    tag_groups: list[tuple[int, str | None]],
) -> CommunityIndex:
    tz_names: list[str | None] = [None]
    tz_lookup: dict[str | None, int] = {None: 0}
    id_parts: list[Int64Array] = [np.zeros(0, np.int64)]
    code_parts: list[np.ndarray] = [np.zeros(0, np.int16)]
    visible_parts: list[np.ndarray] = [np.zeros(0, np.bool_)]
    for timezone, discoverable, ids_text in member_groups:
        ids = _ids(ids_text)
        code = tz_lookup.setdefault(timezone or None, len(tz_names))
        if code == len(tz_names):
            tz_names.append(timezone)
        id_parts.append(ids)
        code_parts.append(np.full(len(ids), code, np.int16))
        visible_parts.append(np.full(len(ids), bool(discoverable)))
    members = MemberRows(
        ids=np.concatenate(id_parts),
        tz_codes=np.concatenate(code_parts),
        tz_names=tz_names,
        discoverable=np.concatenate(visible_parts),
    )
    return CommunityIndex.build(
        members, [tag_id for tag_id, _ in tag_groups], (_ids(text) for _, text in tag_groups)
    )


def _release_freed_memory() -> None:
    """Hand the load's freed temporaries back to the OS.

    glibc keeps memory freed in a worker thread's arena mapped; after loading a million members
    that is ~100 MB the process no longer uses. Best effort: a no-op without glibc.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


async def load_community(store: Store, community_id: int) -> CommunityIndex:
    """A fresh index of `community_id`, read through the store's connection.

    Using the caller's own connection matters: a load triggered inside an event's transaction
    must see that transaction's uncommitted changes; a read-only command's load (`/peers` on
    the read connection) reads what is committed, and `PeerIndex` decides whether to keep it.
    """
    member_rows = await store.db.fetch_all(_MEMBERS_SQL, (community_id,))
    tag_rows = await store.db.fetch_all(_TAGS_SQL, (community_id,))
    member_groups = [(r[0], int(r[1]), r[2]) for r in member_rows]
    tag_groups = [(int(r[0]), r[1]) for r in tag_rows]
    del member_rows, tag_rows
    index = await asyncio.to_thread(_build, member_groups, tag_groups)
    del member_groups, tag_groups
    if index.n_loaded >= TRIM_AFTER_MEMBERS:
        _release_freed_memory()
    return index
