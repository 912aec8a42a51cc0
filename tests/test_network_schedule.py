"""Network matching on a schedule: `network rounds setup|pause|resume|status` and `network
mentors settings auto_match=on …`, run by the real Scheduler on the fake clock.

The harness bot serves the "fake" platform (community-1, the steward's, with a moderator log);
a second bot on the same database serves "other" (space-1, standing in for a Matrix space), as
in tests/test_network_mentoring.py. The fake clock starts on Monday 4 January 2027, 12:00 UTC.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import pytest

from communitybot.bot import Bot
from communitybot.events import CommunityRef
from communitybot.mentoring.feature import FEATURE as mentoring
from communitybot.network_schedule import MATCH_JOB, ROUND_JOB
from communitybot.peers.index import PeerIndex
from communitybot.rate_limits import RateLimiter
from communitybot.replies import Action
from communitybot.rounds.feature import FEATURE as rounds
from communitybot.scheduler import Scheduler
from tests.conftest import COMMUNITY, Harness, running_scheduler
from tests.fakes import FakePlatform, Sent
from tests.test_network_mentoring import CODE, MODERATOR, SECOND, SPACE, World, rounds_member

HOUR = 3600.0
JOBS = {**rounds.jobs, **mentoring.jobs}


@pytest.fixture
async def world(harness: Harness) -> AsyncIterator[World]:
    """community-1 (steward ann, moderator log `modlog`) and space-1 on another platform."""
    platform = FakePlatform(name="other")
    limits = RateLimiter(harness.store, platform, harness.clock, enabled=False)
    bot = Bot(harness.store, platform, harness.clock, PeerIndex(), prefix="/", limits=limits)
    w = World(harness, bot, platform)
    harness.platform.moderators |= {"ann", "bea"}
    platform.moderators.add("@mod:other.example")
    for where in (COMMUNITY, SPACE):
        await w.command(where, MODERATOR[where], "/tags create robotics")
    await w.command(COMMUNITY, "ann", "/network create Makers")
    await join(w, SPACE)
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    await harness.store.communities.update_settings(community.id, modlog_channel="modlog")
    await w.deliver()
    yield w


async def join(world: World, where: CommunityRef) -> None:
    invite = await world.reply(COMMUNITY, "ann", "/network invite")
    found = CODE.search(invite)
    assert found, invite
    assert "affiliate" in await world.reply(where, MODERATOR[where], f"/network join {found[1]}")


async def four_in_rounds(world: World) -> None:
    for where, name in ((COMMUNITY, "cat"), (COMMUNITY, "dan"), (SPACE, "olga"), (SPACE, "oscar")):
        await rounds_member(world, where, name)


async def advance(
    world: World, scheduler: Scheduler, seconds: float
) -> tuple[list[Sent], list[Sent]]:
    """Move the clock, let due jobs run, and deliver on both platforms: (fake's, other's)."""
    world.harness.clock.advance(seconds=seconds)
    await scheduler.settle()
    return await world.deliver()


def intros(sent: Iterable[Sent], marker: str) -> set[str]:
    return {s.where for s in sent if marker in s.text}


def modlog(sent: Iterable[Sent]) -> list[str]:
    return [s.text for s in sent if s.where == "#modlog"]


async def pending(world: World, kind: str) -> int:
    row = await world.harness.store.db.fetch_one(
        "SELECT count(*) FROM jobs WHERE kind = ? AND status = 'pending'", (kind,)
    )
    assert row is not None
    return int(row[0])


async def network_round_keys(world: World) -> list[tuple[str, str]]:
    rows = await world.harness.store.db.fetch_all(
        "SELECT round_key, trigger FROM rounds WHERE round_key LIKE 'network:%' ORDER BY id"
    )
    return [(str(r[0]), str(r[1])) for r in rows]


ROUND_INTRO = "Peer round across the network"


async def test_a_network_round_fires_at_the_stewards_local_time_across_affiliates(
    world: World,
) -> None:
    await four_in_rounds(world)
    text = await world.reply(
        COMMUNITY, "ann", "/network rounds setup weekly monday 09:00 America/New_York"
    )
    # 09:00 in New York is 14:00 UTC in January: today, two hours from now
    assert "every week on Monday at 09:00" in text
    assert "next Monday 04 January 2027, 09:00" in text and "once a day at most" in text
    assert modlog(world.sent) and "scheduled network peer rounds" in modlog(world.sent)[0]
    status = await world.reply(COMMUNITY, "ann", "/network rounds status")
    assert "next Monday 04 January 2027, 09:00" in status
    async with running_scheduler(world.harness, JOBS) as scheduler:
        mine, theirs = await advance(world, scheduler, 2 * HOUR - 60)
        assert not intros(mine + theirs, ROUND_INTRO)
        mine, theirs = await advance(world, scheduler, 60)
        assert intros(mine, ROUND_INTRO) == {"dm:cat", "dm:dan"}
        assert intros(theirs, ROUND_INTRO) == {"dm:@olga:other.example", "dm:@oscar:other.example"}
        (note,) = modlog(mine)
        assert "Scheduled: Network peer round network:2027-01-04: 2 group(s) introduced, 2 " in note
        assert await network_round_keys(world) == [("network:2027-01-04", "schedule")]
        # once a day: a steward's run the same day introduces nobody again
        assert "already run" in await world.reply(COMMUNITY, "ann", "/network rounds run")
        status = await world.reply(COMMUNITY, "ann", "/network rounds status")
        assert "next Monday 11 January 2027, 09:00" in status and "has run" in status
        assert await pending(world, ROUND_JOB) == 1
        # and the week after, again (the four have not met twice: the solver avoids repeats)
        mine, theirs = await advance(world, scheduler, 7 * 24 * HOUR)
        assert intros(mine, ROUND_INTRO) == {"dm:cat", "dm:dan"}
        assert [k for k, _ in await network_round_keys(world)] == [
            "network:2027-01-04",
            "network:2027-01-11",
        ]


async def test_at_most_one_network_round_a_day(world: World) -> None:
    await four_in_rounds(world)
    await world.command(COMMUNITY, "ann", "/network rounds setup weekly monday 13:00")
    text = await world.reply(COMMUNITY, "ann", "/network rounds run")
    assert "2 group(s) introduced" in text
    await world.deliver()
    async with running_scheduler(world.harness, JOBS) as scheduler:
        mine, theirs = await advance(world, scheduler, HOUR)
    assert not intros(mine + theirs, ROUND_INTRO)
    (note,) = modlog(mine)
    assert "today's (network:2027-01-04) had already run" in note
    assert await network_round_keys(world) == [("network:2027-01-04", "manual")]
    assert await pending(world, ROUND_JOB) == 1  # next Monday's


async def test_pause_and_resume(world: World) -> None:
    await four_in_rounds(world)
    assert "nothing to pause" in await world.reply(COMMUNITY, "ann", "/network rounds pause")
    assert "never scheduled" in await world.reply(COMMUNITY, "ann", "/network rounds resume")
    await world.command(COMMUNITY, "ann", "/network rounds setup weekly monday 13:00")
    text = await world.reply(COMMUNITY, "ann", "/network rounds pause")
    assert "paused (every week on Monday at 13:00 (UTC) when on)" in text
    assert "paused" in await world.reply(COMMUNITY, "ann", "/network rounds status")
    assert await pending(world, ROUND_JOB) == 0
    async with running_scheduler(world.harness, JOBS) as scheduler:
        mine, theirs = await advance(world, scheduler, 2 * HOUR)
        assert not intros(mine + theirs, ROUND_INTRO)
        text = await world.reply(COMMUNITY, "ann", "/network rounds resume")
        # 14:00 now: today's 13:00 has passed, so the next is a week later
        assert "on again" in text and "next Monday 11 January 2027, 13:00" in text
        assert "already on" in await world.reply(COMMUNITY, "ann", "/network rounds resume")
        mine, _ = await advance(world, scheduler, 7 * 24 * HOUR)
        assert intros(mine, ROUND_INTRO) == {"dm:cat", "dm:dan"}
    assert await network_round_keys(world) == [("network:2027-01-11", "schedule")]


async def test_only_stewards_schedule_and_bad_input_changes_nothing(world: World) -> None:
    await four_in_rounds(world)
    for line in (
        "/network rounds setup weekly",
        "/network rounds pause",
        "/network rounds status",
        "/network mentors settings auto_match=on",
        "/network mentors settings",
    ):
        assert "Only the network's stewards" in await world.reply(COMMUNITY, "cat", line), line
        # moderators of an affiliate are no stewards either
        assert "Only the network's stewards" in await world.reply(
            SPACE, "@mod:other.example", line
        ), line
    for line, why in (
        ("/network rounds setup weekly someday", "not a weekday"),
        ("/network rounds setup weekly monday 25:00", "not a time"),
        ("/network rounds setup weekly monday 09:00 Mars/Olympus", "Mars/Olympus"),
        ("/network mentors settings auto_match=on weekday=someday", "not a weekday"),
        ("/network mentors settings time=10:00", "add `auto_match=on`"),
        ("/network mentors settings auto_match=off", "already off"),
    ):
        text = await world.reply(COMMUNITY, "ann", line)
        assert why in text and "Nothing was changed" in text, (line, text)
    store = world.harness.store.mentoring
    network = await world.harness.store.networks.of_community(1)
    assert network is not None
    assert await store.network_schedule(network.id, "rounds") is None
    assert await store.network_schedule(network.id, "mentors") is None
    assert await pending(world, ROUND_JOB) == await pending(world, MATCH_JOB) == 0
    outside = await world.reply(SECOND, "bea", "/network rounds setup weekly")
    assert "not in a network" in outside


async def test_automatic_mentor_matching_pairs_across_affiliates(world: World) -> None:
    await world.person(COMMUNITY, "cat", "/mentor request robotics goals=Start a robotics club")
    await world.person(SPACE, "olga", "/mentor offer 1 robotics note=Ran one for years")
    shown = await world.reply(COMMUNITY, "ann", "/network mentors settings")
    assert "Automatic matching: not scheduled" in shown and "Prefer mentors outside" in shown
    text = await world.reply(
        COMMUNITY, "ann", "/network mentors settings auto_match=on every=weekly time=13:00"
    )
    assert "every week on Monday at 13:00 (UTC); next Monday 04 January 2027, 13:00" in text
    shown = await world.reply(COMMUNITY, "ann", "/network mentors settings")
    assert "Automatic matching: every week on Monday at 13:00 (UTC)" in shown
    async with running_scheduler(world.harness, JOBS) as scheduler:
        mine, theirs = await advance(world, scheduler, HOUR)
        assert "dm:cat" in intros(mine, "robotics club")
        assert "dm:@olga:other.example" in intros(theirs, "robotics club")
        (note,) = modlog(mine)
        assert "Scheduled network mentoring round: 1 new pair(s) introduced, 1 of them across" in (
            note
        )
        cat = await world.member_id(COMMUNITY, "cat")
        (pair,) = await world.harness.store.mentoring.pairs_among([cat])
        assert pair.round_key == "network:2027-01-04"
        # the next week nobody waits: the run says so in the moderator log, and changes nothing
        mine, theirs = await advance(world, scheduler, 7 * 24 * HOUR)
        (note,) = modlog(mine)
        assert "Nobody to match across the network right now" in note
        assert not intros(mine + theirs, "robotics club")
        # off: the next run does nothing, and no job is left
        text = await world.reply(COMMUNITY, "ann", "/network mentors settings auto_match=off")
        assert "Automatic network matching is off" in text
        assert await pending(world, MATCH_JOB) == 0
        await world.person(COMMUNITY, "dan", "/mentor request robotics")
        await world.person(SPACE, "oscar", "/mentor offer 1 robotics")
        mine, theirs = await advance(world, scheduler, 7 * 24 * HOUR)
        assert not intros(mine + theirs, "new mentor")  # (check-ins of the first pair go on)
        assert not modlog(mine)
        dan = await world.member_id(COMMUNITY, "dan")
        assert await world.harness.store.mentoring.pairs_among([dan]) == []


async def test_the_scheduled_job_holds_every_affiliates_lane(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await join(world, SECOND)
    await four_in_rounds(world)
    await world.command(COMMUNITY, "ann", "/network rounds setup weekly monday 13:00")
    await world.command(COMMUNITY, "ann", "/network mentors settings auto_match=on time=13:00")
    held: list[set[CommunityRef]] = []
    bot = world.harness.bot
    original = bot.run_scheduled

    async def recording(
        work: Callable[[], Awaitable[list[Action]]], **options: Any
    ) -> list[Action]:
        held.append(set(options.get("communities", ())))
        return await original(work, **options)

    monkeypatch.setattr(bot, "run_scheduled", recording)
    async with running_scheduler(world.harness, JOBS) as scheduler:
        await advance(world, scheduler, HOUR)
    everyone = {COMMUNITY, SECOND, SPACE}
    assert sum(1 for lanes in held if lanes == everyone) == 2  # the round and the matching
    assert await network_round_keys(world) == [("network:2027-01-04", "schedule")]


async def test_a_job_whose_network_is_gone_does_nothing_and_plans_nothing(world: World) -> None:
    await four_in_rounds(world)
    await world.command(COMMUNITY, "ann", "/network rounds setup weekly monday 13:00")
    await world.command(COMMUNITY, "ann", "/network mentors settings auto_match=on time=13:00")
    assert await pending(world, ROUND_JOB) == await pending(world, MATCH_JOB) == 1
    await world.command(SPACE, "@mod:other.example", "/network leave")
    await world.command(COMMUNITY, "ann", "/network leave")  # the last affiliate: network gone
    await world.deliver()
    async with running_scheduler(world.harness, JOBS) as scheduler:
        mine, theirs = await advance(world, scheduler, HOUR)
    assert not intros(mine + theirs, ROUND_INTRO) and not modlog(mine)
    assert await network_round_keys(world) == []
    assert await pending(world, ROUND_JOB) == await pending(world, MATCH_JOB) == 0


async def test_when_the_stewards_affiliate_leaves_another_runs_the_schedule(
    world: World,
) -> None:
    """The schedule is the network's: the affiliate that set it up leaving changes nothing
    for the others; the earliest affiliate still in runs it from then on."""
    await world.command(SECOND, "bea", "/tags create robotics")
    await join(world, SECOND)
    for where, name in ((SECOND, "eve"), (SECOND, "fay"), (SPACE, "olga"), (SPACE, "oscar")):
        await rounds_member(world, where, name)
    await world.command(COMMUNITY, "ann", "/network rounds setup weekly monday 13:00")
    await world.command(COMMUNITY, "ann", "/network leave")
    await world.deliver()
    async with running_scheduler(world.harness, JOBS) as scheduler:
        mine, theirs = await advance(world, scheduler, HOUR)
    assert intros(mine, ROUND_INTRO) == {"dm:eve", "dm:fay"}
    assert intros(theirs, ROUND_INTRO) == {"dm:@olga:other.example", "dm:@oscar:other.example"}
    space = await world.harness.store.communities.get(SPACE)
    assert space is not None  # space-1 joined first: it runs the schedule now
    assert await world.harness.store.rounds.round_id(space.id, "network:2027-01-04")
    job = await world.harness.store.db.fetch_one(
        "SELECT community_id FROM jobs WHERE kind = ? AND status = 'pending'", (ROUND_JOB,)
    )
    assert job is not None and int(job[0]) == space.id


async def test_the_schedule_is_the_networks_a_steward_who_left_does_not_matter(
    world: World,
) -> None:
    await four_in_rounds(world)
    await world.command(COMMUNITY, "ann", "/network rounds setup weekly monday 13:00")
    await world.harness.leave("ann")  # the only steward leaves their community
    world.harness.platform.take()
    async with running_scheduler(world.harness, JOBS) as scheduler:
        mine, theirs = await advance(world, scheduler, HOUR)
    assert intros(mine, ROUND_INTRO) == {"dm:cat", "dm:dan"}
    assert intros(theirs, ROUND_INTRO) == {"dm:@olga:other.example", "dm:@oscar:other.example"}
    assert await network_round_keys(world) == [("network:2027-01-04", "schedule")]


async def test_a_run_found_days_late_is_skipped_and_the_schedule_goes_on(world: World) -> None:
    await four_in_rounds(world)
    await world.command(COMMUNITY, "ann", "/network rounds setup weekly monday 13:00")
    await world.command(COMMUNITY, "ann", "/network mentors settings auto_match=on time=13:00")
    world.harness.platform.take()
    world.harness.clock.advance(days=3)  # the bot was down over Monday's runs
    async with running_scheduler(world.harness, JOBS) as scheduler:
        mine, theirs = await advance(world, scheduler, 1)
        assert not intros(mine + theirs, ROUND_INTRO)
        notes = modlog(mine)
        assert len(notes) == 2 and all("skipped: I was offline" in n for n in notes)
        assert await network_round_keys(world) == []
        status = await world.reply(COMMUNITY, "ann", "/network rounds status")
        assert "next Monday 11 January 2027, 13:00" in status
        mine, _ = await advance(world, scheduler, 4 * 24 * HOUR + HOUR)
        assert intros(mine, ROUND_INTRO) == {"dm:cat", "dm:dan"}
