"""Pacing for bulk private messages: a burst (5,000 joins, a matching round) becomes a queue.

Discord answers a flood of DMs with 429s and, worse, flags the bot as spam. discord.py waits out
the 429s it gets; the pacer keeps the bot from provoking them. Sends take turns in arrival
order (asyncio's lock is fair), one at a time, and each turn starts at least `interval` seconds
after the previous one started, so none is dropped and none overtakes another. The clock and
the sleep are parameters so a test can check the spacing without waiting for it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager


class Pacer:
    """One send at a time, `interval` seconds apart; `interval <= 0` lets sends run freely."""

    def __init__(
        self,
        interval: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._last_start: float | None = None

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for this send's turn; the next one waits until the block is left."""
        if self.interval <= 0:
            yield
            return
        async with self._lock:
            if self._last_start is not None:
                wait = self._last_start + self.interval - self._monotonic()
                if wait > 0:
                    await self._sleep(wait)
            self._last_start = self._monotonic()
            yield


class WindowPacer:
    """At most `limit` requests started in any `window` seconds; the rest wait their turn.

    Discord allows about 5 webhook executions per 2 seconds per webhook; a relay that respected
    only the 429s would still be throttled and flagged. Unlike `Pacer` this lets a burst of
    `limit` go at once (a chat's usual pace is never slowed), then spaces the rest. `ready()`
    waits for a free slot without taking it, so the caller can gather what piled up meanwhile
    into fewer posts; `turn()` takes one.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self.window = window
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._starts: list[float] = []

    def _wait(self) -> float:
        now = self._monotonic()
        self._starts = [start for start in self._starts if now - start < self.window]
        if len(self._starts) < self.limit:
            return 0.0
        return self._starts[0] + self.window - now

    async def ready(self) -> None:
        """Return once a request could start now."""
        while (wait := self._wait()) > 0:
            await self._sleep(wait)

    async def turn(self) -> None:
        """Wait for a free slot and take it (turns are taken in arrival order)."""
        async with self._lock:
            await self.ready()
            self._starts.append(self._monotonic())
