"""The small affiliates of a network laid end to end: one slot space for `peers scope=network`.

A network search scores every small affiliate's members in one vector pass. Done straight from
the affiliates' own indexes, each search first gathers ~100 affiliates × a few tags of posting
lists and concatenates ~100 copies of each per-slot array (visibility, member id, time zone):
most of its cost at 100 affiliates × 1,000 members. A `NetworkLayout` keeps those between
searches: the per-slot arrays end to end, and per query tag the network-wide posting (every
affiliate's posting for its matching tag, shifted into the common slot space).

It is a cache, kept honest cheaply because an affiliate's index only ever appends:
- each affiliate owns a region of the common slot space with room to grow, so a member joining
  one affiliate moves no other affiliate's slots;
- an affiliate's region of the per-slot arrays is copied again when its index changed (its
  `stamp` moved; a reloaded index has a new one): microseconds; all of them once an hour, when
  UTC offsets may have moved;
- a cached network-wide posting remembers how long each affiliate's piece was; it is rebuilt
  when one of them grew (a member took that tag), otherwise reused as is. A slot that died since
  (the member left or changed tags) is masked out by the fresh per-slot visibility.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from communitybot.peers.community import CommunityIndex

POSTING_CACHE_BYTES = 32 * 1024 * 1024
"""Network-wide postings kept per layout (least recently used dropped first)."""


def _room(size: int) -> int:
    """An affiliate's region: its slots and a quarter more (at least 64) to grow into."""
    return size + size // 4 + 64


@dataclass
class _Posting:
    slots: npt.NDArray[np.int32]
    lengths: tuple[int, ...]
    """Each piece's length when joined (per affiliate with a matching tag, in key order)."""
    stamps: tuple[int, ...]
    """The layout's stamps when checked last: while they hold, no piece can have grown."""


@dataclass
class NetworkLayout:
    """The affiliates `community_ids` (in search order) in one common slot space."""

    community_ids: tuple[int, ...]
    bases: npt.NDArray[np.int64]
    """First common slot of each affiliate's region."""
    rooms: tuple[int, ...]
    network: npt.NDArray[np.bool_]
    """May appear in another affiliate's results (each index's `network`; padding: no)."""
    members: npt.NDArray[np.int64]
    offsets: npt.NDArray[np.int32]
    """UTC offset of each slot's time zone during `hour`."""
    stamps: tuple[int, ...] = ()
    """Each affiliate's index stamp when its region was copied (a new tuple on every copy)."""
    hour: int = -1
    _postings: OrderedDict[tuple[int, ...], _Posting] = field(default_factory=OrderedDict)
    _posting_bytes: int = 0

    @property
    def total(self) -> int:
        return len(self.members)

    @classmethod
    def of(
        cls,
        community_ids: Sequence[int],
        parts: Sequence[CommunityIndex],
        previous: NetworkLayout | None,
        hour: int,
        table: Callable[[int], npt.NDArray[np.int32]],
    ) -> NetworkLayout:
        """The current layout of these affiliates during `hour`: `previous` itself when nothing
        changed, with the regions of the changed affiliates copied again when they still fit,
        else a new one. `table(i)`: UTC offset per time-zone code of affiliate `i`."""
        ids = tuple(community_ids)
        sizes = [len(ix.slot_member) for ix in parts]
        layout = previous
        if (
            layout is None
            or layout.community_ids != ids
            or any(size > room for size, room in zip(sizes, layout.rooms, strict=True))
        ):
            rooms = tuple(_room(size) for size in sizes)
            bases = np.zeros(len(rooms), np.int64)
            if rooms:
                np.cumsum(rooms[:-1], out=bases[1:])
            total = int(sum(rooms))
            layout = cls(
                ids,
                bases,
                rooms,
                np.zeros(total, np.bool_),
                np.zeros(total, np.int64),
                np.zeros(total, np.int32),
            )
        stamps = tuple(ix.stamp for ix in parts)
        changed: Sequence[int]
        if layout.hour != hour or len(layout.stamps) != len(stamps):
            changed = range(len(parts))
        else:
            pairs = zip(layout.stamps, stamps, strict=True)
            changed = [i for i, (was, now) in enumerate(pairs) if was != now]
        for i in changed:
            layout._copy_region(i, parts[i], table(i))
        if changed:
            layout.stamps, layout.hour = stamps, hour
        return layout

    def _copy_region(self, i: int, ix: CommunityIndex, offsets: npt.NDArray[np.int32]) -> None:
        base = int(self.bases[i])
        end = base + len(ix.slot_member)
        self.network[base:end] = ix.network.view
        self.members[base:end] = ix.slot_member.view
        self.offsets[base:end] = offsets[ix.slot_tz.view]

    def posting(
        self, key: tuple[int, ...], parts: Sequence[CommunityIndex]
    ) -> npt.NDArray[np.int32]:
        """The common slots carrying one query tag in any affiliate: `key` holds, per
        affiliate, the local position of its matching tag (-1: none)."""
        cached = self._postings.get(key)
        if cached is not None and cached.stamps is self.stamps:
            self._postings.move_to_end(key)
            return cached.slots
        lengths = tuple(len(parts[i].postings[pos]) for i, pos in enumerate(key) if pos >= 0)
        if cached is not None and cached.lengths == lengths:
            cached.stamps = self.stamps
            self._postings.move_to_end(key)
            return cached.slots
        pieces = [
            parts[i].postings[pos].view + np.int32(self.bases[i])
            for i, pos in enumerate(key)
            if pos >= 0
        ]
        slots = np.concatenate(pieces) if pieces else np.zeros(0, np.int32)
        if cached is not None:
            self._posting_bytes -= int(cached.slots.nbytes)
        self._postings[key] = _Posting(slots, lengths, self.stamps)
        self._postings.move_to_end(key)
        self._posting_bytes += int(slots.nbytes)
        while self._posting_bytes > POSTING_CACHE_BYTES and len(self._postings) > 1:
            _, dropped = self._postings.popitem(last=False)
            self._posting_bytes -= int(dropped.slots.nbytes)
        return slots
