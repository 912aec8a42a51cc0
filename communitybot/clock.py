"""Time as a dependency, so tests control it instead of sleeping.

A `Clock` says what time it is; a `Sleeper` waits for a number of seconds. The scheduler takes
both, so with a `FakeClock` (which is also a sleeper) a test moves time with `advance()` and
sleeping code wakes exactly when the fake time reaches its deadline, without real waiting.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class Sleeper(Protocol):
    async def sleep_until(self, moment: datetime) -> None:
        """Return once the matching clock reads `moment` or later (cancellable).

        An absolute deadline, not a number of seconds: a sleep that starts a little late (or a
        fake clock moved before the sleeper got going) still ends at the right moment.
        """
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SystemSleeper:
    """The real thing: the event loop's own timer, aimed at a moment on `clock`."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()

    async def sleep_until(self, moment: datetime) -> None:
        await asyncio.sleep(max(0.0, (moment - self._clock.now()).total_seconds()))


class FakeClock:
    """A clock tests move by hand; sleeping on it ends when `advance()` reaches the deadline."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)
        self._wake_sleepers()

    async def sleep_until(self, moment: datetime) -> None:
        if moment <= self._now:
            await asyncio.sleep(0)
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (moment, waiter)
        self._sleepers.append(entry)
        try:
            await waiter
        finally:
            if entry in self._sleepers:
                self._sleepers.remove(entry)

    def _wake_sleepers(self) -> None:
        still: list[tuple[datetime, asyncio.Future[None]]] = []
        for deadline, waiter in self._sleepers:
            if deadline <= self._now:
                if not waiter.done():
                    waiter.set_result(None)
            else:
                still.append((deadline, waiter))
        self._sleepers = still
