"""A small in-memory cache of committed rows, for a repository whose rows are read on every
event but changed rarely (a community's settings, its onboarding questions).

Why: every statement is a thread hop through aiosqlite (~46 µs against ~0.8 µs in-thread), and a
join used to re-read the community and its whole question list.

How it stays right without being told when a transaction ends:

* every write through the repository calls `wrote(key)` (or `wrote_all()`): the entry goes and
  the key is *dirty*;
* while a key is dirty, reads go to the database and are not kept: they may see the writing
  transaction's own uncommitted rows, which a rollback would undo;
* when the writing unit of work has ended (by commit or by rollback) its marks go:
  `settle(key)`, called for each key the unit wrote (`communitybot.store.changes`). On SQLite,
  where one transaction runs at a time, `new_unit()` (called when the next unit starts, under
  the writer turn) also clears every mark, as it always did; on PostgreSQL units of different
  communities run in parallel, so only the unit that wrote a key settles it;
* a read that was under way while something was written or settled is not kept either
  (`token`), so a slow read can never put back what a write just invalidated.

Other processes sharing the database (PostgreSQL): a unit that wrote a key also notes it for
them (`changes.note`, one notification per unit at commit); they drop the entry
(`remote_changed`), or everything after a gap in listening (`remote_gap`). A row changed behind
the repositories' back (raw SQL) is not seen until the entry is dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from communitybot.store import changes

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_MAX_ENTRIES = 10_000


class CommittedCache(Generic[K, V]):
    """Values read from committed rows, keyed (e.g. by community); see the module docstring."""

    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        *,
        keep: bool = True,
        kind: str = "",
        encode: Callable[[K], Hashable] | None = None,
        decode: Callable[[Any], K] | None = None,
    ) -> None:
        """`keep=False`: a cache that never keeps anything (the read connection's repositories:
        they never see the writes that would drop an entry, so they must not hold any).
        `kind`: the name other processes know this cache by (empty: not told); `encode` and
        `decode` turn a key into JSON-friendly values and back."""
        self._keep = keep
        self._entries: dict[K, V] = {}
        self._dirty: Counter[K] = Counter()
        self._all_dirty = 0
        self._writes = 0
        self._max = max_entries
        self.kind = kind
        self._encode = encode or (lambda key: key)
        self._decode = decode or (lambda value: value)

    def get(self, key: K) -> V | None:
        return self._entries.get(key)

    def token(self) -> int:
        """Take before reading the database; hand to `put` with what was read."""
        return self._writes

    def put(self, key: K, value: V, token: int) -> None:
        """Keep `value` unless something was written since `token` or `key` is dirty."""
        if not self._keep or token != self._writes or self._all_dirty or self._dirty[key] > 0:
            return
        self._entries.pop(key, None)
        self._entries[key] = value
        if len(self._entries) > self._max:
            del self._entries[next(iter(self._entries))]

    def wrote(self, key: K) -> None:
        """`key`'s rows were (or are about to be) written: forget it until its unit has ended."""
        self._writes += 1
        self._entries.pop(key, None)
        self._dirty[key] += 1
        unit = changes.current()
        if unit is not None:
            unit.wrote(self, key)
            if self.kind:
                unit.note(self.kind, self._encode(key))

    def wrote_all(self) -> None:
        """A write whose key is not known cheaply: forget everything until its unit has ended."""
        self._writes += 1
        self._entries.clear()
        self._all_dirty += 1
        unit = changes.current()
        if unit is not None:
            unit.wrote(self, None)
            if self.kind:
                unit.note(self.kind, None)

    def settle(self, key: K | None) -> None:
        """The unit that wrote `key` (None: `wrote_all`) has ended, by commit or rollback."""
        self._writes += 1
        if key is None:
            self._entries.clear()
            self._all_dirty = max(0, self._all_dirty - 1)
            return
        self._entries.pop(key, None)
        if self._dirty[key] > 1:
            self._dirty[key] -= 1
        else:
            self._dirty.pop(key, None)

    def new_unit(self) -> None:
        """SQLite: a new unit of work starts under the writer turn, so every earlier write is
        committed or undone (never called on PostgreSQL, where units run in parallel)."""
        self._dirty.clear()
        self._all_dirty = 0

    def clear(self) -> None:
        self._writes += 1
        self._entries.clear()

    def remote_changed(self, keys: list[Any]) -> None:
        """Another process committed changes to these (encoded) keys: drop them."""
        self._writes += 1
        for value in keys:
            try:
                self._entries.pop(self._decode(value), None)
            except (TypeError, ValueError):
                self._entries.clear()

    def remote_gap(self) -> None:
        """Changes from other processes may have been missed: drop everything."""
        self.clear()

    def __len__(self) -> int:
        return len(self._entries)
