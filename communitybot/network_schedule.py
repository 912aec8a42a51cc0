"""Network matching on a schedule: when `network mentors match` and `network rounds run` run by
themselves, and the durable jobs that run them.

The timing is the community peer rounds' (`communitybot.rounds.schedule`: weekly, biweekly or
the first chosen weekday of each month, at a local time in the steward's IANA zone that stays
put across clock changes), stored per network and kind (migration 0030, `network_schedules`,
through `store.mentoring`). Each run is one job whose key names the kind, the network, the
schedule's generation and the moment, so planning twice is harmless and a job from a replaced
or paused schedule is a no-op.

- **Every affiliate's lane.** A job writes across the network as the stewards' commands do
  (`spans="network"`), so its kind declares `lanes`: the scheduler holds every current
  affiliate's lane (and, on PostgreSQL, its advisory lock) for the unit, not only the job's
  community.
- **Which process runs it.** A job belongs to one affiliate (`jobs.community_id`): the
  steward's at setup. If that affiliate has left when the job comes due, the earliest affiliate
  still in runs it and the following ones.
- **A network that is gone** (its last affiliate left: the row went with it) runs nothing and
  plans nothing. A steward who left does not matter: the schedule is the network's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from loguru import logger

from communitybot.chats.schedule import (
    Occurrence,
    Schedule,
    ScheduleError,
    next_occurrence,
    reanchored,
)
from communitybot.context import Context
from communitybot.events import CommunityRef
from communitybot.i18n import tr
from communitybot.i18n.dates import full_datetime
from communitybot.models import Community
from communitybot.rounds.schedule import (
    DEFAULT_TIME,
    DEFAULT_TIMEZONE,
    DEFAULT_WEEKDAY,
    RoundInputError,
    build,
    parse_frequency,
    parse_time,
    parse_weekday,
)
from communitybot.store.jobs import Job
from communitybot.store.mentoring import NetworkJob, NetworkSchedule
from communitybot.store.networks import Network
from communitybot.store.store import Store
from communitybot.timezones import TimezoneError, ZoneReading, describe_zone, read_timezone

MATCH_JOB = "network.mentors.match"
ROUND_JOB = "network.rounds.run"
JOB_OF: dict[NetworkJob, str] = {"mentors": MATCH_JOB, "rounds": ROUND_JOB}
LATE_LIMIT = timedelta(days=2)
"""A scheduled run found later than this (the bot was down) is skipped, not run days late."""

TIMING_ERRORS = (RoundInputError, TimezoneError, ScheduleError)
"""What a steward's timing can be wrong with: each says so in a friendly sentence."""


def schedule_of(settings: NetworkSchedule) -> Schedule:
    if settings.frequency == "monthly":
        return Schedule("monthly", settings.timezone, settings.local_time, settings.anchor, nth=1)
    interval = 2 if settings.frequency == "biweekly" else 1
    return Schedule(
        "weekly", settings.timezone, settings.local_time, settings.anchor, interval=interval
    )


def describe(settings: NetworkSchedule) -> str:
    """E.g. "every week on Monday at 09:00 (UTC)"."""
    return schedule_of(settings).describe()


def status_line(settings: NetworkSchedule | None, what: str, prefix: str, command: str) -> str:
    """One line: on and when next, paused, or never set up (and how to set it up)."""
    if settings is None:
        return tr(
            "{what}: not scheduled (`{command}` sets it up).", what=what, command=prefix + command
        )
    if not settings.active:
        return tr("{what}: paused ({schedule} when on).", what=what, schedule=describe(settings))
    if settings.next_at is None:  # pragma: no cover - an active schedule always has a next run
        return tr("{what}: {schedule}.", what=what, schedule=describe(settings))
    local = settings.next_at.astimezone(schedule_of(settings).zone)
    return tr(
        "{what}: {schedule}; next {when} ({zone}).",
        what=what,
        schedule=describe(settings),
        when=full_datetime(local),
        zone=describe_zone(settings.timezone),
    )


def _key(settings: NetworkSchedule, start: datetime) -> str:
    job = JOB_OF[settings.kind]
    return (
        f"{job}:{settings.network_id}:{settings.generation}:{start.isoformat(timespec='minutes')}"
    )


async def schedule_next(store: Store, settings: NetworkSchedule, now: datetime) -> None:
    """Put the schedule's next run on the scheduler (idempotent), under its affiliate."""
    if not settings.active or settings.next_at is None:
        return
    payload = {
        "network": settings.network_id,
        "generation": settings.generation,
        "at": settings.next_at.isoformat(),
    }
    await store.jobs.schedule(
        JOB_OF[settings.kind],
        settings.next_at,
        _key(settings, settings.next_at),
        now,
        payload,
        community_id=settings.community_id,
    )


async def cancel_next(store: Store, settings: NetworkSchedule | None, now: datetime) -> None:
    if settings is not None and settings.next_at is not None:
        await store.jobs.cancel(_key(settings, settings.next_at), now)


@dataclass(frozen=True)
class Timing:
    """A steward's timing, read and checked before anything changes."""

    frequency: str
    weekday: int
    at: time
    zone: ZoneReading
    schedule: Schedule


def read_timing(
    options: dict[str, Any], old: NetworkSchedule | None, now: datetime, frequency_key: str
) -> Timing:
    """The options (`frequency_key`, weekday, time, timezone), each left out keeping the old
    schedule's value (or the default). Raises one of `TIMING_ERRORS`."""
    raw_frequency = options.get(frequency_key)
    frequency = (
        parse_frequency(str(raw_frequency))
        if raw_frequency is not None
        else (old.frequency if old else "weekly")
    )
    raw_weekday, raw_time = options.get("weekday"), options.get("time")
    weekday = (
        parse_weekday(raw_weekday)
        if raw_weekday is not None
        else (old.weekday if old else DEFAULT_WEEKDAY)
    )
    at = parse_time(raw_time) if raw_time is not None else (old.local_time if old else DEFAULT_TIME)
    raw_zone = options.get("timezone")
    zone = (
        read_timezone(str(raw_zone), now)
        if raw_zone
        else ZoneReading(old.timezone if old else DEFAULT_TIMEZONE)
    )
    schedule = build(frequency, weekday, at, zone.name, now)
    return Timing(frequency, weekday, at, zone, schedule)


async def set_up(
    ctx: Context, network: Network, kind: NetworkJob, timing: Timing
) -> NetworkSchedule:
    """Turn the schedule on with `timing` (replacing any earlier one): its first run is planned
    under the steward's community."""
    now, store = ctx.clock.now(), ctx.store
    await cancel_next(store, await store.mentoring.network_schedule(network.id, kind), now)
    first = next_occurrence(timing.schedule, now)
    assert first is not None  # recurring rules always have a next one
    saved = await store.mentoring.put_network_schedule(
        network.id,
        kind,
        timing.frequency,
        timing.weekday,
        timing.at,
        timing.zone.name,
        timing.schedule.anchor,
        first.start,
        ctx.community.id,
        now,
    )
    await schedule_next(store, saved, now)
    return saved


async def pause(ctx: Context, settings: NetworkSchedule) -> None:
    now = ctx.clock.now()
    await cancel_next(ctx.store, settings, now)
    await ctx.store.mentoring.pause_network_schedule(settings.network_id, settings.kind, now)


def timing_of(settings: NetworkSchedule, now: datetime) -> Timing:
    """The stored timing, anchored afresh at its first run after `now` (for `resume`)."""
    schedule = build(
        settings.frequency, settings.weekday, settings.local_time, settings.timezone, now
    )
    zone = ZoneReading(settings.timezone)
    return Timing(settings.frequency, settings.weekday, settings.local_time, zone, schedule)


async def lanes(store: Store, job: Job) -> list[CommunityRef]:
    """`JobKind.lanes`: every current affiliate of the job's network (none once it is gone)."""
    return [ref for _, ref in await store.networks.affiliate_refs(int(job.payload["network"]))]


@dataclass(frozen=True)
class Due:
    """A scheduled run that is to happen now."""

    network: Network
    settings: NetworkSchedule
    home: Community
    """The affiliate that runs it: notes go to its moderator log; a network round is its round."""
    due: datetime
    late: bool
    """Found more than `LATE_LIMIT` after its time (the bot was down): skipped, only noted."""


async def take_due(jctx: Context, job: Job, kind: NetworkJob) -> Due | None:
    """The run `job` stands for, with the following one already planned (the chain never
    stalls); None when it is a no-op: the network is gone, the schedule was paused or changed
    after this job was planned."""
    store = jctx.store
    network_id = int(job.payload["network"])
    due = datetime.fromisoformat(str(job.payload["at"]))
    network = await store.networks.get(network_id)
    settings = await store.mentoring.network_schedule(network_id, kind)
    if (
        network is None
        or settings is None
        or not settings.active
        or settings.generation != int(job.payload["generation"])
        or settings.next_at != due
    ):
        return None
    refs = await store.networks.affiliate_refs(network_id)
    if not refs:  # pragma: no cover - a network without affiliates is deleted with the last
        return None
    ids = [cid for cid, _ in refs]
    home_id = settings.community_id if settings.community_id in ids else ids[0]
    home = await store.communities.get_by_id(home_id)
    if home is None:  # pragma: no cover - an affiliate's community row exists
        return None
    schedule = schedule_of(settings)
    local = due.astimezone(schedule.zone)
    schedule = reanchored(schedule, Occurrence(due, local))
    following = next_occurrence(schedule, max(due, jctx.now))
    await store.mentoring.advance_network_schedule(
        network_id, kind, local.date(), following.start if following else None, home.id
    )
    fresh = await store.mentoring.network_schedule(network_id, kind)
    if fresh is not None:
        await schedule_next(store, fresh, jctx.now)
    late = jctx.now - due > LATE_LIMIT
    if late:
        logger.warning("scheduled {} of network {} due {} was missed", kind, network_id, due)
    return Due(network, settings, home, due, late)
