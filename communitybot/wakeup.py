"""The alarm between the parts that plan work for later and the scheduler that does it.

Why it exists: the job repository (a new job, maybe sooner than the scheduler's next wake-up),
the outbox (a delivery retry planned) and the bot (a join to store again after a full disk) must
wake the scheduler, but must not know it, and the scheduler must not reach into them to hook
itself in. So the composition root (`communitybot.bootstrap`, through `Store` and `Bot`) hands
one `Wakeup` to each by constructor; the scheduler built on that bot listens to it. Without a
listener (no scheduler: a script, a test of one feature) every call is a no-op: the work stays
in the database and the next start picks it up.

A process serving Discord and Matrix at once has one store, so one `Wakeup`, and a scheduler
per platform's `Bot`: every listening scheduler hears every call. That costs little (a
scheduler drops another platform's job at its claim, and an outbox that has nothing due finds
nothing) and is what lets one platform's outbox wake the other's: rows queued by the Discord
`Bot` for a Matrix community ring `retry_planned(now)` after their commit
(`communitybot.outbox`), and the Matrix scheduler delivers them at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class WakeupListener(Protocol):
    """The scheduler's side of the alarm."""

    def job_scheduled(self, job_id: int, due_at: datetime) -> None: ...

    def jobs_changed(self) -> None: ...

    def retry_planned(self, at: datetime) -> None: ...


class Wakeup:
    """Passes "work is due at …" to every listening scheduler (usually one; one per platform
    in a process serving several)."""

    def __init__(self) -> None:
        self._listeners: list[WakeupListener] = []

    def listen(self, listener: WakeupListener | None) -> None:
        """Let `listener` hear from now on, beside those already listening (the scheduler
        built on each bot of this store); None: nobody any more."""
        if listener is None:
            self._listeners.clear()
        elif listener not in self._listeners:
            self._listeners.append(listener)

    @property
    def listener(self) -> WakeupListener | None:
        """The first listener (None: nobody listens)."""
        return self._listeners[0] if self._listeners else None

    @property
    def listeners(self) -> tuple[WakeupListener, ...]:
        return tuple(self._listeners)

    def job_scheduled(self, job_id: int, due_at: datetime) -> None:
        """A new job (possibly before the commit: the scheduler re-reads it before running)."""
        for listener in self._listeners:
            listener.job_scheduled(job_id, due_at)

    def jobs_changed(self) -> None:
        """Many jobs at once: reload the window from the store."""
        for listener in self._listeners:
            listener.jobs_changed()

    def retry_planned(self, at: datetime) -> None:
        """Something (an outbox row, an unsaved join) should be tried again at `at`."""
        for listener in self._listeners:
            listener.retry_planned(at)
