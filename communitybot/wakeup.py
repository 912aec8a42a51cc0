"""The alarm between the parts that plan work for later and the scheduler that does it.

Why it exists: the job repository (a new job, maybe sooner than the scheduler's next wake-up),
the outbox (a delivery retry planned) and the bot (a join to store again after a full disk) must
wake the scheduler, but must not know it, and the scheduler must not reach into them to hook
itself in. So the composition root (`communitybot.bootstrap`, through `Store` and `Bot`) hands
one `Wakeup` to each by constructor; the scheduler built on that bot listens to it. Without a
listener (no scheduler: a script, a test of one feature) every call is a no-op: the work stays
in the database and the next start picks it up.
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
    """Passes "work is due at …" to the one listening scheduler, if any."""

    def __init__(self) -> None:
        self._listener: WakeupListener | None = None

    def listen(self, listener: WakeupListener | None) -> None:
        """Let `listener` hear from now on (the scheduler built on this bot); None: nobody."""
        self._listener = listener

    @property
    def listener(self) -> WakeupListener | None:
        return self._listener

    def job_scheduled(self, job_id: int, due_at: datetime) -> None:
        """A new job (possibly before the commit: the scheduler re-reads it before running)."""
        if self._listener is not None:
            self._listener.job_scheduled(job_id, due_at)

    def jobs_changed(self) -> None:
        """Many jobs at once: reload the window from the store."""
        if self._listener is not None:
            self._listener.jobs_changed()

    def retry_planned(self, at: datetime) -> None:
        """Something (an outbox row, an unsaved join) should be tried again at `at`."""
        if self._listener is not None:
            self._listener.retry_planned(at)
