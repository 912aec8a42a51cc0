"""Read one community from the store in bulk, for the peer index.

Two aggregate queries instead of millions of rows: members grouped by (time zone, discoverable,
may be found across the network) and member ids grouped by tag, each group as one
comma-separated string that numpy parses in C. The tag query walks the covering
`member_tags_by_tag` index: one scan of `member_tags`. A million members with six tags each
load in a few seconds. (SQLite's `group_concat` on the load's
own connection, PostgreSQL's `string_agg` through the store; the portable one-row-per-item
queries remain for a SQLite load inside a write transaction.)

A load must not hold up anyone else (issue #12). A load for the read path (committed state) reads
on a connection of its own, opened for it in a worker thread that also parses and builds the
arrays: the store's read connection, which every read-only command of every community shares,
never runs a second-long aggregate, and the event loop only waits for the finished index. The
worker reads both queries in one read transaction (one consistent snapshot) and parses the id
lists in slices, so the GIL goes back to the event loop every few milliseconds. A load inside a
write transaction must see that transaction's own uncommitted changes, so it reads through the
writer's connection (it holds the write lock anyway).
"""

from __future__ import annotations

import asyncio
import ctypes
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from loguru import logger

from communitybot import ghosts
from communitybot.models import Member
from communitybot.peers.community import CommunityIndex, Int64Array, MemberRows
from communitybot.store.db import BUSY_TIMEOUT_MS
from communitybot.store.store import Store

BRIDGED_GHOST_SQL = "(platform = 'matrix' AND substr(user_id, 1, 2) = '@_')"
"""A Matrix account an appservice bridge puts in for someone on another network
(`@_discord_…`): never a person of its own, so never found across the network."""
NETWORK_FLAG_SQL = (
    f"CASE WHEN discoverable = 1 AND network_visible = 1 AND NOT {BRIDGED_GHOST_SQL}"
    " THEN 1 ELSE 0 END"
)
"""Whether a member may be found by the other affiliates (`network_flag` in Python)."""


def is_bridged_ghost(member: Member) -> bool:
    return ghosts.is_bridged_ghost(member.ref)


def network_flag(member: Member) -> bool:
    """The member may be found by the other affiliates of the network (`NETWORK_FLAG_SQL`)."""
    return member.discoverable and member.network_visible and not is_bridged_ghost(member)


TRIM_AFTER_MEMBERS = 50_000
PARSE_SLICE_CHARS = 1 << 18
"""Characters of a comma-separated id list parsed per numpy call (~40,000 ids, ~1 ms): numpy
holds the GIL while it parses, so a million-id list is parsed in slices."""
_SQLITE_MEMBERS_SQL = (
    f"SELECT timezone, discoverable, {NETWORK_FLAG_SQL} AS network, group_concat(id)"
    " FROM members WHERE community_id = ? AND left_at IS NULL"
    f" GROUP BY timezone, discoverable, {NETWORK_FLAG_SQL}"
)
_SQLITE_TAGS_SQL = (
    "SELECT t.id, group_concat(mt.member_id) FROM tags t"
    " LEFT JOIN member_tags mt ON mt.tag_id = t.id"
    " WHERE t.community_id = ? GROUP BY t.id ORDER BY t.id"
)
"""The load's own sqlite3 connection (`_read_and_build_only`, SQLite only by construction) lets
SQLite join the ids into one text per group: a few rows to parse with numpy instead of a
Python tuple per member and per member tag (a million of them in a large community)."""
_POSTGRES_MEMBERS_SQL = (
    f"SELECT timezone, discoverable, {NETWORK_FLAG_SQL} AS network, string_agg(id::text, ',')"
    " FROM members WHERE community_id = ? AND left_at IS NULL"
    f" GROUP BY timezone, discoverable, {NETWORK_FLAG_SQL}"
)
_POSTGRES_TAGS_SQL = (
    "SELECT t.id, string_agg(mt.member_id::text, ',') FROM tags t"
    " LEFT JOIN member_tags mt ON mt.tag_id = t.id"
    " WHERE t.community_id = ? GROUP BY t.id ORDER BY t.id"
)
"""PostgreSQL's spelling of the same aggregates: a few hundred rows cross the wire and the
event loop instead of one per member tag (six million records for a million members, decoded
on the event loop's thread: seconds, and a stall of half a second for every other community)."""
_MEMBERS_SQL = (
    f"SELECT timezone, discoverable, {NETWORK_FLAG_SQL} AS network, id FROM members"
    " WHERE community_id = ? AND left_at IS NULL"
)
_TAGS_SQL = (
    "SELECT t.id, mt.member_id FROM tags t LEFT JOIN member_tags mt ON mt.tag_id = t.id"
    " WHERE t.community_id = ? ORDER BY t.id"
)
"""Through `Database` (any backend): one row per member and per member tag, grouped here."""

IdList = str | Int64Array | None
"""A group's ids: group_concat's "12,7,40", or already an array."""


MemberGroup = tuple[str | None, int, int, IdList]
"""(time zone, discoverable, network flag, ids) of one group of members."""


def _grouped(
    member_rows: Iterable[Sequence[Any]], tag_rows: Iterable[Sequence[Any]]
) -> tuple[list[MemberGroup], list[tuple[int, IdList]]]:
    """The portable queries' rows, in the shape the group_concat queries give."""
    by_group: dict[tuple[str | None, int, int], list[int]] = {}
    for timezone, discoverable, network, member_id in member_rows:
        key = (timezone, int(discoverable), int(network))
        by_group.setdefault(key, []).append(int(member_id))
    member_groups: list[MemberGroup] = [
        (timezone, discoverable, network, np.array(ids, np.int64))
        for (timezone, discoverable, network), ids in by_group.items()
    ]
    tag_members: dict[int, list[int]] = {}
    for tag_id, member_id in tag_rows:
        carriers = tag_members.setdefault(int(tag_id), [])
        if member_id is not None:
            carriers.append(int(member_id))
    tag_groups: list[tuple[int, IdList]] = [
        (tag_id, np.array(ids, np.int64)) for tag_id, ids in tag_members.items()
    ]
    return member_groups, tag_groups


def _ids(text: IdList) -> Int64Array:
    """Parse "12,7,40" (group_concat) into int64s, a slice of the text at a time."""
    if text is None:
        return np.zeros(0, np.int64)
    if not isinstance(text, str):
        return text
    if not text:
        return np.zeros(0, np.int64)
    if len(text) <= PARSE_SLICE_CHARS:
        return np.fromstring(text, dtype=np.int64, sep=",")
    parts = []
    start = 0
    while start < len(text):
        end = text.find(",", start + PARSE_SLICE_CHARS)
        if end < 0:
            end = len(text)
        parts.append(np.fromstring(text[start:end], dtype=np.int64, sep=","))
        start = end + 1
    return np.concatenate(parts)


def _build(
    member_groups: list[MemberGroup],
    tag_groups: list[tuple[int, IdList]],
) -> CommunityIndex:
    tz_names: list[str | None] = [None]
    tz_lookup: dict[str | None, int] = {None: 0}
    id_parts: list[Int64Array] = [np.zeros(0, np.int64)]
    code_parts: list[np.ndarray] = [np.zeros(0, np.int16)]
    visible_parts: list[np.ndarray] = [np.zeros(0, np.bool_)]
    network_parts: list[np.ndarray] = [np.zeros(0, np.bool_)]
    for timezone, discoverable, network, ids_text in member_groups:
        ids = _ids(ids_text)
        code = tz_lookup.setdefault(timezone or None, len(tz_names))
        if code == len(tz_names):
            tz_names.append(timezone)
        id_parts.append(ids)
        code_parts.append(np.full(len(ids), code, np.int16))
        visible_parts.append(np.full(len(ids), bool(discoverable)))
        network_parts.append(np.full(len(ids), bool(network)))
    members = MemberRows(
        ids=np.concatenate(id_parts),
        tz_codes=np.concatenate(code_parts),
        tz_names=tz_names,
        discoverable=np.concatenate(visible_parts),
        network=np.concatenate(network_parts),
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


def _build_and_trim(
    member_groups: list[MemberGroup], tag_groups: list[tuple[int, IdList]]
) -> CommunityIndex:
    """Worker thread: parse and build, then hand the temporaries' memory back."""
    index = _build(member_groups, tag_groups)
    if index.n_loaded >= TRIM_AFTER_MEMBERS:
        _release_freed_memory()
    return index


def _read_and_build(path: str, community_id: int) -> CommunityIndex:
    """Worker thread: read the community on a fresh read-only connection, build, and hand the
    temporaries' memory back (`malloc_trim` takes milliseconds: not on the event loop)."""
    index = _read_and_build_only(path, community_id)
    if index.n_loaded >= TRIM_AFTER_MEMBERS:
        _release_freed_memory()
    return index


def _read_and_build_only(path: str, community_id: int) -> CommunityIndex:
    """Both aggregates in one read transaction (one committed snapshot), then the arrays."""
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        connection.execute("PRAGMA query_only = ON")
        connection.execute("BEGIN")  # both queries read the same committed snapshot
        member_groups = [
            (r[0], int(r[1]), int(r[2]), r[3])
            for r in connection.execute(_SQLITE_MEMBERS_SQL, (community_id,))
        ]
        tag_groups = [
            (int(r[0]), r[1]) for r in connection.execute(_SQLITE_TAGS_SQL, (community_id,))
        ]
        connection.execute("COMMIT")
    finally:
        connection.close()
    return _build(member_groups, tag_groups)


async def load_community(store: Store, community_id: int) -> CommunityIndex:
    """A fresh index of `community_id`, as `store`'s connection sees it.

    On the read connection (a read-only command's `/peers`) that is the committed state, read
    on a connection of the load's own in a worker thread, so other commands keep the shared
    read connection; `PeerIndex` decides whether to keep the result. On the writer it is read
    through the writer itself: a load inside an event's transaction must see that transaction's
    uncommitted changes.
    """
    if store.db.read_only and store.db.dialect == "sqlite":
        try:
            return await asyncio.to_thread(_read_and_build, store.db.path, community_id)
        except sqlite3.Error as error:
            logger.warning(
                "peer index: a load's own connection failed ({}); loading on the shared one", error
            )
    if store.db.dialect == "postgresql":
        member_groups = [
            (r[0], int(r[1]), int(r[2]), r[3])
            for r in await store.db.fetch_all(_POSTGRES_MEMBERS_SQL, (community_id,))
        ]
        tag_groups = [
            (int(r[0]), r[1]) for r in await store.db.fetch_all(_POSTGRES_TAGS_SQL, (community_id,))
        ]
        return await asyncio.to_thread(_build_and_trim, member_groups, tag_groups)
    member_rows = await store.db.fetch_all(_MEMBERS_SQL, (community_id,))
    tag_rows = await store.db.fetch_all(_TAGS_SQL, (community_id,))
    member_groups, tag_groups = await asyncio.to_thread(_grouped, member_rows, tag_rows)
    del member_rows, tag_rows
    index = await asyncio.to_thread(_build, member_groups, tag_groups)
    del member_groups, tag_groups
    if index.n_loaded >= TRIM_AFTER_MEMBERS:
        _release_freed_memory()
    return index
