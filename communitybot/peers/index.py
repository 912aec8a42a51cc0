"""The peer index: per community, an in-memory inverted index of tag → members for `/peers`.

The store stays the source of truth. A community is read from it in bulk the first time it is
searched (`loader.load_community`); afterwards every change a handler makes is mirrored with
`refresh_member` (which re-reads that one member) or, for changes touching many members (tag
merge/delete), by `invalidate`, which drops the community so the next search reloads it. When a
unit of work fails and its transaction (or a group commit's savepoint) is rolled back, the
communities that unit mirrored changes into or loaded are dropped, and only those
(`write_unit`, `savepoint`): the index never keeps a change the store did not, and a failure in
one community never makes the others reload.

A write handler that searches a community not loaded yet does not load it inside its
transaction: the unit steps outside (`communitybot.units`), the community is loaded through the
read connection while the other communities write, and the handler runs again with it loaded.

Read-only commands (`/peers`) run beside the write path, on the store's read connection, so a
cold load may read the committed state while write transactions come and go. The Bot wraps each
write transaction in `write_unit()`, which notes the members it changed in communities that were
not loaded. A load through the read connection catches up with the members noted by units that
ended while it ran (re-reading them, now committed) and is kept unless something was invalidated
meanwhile (then it serves that one search only). A unit still open when such a load is kept
mirrors its own noted members when it ends, and sees them itself if it searches before. So the
index holds the committed state plus, as before, what the open unit mirrored into it.

Several units at once (PostgreSQL, issue #13): units of different communities run in parallel,
so what a unit noted and touched is kept per unit (`_WriteUnit`, found through a context
variable), never in one shared field. Other processes sharing the database tell this one which
members they changed (`refresh_member` notes them, `communitybot.store.changes` sends them at
commit): each is re-read here at once (`remote_members`), or, when a local unit has that community
open, when that unit has ended; a bulk change there (`invalidate`) drops the community here, and a
gap in listening drops every community (they reload on their next search).

A plain SQL `GROUP BY` over member_tags takes ~200 ms at a million members; this index answers
the same question in a few milliseconds (see `benchmarks/peers.py`).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from loguru import logger

from communitybot import units
from communitybot.models import Member
from communitybot.peers.community import CommunityIndex
from communitybot.peers.loader import load_community, network_flag
from communitybot.peers.network_layout import NetworkLayout
from communitybot.peers.scoring import (
    UNKNOWN_OFFSET,
    Scores,
    kth_largest,
    rank,
    tz_distance,
    weight,
)
from communitybot.store import changes
from communitybot.store.store import Store
from communitybot.timezones import utc_offset_minutes


@dataclass(frozen=True)
class PeerHit:
    member_id: int
    score: float
    """Sum of the rarity weights (log(N/df)) of the shared tags."""
    shared_tag_ids: tuple[int, ...]
    """Shared tags, rarest first."""


@dataclass(frozen=True)
class NetworkHit:
    community_id: int
    """The affiliate the member belongs to."""
    member_id: int
    score: float
    """Sum of the network-wide rarity weights of the shared tags."""
    shared: tuple[int, ...]
    """Positions in the query of the shared tags, rarest first."""


@dataclass(eq=False)
class _WriteUnit:
    """One open write unit's bookkeeping (several are open at once on PostgreSQL)."""

    index: PeerIndex
    unseen: dict[int, set[int] | None] = field(default_factory=dict)
    """What the unit changed where the index did not see it (the community was not loaded, or
    another process changed a member of a community this unit has open): community → member
    ids (None: many, reload). Mirrored when the unit has ended."""
    touched: set[int] = field(default_factory=set)
    """Communities the unit mirrored changes into or loaded (uncommitted)."""


_open_unit: contextvars.ContextVar[_WriteUnit | None] = contextvars.ContextVar(
    "communitybot_peer_write_unit", default=None
)


class PeerIndex:
    def __init__(self) -> None:
        self._communities: dict[int, CommunityIndex] = {}
        self._generation: dict[int, int] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._offsets: dict[int, tuple[int, int, npt.NDArray[np.int32]]] = {}
        self._layouts: dict[tuple[int, ...], NetworkLayout] = {}
        """Per set of small affiliates searched together (a network): their common layout."""
        self._zone_hour = -1
        self._zone_offsets: dict[str | None, int] = {}
        """UTC offset (minutes) of each time zone name during hour `_zone_hour`."""
        self._open: set[_WriteUnit] = set()
        """Every write unit open right now (one at a time on SQLite)."""
        self._ended: dict[int, int] = {}
        """Per community: how many units that had it open have ended (a remote re-read that
        overlapped one reads again)."""
        self._behind: dict[int, set[int] | None] = {}
        """Communities being loaded through the read connection → members whose committed
        changes the load may have missed (None: too many, do not keep the load)."""
        self._remotes: dict[int, dict[str, Any]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def _unit(self) -> _WriteUnit | None:
        """The write unit the running task is in, if any."""
        unit = _open_unit.get()
        return unit if unit is not None and unit.index is self else None

    @asynccontextmanager
    async def write_unit(self, store: Store) -> AsyncIterator[None]:
        """Around one write transaction on `store` (a unit that steps out for long work ends
        its write unit and opens a new one). Several may be open at once, in different tasks
        (PostgreSQL: units of different communities run in parallel).

        What it changed unseen is, once it ended, handed to a read-connection load still in
        flight (which catches up), or mirrored here if such a load was kept meanwhile (it read
        the committed state, without this unit's changes). A unit that failed drops those
        communities instead (the caller invalidates what it mirrored itself).
        """
        unit = _WriteUnit(self)
        token = _open_unit.set(unit)
        self._open.add(unit)
        try:
            yield
        except BaseException:
            _open_unit.reset(token)
            for community_id in unit.touched | set(self._end_unit(unit)):
                if community_id in self._communities:
                    self._drop(community_id)
            raise
        _open_unit.reset(token)
        for community_id, members in self._end_unit(unit).items():
            ix = self._communities.get(community_id)
            if ix is None:
                continue
            try:
                for member_id in sorted(members or ()):
                    await self._mirror(ix, store, community_id, member_id)
            except Exception:  # committed already: never fail the unit, just reload later
                logger.exception("peer index: could not mirror a change; reloading on next use")
                members = None
            if members is None or ix.needs_rebuild():
                self._drop(community_id)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """Around one part of an open write unit that may be undone alone (a SAVEPOINT): if it
        fails, the communities it mirrored into or loaded are dropped."""
        unit = self._unit()
        if unit is None:
            yield
            return
        outer, unit.touched = unit.touched, set()
        try:
            yield
        except BaseException:
            for community_id in unit.touched:
                self._drop(community_id)
            raise
        finally:
            unit.touched |= outer

    def _end_unit(self, unit: _WriteUnit) -> dict[int, set[int] | None]:
        """Close the unit: its notes go to the loads in flight; returns them."""
        self._open.discard(unit)
        notes, unit.unseen = unit.unseen, {}
        for community_id in unit.touched | set(notes):
            self._ended[community_id] = self._ended.get(community_id, 0) + 1
        for community_id, members in notes.items():
            if community_id in self._behind:
                self._behind[community_id] = _merged(self._behind[community_id], members)
        return notes

    def _note(self, community_id: int, member_id: int | None) -> None:
        """A change the index did not mirror (see `_WriteUnit.unseen` and `_behind`)."""
        unit = self._unit()
        if unit is not None:
            unit.unseen[community_id] = _merged(unit.unseen.get(community_id, set()), {member_id})
        elif community_id in self._behind:
            self._behind[community_id] = _merged(self._behind[community_id], {member_id})

    # Keeping in step ---------------------------------------------------------------------------
    async def refresh_member(
        self, store: Store, community_id: int, member_id: int, *, fresh: Member | None = None
    ) -> None:
        """Re-read one member's tags, time zone, discoverability and presence.

        A community not loaded yet is left alone: its first search reads everything fresh.
        `fresh`: the member's row as this very unit of work created it (a join's new member):
        no tags yet and nothing to re-read.
        """
        changes.note("members", (community_id, member_id))
        ix = self._communities.get(community_id)
        if ix is None:
            self._note(community_id, member_id)
            return
        unit = self._unit()
        if unit is not None:
            unit.touched.add(community_id)
        if fresh is not None and fresh.id == member_id and fresh.community_id == community_id:
            present = fresh.left_at is None
            ix.upsert(
                member_id,
                (),
                fresh.timezone,
                fresh.discoverable,
                present=present,
                network=network_flag(fresh),
            )
        else:
            await self._mirror(ix, store, community_id, member_id)
        if ix.needs_rebuild():
            self._drop(community_id)

    @staticmethod
    async def _mirror(ix: CommunityIndex, store: Store, community_id: int, member_id: int) -> None:
        _apply(ix, member_id, await _read_member(store, community_id, member_id))

    def invalidate(self, community_id: int) -> None:
        """Forget a community after a change to many of its members (a tag merged, renamed or
        deleted); the next search reloads it, here and in the other processes."""
        changes.note("peers", community_id)
        self._drop(community_id)

    def _drop(self, community_id: int) -> None:
        """Forget a community here (the next search reloads it); nobody else is told."""
        self._communities.pop(community_id, None)
        self._offsets.pop(community_id, None)
        self._generation[community_id] = self._generation.get(community_id, 0) + 1
        self._note(community_id, None)

    def invalidate_all(self) -> None:
        """Forget every community (tests and benchmarks: a cold start)."""
        for community_id in list(self._communities):
            self._drop(community_id)

    # Other processes (PostgreSQL) -------------------------------------------------------------
    def remotes(self, store: Store) -> dict[str, Any]:
        """What the store's `ChangeFeed` calls when another process changed members
        ("members") or a whole community ("peers"); the same objects for the same store."""
        remotes = self._remotes.get(id(store))
        if remotes is None:
            remotes = self._remotes[id(store)] = {
                "members": _RemoteMembers(self, store),
                "peers": _RemoteCommunities(self),
            }
        return remotes

    def remote_members(self, store: Store, keys: Sequence[Any]) -> None:
        """Another process committed changes to these (community id, member id): re-read each
        (now, or when a local unit that has its community open has ended)."""
        by_community: dict[int, set[int]] = {}
        for key in keys:
            try:
                community_id, member_id = (int(part) for part in key)
            except (TypeError, ValueError):
                continue
            by_community.setdefault(community_id, set()).add(member_id)
        for community_id, members in by_community.items():
            if community_id not in self._communities:
                if community_id in self._behind:  # a load in flight catches up with them
                    self._behind[community_id] = _merged(self._behind[community_id], members)
                continue
            if self._defer_to_open_units(community_id, members):
                continue
            task = asyncio.get_running_loop().create_task(
                self._remote_mirror(store, community_id, members),
                name="communitybot-peers-remote",
                context=contextvars.Context(),
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _defer_to_open_units(self, community_id: int, members: set[int]) -> bool:
        """Hand the members to every open unit that has the community open: it re-reads them
        itself (its transaction sees the other process's commit) or after it has ended."""
        deferred = False
        for unit in self._open:
            if community_id in unit.touched:
                unit.unseen[community_id] = _merged(unit.unseen.get(community_id, set()), members)
                deferred = True
        return deferred

    async def _remote_mirror(self, store: Store, community_id: int, members: set[int]) -> None:
        """Re-read other processes' committed changes to `members` (outside any transaction);
        read again if a local unit of that community ended meanwhile."""
        try:
            for _attempt in range(3):
                ix = self._communities.get(community_id)
                if ix is None:
                    return
                ended = self._ended.get(community_id, 0)
                rows = [(m, await _read_member(store, community_id, m)) for m in sorted(members)]
                if self._communities.get(community_id) is not ix:
                    return  # dropped or reloaded meanwhile: the reload read them
                if self._ended.get(community_id, 0) != ended:
                    continue
                for member_id, row in rows:
                    _apply(ix, member_id, row)
                self._defer_to_open_units(community_id, members)
                if ix.needs_rebuild():
                    self._drop(community_id)
                return
            self._drop(community_id)
        except Exception:
            logger.exception("peer index: could not re-read another process's change; reloading")
            self._drop(community_id)

    def is_loaded(self, community_id: int) -> bool:
        return community_id in self._communities

    def nbytes(self, community_id: int) -> int:
        """Memory held by one community's arrays (0 when not loaded)."""
        ix = self._communities.get(community_id)
        return ix.nbytes() if ix else 0

    async def ensure_loaded(self, store: Store, community_id: int) -> CommunityIndex:
        """The community's index, loaded through `store`'s connection when not loaded yet.

        A load through the read connection catches up with what write units committed while it
        ran, and is kept unless the community was invalidated meanwhile (module docstring).
        """
        ix = self._communities.get(community_id)
        if ix is not None and not self._unseen_by_writer(store, community_id):
            return ix
        if ix is None and self._can_load_outside(store):
            await units.outside(self._load_committed, store.reader, community_id)
            ix = self._communities.get(community_id)
            if ix is not None and not self._unseen_by_writer(store, community_id):
                return ix  # (else it was invalidated meanwhile: load it here, as before)
        lock = self._locks.setdefault(community_id, asyncio.Lock())
        async with lock:
            ix = self._communities.get(community_id)
            unit = self._unit()
            if ix is not None:
                if unit is None or not self._unseen_by_writer(store, community_id):
                    return ix
                # Kept by a read-connection load during this unit (or changed by another
                # process meanwhile): give the unit its own view.
                unseen = unit.unseen.pop(community_id)
                unit.touched.add(community_id)
                if unseen is not None:
                    for member_id in sorted(unseen):
                        await self._mirror(ix, store, community_id, member_id)
                    return ix
                self._drop(community_id)
            generation = self._generation.get(community_id, 0)
            if store.db.read_only:
                return await self._load_beside_writes(store, community_id, generation)
            ix = await load_community(store, community_id)
            if self._generation.get(community_id, 0) == generation:
                self._communities[community_id] = ix
                if unit is not None:
                    unit.unseen.pop(community_id, None)  # this load saw the unit's own changes
                    unit.touched.add(community_id)  # …which a rollback would undo
            return ix

    def _can_load_outside(self, store: Store) -> bool:
        """A write unit needs a community not loaded: load it outside the transaction, through
        the read connection, when the unit can step out (`communitybot.units`)."""
        return (
            self._unit() is not None
            and not store.db.read_only
            and store.reader is not None
            and units.can_step_out()
        )

    async def _load_committed(self, reader: Store | None, community_id: int) -> None:
        """Outside any transaction: load `community_id` through the read connection (kept unless
        a bulk change happened meanwhile; `_load_beside_writes`)."""
        if reader is not None:
            await self.ensure_loaded(reader, community_id)

    def _unseen_by_writer(self, store: Store, community_id: int) -> bool:
        """The write unit searches a community it changed while unloaded (and a read load kept
        since): the index lacks those uncommitted changes."""
        unit = self._unit()
        return unit is not None and not store.db.read_only and community_id in unit.unseen

    async def _load_beside_writes(
        self, store: Store, community_id: int, generation: int
    ) -> CommunityIndex:
        """Load through the read connection (committed state), catch up with the members that
        write units changed and committed meanwhile, and keep the index unless a bulk change
        (`invalidate`) happened meanwhile. A unit still open mirrors its own changes when it
        ends (`write_unit`)."""
        self._behind[community_id] = set()
        try:
            ix = await load_community(store, community_id)
            while True:
                missed = self._behind[community_id]
                if (
                    missed is None
                    or self._generation.get(community_id, 0) != generation
                    or ix.needs_rebuild()
                ):
                    return ix  # good for this search; the next one loads again
                if not missed:
                    self._communities[community_id] = ix
                    return ix
                self._behind[community_id] = set()
                for member_id in sorted(missed):
                    await self._mirror(ix, store, community_id, member_id)
        finally:
            self._behind.pop(community_id, None)

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

    async def search_network(
        self,
        store: Store,
        matches: Mapping[int, Sequence[int | None]],
        home_id: int,
        exclude: Mapping[int, int],
        timezone: str | None,
        limit: int = 10,
        *,
        at: datetime | None = None,
    ) -> list[NetworkHit]:
        """Up to `limit` members of a network's affiliates sharing the query, best first.

        `matches`: every affiliate (the asker's community `home_id` first) → for each query
        tag, the id of that affiliate's tag of the same name or alias (None: it has none).
        In `home_id` the discoverable members may be listed, elsewhere only those who chose the
        network scope (`CommunityIndex.network`). `exclude`: community → the asker's own
        membership there, never listed.

        Rarity is the network's: a query tag's weight is log(N / df) with N the present members
        of all affiliates and df those carrying its match in any of them, so scores from
        different affiliates compare. Small affiliates (`SMALL_AFFILIATE`) are scored together
        in one vector pass (`_score_small`), larger ones by their own pruning ranker (their
        best `limit`); the candidates are then cut once by (score, time-zone distance,
        affiliate order, member id): exactly the network-wide best `limit`. Indexes not loaded
        yet are loaded first (in a worker thread on the read path, as for `search`).
        """
        if limit <= 0:
            return []
        moment = at or datetime.now(UTC)
        loaded: dict[int, CommunityIndex] = {}
        for community_id in matches:
            loaded[community_id] = await self.ensure_loaded(store, community_id)
        n_query = max((len(tag_ids) for tag_ids in matches.values()), default=0)
        df = [0] * n_query
        local: dict[int, dict[int, int]] = {}
        for community_id, tag_ids in matches.items():
            ix = loaded[community_id]
            positions: dict[int, int] = {}
            tag_pos = ix.tag_pos  # `local_tag`, inlined: ~600 lookups a search
            for q, tag_id in enumerate(tag_ids):
                pos = tag_pos.get(tag_id, -1) if tag_id is not None else -1
                if pos >= 0 and pos not in positions:
                    positions[pos] = q
                    df[q] += ix.df[pos]
            local[community_id] = positions
        total = sum(ix.live for ix in loaded.values())
        weights = [weight(total, d) for d in df]
        asker_offset = utc_offset_minutes(timezone, moment)
        small: list[tuple[int, int]] = []  # (order, community id)
        found: list[_Found] = []
        for order, (community_id, positions) in enumerate(local.items()):
            ix = loaded[community_id]
            if len(ix.slot_member) <= SMALL_AFFILIATE:
                small.append((order, community_id))
                continue
            if not positions:
                continue
            mine = exclude.get(community_id)
            part = _Part(
                order,
                ix,
                {pos: weights[q] for pos, q in positions.items()},
                ix.visible.view if community_id == home_id else ix.network.view,
                ix.slot_of(mine) if mine is not None else -1,
                self._offset_table(community_id, ix, moment),
            )
            ranked = rank(
                ix,
                list(positions),
                part.exclude,
                part.offsets,
                asker_offset,
                limit,
                weights=part.weighted,
                visible=part.visible,
            )
            if ranked:
                slots = np.array([r.slot for r in ranked], np.intp)
                scores = np.array([r.score for r in ranked], np.int64)
                found.append(_Found.of(np.zeros(len(slots), np.intp), slots, scores, [part], [0]))
        if any(local[community_id] for _, community_id in small):
            found.append(
                self._score_small(small, loaded, local, weights, home_id, exclude, moment, limit)
            )
        if not found:
            return []
        orders = np.concatenate([f.orders for f in found])
        slots = np.concatenate([f.slots for f in found])
        scores = np.concatenate([f.scores for f in found])
        # One sortable key for ties: time-zone distance (< 2^11 minutes), then affiliate order
        # (< 2^16), then member id (< 2^36).
        distance = tz_distance(np.concatenate([f.offsets for f in found]), asker_offset)
        members = np.concatenate([f.members for f in found])
        keys = (distance << 52) | (orders.astype(np.int64) << 36) | members
        best = _best(scores, keys, limit)
        best = best[np.lexsort((keys[best], -scores[best]))]
        communities = list(local)
        hits = []
        for i in best.tolist():
            community_id = communities[int(orders[i])]
            ix, positions = loaded[community_id], local[community_id]
            shared = sorted(
                (positions[t] for t in ix.slot_tags(int(slots[i])) if t in positions),
                key=lambda q: (-weights[q], q),
            )
            hits.append(
                NetworkHit(
                    community_id=community_id,
                    member_id=int(members[i]),
                    score=int(scores[i]) / 1000,
                    shared=tuple(shared),
                )
            )
        return hits

    def _score_small(
        self,
        small: list[tuple[int, int]],
        loaded: Mapping[int, CommunityIndex],
        local: Mapping[int, Mapping[int, int]],
        weights: Sequence[int],
        home_id: int,
        exclude: Mapping[int, int],
        moment: datetime,
        limit: int,
    ) -> _Found:
        """Every listable member of the small affiliates (`small`: search order, community id)
        sharing a tag with the query, scored in one pass over their common slot space (the
        network's cached `NetworkLayout`), cut to the best `limit` by score (ties kept: the
        caller settles them)."""
        small = sorted(small, key=lambda pair: pair[1])  # one layout whoever searches
        ids = [community_id for _, community_id in small]
        parts = [loaded[community_id] for community_id in ids]
        key = tuple(ids)
        layout = NetworkLayout.of(
            ids,
            parts,
            self._layouts.pop(key, None),
            int(moment.timestamp() // 3600),
            lambda i: self._offset_table(ids[i], parts[i], moment),
        )
        self._layouts[key] = layout  # the most recently used last
        while len(self._layouts) > MAX_LAYOUTS:
            del self._layouts[next(iter(self._layouts))]
        offsets = layout.offsets
        columns = [[-1] * len(ids) for _ in weights]
        for i, community_id in enumerate(ids):
            for pos, q in local[community_id].items():
                columns[q][i] = pos
        postings, lengths, used = [], [], []
        for q, column in enumerate(columns):
            if weights[q] > 0:
                posting = layout.posting(tuple(column), parts)
                postings.append(posting)
                lengths.append(len(posting))
                used.append(weights[q])
        acc = np.bincount(
            np.concatenate(postings) if postings else np.zeros(0, np.int32),
            weights=np.repeat(np.array(used, np.float64), lengths),
            minlength=layout.total,
        )
        visible = layout.network.copy()
        for i, (community_id, ix) in enumerate(zip(ids, parts, strict=True)):
            base = int(layout.bases[i])
            if community_id == home_id:
                visible[base : base + len(ix.slot_member)] = ix.visible.view
            mine = exclude.get(community_id)
            slot = ix.slot_of(mine) if mine is not None else -1
            if slot >= 0:
                visible[base + slot] = False
        acc *= visible
        cands = np.flatnonzero(acc)
        scores = np.rint(acc[cands]).astype(np.int64)  # sums of integers: exact in float64
        if len(cands) > limit:
            keep = scores >= kth_largest(scores, limit)
            cands, scores = cands[keep], scores[keep]
        which = np.searchsorted(layout.bases, cands, side="right") - 1
        orders = np.array([order for order, _ in small], np.intp)[which]
        return _Found(
            orders,
            (cands - layout.bases[which]).astype(np.intp),
            scores,
            offsets[cands],
            layout.members[cands],
        )

    def _offset_table(
        self, community_id: int, ix: CommunityIndex, moment: datetime
    ) -> npt.NDArray[np.int32]:
        """UTC offset of every time zone code, cached per hour (offsets move only with DST)."""
        hour = int(moment.timestamp() // 3600)
        cached = self._offsets.get(community_id)
        if cached and cached[0] == hour and cached[1] == len(ix.tz_names):
            return cached[2]
        if self._zone_hour != hour:  # shared by every community: a network search reads many
            self._zone_hour, self._zone_offsets = hour, {}
        zones = self._zone_offsets
        for name in ix.tz_names:
            if name not in zones:
                offset = utc_offset_minutes(name, moment)
                zones[name] = UNKNOWN_OFFSET if offset is None else offset
        table = np.array([zones[name] for name in ix.tz_names], np.int32)
        self._offsets[community_id] = (hour, len(ix.tz_names), table)
        return table


MAX_LAYOUTS = 8
"""Networks whose `NetworkLayout` is kept (the least recently used dropped first)."""

SMALL_AFFILIATE = 50_000
"""Affiliates with up to this many slots are scored whole in a network search (`_score_all`:
a few vector operations); larger ones go through the pruning `rank`."""


@dataclass(frozen=True)
class _Part:
    """One affiliate in a network search."""

    order: int
    ix: CommunityIndex
    weighted: dict[int, int]
    """Local tag index → network-wide weight of the query tag it matches."""
    visible: npt.NDArray[np.bool_]
    exclude: int
    offsets: npt.NDArray[np.int32]
    """UTC offset per time-zone code."""


@dataclass(frozen=True)
class _Found:
    """Candidates of a network search: affiliate order, local slot, score, offset, member id."""

    orders: npt.NDArray[np.intp]
    slots: npt.NDArray[np.intp]
    scores: Scores
    offsets: npt.NDArray[np.int32]
    members: Scores

    @classmethod
    def of(
        cls,
        which: npt.NDArray[np.intp],
        slots: npt.NDArray[np.intp],
        scores: Scores,
        parts: Sequence[_Part],
        tz_base: Sequence[int],
    ) -> _Found:
        """`which`: index into `parts` of each candidate's affiliate."""
        offsets = np.concatenate([part.offsets for part in parts])
        tz = np.concatenate([part.ix.slot_tz.view for part in parts]) if len(parts) > 1 else None
        if tz is None:
            codes = parts[0].ix.slot_tz.view[slots]
            member = parts[0].ix.slot_member.view[slots]
        else:
            bases = np.cumsum([0, *(len(part.visible) for part in parts[:-1])])
            flat = bases[which] + slots
            codes = tz[flat]
            member = np.concatenate([part.ix.slot_member.view for part in parts])[flat]
        orders = np.array([part.order for part in parts], np.intp)[which]
        return cls(
            orders,
            slots,
            scores,
            offsets[np.asarray(tz_base, np.intp)[which] + codes],
            member.astype(np.int64),
        )


def _best(scores: Scores, keys: Scores, limit: int) -> npt.NDArray[np.intp]:
    """Indices of the best `limit` by score, ties by the smaller key (unordered)."""
    if len(scores) <= limit:
        return np.arange(len(scores))
    kth = kth_largest(scores, limit)
    above = np.flatnonzero(scores > kth)
    tied = np.flatnonzero(scores == kth)
    need = limit - len(above)
    if len(tied) > need:
        tied = tied[np.argpartition(keys[tied], need - 1)[:need]]
    return np.concatenate([above, tied])


def _merged(known: set[int] | None, more: set[int | None] | set[int] | None) -> set[int] | None:
    """Member ids noted so far plus `more`; None (reload) absorbs everything."""
    if known is None or more is None or None in more:
        return None
    return known | {member for member in more if member is not None}


MemberRow = tuple[tuple[int, ...], str | None, bool, bool] | None
"""What the index keeps of a member (tag ids, time zone, discoverable, found across the
network); None: not present."""


async def _read_member(store: Store, community_id: int, member_id: int) -> MemberRow:
    member = await store.members.get_by_id(member_id)
    if member is None or member.community_id != community_id or member.left_at is not None:
        return None
    tag_ids = await store.tags.member_tag_ids(member_id)
    return (tuple(tag_ids), member.timezone, member.discoverable, network_flag(member))


def _apply(ix: CommunityIndex, member_id: int, row: MemberRow) -> None:
    if row is None:
        ix.upsert(member_id, (), None, False, present=False)
    else:
        ix.upsert(member_id, row[0], row[1], row[2], present=True, network=row[3])


@dataclass(eq=False)
class _RemoteMembers:
    """Other processes changed these members (`ChangeFeed` kind "members")."""

    index: PeerIndex
    store: Store

    def remote_changed(self, keys: list[Any]) -> None:
        self.index.remote_members(self.store, keys)

    def remote_gap(self) -> None:
        self.index.invalidate_all()


@dataclass(eq=False)
class _RemoteCommunities:
    """Other processes changed many members of these communities (kind "peers")."""

    index: PeerIndex

    def remote_changed(self, keys: list[Any]) -> None:
        for key in keys:
            try:
                self.index._drop(int(key))
            except (TypeError, ValueError):
                self.index.invalidate_all()
                return

    def remote_gap(self) -> None:
        self.index.invalidate_all()
