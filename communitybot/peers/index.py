"""The peer index: per community, an in-memory inverted index of tag → members for `/peers`.

The store stays the source of truth. A community is read from it in bulk the first time it is
searched (`loader.load_community`); afterwards every change a handler makes is mirrored with
`refresh_member` (which re-reads that one member) or, for changes touching many members (tag
merge/delete), by `invalidate`, which drops the community so the next search reloads it. When an
event fails and its transaction is rolled back, the bot calls `invalidate_all`: the index never
keeps a change the store did not.

A plain SQL `GROUP BY` over member_tags takes ~200 ms at a million members; this index answers
the same question in a few milliseconds (see `benchmarks/peers.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from communitybot.models import Member
from communitybot.peers.community import CommunityIndex
from communitybot.peers.loader import load_community
from communitybot.peers.scoring import UNKNOWN_OFFSET, rank
from communitybot.store.store import Store
from communitybot.timezones import utc_offset_minutes


@dataclass(frozen=True)
class PeerHit:
    member_id: int
    score: float
    """Sum of the rarity weights (log(N/df)) of the shared tags."""
    shared_tag_ids: tuple[int, ...]
    """Shared tags, rarest first."""


class PeerIndex:
    def __init__(self) -> None:
        self._communities: dict[int, CommunityIndex] = {}
        self._generation: dict[int, int] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._offsets: dict[int, tuple[int, int, npt.NDArray[np.int32]]] = {}

    # Keeping in step ---------------------------------------------------------------------------
    async def refresh_member(
        self, store: Store, community_id: int, member_id: int, *, fresh: Member | None = None
    ) -> None:
        """Re-read one member's tags, time zone, discoverability and presence.

        A community not loaded yet is left alone: its first search reads everything fresh.
        `fresh`: the member's row as this very unit of work created it (a join's new member):
        no tags yet and nothing to re-read.
        """
        ix = self._communities.get(community_id)
        if ix is None:
            return
        if fresh is not None and fresh.id == member_id and fresh.community_id == community_id:
            present = fresh.left_at is None
            ix.upsert(member_id, (), fresh.timezone, fresh.discoverable, present=present)
            if ix.needs_rebuild():
                self.invalidate(community_id)
            return
        member = await store.members.get_by_id(member_id)
        if member is None or member.community_id != community_id or member.left_at is not None:
            ix.upsert(member_id, (), None, False, present=False)
        else:
            tag_ids = await store.tags.member_tag_ids(member_id)
            ix.upsert(member_id, tag_ids, member.timezone, member.discoverable, present=True)
        if ix.needs_rebuild():
            self.invalidate(community_id)

    def invalidate(self, community_id: int) -> None:
        """Forget a community; the next search reloads it from the store."""
        self._communities.pop(community_id, None)
        self._offsets.pop(community_id, None)
        self._generation[community_id] = self._generation.get(community_id, 0) + 1

    def invalidate_all(self) -> None:
        for community_id in list(self._communities):
            self.invalidate(community_id)

    def is_loaded(self, community_id: int) -> bool:
        return community_id in self._communities

    def nbytes(self, community_id: int) -> int:
        """Memory held by one community's arrays (0 when not loaded)."""
        ix = self._communities.get(community_id)
        return ix.nbytes() if ix else 0

    async def ensure_loaded(self, store: Store, community_id: int) -> CommunityIndex:
        ix = self._communities.get(community_id)
        if ix is not None:
            return ix
        lock = self._locks.setdefault(community_id, asyncio.Lock())
        async with lock:
            ix = self._communities.get(community_id)
            if ix is not None:
                return ix
            generation = self._generation.get(community_id, 0)
            ix = await load_community(store, community_id)
            if self._generation.get(community_id, 0) == generation:
                self._communities[community_id] = ix
            return ix

    # Searching ---------------------------------------------------------------------------------
    async def search(
        self,
        store: Store,
        community_id: int,
        tag_ids: Sequence[int],
        exclude_member_id: int | None,
        timezone: str | None,
        limit: int = 10,
        *,
        at: datetime | None = None,
    ) -> list[PeerHit]:
        """Up to `limit` discoverable present members sharing `tag_ids`, best first.

        Ranked by the summed rarity of the shared tags, then by time-zone closeness to
        `timezone` at `at` (default: now), then by member id so results are stable.
        """
        ix = await self.ensure_loaded(store, community_id)
        moment = at or datetime.now(UTC)
        query = [pos for t in tag_ids if (pos := ix.local_tag(t)) >= 0]
        exclude = ix.slot_of(exclude_member_id) if exclude_member_id is not None else -1
        ranked = rank(
            ix,
            query,
            exclude,
            self._offset_table(community_id, ix, moment),
            utc_offset_minutes(timezone, moment),
            limit,
        )
        member = ix.slot_member.view
        return [
            PeerHit(
                member_id=int(member[r.slot]),
                score=r.score / 1000,
                shared_tag_ids=tuple(ix.tag_ids[t] for t in r.shared),
            )
            for r in ranked
        ]

    def _offset_table(
        self, community_id: int, ix: CommunityIndex, moment: datetime
    ) -> npt.NDArray[np.int32]:
        """UTC offset of every time zone code, cached per hour (offsets move only with DST)."""
        hour = int(moment.timestamp() // 3600)
        cached = self._offsets.get(community_id)
        if cached and cached[0] == hour and cached[1] == len(ix.tz_names):
            return cached[2]
        table = np.array(
            [
                UNKNOWN_OFFSET if (o := utc_offset_minutes(name, moment)) is None else o
                for name in ix.tz_names
            ],
            np.int32,
        )
        self._offsets[community_id] = (hour, len(ix.tz_names), table)
        return table
