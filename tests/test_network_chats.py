"""Network chats (issue #15): a steward's chat held in every affiliate, messages relayed.

Three affiliates of the network "Makers": community-1 (the steward ann's, platform "fake",
the series' channel `chats`), community-2 (also "fake", its welcome channel `lobby`) and
space-1 (platform "matrix", a Matrix-like fake, its room `netroom` chosen with `chat room`).
The harness bot serves "fake", a second bot on the same database (and writer turn) serves
"matrix", each with its own real Scheduler on the shared fake clock (Monday 4 January 2027,
12:00 UTC). The chat
#netchat is on Tuesdays 19:00 UTC, 60 minutes, with two questions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from communitybot.bot import Bot
from communitybot.chats import legs as chat_legs
from communitybot.command_parser import parse_command_line
from communitybot.events import (
    ChannelMessage,
    CommandInvoked,
    CommunityRef,
    ConversationRef,
    MessageChange,
    MessageReceived,
    UserRef,
)
from communitybot.peers.index import PeerIndex
from communitybot.rate_limits import RateLimiter
from communitybot.registry import JOB_KINDS
from communitybot.scheduler import Scheduler
from communitybot.text import ZWSP
from tests.conftest import COMMUNITY, Harness
from tests.fakes import FakePlatform, Sent
from tests.test_network_mentoring import CODE, SECOND

SPACE = CommunityRef("matrix", "space-1")
MODERATOR = {COMMUNITY: "ann", SECOND: "bea", SPACE: "@mod:other.example"}


def account(where: CommunityRef, name: str) -> UserRef:
    if name.startswith("@"):
        return UserRef(where.platform, name, name)
    if where.platform == "matrix":
        return UserRef("matrix", f"@{name}:other.example", name.capitalize())
    return UserRef(where.platform, name, name.capitalize())


@dataclass
class World:
    """The harness bot ("fake") and a second bot serving a Matrix-like platform ("matrix")."""

    harness: Harness
    other_bot: Bot
    other_platform: FakePlatform

    def platform_of(self, where: CommunityRef) -> FakePlatform:
        return self.other_platform if where.platform == "matrix" else self.harness.platform

    def bot_of(self, where: CommunityRef) -> Bot:
        return self.other_bot if where.platform == "matrix" else self.harness.bot

    async def command(self, where: CommunityRef, name: str, line: str) -> None:
        parsed = parse_command_line(line, "/", lambda raw: account(where, raw))
        await self.bot_of(where).dispatch(
            CommandInvoked(
                where,
                account(where, name),
                ConversationRef(where.platform, "channel", "general"),
                parsed.command.path,
                parsed.options,
            )
        )

    async def reply(self, where: CommunityRef, name: str, line: str) -> str:
        platform = self.platform_of(where)
        platform.take()
        await self.command(where, name, line)
        user_id = account(where, name).user_id
        (text,) = [s.text for s in platform.take() if s.where == f"reply:{user_id}"]
        return text

    async def deliver(self) -> tuple[list[Sent], list[Sent]]:
        """Both platforms' processes deliver what is owed to them: (fake's, matrix's)."""
        await self.harness.bot.deliver_outbox()
        await self.other_bot.deliver_outbox()
        return self.harness.platform.take(), self.other_platform.take()


START = datetime(2027, 1, 5, 19, tzinfo=UTC)
CREATE = '/chat create netchat "Across the network" chats "weekly tuesday" 19:00 UTC scope=network'
SCRIPT = "/chat questions netchat Q1 @10 What connects us? | Q2 @30 What will you try?"
LEGS = {COMMUNITY: "chats/thread", SECOND: "lobby/thread", SPACE: "netroom/thread"}


@dataclass
class Net:
    world: World
    schedulers: tuple[Scheduler, Scheduler]

    @property
    def harness(self) -> Harness:
        return self.world.harness

    @property
    def fake(self) -> FakePlatform:
        return self.world.harness.platform

    @property
    def other(self) -> FakePlatform:
        return self.world.other_platform

    async def settle(self) -> tuple[list[Sent], list[Sent]]:
        """Both processes run what is due (twice: one's jobs may plan the other's) and deliver.

        On PostgreSQL one scheduler hears of the other's new job before its commit and may find
        nothing yet; its window reload (every 30 s there, `REFRESH_EVERY`) finds it: done here
        at once (`jobs_changed`) instead of moving the clock."""
        for _ in range(2):
            for scheduler in self.schedulers:
                scheduler.jobs_changed()
                await scheduler.settle()
        return await self.world.deliver()

    async def advance_to(self, moment: datetime) -> tuple[list[Sent], list[Sent]]:
        clock = self.harness.clock
        clock.advance(seconds=(moment - clock.now()).total_seconds())
        return await self.settle()

    async def post(
        self,
        where: CommunityRef,
        name: str,
        text: str,
        message_id: str,
        *,
        change: MessageChange = "posted",
        reply_to_key: str | None = None,
        attachments: tuple[str, ...] = (),
    ) -> tuple[list[Sent], list[Sent]]:
        """A message in `where`'s leg, then both processes deliver: (fake's, other's)."""
        who = account(where, name)
        await self.world.bot_of(where).dispatch(
            ChannelMessage(
                where,
                who,
                ConversationRef(where.platform, "thread", LEGS[where]),
                text,
                message_id,
                parent_channel_id=LEGS[where].split("/")[0],
                change=change,
                reply_to_key=reply_to_key,
                attachment_urls=attachments,
            )
        )
        return await self.settle()  # a scheduler may be delivering what the event queued

    def copies(self, where: CommunityRef) -> dict[str, str]:
        """Relay key → text of the copies now in `where`'s leg."""
        platform = self.world.platform_of(where)
        return {key: r.text for key, r in platform.relayed.get(LEGS[where], {}).items()}

    async def transcript(self, where: CommunityRef, name: str) -> str:
        platform = self.world.platform_of(where)
        platform.take()
        await self.world.command(where, name, "/chat transcript netchat")
        (file,) = [s.message.attachment for s in platform.take() if s.message.attachment]
        assert file is not None
        return file.content.decode()


async def _join(world: World, where: CommunityRef) -> None:
    invite = await world.reply(COMMUNITY, "ann", "/network invite")
    found = CODE.search(invite)
    assert found, invite
    assert "affiliate" in await world.reply(where, MODERATOR[where], f"/network join {found[1]}")


@pytest.fixture
async def net(harness: Harness) -> AsyncIterator[Net]:
    other = FakePlatform(name="matrix")
    limits = RateLimiter(harness.store, other, harness.clock, enabled=False)
    # One process serving both platforms: one writer turn on the one SQLite connection.
    bot = Bot(
        harness.store,
        other,
        harness.clock,
        PeerIndex(),
        prefix="/",
        limits=limits,
        lock=harness.bot.lanes.writer,
    )
    world = World(harness, bot, other)
    harness.platform.moderators |= {"ann", "bea"}
    other.moderators.add("@mod:other.example")
    await world.command(COMMUNITY, "ann", "/network create Makers")
    await _join(world, SECOND)
    await _join(world, SPACE)
    store = harness.store
    for where, settings in (
        (COMMUNITY, {"modlog_channel": "modlog"}),
        (SECOND, {"welcome_channel": "lobby", "modlog_channel": "modlog2"}),
        (SPACE, {"modlog_channel": "modroom", "name": "Matrix Makers"}),
    ):
        community = await store.communities.get(where)
        assert community is not None
        await store.communities.update_settings(community.id, **settings)
    async with AsyncExitStack() as stack:
        schedulers = []
        for each in (harness.bot, bot):
            scheduler = Scheduler(each, JOB_KINDS, sleeper=harness.clock)
            await stack.enter_async_context(scheduler.running())
            schedulers.append(scheduler)
        n = Net(world, (schedulers[0], schedulers[1]))
        await n.settle()
        yield n


async def _created(net: Net) -> None:
    created = await net.world.reply(COMMUNITY, "ann", CREATE)
    assert "Created **#netchat: Across the network**" in created, created
    assert "every affiliate holds it in its own room" in created
    assert "Loaded 2 questions" in await net.world.reply(COMMUNITY, "ann", SCRIPT)
    room = await net.world.reply(SPACE, "@mod:other.example", "/chat room netchat netroom")
    assert "held here in #netroom" in room
    await net.world.deliver()


async def _started(net: Net) -> None:
    await _created(net)
    mine, theirs = await net.advance_to(START)
    welcomes = {s.where for s in mine + theirs if "starts now" in s.text}
    assert welcomes == {"#chats", "#lobby", "#netroom"}


async def _legs(net: Net) -> list[tuple[int, str, str]]:
    rows = await net.harness.store.db.fetch_all(
        "SELECT community_id, conversation_id, status FROM chat_legs ORDER BY community_id"
    )
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


async def test_only_a_steward_creates_a_network_chat_and_hashtags_do_not_clash(net: Net) -> None:
    world = net.world
    refused = await world.reply(SECOND, "bea", CREATE.replace("chats", "lobby"))
    assert "Only the network's stewards can create a network chat" in refused
    assert await net.harness.store.chats.find_network(1, "netchat") is None
    # a community chat of an affiliate takes its hashtag for the whole network
    await world.command(SECOND, "bea", '/chat create local "Local" lobby "weekly monday" 18:00 UTC')
    clash = await world.reply(COMMUNITY, "ann", CREATE.replace("netchat", "local"))
    assert "#local is already a chat in fake “community-2”" in clash
    await _created(net)
    # and a network chat takes it from every affiliate's own chats
    mine = await world.reply(
        SPACE, "@mod:other.example", '/chat create netchat "Mine" netroom "weekly monday" 18:00 UTC'
    )
    assert "#netchat is already a network chat in your network" in mine
    # only stewards change it, from any affiliate
    changes = ("/chat cancel netchat", "/chat skip-next netchat", "/chat edit netchat time=18:00")
    for line in changes:
        text = await world.reply(SECOND, "bea", line)
        assert "only its stewards can change, skip or cancel it" in text, line
    listed = await world.reply(SPACE, "olga", "/chat list")
    assert "**#netchat**: Across the network" in listed and "in #netroom (network chat)" in listed
    assert "in #lobby (network chat)" in await world.reply(SECOND, "cy", "/chat list")


async def test_a_subscriber_in_another_affiliate_is_reminded_in_their_zone_of_their_room(
    net: Net,
) -> None:
    await _created(net)
    world = net.world
    subscribed = await world.reply(SPACE, "olga", "/chat subscribe netchat 15m")
    assert "You'll get a reminder 15 minutes before each **#netchat** chat." in subscribed
    store = net.harness.store
    olga = await store.members.get(
        (await store.communities.get(SPACE)).id,
        account(SPACE, "olga"),  # type: ignore[union-attr]
    )
    assert olga is not None
    await store.members.update(olga.id, timezone="America/New_York")
    mine, theirs = await net.advance_to(START.replace(hour=18, minute=45))
    (reminder,) = [s for s in theirs if s.where == "dm:@olga:other.example"]
    assert "starts in 15 minutes: Tuesday 05 January, 14:00" in reminder.text
    assert "in #netroom." in reminder.text
    assert not [s for s in mine if s.where.startswith("dm:")]


async def test_start_opens_one_leg_per_affiliate_once_and_questions_reach_every_leg(
    net: Net,
) -> None:
    await _started(net)
    legs = await _legs(net)
    assert sorted(c for _, c, _ in legs) == sorted(LEGS.values())
    assert {s for _, _, s in legs} == {"open"}
    # a leg job that runs again (a restarted bot) opens nothing more
    store = net.harness.store
    now = net.harness.clock.now()
    for community_id, _, _ in legs:
        payload = {"run": 1, "community": community_id}
        await store.jobs.schedule(
            chat_legs.LEG, now, f"again:{community_id}", now, payload, community_id=community_id
        )
    mine, theirs = await net.settle()
    assert not [s for s in mine + theirs if "starts now" in s.text]
    assert await _legs(net) == legs
    mine, theirs = await net.advance_to(START.replace(minute=10))
    q1 = {s.where for s in mine + theirs if "**Q1** What connects us?" in s.text}
    assert q1 == {"#chats/thread", "#lobby/thread", "#netroom/thread"}


async def test_messages_are_relayed_to_the_other_legs_inert_once_and_follow_edits(
    net: Net,
) -> None:
    await _started(net)
    await net.advance_to(START.replace(minute=10))
    await net.post(COMMUNITY, "cat", "A1 makers <@123> @everyone and @olga:other.example", "m1")
    assert net.copies(COMMUNITY) == {}
    for where in (SECOND, SPACE):
        text = net.copies(where)["fake:m1"]
        assert f"<@{ZWSP}123>" in text and f"@{ZWSP}everyone" in text
        assert f"@{ZWSP}olga:other.example" in text
    copy = net.other.relayed["netroom/thread"]["fake:m1"]
    assert copy.author == "Cat" and copy.origin == "Fake"
    # the same event again (a replay after a restart) relays nothing
    mine, theirs = await net.post(COMMUNITY, "cat", "A1 makers", "m1")
    assert mine == [] and theirs == []
    # a reply from another affiliate names the original; its origin is the affiliate's name
    await net.post(SPACE, "olga", "A1 same here", "$o1", reply_to_key="fake:m1")
    copy = net.fake.relayed["chats/thread"]["matrix:$o1"]
    assert copy.reply_to_key == "fake:m1" and copy.origin == "Matrix Makers (Matrix)"
    assert copy.reply_excerpt.startswith("A1 makers")
    assert "matrix:$o1" in net.copies(SECOND) and "matrix:$o1" not in net.copies(SPACE)
    # edits and deletions follow the copies
    await net.post(COMMUNITY, "cat", "A1 makers, edited", "m1", change="edited")
    assert net.copies(SECOND)["fake:m1"] == "A1 makers, edited"
    assert net.copies(SPACE)["fake:m1"] == "A1 makers, edited"
    await net.post(SECOND, "dan", "oops", "d1")
    assert "fake:d1" in net.copies(COMMUNITY)
    await net.post(SECOND, "dan", "", "d1", change="deleted")
    assert "fake:d1" not in net.copies(COMMUNITY) and "fake:d1" not in net.copies(SPACE)
    # a file alone is relayed as its link
    await net.post(SECOND, "dan", "", "d2", attachments=("https://cdn.example/plan.pdf",))
    assert net.fake.relayed["chats/thread"]["fake:d2"].attachment_urls == (
        "https://cdn.example/plan.pdf",
    )


async def test_ghosts_and_norelay_stay_home_and_out_of_other_transcripts(net: Net) -> None:
    await _started(net)
    world = net.world
    answer = await world.reply(SECOND, "dan", "/chat norelay")
    assert "stays in your own community's room" in answer
    await net.post(SECOND, "dan", "only for my colleagues", "d1")
    await net.post(SPACE, "@_discord_42:other.example", "bridged hello", "$g1")
    await net.post(COMMUNITY, "cat", "hello network", "c1")
    assert set(net.copies(COMMUNITY)) == set()
    assert set(net.copies(SECOND)) == {"fake:c1"}
    assert set(net.copies(SPACE)) == {"fake:c1"}
    theirs = await net.transcript(SPACE, "olga")
    assert "hello network" in theirs and "bridged hello" in theirs
    assert "only for my colleagues" not in theirs
    own = await net.transcript(SECOND, "dan")
    assert "only for my colleagues" in own and "hello network" in own
    assert "bridged hello" not in own
    assert "room again" in await world.reply(SECOND, "dan", "/chat norelay off")
    await net.post(SECOND, "dan", "now for everyone", "d2")
    assert "fake:d2" in net.copies(SPACE)


async def test_the_recap_and_transcript_cover_the_network(net: Net) -> None:
    await _started(net)
    await net.advance_to(START.replace(minute=10))
    await net.post(COMMUNITY, "cat", "A1 robots", "c1")
    await net.post(SPACE, "olga", "A1 me too", "$o1", reply_to_key="fake:c1")
    await net.post(SECOND, "dan", "A1 gardens", "d1")
    transcript = await net.transcript(SECOND, "dan")
    assert "A1 robots" in transcript and "A1 me too" in transcript and "A1 gardens" in transcript
    assert "**Olga, “Matrix Makers” (matrix)** (19:10): A1 me too" in transcript
    mine, theirs = await net.advance_to(START.replace(hour=20))
    recaps = {s.where: s.text for s in mine + theirs if "recap (network chat)" in s.text}
    assert set(recaps) == {"#chats/thread", "#lobby/thread", "#netroom/thread"}
    recap = recaps["#lobby/thread"]
    assert "3 messages from 3 participants across the network" in recap
    assert "• fake “community-2” (here): 1 participant, 1 message" in recap
    assert "• “Matrix Makers” (matrix): 1 participant, 1 message" in recap
    assert "• Q1 What connects us?: 3" in recap
    (met,) = [line for line in recap.splitlines() if "↔" in line]
    assert "“Cat” (fake “community-1”)" in met and "“Olga” (“Matrix Makers” (matrix))" in met
    assert "<@" not in recap


async def test_forgetme_deletes_the_copies_of_a_members_messages(net: Net) -> None:
    await _started(net)
    await net.post(SPACE, "olga", "hello from olga", "$o1")
    await net.post(COMMUNITY, "cat", "hello from cat", "c1")
    assert "matrix:$o1" in net.copies(COMMUNITY) and "matrix:$o1" in net.copies(SECOND)
    olga = account(SPACE, "olga")
    await net.world.command(SPACE, "olga", "/forgetme")
    await net.world.other_bot.dispatch(
        MessageReceived(SPACE, olga, ConversationRef("matrix", "dm", olga.user_id), "yes")
    )
    await net.settle()
    assert "matrix:$o1" not in net.copies(COMMUNITY) and "matrix:$o1" not in net.copies(SECOND)
    assert "fake:c1" in net.copies(SPACE)
    assert "hello from olga" not in await net.transcript(SECOND, "dan")


async def test_a_refused_relay_loses_that_leg_once_and_the_chat_goes_on(net: Net) -> None:
    await _started(net)
    net.other.relay_refused.add("netroom/thread")
    _, theirs = await net.post(COMMUNITY, "cat", "first", "c1")
    notes = [s.text for s in theirs if s.where == "#modroom"]
    assert len(notes) == 1 and "stopped relaying them here" in notes[0]
    assert "fake:c1" in net.copies(SECOND)
    assert [s for _, _, s in await _legs(net)].count("lost") == 1
    _, theirs = await net.post(COMMUNITY, "cat", "second", "c2")
    assert not [s for s in theirs if s.where in ("#modroom", "#netroom/thread")]
    assert "fake:c2" in net.copies(SECOND)
    # the lost leg's own members still reach the others
    await net.post(SPACE, "olga", "can you hear me?", "$o1")
    assert "matrix:$o1" in net.copies(COMMUNITY)


async def test_an_affiliate_without_a_room_is_skipped_and_told(net: Net) -> None:
    store = net.harness.store
    second = await store.communities.get(SECOND)
    assert second is not None
    await store.communities.update_settings(second.id, welcome_channel=None)
    await _created(net)
    mine, _ = await net.advance_to(START)
    notes = [s.text for s in mine if s.where == "#modlog2"]
    assert len(notes) == 1 and "/chat room netchat <channel>" in notes[0]
    assert sorted(c for _, c, _ in await _legs(net)) == ["chats/thread", "netroom/thread"]


async def test_an_affiliate_that_leaves_the_network_stops_getting_the_chat(net: Net) -> None:
    await _created(net)
    world = net.world
    assert "You'll get a reminder" in await world.reply(SECOND, "dan", "/chat subscribe netchat")
    await world.command(SECOND, "bea", "/network leave")
    assert "no chats planned" in await world.reply(SECOND, "dan", "/chat list")
    mine, theirs = await net.advance_to(START)
    assert not [s for s in mine if s.where == "dm:dan"], "no reminder once it left"
    welcomes = {s.where for s in mine + theirs if "starts now" in s.text}
    assert welcomes == {"#chats", "#netroom"}
    assert sorted(c for _, c, _ in await _legs(net)) == ["chats/thread", "netroom/thread"]


async def test_mydata_lists_a_members_network_chat_messages(net: Net) -> None:
    await _started(net)
    await net.post(SPACE, "olga", "hello from olga", "$o1")
    platform = net.world.platform_of(SPACE)
    platform.take()
    await net.world.command(SPACE, "olga", "/mydata")
    (file,) = [s.message.attachment for s in platform.take() if s.message.attachment]
    assert file is not None and "hello from olga" in file.content.decode()


async def test_only_stewards_and_hosts_load_a_network_chats_questions(net: Net) -> None:
    await _created(net)
    text = await net.world.reply(SECOND, "bea", SCRIPT)
    assert "Only the network's stewards and the hosts of #netchat" in text
    assert "Loaded 2 questions" in await net.world.reply(COMMUNITY, "ann", SCRIPT)


async def test_stewards_and_hosts_steer_a_network_chat_from_any_affiliate(net: Net) -> None:
    """Host tools on a network chat: a steward pauses from another affiliate and every leg
    hears it; an affiliate's own moderator, who is not a steward, may not steer it."""
    await _started(net)
    world = net.world
    refused = await world.reply(SECOND, "bea", "/chat pause netchat")
    assert "Only the network's stewards and the hosts of #netchat can steer its chat." in refused
    world.harness.platform.take()
    await world.command(COMMUNITY, "ann", "/chat pause netchat")
    mine, theirs = await world.deliver()
    paused = {s.where for s in mine + theirs if "paused the questions" in s.text}
    assert paused == {"#chats/thread", "#lobby/thread", "#netroom/thread"}
    # nothing is asked while paused, in any leg
    mine, theirs = await net.advance_to(START.replace(minute=10))
    assert not [s for s in mine + theirs if "**Q1**" in s.text]
    await world.command(COMMUNITY, "ann", "/chat end netchat")
    mine, theirs = await world.deliver()
    assert [s for s in mine if s.text.startswith("Ended #netchat now")]
    recaps = {s.where for s in mine + theirs if "#netchat" in s.text and "thread" in s.where}
    assert recaps == {"#chats/thread", "#lobby/thread", "#netroom/thread"}


async def test_a_network_chat_is_in_every_affiliates_calendar_in_its_own_room(net: Net) -> None:
    """Native calendars: each affiliate's entry names the room that affiliate holds it in."""
    await _created(net)
    await net.world.deliver()
    entry = net.other.calendar["chat:1"]
    assert entry.channel_id == "netroom"
    assert entry.title == "#netchat: Across the network"
    assert entry.starts_at == START.isoformat()
    assert net.fake.calendar["chat:1"].channel_id in {"chats", "lobby"}
    await net.world.command(COMMUNITY, "ann", "/chat cancel netchat")
    await net.world.deliver()
    assert "chat:1" not in net.other.calendar and "chat:1" not in net.fake.calendar


async def test_only_its_author_edits_a_relayed_message(net: Net) -> None:
    """A Matrix server lets anyone send an `m.replace`: someone else's "edit" changes nothing."""
    await _started(net)
    await net.post(SPACE, "olga", "My own words", "$o1")
    assert net.copies(COMMUNITY)["matrix:$o1"].endswith("My own words")
    await net.post(SPACE, "piet", "Hello", "$p1")  # piet is a member the bot knows
    await net.post(SPACE, "piet", "Words put in her mouth", "$o1", change="edited")
    assert net.copies(COMMUNITY)["matrix:$o1"].endswith("My own words")
    await net.post(SPACE, "olga", "My own words, edited", "$o1", change="edited")
    assert net.copies(COMMUNITY)["matrix:$o1"].endswith("My own words, edited")


async def test_a_network_chat_found_late_says_so_in_every_leg(net: Net) -> None:
    """The bot was down at the start: each leg's welcome says how late, as a community chat's."""
    await _created(net)
    mine, theirs = await net.advance_to(START.replace(minute=15))
    welcomes = [s for s in mine + theirs if "starts now" in s.text]
    assert {s.where for s in welcomes} == {"#chats", "#lobby", "#netroom"}
    assert all("started 15 minutes late" in s.text for s in welcomes)
