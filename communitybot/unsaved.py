"""Events the database could not store (full disk, read-only file), kept to try again later.

A member who joins while the disk is full must not be forgotten: nobody re-sends a join. The
bot keeps such events in memory and handles them again with growing pauses (1 minute, doubling
to an hour) when the scheduler next delivers the outbox; once the disk has room the join goes
through as if it had just happened. Commands and messages are not kept: their author is told
at once that nothing was changed and can simply try again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from communitybot.events import Event, MemberJoined

FIRST_PAUSE = timedelta(minutes=1)
LONGEST_PAUSE = timedelta(hours=1)
MAX_KEPT = 10_000
"""A bound on memory: past it the oldest waiting event is dropped (and logged by the bot)."""


@dataclass
class _Waiting:
    attempts: int
    due: datetime


class UnsavedEvents:
    """The events to handle again, each with its own back-off."""

    def __init__(self) -> None:
        self._waiting: dict[Event, _Waiting] = {}
        self._retrying: dict[Event, int] = {}
        """Events being handled again right now, with their attempts so far."""

    @staticmethod
    def worth_keeping(event: Event) -> bool:
        """Only joins: nobody sends them again, and a lost one leaves a member unwelcomed."""
        return isinstance(event, MemberJoined)

    def keep(self, event: Event, now: datetime) -> tuple[datetime, Event | None]:
        """Plan another try; returns when, and the event dropped to make room (if any)."""
        earlier = self._waiting.pop(event, None)
        before = earlier.attempts if earlier is not None else self._retrying.get(event, 0)
        attempts = before + 1
        pause = min(FIRST_PAUSE * 2 ** min(attempts - 1, 12), LONGEST_PAUSE)
        dropped = None
        if len(self._waiting) >= MAX_KEPT:
            dropped = next(iter(self._waiting))
            del self._waiting[dropped]
        self._waiting[event] = _Waiting(attempts, now + pause)
        return now + pause, dropped

    def take_due(self, now: datetime) -> list[Event]:
        """The events whose pause is over, in the order they first failed. Each is handled
        again; if that fails too, `keep` plans the next try with a longer pause."""
        due = [event for event, waiting in self._waiting.items() if waiting.due <= now]
        for event in due:
            self._retrying[event] = self._waiting.pop(event).attempts
        return due

    def finished(self, event: Event) -> None:
        """The retry is over (stored, or kept again by `keep`)."""
        self._retrying.pop(event, None)

    def __len__(self) -> int:
        return len(self._waiting)
