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
