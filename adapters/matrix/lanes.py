"""Per-key lanes: events with the same key are handled in order, different keys concurrently.

Why: Matrix delivers a whole sync response at once. Handled strictly one at a time, a member's
burst of 1,000 commands made everyone behind it wait for each reply to be sent (about 90 s).
The core's rate limits refuse most of such a burst cheaply; lanes make sure the rest of it
does not hold up other members either, while each member's own events (and each room's
plain messages) stay in the order the homeserver gave them.

`run` returns only when every lane is done, so the caller can save its sync position after
the whole response is handled; the first error is raised after all lanes finished (the same
exception type as before, so the runner's retry of a response is unchanged).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

Item = TypeVar("Item")


class Lanes(Generic[Item]):
    def __init__(self) -> None:
        self._lanes: dict[Hashable, list[Item]] = {}

    def add(self, key: Hashable, item: Item) -> None:
        self._lanes.setdefault(key, []).append(item)

    def __len__(self) -> int:
        return sum(len(items) for items in self._lanes.values())

    async def run(self, handle: Callable[[Item], Awaitable[None]]) -> None:
        """Handle every item: in order within a lane, lanes concurrently (in order of first
        appearance, so a lone event is not started after a long lane by accident)."""
        lanes, self._lanes = list(self._lanes.values()), {}
        if not lanes:
            return
        if len(lanes) == 1:
            for item in lanes[0]:
                await handle(item)
            return

        async def one(items: list[Item]) -> None:
            for item in items:
                await handle(item)

        results = await asyncio.gather(*(one(items) for items in lanes), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
