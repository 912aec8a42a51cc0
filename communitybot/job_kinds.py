"""What a scheduled job kind is: its handler, grace window and retry policy.

Its own module, below the scheduler: features declare their job kinds (`Feature.jobs`) without
importing the scheduler, which runs them through the Bot, so the import arrows run one way
(features → job_kinds; scheduler → bot → registry → features).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from communitybot.context import Context
from communitybot.events import CommunityRef
from communitybot.replies import Action
from communitybot.store.jobs import Job
from communitybot.store.store import Store

__all__ = ["JobContext", "JobHandler", "JobKind", "JobLanes"]

JobContext = Context
"""A job handler's context: the one `Context`, with services and `now` but no acting member."""


JobHandler = Callable[[Context, Job], Awaitable[list[Action]]]
"""A job's work: store changes through `ctx.store` (same transaction as the mark), actions out."""

JobLanes = Callable[[Store, Job], Awaitable[Sequence[CommunityRef]]]
"""The further communities whose lanes a job's unit holds, read just before it runs."""


@dataclass(frozen=True)
class JobKind:
    handler: JobHandler
    grace: timedelta | None = timedelta(hours=1)
    """How late the job may still run (after downtime); later it is dropped. None: always run."""
    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=30)
    """Wait before the first retry, doubled for each further one (at most MAX_BACKOFF)."""
    long: bool = False
    """The handler may do long work (a solve, a platform call) through `units.outside`: each
    such job runs alone in a pausable unit, so that work really steps out of the transaction
    and the writer turn (the handler runs again with the saved result)."""
    live: bool = False
    """The handler calls the platform itself (e.g. `open_chat_thread`), so it needs the live
    platform connection: a worker (`communitybot worker`, no connection) never claims such a
    job; the platform's own process runs it. Returning actions needs no connection."""
    lanes: JobLanes | None = None
    """A `long` kind whose job writes in more communities than its own (a network-wide round,
    as a `spans="network"` command does) says which: the scheduler then holds their lanes too
    (and, on PostgreSQL, their advisory locks) for the job's unit. None: its community only."""
