"""One community's peer index: numpy posting lists of tag → member slots, kept in step cheaply.

Every present member owns a *slot* (a position in the per-slot arrays). A posting list holds the
slots carrying a tag, in increasing order. When a member's tags change, their old slot is marked
dead (its entries stay in the postings and are masked out at search time) and they get a fresh
slot at the end: appends keep every posting list sorted and no posting is ever rewritten, so an
update costs a few microseconds whatever the size of the community. When dead slots pile up, the
owner reloads the community from the store (see `needs_rebuild`).

Memory per member, roughly: 4 bytes per tag in the postings, 2–4 bytes per tag for the slot's
own tag list, and ~20 bytes of per-slot attributes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from communitybot.peers.growable import GrowableArray

Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]

_STAMPS = itertools.count(1)
"""Stamps of index states: every index, and every change to one, takes the next."""

COMPACT_MIN_DEAD = 4096
"""Rebuild once this many dead slots exist *and* they exceed a quarter of the live ones."""


@dataclass
class MemberRows:
    """Present members as parallel arrays: ids, time-zone codes into `tz_names`, visibility.

    `tz_names[0]` must be None (no time zone). `network`: may be found by the other affiliates
    of the community's network (`network_flag`); None: nobody.
    """

    ids: Int64Array
    tz_codes: npt.NDArray[np.int16]
    tz_names: list[str | None]
    discoverable: npt.NDArray[np.bool_]
    network: npt.NDArray[np.bool_] | None = None


def _posting(ids: Int64Array, carriers: Int64Array) -> Int32Array:
    """Sorted, distinct slots of the `carriers` found among the sorted member `ids`."""
    if not len(ids) or not len(carriers):
        return np.zeros(0, np.int32)
    slots = np.searchsorted(ids, carriers)
    found = slots < len(ids)
    found[found] &= ids[slots[found]] == carriers[found]
    slots = slots[found]
    if len(slots) > 1 and not bool(np.all(slots[1:] > slots[:-1])):
        slots = np.unique(slots)
    return slots.astype(np.int32)


@dataclass
class CommunityIndex:
    tag_ids: list[int]
    """Local tag index → tag id."""
    postings: list[GrowableArray]
    df: list[int]
    """Live members carrying each tag (present, discoverable or not): the rarity statistic."""
    slot_member: GrowableArray
    slot_tz: GrowableArray
    alive: GrowableArray
    visible: GrowableArray
    """Alive and discoverable: may appear in results."""
    network: GrowableArray
    """Alive, discoverable, chose the network scope and no bridged ghost: may appear in other
    affiliates' `/peers scope=network` results."""
    n_loaded: int
    tag_ptr: Int64Array
    tag_data: npt.NDArray[Any]
    tz_names: list[str | None]
    live: int
    dead: int = 0
    tag_pos: dict[int, int] = field(default_factory=dict)
    tz_codes: dict[str | None, int] = field(default_factory=dict)
    extra_tags: dict[int, tuple[int, ...]] = field(default_factory=dict)
    """Tags of slots appended after loading (loaded slots use the CSR `tag_ptr`/`tag_data`)."""
    moved: dict[int, int] = field(default_factory=dict)
    """member id → current slot (or -1) for members updated since loading."""
    masks: dict[int, tuple[npt.NDArray[np.uint8], int]] = field(default_factory=dict)
    """Dense 0/1 membership per very common tag, and how much of its posting it covers."""
    stamp: int = field(default_factory=lambda: next(_STAMPS))
    """Moves on every change: what a cache built from this index (`NetworkLayout`) checks."""

    def __post_init__(self) -> None:
        self.tag_pos = {tag_id: pos for pos, tag_id in enumerate(self.tag_ids)}
        self.tz_codes = {name: code for code, name in enumerate(self.tz_names)}

    # Construction ------------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        members: MemberRows,
        tag_ids: Sequence[int],
        tag_members: Iterable[Int64Array],
    ) -> CommunityIndex:
        """Vectorised build from present members and, per tag, the ids of members carrying it.

        `tag_members` is consumed one tag at a time (pass a generator to keep the load's peak
        memory low); ids of members who left or belong elsewhere are dropped here.
        """
        order = np.argsort(members.ids, kind="stable")
        ids = np.ascontiguousarray(members.ids[order], dtype=np.int64)
        tz = np.ascontiguousarray(members.tz_codes[order], dtype=np.int16)
        visible = np.ascontiguousarray(members.discoverable[order], dtype=np.bool_)
        if members.network is None:
            network = np.zeros(len(visible), np.bool_)
        else:
            network = np.ascontiguousarray(members.network[order], dtype=np.bool_) & visible
        n = len(ids)
        postings = [_posting(ids, carriers) for carriers in tag_members]
        degree = np.zeros(n, np.int64)
        for posting in postings:
            degree[posting] += 1
        tag_ptr = np.zeros(n + 1, np.int64)
        np.cumsum(degree, out=tag_ptr[1:])
        # Counting sort into CSR: taking tags in order leaves each slot's tags ascending.
        fill = tag_ptr[:-1].copy()
        tag_dtype = np.uint16 if len(tag_ids) < np.iinfo(np.uint16).max else np.int32
        tag_data = np.empty(int(tag_ptr[-1]), tag_dtype)
        for pos, posting in enumerate(postings):
            tag_data[fill[posting]] = pos
            fill[posting] += 1
        return cls(
            tag_ids=list(tag_ids),
            postings=[GrowableArray(p) for p in postings],
            df=[len(p) for p in postings],
            slot_member=GrowableArray(ids),
            slot_tz=GrowableArray(tz),
            alive=GrowableArray(np.ones(n, np.bool_)),
            visible=GrowableArray(visible),
            network=GrowableArray(network),
            n_loaded=n,
            tag_ptr=tag_ptr,
            tag_data=tag_data,
            tz_names=list(members.tz_names),
            live=n,
        )

    # Lookups -----------------------------------------------------------------------------------
    def slot_of(self, member_id: int) -> int:
        """The member's live slot, or -1 when they are not indexed (left, forgotten, unknown)."""
        if member_id in self.moved:
            return self.moved[member_id]
        loaded = self.slot_member.view[: self.n_loaded]
        slot = int(np.searchsorted(loaded, member_id))
        if slot < self.n_loaded and int(loaded[slot]) == member_id and self.alive.view[slot]:
            return slot
        return -1

    def slot_tags(self, slot: int) -> tuple[int, ...]:
        """Local tag indices of one slot."""
        if slot >= self.n_loaded:
            return self.extra_tags.get(slot, ())
        start, end = int(self.tag_ptr[slot]), int(self.tag_ptr[slot + 1])
        return tuple(int(t) for t in self.tag_data[start:end])

    def local_tag(self, tag_id: int, create: bool = False) -> int:
        """Local index of a tag id (-1 if unknown); `create` adds a tag seen after loading."""
        pos = self.tag_pos.get(tag_id, -1)
        if pos < 0 and create:
            pos = len(self.tag_ids)
            self.tag_ids.append(tag_id)
            self.tag_pos[tag_id] = pos
            self.postings.append(GrowableArray(np.zeros(0, np.int32)))
            self.df.append(0)
        return pos

    def tz_code(self, name: str | None) -> int:
        code = self.tz_codes.get(name or None)
        if code is None:
            code = len(self.tz_names)
            self.tz_names.append(name)
            self.tz_codes[name] = code
        return code

    # Incremental updates -----------------------------------------------------------------------
    def upsert(
        self,
        member_id: int,
        tag_ids: Iterable[int],
        timezone: str | None,
        discoverable: bool,
        present: bool,
        network: bool = False,
    ) -> None:
        """Bring one member's entry in line with the store; `present=False` removes them.

        `network`: found by other affiliates too (counts only with `discoverable`)."""
        self.stamp = next(_STAMPS)
        old = self.slot_of(member_id)
        if not present:
            if old >= 0:
                self._kill(old)
            self.moved[member_id] = -1
            return
        local = tuple(sorted({self.local_tag(t, create=True) for t in tag_ids}))
        tz = self.tz_code(timezone)
        if old >= 0 and self.slot_tags(old) == local:
            self.slot_tz[old] = tz
            self.visible[old] = discoverable
            self.network[old] = discoverable and network
            return
        if old >= 0:
            self._kill(old)
        slot = self.slot_member.append(member_id)
        self.slot_tz.append(tz)
        self.alive.append(True)
        self.visible.append(discoverable)
        self.network.append(discoverable and network)
        for pos in local:
            self.postings[pos].append(slot)
            self.df[pos] += 1
        self.extra_tags[slot] = local
        self.moved[member_id] = slot
        self.live += 1

    def _kill(self, slot: int) -> None:
        self.stamp = next(_STAMPS)
        for pos in self.slot_tags(slot):
            self.df[pos] -= 1
        self.extra_tags.pop(slot, None)
        self.alive[slot] = False
        self.visible[slot] = False
        self.network[slot] = False
        self.live -= 1
        self.dead += 1

    def dense_mask(self, pos: int) -> npt.NDArray[np.uint8]:
        """0/1 per slot for tag `pos`, kept up to date from its (append-only) posting.

        For a tag most members carry, adding `weight * mask` over all slots is ~10x faster than
        scattering into random positions, and probing candidates is a plain gather. Dead slots
        may still read 1: callers mask them out with `visible`, as for postings.
        """
        n = len(self.slot_member)
        posting = self.postings[pos].view
        buf, covered = self.masks.get(pos, (np.zeros(0, np.uint8), 0))
        if len(buf) < n:
            bigger = np.zeros(n + n // 8 + 8, np.uint8)
            bigger[: len(buf)] = buf
            buf = bigger
        if covered < len(posting):
            buf[posting[covered:]] = 1
        self.masks[pos] = (buf, len(posting))
        return buf[:n]

    def needs_rebuild(self) -> bool:
        return self.dead >= COMPACT_MIN_DEAD and self.dead * 4 > self.live

    def nbytes(self) -> int:
        arrays = [
            self.slot_member,
            self.slot_tz,
            self.alive,
            self.visible,
            self.network,
            *self.postings,
        ]
        masks = sum(int(buf.nbytes) for buf, _ in self.masks.values())
        return (
            sum(a.nbytes() for a in arrays)
            + int(self.tag_ptr.nbytes + self.tag_data.nbytes)
            + masks
        )
