"""What a unit of work changed that some process may hold in memory, told to every process.

Why it exists (issue #13): the community rows, the onboarding question lists
(`communitybot.store.cache`) and the peer index (`communitybot.peers.index`) are kept in memory.
In one process every write goes through the repositories and the index, which drop or mirror
what changed. When several processes share a PostgreSQL database, a moderator's edit or a new tag
committed by one process must also reach the memory of the others, at once and without polling.

How:

* A unit of work on the write path runs inside `ChangeFeed.unit()`. While it runs, the caches
  and the peer index `note()` what they changed (a cache's key, a member whose tags or profile
  changed, a community whose index must be reloaded).
* Just before the commit, `UnitChanges.publish()` sends all of it as ONE notification on
  `CHANNEL_CHANGES` (delivered only if the transaction commits; nothing is sent on SQLite, where
  `notifications.shared` is False). The payload is small JSON: the sender's `origin` and the
  keys; a unit that changed too much to list says "everything" instead.
* When the unit has ended (commit or rollback), each cache is told to settle the keys it wrote
  (`CommittedCache.settle`), so parallel units on PostgreSQL never clear each other's marks.
* Every process listens; a notification from another origin drops exactly what it names (the
  cache entry, the question list, that member's entry in the index, re-read at once), and a gap
  in listening (`on_gap`) drops everything, which reloads lazily.

Whatever is changed in memory by the sending process itself was already applied there (its own
units mirrored and settled it), so a process ignores its own notifications.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from loguru import logger

from communitybot.store.notifications import CHANNEL_CHANGES, MAX_PAYLOAD, Notifications

MAX_LISTED = 200
"""A unit that changed more keys than this says "everything" (the payload stays small)."""
COLLAPSE = {"members": ("peers", 0)}
"""Too many members changed: name their communities instead (kind "peers", the key's first
item), so the other processes reload those communities' indexes, not every one."""


class Remote(Protocol):
    """Something that keeps rows in memory and can drop what another process changed."""

    def remote_changed(self, keys: list[Any]) -> None: ...

    def remote_gap(self) -> None: ...


@dataclass(eq=False)
class UnitChanges:
    """What one unit of work changed so far, per kind (a cache's name, "members", …)."""

    keys: dict[str, set[Hashable]] = field(default_factory=dict)
    everything: set[str] = field(default_factory=set)
    settle: dict[int, tuple[Any, list[Hashable | None]]] = field(default_factory=dict)
    """id(cache) → (cache, keys written; None: all) to settle when the unit ends."""

    def note(self, kind: str, key: Hashable | None) -> None:
        """`key` of `kind` changed (None: too much to name; the others drop all of `kind`)."""
        if key is None:
            self.everything.add(kind)
            return
        keys = self.keys.setdefault(kind, set())
        keys.add(key)
        if len(keys) > MAX_LISTED and kind not in COLLAPSE:
            self.everything.add(kind)

    def wrote(self, cache: Any, key: Hashable | None) -> None:
        """A cache marked `key` dirty (None: all): settle it when the unit has ended."""
        self.settle.setdefault(id(cache), (cache, []))[1].append(key)

    def payload(self, origin: str) -> str | None:
        """The notification for the other processes (None: nothing they cache changed)."""
        if not self.keys and not self.everything:
            return None
        body: dict[str, Any] = {"o": origin}
        keys_of = dict(self.keys)
        for kind, (into, part) in COLLAPSE.items():
            many = keys_of.get(kind, set())
            if len(many) > MAX_LISTED:
                del keys_of[kind]
                keys_of[into] = keys_of.get(into, set()) | {key[part] for key in many}  # type: ignore[index]
        for kind, keys in keys_of.items():
            if kind not in self.everything:
                body[kind] = sorted((_jsonable(key) for key in keys), key=repr)
        if self.everything:
            body["all"] = sorted(self.everything)
        text = json.dumps(body, separators=(",", ":"))
        if len(text.encode()) > MAX_PAYLOAD:
            text = json.dumps({"o": origin, "all": sorted(set(self.keys) | self.everything)})
        return text


_current: contextvars.ContextVar[UnitChanges | None] = contextvars.ContextVar(
    "communitybot_unit_changes", default=None
)


def current() -> UnitChanges | None:
    """The changes of the unit of work the running task handles, if any."""
    return _current.get()


def note(kind: str, key: Hashable | None) -> None:
    """Record a change for the other processes, if a unit of work is running (else nobody
    needs telling: a maintenance script, a test calling a repository directly)."""
    changes = _current.get()
    if changes is not None:
        changes.note(kind, key)


def _jsonable(key: Hashable) -> Any:
    return list(key) if isinstance(key, tuple) else key


def _hashable(value: Any) -> Hashable:
    return tuple(value) if isinstance(value, list) else value


class ChangeFeed:
    """One per database handle: units' changes out, other processes' changes in."""

    def __init__(self, notifications: Notifications) -> None:
        self._notifications = notifications
        self._remotes: dict[str, list[Remote]] = {}
        self._listening: asyncio.Task[None] | None = None

    @property
    def shared(self) -> bool:
        return self._notifications.shared

    def register(self, kind: str, remote: Remote) -> None:
        """`remote` drops what other processes changed of `kind` (idempotent)."""
        remotes = self._remotes.setdefault(kind, [])
        if all(r is not remote for r in remotes):
            remotes.append(remote)

    async def listen(self) -> None:
        """Start listening (once; SQLite: nothing to hear). Safe to call on every event."""
        if not self.shared:
            return
        if self._listening is None:
            self._listening = asyncio.ensure_future(self._start())
        try:
            await asyncio.shield(self._listening)
        except Exception as error:  # the next event tries again; this one goes on
            logger.warning("changes: cannot listen to other processes yet ({})", error)
            self._listening = None

    async def _start(self) -> None:
        await self._notifications.listen(CHANNEL_CHANGES, self._heard)
        self._notifications.on_gap(self._gap)

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[UnitChanges]:
        """Around one unit of work's transaction (outside it): collects its changes, and
        settles the caches' marks once the transaction has ended either way."""
        changes = UnitChanges()
        token = _current.set(changes)
        try:
            yield changes
        finally:
            _current.reset(token)
            for cache, keys in changes.settle.values():
                for key in keys:
                    cache.settle(key)

    async def publish(self, changes: UnitChanges) -> None:
        """Inside the unit's transaction, last: one notification, delivered at commit."""
        if not self.shared:
            return
        payload = changes.payload(self._notifications.origin)
        if payload is not None:
            await self._notifications.notify(CHANNEL_CHANGES, payload)

    def _heard(self, payload: str) -> None:
        try:
            body = json.loads(payload)
        except ValueError:
            logger.warning("changes: an unreadable notification was ignored")
            return
        if not isinstance(body, dict) or body.get("o") == self._notifications.origin:
            return
        for kind in body.get("all", ()):
            for remote in self._remotes.get(kind, ()):
                remote.remote_gap()
        for kind, keys in body.items():
            if kind in ("o", "all") or not isinstance(keys, list):
                continue
            for remote in self._remotes.get(kind, ()):
                remote.remote_changed([_hashable(key) for key in keys])

    def _gap(self) -> None:
        """Notifications may have been missed: everything kept in memory may be stale."""
        for remotes in self._remotes.values():
            for remote in remotes:
                remote.remote_gap()
