"""`/metrics` in Prometheus' text format, with prometheus_client (the reference client, kept by
the Prometheus project; already installed beside matrix-synapse in development).

Counted as they happen (a `Bot.observers` hook): events handled by kind and command latency.
Read at scrape time: jobs due and late, the outbox backlog (database counts), each served
platform's connection state. One registry per dashboard, never the global one, so two bots in
one test run do not share counters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from communitybot.commands import find_command
from communitybot.events import CommandInvoked, Event
from communitybot.store.db import Database
from communitybot.store.jobs import due_to_db

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATE_AFTER = timedelta(minutes=1)
"""A pending job this long past its due time counts as late."""
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def command_label(event: CommandInvoked) -> str:
    """The catalogue path ("tags add"); anything else is "unknown" (bounded label values)."""
    return " ".join(event.path) if find_command(event.path) is not None else "unknown"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.events = Counter(
            "communitybot_events_handled",
            "Events the bot handled, by kind (CommandInvoked, MemberJoined, ...)",
            ["kind"],
            registry=self.registry,
        )
        self.command_seconds = Histogram(
            "communitybot_command_seconds",
            "Seconds from a command's arrival to its committed answer (before delivery)",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.jobs_due = Gauge(
            "communitybot_jobs_due", "Pending jobs whose due time has come", registry=self.registry
        )
        self.jobs_late = Gauge(
            "communitybot_jobs_late",
            f"Pending jobs more than {int(LATE_AFTER.total_seconds())} s past their due time",
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "communitybot_outbox_backlog",
            "Actions committed but not yet delivered to a platform",
            registry=self.registry,
        )
        self.platform_connected = Gauge(
            "communitybot_platform_connected",
            "1 while the platform is connected (see docs/dashboard.md for what that means)",
            ["platform"],
            registry=self.registry,
        )
        self.platform_last_heard = Gauge(  # h7: the readiness heartbeat
            "communitybot_platform_last_heard_seconds",
            "Seconds since the platform was last heard from (gateway message, answered sync)",
            ["platform"],
            registry=self.registry,
        )

    def observe(self, event: Event, seconds: float) -> None:
        """The `Bot.observers` hook."""
        self.events.labels(type(event).__name__).inc()
        if isinstance(event, CommandInvoked):
            self.command_seconds.labels(command_label(event)).observe(seconds)

    async def refresh(
        self,
        db: Database,
        now: datetime,
        connected: Mapping[str, Callable[[], bool]],
        heard: Mapping[str, Callable[[], float | None]] | None = None,
    ) -> None:
        """Read the gauges that come from the database and the platforms."""
        row = await db.fetch_one(
            "SELECT coalesce(sum(CASE WHEN due_at <= ? THEN 1 ELSE 0 END), 0) AS due,"
            " coalesce(sum(CASE WHEN due_at <= ? THEN 1 ELSE 0 END), 0) AS late"
            " FROM jobs WHERE status = 'pending'",
            (due_to_db(now), due_to_db(now - LATE_AFTER)),
        )
        self.jobs_due.set(int(row["due"]) if row else 0)
        self.jobs_late.set(int(row["late"]) if row else 0)
        backlog = await db.fetch_one("SELECT count(*) AS n FROM outbox")
        self.outbox_backlog.set(int(backlog["n"]) if backlog else 0)
        for name, is_connected in connected.items():
            self.platform_connected.labels(name).set(1 if is_connected() else 0)
        for name, last_heard in (heard or {}).items():  # h7: not heard yet: no sample
            silence = last_heard()
            if silence is not None:
                self.platform_last_heard.labels(name).set(round(silence, 1))

    def text(self) -> bytes:
        return generate_latest(self.registry)
