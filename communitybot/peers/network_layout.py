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
- the per-slot arrays are copied again whenever any affiliate's index changed (its `stamp`
  moved; a reloaded index has a new one): a few hundred microseconds;
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
    total: int
    stamps: tuple[int, ...] = ()
    network: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, np.bool_))
    """May appear in another affiliate's results (each index's `network`; padding: no)."""
    members: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    tz_codes: npt.NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, np.int32))
    """Each slot's time-zone code, offset into the affiliates' code tables laid end to end."""
    hour: int = -1
    offsets: npt.NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, np.int32))
    """UTC offset of each slot's time zone during `hour`."""
    _postings: OrderedDict[tuple[int, ...], _Posting] = field(default_factory=OrderedDict)
    _posting_bytes: int = 0

    @classmethod
    def of(
        cls,
        community_ids: Sequence[int],
        parts: Sequence[CommunityIndex],
        previous: NetworkLayout | None,
    ) -> NetworkLayout:
        """The current layout of these affiliates: `previous` itself when nothing changed,
        refreshed in place when every affiliate still fits its region, else a new one."""
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
            layout = cls(ids, bases, rooms, int(sum(rooms)))
        if layout.stamps != tuple(ix.stamp for ix in parts):
            layout._copy_slots(parts)
        return layout

    def _copy_slots(self, parts: Sequence[CommunityIndex]) -> None:
        network = np.zeros(self.total, np.bool_)
        members = np.zeros(self.total, np.int64)
        tz_codes = np.zeros(self.total, np.int32)
        tz_base = 0
        for ix, base in zip(parts, self.bases.tolist(), strict=True):
            end = base + len(ix.slot_member)
            network[base:end] = ix.network.view
            members[base:end] = ix.slot_member.view
            tz_codes[base:end] = ix.slot_tz.view
            tz_codes[base:end] += tz_base
            tz_base += len(ix.tz_names)
        self.network, self.members, self.tz_codes = network, members, tz_codes
        self.stamps = tuple(ix.stamp for ix in parts)
        self.hour = -1  # a code table may have grown: offsets are read again

    def slot_offsets(
        self, hour: int, tables: Callable[[], Sequence[npt.NDArray[np.int32]]]
    ) -> npt.NDArray[np.int32]:
        """Every slot's UTC offset during `hour`, from the affiliates' offset tables (per time
        zone code, asked for only when the hour or the slots changed). Padding reads the first
        table's first entry: it is never listed."""
        if self.hour != hour:
            joined = np.concatenate(list(tables())).astype(np.int32, copy=False)
            self.offsets = joined[self.tz_codes] if len(joined) else np.zeros(0, np.int32)
            self.hour = hour
        return self.offsets

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

    def nbytes(self) -> int:
        arrays = (self.network, self.members, self.tz_codes, self.offsets)
        return sum(int(a.nbytes) for a in arrays) + self._posting_bytes
