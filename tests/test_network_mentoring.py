"""Mentor matching across a network: stewards' rounds, introductions on each side's own
platform, prefer-outside, linked people never paired with themselves, and `network stats`.

The harness bot serves the "fake" platform (community-1, community-2); a second bot on the same
database serves "other" (space-1, standing in for a Matrix space): an introduction for a member
there is queued in the outbox for that platform and goes out when its process delivers.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from communitybot.bot import Bot
from communitybot.command_parser import parse_command_line
from communitybot.events import CommandInvoked, CommunityRef, ConversationRef, UserRef
from communitybot.mentoring import solver
from communitybot.mentoring.feature import FEATURE as mentoring
from communitybot.peers.index import PeerIndex
from communitybot.rate_limits import RateLimiter
from communitybot.rounds.feature import FEATURE as rounds
from tests.conftest import COMMUNITY, Harness, running_scheduler
from tests.fakes import FakePlatform, Sent

SECOND = CommunityRef("fake", "community-2")
SPACE = CommunityRef("other", "space-1")
CODE = re.compile(r"\*\*`?([0-9A-Z]{4}-[0-9A-Z]{4})`?\*\*")
MODERATOR = {COMMUNITY: "ann", SECOND: "bea", SPACE: "@mod:other.example"}


def account(where: CommunityRef, name: str) -> UserRef:
    if where.platform == "other":
        return UserRef("other", f"@{name}:other.example", name.capitalize())
    return UserRef(where.platform, name, name.capitalize())


@dataclass
class World:
    harness: Harness
    other_bot: Bot
    other_platform: FakePlatform
    sent: list[Sent] = field(default_factory=list)
    """What the acting platform sent during the last `reply`."""

    def platform_of(self, where: CommunityRef) -> FakePlatform:
        return self.other_platform if where.platform == "other" else self.harness.platform

    async def command(self, where: CommunityRef, name: str, line: str) -> None:
        bot = self.other_bot if where.platform == "other" else self.harness.bot
        who = account(where, name) if not name.startswith("@") else UserRef("other", name, name)
        parsed = parse_command_line(line, "/", lambda raw: account(where, raw))
        await bot.dispatch(
            CommandInvoked(
                where,
                who,
                ConversationRef(where.platform, "channel", "general"),
                parsed.command.path,
                parsed.options,
            )
        )

    async def reply(self, where: CommunityRef, name: str, line: str) -> str:
        platform = self.platform_of(where)
        platform.take()
        await self.command(where, name, line)
        user_id = name if name.startswith("@") else account(where, name).user_id
        self.sent = platform.take()
        (text,) = [s.text for s in self.sent if s.where == f"reply:{user_id}"]
        return text

    async def deliver(self) -> tuple[list[Sent], list[Sent]]:
        """Both platforms' processes deliver what is owed to them: (fake's, other's)."""
        await self.harness.bot.deliver_outbox()
        await self.other_bot.deliver_outbox()
        return self.harness.platform.take(), self.other_platform.take()

    async def person(
        self, where: CommunityRef, name: str, line: str, scope: str = "network"
    ) -> None:
        """A member findable across the network (or not) with a mentoring offer or request."""
        await self.command(where, name, f"/privacy discoverable {scope}")
        await self.command(where, name, line)
        self.platform_of(where).take()

    async def member_id(self, where: CommunityRef, name: str) -> int:
        store = self.harness.store
        community = await store.communities.get(where)
        assert community is not None
        member = await store.members.get(community.id, account(where, name))
        assert member is not None
        return member.id


@pytest.fixture
async def world(harness: Harness) -> AsyncIterator[World]:
    platform = FakePlatform(name="other")
    limits = RateLimiter(harness.store, platform, harness.clock, enabled=False)
    bot = Bot(harness.store, platform, harness.clock, PeerIndex(), prefix="/", limits=limits)
    w = World(harness, bot, platform)
    harness.platform.moderators |= {"ann", "bea"}
    platform.moderators.add("@mod:other.example")
    for where, tags in (
        (COMMUNITY, "maths robotics"),
        (SPACE, "maths robotics"),
        (SECOND, "maths"),
    ):
        for tag in tags.split():
            await w.command(where, MODERATOR[where], f"/tags create {tag}")
    await w.command(COMMUNITY, "ann", "/network create Makers")
    invite = await w.reply(COMMUNITY, "ann", "/network invite")
    found = CODE.search(invite)
    assert found, invite
    assert "affiliate" in await w.reply(SPACE, "@mod:other.example", f"/network join {found[1]}")
    await w.deliver()
    yield w


async def test_a_steward_matches_across_platforms_and_each_side_is_introduced_at_home(
    world: World,
) -> None:
    await world.person(COMMUNITY, "cat", "/mentor request robotics goals=Start a robotics club")
    await world.person(SPACE, "olga", "/mentor offer 1 robotics note=Ran one for years")
    preview = await world.reply(COMMUNITY, "ann", "/network mentors match dry_run")
    assert "Preview" in preview and "1 new pair(s) to make, 1 of them across affiliates" in preview
    assert "“Cat” (fake “community-1”) ← “Olga” (other “space-1”)" in preview
    assert await world.harness.store.mentoring.pairs_among([1, 2, 3, 4, 5, 6]) == []

    text = await world.reply(COMMUNITY, "ann", "/network mentors match")
    assert "1 new pair(s) introduced, 1 of them across affiliates" in text
    mine, theirs = await world.deliver()
    sent_here = world.sent + mine
    (cat,) = [s for s in sent_here if s.where == "dm:cat"]  # their own platform, a DM
    (olga,) = [s for s in theirs if s.where == "dm:@olga:other.example"]
    for intro in (cat.text, olga.text):
        assert "robotics" in intro and "“Start a robotics club”" in intro
        assert "“Ran one for years”" in intro and "mentor end" in intro
    # each side learns where the other is and how to reach them, as inert text
    assert "“Olga” is in other “space-1” on other: reach them as `@olga:other.example`" in (
        cat.text
    )
    assert "“Cat” is in fake “community-1” on fake: reach them as `cat`" in olga.text
    assert "meet “Cat”!" in olga.text  # never a live mention on the other platform
    # Olga's introduction was delivered by the other platform's process, Cat's by fake's
    assert not [s for s in sent_here if "olga" in s.where]
    assert not [s for s in theirs if "cat" in s.where]
    cat_id = await world.member_id(COMMUNITY, "cat")
    (pair,) = await world.harness.store.mentoring.active_pairs_of(cat_id)
    assert pair.mentor_id == await world.member_id(SPACE, "olga")
    assert pair.community_id == (await world.harness.store.communities.get(COMMUNITY)).id  # type: ignore[union-attr]
    # a replayed round introduces nobody twice; Olga's one seat is taken everywhere
    assert "Nobody to match" in await world.reply(COMMUNITY, "ann", "/network mentors match")


async def test_only_members_findable_across_the_network_are_matched(world: World) -> None:
    await world.person(COMMUNITY, "cat", "/mentor request robotics")
    await world.person(SPACE, "olga", "/mentor offer 1 robotics", scope="on")
    text = await world.reply(COMMUNITY, "ann", "/network mentors match")
    assert "Nobody to match across the network" in text and "1 open mentee request" in text


async def test_non_stewards_are_refused_and_nothing_changes(world: World) -> None:
    await world.person(COMMUNITY, "cat", "/mentor request robotics")
    await world.person(SPACE, "olga", "/mentor offer 1 robotics")
    for line in ("/network mentors match", "/network mentors prefer-outside off"):
        text = await world.reply(COMMUNITY, "cat", line)
        assert "Only the network's stewards" in text and "Nothing was changed" in text
    text = await world.reply(SPACE, "@mod:other.example", "/network mentors match")
    assert "Only the network's stewards" in text  # a moderator is not a steward
    cat_id = await world.member_id(COMMUNITY, "cat")
    assert await world.harness.store.mentoring.active_pairs_of(cat_id) == []
    assert "on" in await world.reply(COMMUNITY, "ann", "/network mentors prefer-outside")


async def test_prefer_outside_changes_who_is_paired(world: World) -> None:
    # Amos (same affiliate, same time zone) fits Cat a little better than Olga (two hours off)
    await world.person(COMMUNITY, "cat", "/mentor request maths")
    await world.person(COMMUNITY, "amos", "/mentor offer 1 maths")
    await world.person(SPACE, "olga", "/mentor offer 1 maths")
    store = world.harness.store
    await store.members.update(await world.member_id(COMMUNITY, "cat"), timezone="Europe/London")
    await store.members.update(await world.member_id(COMMUNITY, "amos"), timezone="Europe/London")
    await store.members.update(await world.member_id(SPACE, "olga"), timezone="Europe/Athens")
    outside = await world.reply(COMMUNITY, "ann", "/network mentors match dry_run")
    assert "Prefer outside: on" in outside and "← “Olga”" in outside
    assert "prefer outside: off" in await world.reply(
        COMMUNITY, "ann", "/network mentors prefer-outside off"
    )
    home = await world.reply(COMMUNITY, "ann", "/network mentors match dry_run")
    assert "Prefer outside: off" in home and "← “Amos”" in home


async def test_one_person_is_never_their_own_mentor_across_the_network(world: World) -> None:
    # cat in community-1 asks; cat's other membership (same account) offers in space? No:
    # the same fake account in a second fake affiliate, and a linked account on "other".
    found = CODE.search(await world.reply(COMMUNITY, "ann", "/network invite"))
    assert found
    await world.command(SECOND, "bea", "/network join " + found[1])
    await world.person(COMMUNITY, "cat", "/mentor request maths")
    await world.person(SECOND, "cat", "/mentor offer 1 maths")  # the same account, elsewhere
    text = await world.reply(COMMUNITY, "ann", "/network mentors match dry_run")
    assert "Nobody to match" in text or "0 new pair(s)" in text
    cat_account = account(COMMUNITY, "cat")
    olga_account = account(SPACE, "olga")
    await world.harness.store.people.link(cat_account, olga_account, world.harness.clock.now())
    await world.person(SPACE, "olga", "/mentor offer 1 maths")  # Cat's linked account
    text = await world.reply(COMMUNITY, "ann", "/network mentors match dry_run")
    assert "0 new pair(s)" in text
    await world.person(SPACE, "oscar", "/mentor offer 1 maths")  # someone else
    text = await world.reply(COMMUNITY, "ann", "/network mentors match dry_run")
    assert "1 new pair(s)" in text and "← “Oscar”" in text


async def test_network_stats_counts_pairings_and_meetings_across_affiliate_lines(
    world: World,
) -> None:
    await world.person(COMMUNITY, "cat", "/mentor request robotics")
    await world.person(SPACE, "olga", "/mentor offer 1 robotics")
    await world.person(COMMUNITY, "dan", "/mentor request maths", scope="on")
    await world.person(COMMUNITY, "amos", "/mentor offer 1 maths", scope="on")
    await world.command(COMMUNITY, "ann", "/mentoring match")  # a community round: dan ← amos
    await world.command(COMMUNITY, "ann", "/network mentors match")  # cat ← olga, across
    text = await world.reply(COMMUNITY, "ann", "/network stats")
    assert "2 mentor pairing(s) (2 active), 1 across affiliates" in text
    assert "0 peer-round meeting(s), 0 across affiliates" in text


def test_the_solver_adds_points_only_to_pairs_across_groups() -> None:
    mentee = solver.Mentee(1, (7,), 0, (), group=1)
    home = solver.Mentor(10, (7,), 1, 0, group=1)
    away = solver.Mentor(11, (7,), 1, 120, group=2)
    (pair,) = solver.solve([mentee], [home, away], {7: 2000})
    assert pair.mentor_id == 10
    (pair,) = solver.solve([mentee], [home, away], {7: 2000}, outside_points=500)
    assert pair.mentor_id == 11
    # the points never make a pair that shares no tag
    stranger = solver.Mentor(12, (8,), 1, 0, group=2)
    assert solver.solve([mentee], [stranger], {7: 2000, 8: 2000}, outside_points=500) == []


async def test_a_pairing_across_platforms_lives_on_each_side_at_home(world: World) -> None:
    await world.person(COMMUNITY, "cat", "/mentor request robotics")
    await world.person(SPACE, "olga", "/mentor offer 1 robotics")
    await world.command(COMMUNITY, "ann", "/network mentors match")
    await world.deliver()
    status = await world.reply(SPACE, "olga", "/mentor status")
    assert "• “Cat” is your mentee — you share robotics" in status
    # the seat is taken for Olga's own community's rounds too
    await world.person(SPACE, "otto", "/mentor request robotics", scope="on")
    text = await world.reply(SPACE, "@mod:other.example", "/mentoring match")
    assert "Nobody to match right now" in text
    # check-ins: each side is asked on their own platform
    await world.deliver()
    async with running_scheduler(world.harness, mentoring.jobs) as scheduler:
        world.harness.clock.advance(days=14.01)
        await scheduler.settle()
    mine, theirs = await world.deliver()
    asked_here = [s for s in mine if s.where == "dm:cat"]
    asked_there = [s for s in theirs if s.where == "dm:@olga:other.example"]
    assert asked_here and asked_there and "“Cat”" in asked_there[0].text
    # Olga answers naming her partner as typed: Cat is in another affiliate, on another platform
    answered = await world.reply(SPACE, "@olga:other.example", "/mentor checkin met cat")
    assert "enjoy working with “Cat”" in answered
    # Cat ends it: Olga is told on her platform
    assert "ended" in await world.reply(COMMUNITY, "cat", "/mentor end")
    mine, theirs = await world.deliver()
    (told,) = [s for s in theirs if s.where == "dm:@olga:other.example"]
    assert "“Cat” has ended your mentoring pairing" in told.text


# Peer rounds across the network --------------------------------------------------------------
async def rounds_member(
    world: World, where: CommunityRef, name: str, scope: str = "network"
) -> None:
    await world.command(where, name, "/tags add robotics")
    await world.command(where, name, f"/privacy discoverable {scope}")
    await world.command(where, name, "/rounds join")
    world.platform_of(where).take()


async def test_a_network_peer_round_meets_across_affiliates_each_on_their_platform(
    world: World,
) -> None:
    for name in ("cat", "dan"):
        await rounds_member(world, COMMUNITY, name)
    for name in ("olga", "oscar"):
        await rounds_member(world, SPACE, name)
    await rounds_member(world, SPACE, "otto", scope="on")  # only their own community's rounds
    refused = await world.reply(COMMUNITY, "cat", "/network rounds run")
    assert "Only the network's stewards" in refused
    preview = await world.reply(COMMUNITY, "ann", "/network rounds run dry_run")
    assert "2 group(s) of 4 member(s), 2 across affiliates. Prefer outside: on" in preview
    assert "Otto" not in preview
    text = await world.reply(COMMUNITY, "ann", "/network rounds run")
    assert "2 group(s) introduced, 2 across affiliates" in text
    mine, theirs = await world.deliver()
    here = [s for s in world.sent + mine if s.where in ("dm:cat", "dm:dan")]
    there = [s for s in theirs if s.where.startswith("dm:@o")]
    assert len(here) == 2 and len(there) == 2
    for intro in here + there:
        assert "Peer round across the network" in intro.text and "robotics" in intro.text
    assert all("on other: reach them as `@o" in s.text for s in here)
    assert all("on fake: reach them as `" in s.text for s in there)
    again = await world.reply(COMMUNITY, "ann", "/network rounds run")
    assert "already run" in again
    status = await world.reply(SPACE, "olga", "/rounds status")
    assert re.search(r"network:\S+: “(Cat|Dan)” \(you share robotics\)", status), status
    stats = await world.reply(COMMUNITY, "ann", "/network stats")
    assert "2 peer-round meeting(s), 2 across affiliates" in stats
    # the follow-up asks each member at home
    async with running_scheduler(world.harness, rounds.jobs) as scheduler:
        world.harness.clock.advance(days=5.01)
        await scheduler.settle()
    mine, theirs = await world.deliver()
    assert {s.where for s in mine if "Did you meet" in s.text} == {"dm:cat", "dm:dan"}
    assert {s.where for s in theirs if "Did you meet" in s.text} == {
        "dm:@olga:other.example",
        "dm:@oscar:other.example",
    }


async def test_one_person_takes_part_once_in_a_network_round(world: World) -> None:
    await rounds_member(world, COMMUNITY, "cat")
    await rounds_member(world, SPACE, "olga")
    store = world.harness.store
    await store.people.link(
        account(COMMUNITY, "cat"), account(SPACE, "olga"), world.harness.clock.now()
    )
    text = await world.reply(COMMUNITY, "ann", "/network rounds run dry_run")
    assert "Nobody to pair across the network: 1 member(s)" in text


def test_large_rounds_draw_pools_with_the_same_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above `DENSE_CELLS` candidates come from tag pools, scored with the same bonus."""
    monkeypatch.setattr(solver, "DENSE_CELLS", 0)
    mentee = solver.Mentee(1, (7, 9), 0, (), group=1)
    home = solver.Mentor(10, (7,), 1, 0, group=1)
    away = solver.Mentor(11, (7,), 1, 120, group=2)
    stranger = solver.Mentor(12, (8,), 1, 0, group=2)
    weights = {7: 2000, 8: 2000, 9: 2000}
    (pair,) = solver.solve([mentee], [home, away, stranger], weights)
    assert pair.mentor_id == 10
    (pair,) = solver.solve([mentee], [home, away, stranger], weights, outside_points=500)
    assert pair.mentor_id == 11 and pair.score == 2000 + 833 + 500


async def test_leaving_tells_a_network_group_on_its_own_platform(world: World) -> None:
    for where, name in ((COMMUNITY, "cat"), (COMMUNITY, "dan"), (SPACE, "olga"), (SPACE, "oscar")):
        await rounds_member(world, where, name)
    await world.command(COMMUNITY, "ann", "/network rounds run")
    await world.deliver()
    cat = await world.member_id(COMMUNITY, "cat")
    (seat,) = await world.harness.store.rounds.seats_of(cat, 5)
    partner = next(i for i in seat.group.member_ids if i != cat)
    other = await world.harness.store.members.get_by_id(partner)
    assert other is not None and other.ref.platform == "other"
    await world.harness.leave("cat")
    mine, theirs = await world.deliver()
    (told,) = [s for s in theirs if s.where == f"dm:{other.ref.user_id}"]
    assert told.text.startswith("“Cat” has left the community")
    assert not [s for s in mine if other.ref.user_id in s.where]


async def test_a_pair_in_one_affiliate_on_another_platform_meets_in_one_conversation_there(
    world: World,
) -> None:
    await world.person(SPACE, "olga", "/mentor offer 1 maths")
    await world.person(SPACE, "oscar", "/mentor request maths")
    assert "1 new pair(s) introduced, 0 of them across" in await world.reply(
        COMMUNITY, "ann", "/network mentors match"
    )
    assert not [s for s in world.sent if s.where.startswith(("dm:", "group:"))]
    _, theirs = await world.deliver()
    (group,) = [s for s in theirs if s.where.startswith("group:")]
    assert "@olga:other.example" in group.where and "@oscar:other.example" in group.where
    assert "“Olga”, meet “Oscar”!" in group.text and "Across the network" not in group.text
