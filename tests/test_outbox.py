"""The durable outbox: committed actions survive a crash before delivery, exactly once.

A "crash" is `ProcessDied`, a BaseException raised by the platform in the middle of delivering:
nothing in the core catches it, like the process being killed. The "restart" is a new Store,
Bot and platform on the same SQLite file, as app.py would build them.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from loguru import logger

from communitybot import bootstrap, outbox_codec, replies
from communitybot.bot import Bot
from communitybot.clock import FakeClock
from communitybot.events import (
    CommandInvoked,
    CommunityRef,
    ConversationRef,
    MemberJoined,
    UserRef,
)
from communitybot.outbox import MAX_ATTEMPTS
from communitybot.peers.index import PeerIndex
from communitybot.replies import (
    Choice,
    GrantRole,
    Message,
    Prompt,
    Reply,
    RevokeRole,
    SendDirect,
    SendToChannel,
    SendToGroup,
)
from communitybot.rounds.feature import FEATURE as rounds
from communitybot.store.store import Store
from tests.conftest import COMMUNITY, Harness, running_scheduler, user
from tests.fakes import FakePlatform, Sent

DAY = 24 * 3600


class ProcessDied(BaseException):
    """The process stops here (a BaseException: delivery's error handling never catches it)."""


@dataclass
class DyingPlatform(FakePlatform):
    """Dies on the send after `sends_left` successful ones; `failures` sends raise RuntimeError."""

    sends_left: int | None = None
    failures: int = 0
    delivered: asyncio.Event = field(default_factory=asyncio.Event)
    """Set by every send that went through."""

    def _before_send(self) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("connection reset by peer")
        if self.sends_left is not None:
            if self.sends_left == 0:
                raise ProcessDied()
            self.sends_left -= 1

    async def send_direct(
        self, community: CommunityRef, user: UserRef, message: Message
    ) -> ConversationRef:
        self._before_send()
        conversation = await super().send_direct(community, user, message)
        self.delivered.set()
        return conversation

    async def send_to_channel(
        self, community: CommunityRef, channel_id: str, message: Message
    ) -> None:
        self._before_send()
        await super().send_to_channel(community, channel_id, message)

    async def open_group(
        self, community: CommunityRef, users: tuple[UserRef, ...], title: str, message: Message
    ) -> ConversationRef:
        self._before_send()
        return await super().open_group(community, users, title, message)


class Run(Harness):
    """The harness of one run, on a `DyingPlatform`."""

    platform: DyingPlatform


@asynccontextmanager
async def started(
    db_path: Path,
    clock: FakeClock,
    *,
    sends_left: int | None = None,
    failures: int = 0,
    closed_dms: frozenset[str] = frozenset(),
) -> AsyncIterator[Run]:
    """One run of the bot on `db_path` (a restart is simply the next `started`)."""
    store = await Store.open(db_path)
    fake = DyingPlatform(
        moderators={"mod"}, closed_dms=set(closed_dms), sends_left=sends_left, failures=failures
    )
    try:
        yield Run(Bot(store, fake, clock, PeerIndex()), fake, clock, store)
    finally:
        await store.close()


def _where(sent: list[Sent]) -> list[str]:
    return [s.where for s in sent]


# The codec --------------------------------------------------------------------------------------

ALICE = UserRef("fake", "alice", "Alice")
BOB = UserRef("fake", "bob", "Bob")
EVERY_ACTION: list[replies.Action] = [
    Reply(Message("hello"), ephemeral=False),
    SendToChannel(COMMUNITY, "general", Message("**Chat** starts", ping_role="123")),
    SendDirect(
        COMMUNITY,
        ALICE,
        Message(
            "Which subjects?",
            Prompt(
                "onboarding:subjects",
                "multi",
                (Choice("maths", "Maths"), Choice("art", "Art ✏️")),
                max_length=None,
                max_values=2,
            ),
        ),
    ),
    SendDirect(COMMUNITY, BOB, Message("Your name?", Prompt("onboarding:name", "text", (), 80))),
    SendToGroup(CommunityRef("matrix", "!space:hs"), (ALICE, BOB), "Ann & Bob", Message("Meet")),
    GrantRole(COMMUNITY, ALICE, "teachers"),
    RevokeRole(COMMUNITY, BOB, "mentors"),
]


@pytest.mark.parametrize("action", EVERY_ACTION, ids=lambda a: type(a).__name__)
def test_every_action_survives_the_round_trip(action: replies.Action) -> None:
    decoded = outbox_codec.decode(outbox_codec.encode(action))
    assert decoded == action
    assert dataclasses.astuple(decoded) == dataclasses.astuple(action)  # display names too


def test_bytes_round_trip_as_base64_for_attachments() -> None:
    attachment = replies.Attachment("me.json", b"\x00{}", "application/json")
    message = Message("Your data", attachment=attachment)
    action = SendDirect(COMMUNITY, ALICE, message)
    assert outbox_codec.decode(outbox_codec.encode(action)) == action


def test_unreadable_rows_are_refused_clearly() -> None:
    for text in ("not json", '{"__type__": "Nope"}', '{"__type__": "Message"}', '"text"'):
        with pytest.raises(outbox_codec.UndecodableAction):
            outbox_codec.decode(text)


# Crash and restart --------------------------------------------------------------------------------


async def test_a_crash_after_the_commit_delivers_the_rest_once_after_the_restart(
    db_path: Path,
) -> None:
    clock = FakeClock()
    async with started(db_path, clock) as bot:
        await bot.join("mod")
        community = await bot.store.communities.get(COMMUNITY)
        assert community is not None
        await bot.store.communities.update_settings(community.id, modlog_channel="modlog")
        for name in ("ann", "bob", "cat", "dan"):
            await bot.join(name)
            await bot.give_tags(name, "maths")
            await bot.command(name, "/rounds join")
        bot.platform.take()
        bot.platform.sends_left = 1  # the first introduction goes out, then the process dies
        with pytest.raises(ProcessDied):
            await bot.command("mod", "/rounds run")
        before = bot.platform.take()
        assert len([w for w in _where(before) if w.startswith("group:")]) == 1
        assert await bot.store.outbox.count() >= 2  # the second group and the modlog summary

    async with started(db_path, clock) as bot:
        assert await bot.bot.deliver_outbox() >= 2
        after = bot.platform.take()
    groups = [w for w in _where(before + after) if w.startswith("group:")]
    assert len(groups) == len(set(groups)) == 2  # neither lost nor repeated
    assert sorted(",".join(sorted(g.split(":")[1].split(","))) for g in groups) in (
        ["ann,bob", "cat,dan"],
        ["ann,cat", "bob,dan"],
        ["ann,dan", "bob,cat"],
    )
    assert "#modlog" in _where(after)  # the round's report to the moderators, too

    async with started(db_path, clock) as bot:  # a second restart owes nothing
        assert await bot.bot.deliver_outbox() == 0
        assert not bot.platform.take()
        assert await bot.store.outbox.count() == 0


async def test_handled_but_never_delivered_is_delivered_exactly_once_later(
    db_path: Path,
) -> None:
    clock = FakeClock()
    async with started(db_path, clock) as bot:
        handled = await bot.bot.handle(MemberJoined(COMMUNITY, user("alice")))
        assert [type(a) for a in handled.actions] == [SendDirect]
        assert await bot.store.outbox.count() == 1
        assert not bot.platform.sent  # the process dies here, before delivering
    async with started(db_path, clock) as bot:
        assert await bot.bot.deliver_outbox() == 1
        (sent,) = bot.platform.take()
        (action,) = handled.actions
        assert isinstance(action, SendDirect)
        assert sent.where == "dm:alice" and sent.message == action.message
        assert await bot.bot.deliver_outbox() == 0
        assert not bot.platform.take()


async def test_delivered_actions_are_not_sent_again_after_a_restart(db_path: Path) -> None:
    clock = FakeClock()
    async with started(db_path, clock) as bot:
        await bot.join("alice")
        assert _where(bot.platform.take()) == ["dm:alice"]
        assert await bot.store.outbox.count() == 0  # deleted as soon as it went
    async with started(db_path, clock) as bot:
        async with running_scheduler(bot, {}):
            pass
        assert not bot.platform.take()


async def test_a_refused_dm_is_reported_once_and_never_retried(db_path: Path) -> None:
    clock = FakeClock()
    async with started(db_path, clock) as bot:
        await bot.join("mod")
        community = await bot.store.communities.get(COMMUNITY)
        assert community is not None
        await bot.store.communities.update_settings(community.id, modlog_channel="modlog")
        await bot.bot.handle(MemberJoined(COMMUNITY, user("alice")))  # dies before delivering
    async with started(db_path, clock, closed_dms=frozenset({"alice"})) as bot:
        async with running_scheduler(bot, {}):
            (report,) = bot.platform.take()
            assert report.where == "#modlog" and "DMs are closed" in report.text
            clock.advance(seconds=DAY - 60)
        assert await bot.store.outbox.count() == 0
    async with started(db_path, clock, closed_dms=frozenset({"alice"})) as bot:
        assert await bot.bot.deliver_outbox() == 0
        assert not bot.platform.take()


async def test_rows_older_than_a_day_are_dropped_with_a_log_line(db_path: Path) -> None:
    clock = FakeClock()
    async with started(db_path, clock) as bot:
        await bot.bot.handle(MemberJoined(COMMUNITY, user("alice")))
    clock.advance(hours=25)
    logged: list[str] = []
    sink = logger.add(logged.append, level="WARNING", format="{message}")
    try:
        async with started(db_path, clock) as bot:
            assert await bot.bot.deliver_outbox() == 1
            assert not bot.platform.take()
            assert await bot.store.outbox.count() == 0
    finally:
        logger.remove(sink)
    assert any("dropped row" in line and "without sending it" in line for line in logged)


async def test_replies_are_never_stored(harness: Harness) -> None:
    event_actions = await harness.bot.handle(
        _command("ann", ("help",)),
    )
    assert event_actions.actions and all(isinstance(a, Reply) for a in event_actions.actions)
    assert all(item.row_id is None for item in event_actions.batch)
    assert await harness.store.outbox.count() == 0
    await harness.bot.outbox.deliver(_command("ann", ("help",)), event_actions.batch)
    assert _where(harness.platform.take()) == ["reply:ann"]


def _command(name: str, path: tuple[str, ...]) -> CommandInvoked:
    return CommandInvoked(
        COMMUNITY, user(name), ConversationRef("fake", "channel", "general"), path
    )


# Unexpected failures: bounded retries with back-off ---------------------------------------------


async def test_an_unexpected_failure_is_retried_with_back_off(db_path: Path) -> None:
    clock = FakeClock()
    async with started(db_path, clock, failures=1) as bot, running_scheduler(bot, {}) as scheduler:
        await bot.join("alice")
        assert not bot.platform.take()
        assert await bot.store.outbox.count() == 1
        clock.advance(seconds=29)
        await scheduler.settle()
        assert not bot.platform.take()
        clock.advance(seconds=1)
        await scheduler.settle()
        assert _where(bot.platform.take()) == ["dm:alice"]
        assert await bot.store.outbox.count() == 0


async def test_retries_are_bounded_then_given_up_with_an_error(db_path: Path) -> None:
    clock = FakeClock()
    logged: list[str] = []
    sink = logger.add(logged.append, level="ERROR", format="{message}")
    try:
        async with (
            started(db_path, clock, failures=100) as bot,
            running_scheduler(bot, {}) as scheduler,
        ):
            await bot.join("alice")
            for wait in (30, 120, 480):
                assert await bot.store.outbox.count() == 1
                clock.advance(seconds=wait)
                await scheduler.settle()
            assert await bot.store.outbox.count() == 0
            assert not bot.platform.take()
            assert bot.platform.failures == 100 - MAX_ATTEMPTS
    finally:
        logger.remove(sink)
    assert any("giving up" in line and "Alice" in line for line in logged)


# Scheduled work -----------------------------------------------------------------------------------


async def test_a_scheduled_round_cut_off_by_a_crash_is_finished_after_the_restart(
    db_path: Path,
) -> None:
    """Peer rounds fire from the scheduler: the round commits with its outbox rows, delivery
    dies after the first introduction, the restart's scheduler introduces the rest, once."""
    clock = FakeClock()
    async with started(db_path, clock) as bot:
        for name in ("ann", "bob", "cat", "dan"):
            await bot.join(name)
            await bot.give_tags(name, "maths")
            await bot.command(name, "/rounds join")
        assert "every week" in await bot.reply_text("mod", "/rounds setup weekly monday 09:00")
        bot.platform.take()
        bot.platform.sends_left = 1
        with pytest.raises(ProcessDied):
            async with running_scheduler(bot, rounds.jobs) as scheduler:
                clock.advance(seconds=7 * DAY - 3 * 3600)  # Monday 11 January, 09:00
                await scheduler.settle()
        before = [w for w in _where(bot.platform.take()) if w.startswith("group:")]
        assert len(before) == 1

    async with started(db_path, clock) as bot:
        async with running_scheduler(bot, rounds.jobs) as scheduler:
            clock.advance(seconds=60)
            await scheduler.settle()
            after = [w for w in _where(bot.platform.take()) if w.startswith("group:")]
        assert "already run" in await bot.reply_text("mod", "/rounds run")
    assert len(after) == 1 and len(set(before + after)) == 2
    members = sorted(m for w in before + after for m in w.removeprefix("group:").split(","))
    assert members == ["ann", "bob", "cat", "dan"]


# Start-up ---------------------------------------------------------------------------------------


async def test_the_previous_runs_outbox_is_delivered_once_the_platform_is_ready(
    db_path: Path,
) -> None:
    clock = FakeClock()
    async with started(db_path, clock) as run:
        await run.bot.handle(MemberJoined(COMMUNITY, user("alice")))  # never delivered
    async with started(db_path, clock) as run:
        ready = asyncio.Event()

        async def serve() -> None:
            for _ in range(20):  # logging in: the scheduler (and the outbox) must wait
                await asyncio.sleep(0)
            assert not run.platform.sent
            ready.set()
            await run.platform.delivered.wait()

        async with asyncio.timeout(10):
            await bootstrap.serve_with_scheduler(bootstrap.build_scheduler(run.bot), serve(), ready)
        assert _where(run.platform.take()) == ["dm:alice"]
        assert await run.store.outbox.count() == 0


async def test_a_start_up_error_before_ready_is_raised_and_nothing_is_replayed(
    db_path: Path,
) -> None:
    clock = FakeClock()
    async with started(db_path, clock) as run:
        await run.bot.handle(MemberJoined(COMMUNITY, user("alice")))

        async def serve() -> None:
            raise RuntimeError("wrong token")

        with pytest.raises(RuntimeError, match="wrong token"):
            await bootstrap.serve_with_scheduler(
                bootstrap.build_scheduler(run.bot), serve(), asyncio.Event()
            )
        assert not run.platform.sent
        assert await run.store.outbox.count() == 1


async def test_stopping_stops_the_scheduler_then_the_platform(db_path: Path) -> None:
    clock = FakeClock()
    async with started(db_path, clock) as run:
        ready = asyncio.Event()
        served: list[str] = []

        async def serve() -> None:
            ready.set()
            try:
                await asyncio.Event().wait()  # serves until cancelled
            except asyncio.CancelledError:
                served.append("cancelled")
                raise

        task = asyncio.create_task(
            bootstrap.serve_with_scheduler(bootstrap.build_scheduler(run.bot), serve(), ready)
        )
        await ready.wait()
        for _ in range(20):
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert served == ["cancelled"]


async def test_forgetme_also_drops_undelivered_actions_that_name_the_member(
    db_path: Path,
) -> None:
    clock = FakeClock()
    alice, bob = user("alice"), user("bob")
    owed = [
        SendDirect(COMMUNITY, alice, Message("Your mentor is Bob")),
        SendToGroup(COMMUNITY, (bob, alice), "Bob & Alice", Message("Meet each other")),
        GrantRole(COMMUNITY, alice, "teachers"),
        SendDirect(COMMUNITY, bob, Message("Your check-in")),
        SendDirect(COMMUNITY, UserRef("other-platform", "alice"), Message("Not the same Alice")),
    ]
    async with started(db_path, clock) as run:
        await run.join("alice")
        await run.join("bob")
        run.platform.take()
        # What a run that died before delivering left behind.
        await run.store.outbox.add([(outbox_codec.encode(a), None) for a in owed], clock.now())
    async with started(db_path, clock) as run:
        await run.command("alice", "/forgetme")
        await run.pick("alice", "forgetme", "yes")
        assert "everything is deleted" in run.platform.take()[-1].text
        assert await run.store.outbox.count() == 2
        await run.bot.deliver_outbox()
        assert [(s.where, s.text) for s in run.platform.take()] == [
            ("dm:bob", "Your check-in"),
            ("dm:alice", "Not the same Alice"),  # another platform's "alice" is someone else
        ]
