"""Several bot processes on one PostgreSQL database (issue #13): per-community order across
processes, no global writer turn, caches kept fresh across processes.

Two separately opened stores, each with its own Bot, FakePlatform and peer index, stand for two
processes (each store has its own pool and its own listening connection). Waits for a
notification poll a condition with a guard, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from communitybot.bot import Bot
from communitybot.clock import FakeClock
from communitybot.events import CommunityRef, MemberJoined
from communitybot.peers.index import PeerIndex
from communitybot.rate_limits import RateLimiter
from communitybot.replies import Action
from communitybot.units import FreeTurn, community_lock_key
from tests.conftest import COMMUNITY, Harness, fresh_postgres_database, user
from tests.fakes import FakePlatform
from tests.postgres_server import PostgresServer
from tests.test_units import OTHER, command_in

pytestmark = pytest.mark.postgres

GUARD_S = 20.0
"""Only against hanging."""


@pytest.fixture
async def url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    async with fresh_postgres_database(postgres_server) as fresh:
        yield fresh


async def _process(url: str) -> Harness:
    """One bot process on the database at `url`."""
    from communitybot.store.store import Store

    store = await Store.open(url)
    platform = FakePlatform()
    clock = FakeClock()
    limits = RateLimiter(store, platform, clock, enabled=False)
    bot = Bot(store, platform, clock, PeerIndex(), prefix="/", limits=limits)
    await store.changes.listen()
    return Harness(bot, platform, clock, store)


@pytest.fixture
async def two(url: str) -> AsyncIterator[tuple[Harness, Harness]]:
    a = await _process(url)
    b = await _process(url)
    try:
        yield a, b
    finally:
        for held in _HELD:  # a failed test must not leave a transaction open
            held.release.set()
        if _HELD:
            await asyncio.wait([held.task for held in _HELD], timeout=GUARD_S)
        _HELD.clear()
        await a.store.close()
        await b.store.close()


async def _until(condition: Callable[[], bool | Awaitable[bool]], what: str) -> None:
    """Wait until `condition` holds (a notification arrived), failing after the guard."""
    for _ in range(int(GUARD_S / 0.01)):
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def _listed(text: str) -> list[str]:
    return [
        line.split(". ", 1)[1].split(" (", 1)[0]
        for line in text.splitlines()
        if re.match(r"\d+\. ", line)
    ]


async def _community_id(h: Harness, ref: CommunityRef = COMMUNITY) -> int:
    community = await h.store.communities.get(ref)
    assert community is not None
    return community.id


@dataclass
class Held:
    """A unit of work held open in `community`'s lane(s) (its transaction open)."""

    task: asyncio.Task[list[Action]]
    release: asyncio.Event


async def _hold(h: Harness, communities: list[CommunityRef], *, fail: bool = False) -> Held:
    entered, release = asyncio.Event(), asyncio.Event()

    async def work() -> list[Action]:
        entered.set()
        await release.wait()
        if fail:
            raise RuntimeError("this unit fails")
        return []

    task = asyncio.create_task(h.bot.run_scheduled(work, communities=communities))
    held = Held(task, release)
    _HELD.append(held)
    await asyncio.wait_for(entered.wait(), GUARD_S)
    return held


_HELD: list[Held] = []


async def _advisory_waiters(url: str) -> int:
    admin = await asyncpg.connect(url)
    try:
        value = await admin.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        )
    finally:
        await admin.close()
    return int(value)


# Caches across processes ---------------------------------------------------------------------
async def test_a_tag_added_through_one_process_is_seen_by_peers_on_the_other_at_once(
    two: tuple[Harness, Harness],
) -> None:
    a, b = two
    await b.command("ann", "/tags add maths")
    await b.command("bob", "/tags add maths")
    assert _listed(await b.reply_text("ann", "/peers")) == ["Bob"]  # B's index is loaded
    await a.command("cat", "/tags add maths")
    a_cat = await a.member("cat")

    async def cat_listed() -> bool:
        return "Cat" in _listed(await b.reply_text("ann", "/peers"))

    await _until(cat_listed, "B lists the member A tagged")
    assert b.bot.peers.is_loaded(a_cat.community_id), "one member re-read, no reload"
    await a.command("cat", "/tags remove maths")

    async def cat_gone() -> bool:
        return "Cat" not in _listed(await b.reply_text("ann", "/peers"))

    await _until(cat_gone, "B forgets the tag A removed")


async def test_a_question_edit_on_one_process_changes_the_next_onboarding_on_the_other(
    two: tuple[Harness, Harness],
) -> None:
    a, b = two
    a.platform.moderators.add("mod")
    await b.join("first")  # creates the community (nothing is kept by the unit that wrote)
    await b.join("early")  # B reads and keeps the community's questions
    assert "What best describes your role?" in b.platform.texts("dm:early")[0]
    community_id = await _community_id(b)
    assert b.store.onboarding.cache.get(community_id) is not None
    await a.command("mod", "/onboarding questions remove role")
    await _until(
        lambda: b.store.onboarding.cache.get(community_id) is None, "B drops the question list"
    )
    await b.join("late")
    assert "What best describes your role?" not in b.platform.texts("dm:late")[0]


async def test_community_settings_changed_on_one_process_are_used_by_the_other(
    two: tuple[Harness, Harness],
) -> None:
    a, b = two
    a.platform.moderators.add("mod")
    await b.join("first")
    await b.join("early")
    assert b.store.communities.cache.get(COMMUNITY) is not None
    assert not b.platform.texts("#welcome")
    await a.command("mod", "/setup welcome_channel=welcome")
    await _until(
        lambda: b.store.communities.cache.get(COMMUNITY) is None, "B drops the community row"
    )
    await b.command("early", "/ask How do I get quiet students talking?")
    assert any("quiet students" in text for text in b.platform.texts("#welcome"))


async def test_a_process_ignores_its_own_notifications(two: tuple[Harness, Harness]) -> None:
    a, b = two
    await a.join("ann")
    a.platform.moderators.add("mod")
    await a.command("mod", "/setup welcome_channel=welcome")
    await a.join("bob")  # A keeps its own fresh row…
    await _until(lambda: b.store.communities.cache.get(COMMUNITY) is None, "B heard it")
    assert a.store.communities.cache.get(COMMUNITY) is not None  # …and did not drop it


async def test_a_gap_in_listening_drops_every_cache_and_index(
    two: tuple[Harness, Harness], url: str
) -> None:
    a, b = two
    await b.command("ann", "/tags add maths")
    await b.reply_text("ann", "/peers")
    await b.join("bob")
    community_id = await _community_id(b)
    assert b.bot.peers.is_loaded(community_id)
    assert len(b.store.communities.cache) and len(b.store.onboarding.cache)
    admin = await asyncpg.connect(url)
    try:  # every listening connection (both processes') goes; each comes back
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    await _until(lambda: not b.bot.peers.is_loaded(community_id), "B drops its peer index")
    assert len(b.store.communities.cache) == 0 and len(b.store.onboarding.cache) == 0
    await a.command("cat", "/tags add maths")  # heard again after the gap
    assert "Cat" in _listed(await b.reply_text("ann", "/peers"))


# Order across processes ----------------------------------------------------------------------
async def test_a_unit_waits_while_another_process_holds_its_community(
    two: tuple[Harness, Harness], url: str
) -> None:
    a, b = two
    await a.join("ann")
    held = await _hold(a, [COMMUNITY])
    answer = asyncio.create_task(b.command("ann", "/tags add maths"))
    await _until(lambda: _waiting(url), "B's unit waits for the advisory lock A holds")
    assert not answer.done()
    other = await asyncio.wait_for(command_in(b.bot, OTHER, "zed", "/tags add maths"), GUARD_S)
    assert other, "another community is not held up"
    held.release.set()
    await asyncio.wait_for(held.task, GUARD_S)
    await asyncio.wait_for(answer, GUARD_S)
    assert "maths" in " ".join(b.platform.texts("reply:ann"))


async def _waiting(url: str) -> bool:
    return await _advisory_waiters(url) > 0


async def test_one_members_events_keep_their_order_across_two_processes(
    two: tuple[Harness, Harness],
) -> None:
    """A's join and B's commands of one member, all at once: the advisory lock lets one unit
    of the community run at a time across the processes, so each command is answered (none
    lost, none failed on a conflict), every tag is stored, the member is greeted at most once
    (not at all if a command of theirs made their row first)."""
    a, b = two
    for h in (a, b):
        await h.command("warm", "/help")  # both know the community (its row is made once)
    tags = sorted((await a.store.tags.names(await _community_id(a))).values())[:8]
    events: list[Awaitable[Any]] = [a.bot.dispatch(MemberJoined(COMMUNITY, user("dan")))]
    events += [(a if n % 2 else b).command("dan", f"/tags add {tag}") for n, tag in enumerate(tags)]
    await asyncio.wait_for(asyncio.gather(*events), GUARD_S)
    replies = a.platform.texts("reply:dan") + b.platform.texts("reply:dan")
    assert len(replies) == len(tags)
    assert not any("went wrong" in text or "busy" in text for text in replies)
    assert set(tags) <= await a.tag_names("dan")
    assert len(a.platform.texts("dm:dan")) <= 1


def test_the_lock_key_is_stable_and_64_bit() -> None:
    """Every process computes the same key (Python's `hash` would differ per process)."""
    key = community_lock_key(CommunityRef("discord", "123"))
    assert key == community_lock_key(CommunityRef("discord", "123"))
    assert key != community_lock_key(CommunityRef("matrix", "123"))
    assert -(2**63) <= key < 2**63


# Parallel units in one process ---------------------------------------------------------------
async def test_two_communities_units_overlap_in_one_process(two: tuple[Harness, Harness]) -> None:
    a, _ = two
    assert isinstance(a.bot.lanes.writer, FreeTurn)
    await a.join("ann")
    held = await _hold(a, [COMMUNITY])
    await asyncio.wait_for(command_in(a.bot, OTHER, "zed", "/tags add maths"), GUARD_S)
    assert not held.task.done(), "the first unit is still open"
    zed_community = await _community_id(a, OTHER)
    zed = await a.store.members.get(zed_community, user("zed"))
    assert zed is not None
    assert "maths" in " ".join(a.platform.texts("reply:zed"))
    held.release.set()
    await asyncio.wait_for(held.task, GUARD_S)


async def test_a_failing_unit_does_not_disturb_another_communitys_unit(
    two: tuple[Harness, Harness],
) -> None:
    a, _ = two
    await a.command("ann", "/tags add maths")
    await a.reply_text("ann", "/peers")
    ann_community = await _community_id(a)
    held = await _hold(a, [COMMUNITY], fail=True)
    await asyncio.wait_for(command_in(a.bot, OTHER, "zed", "/tags add maths"), GUARD_S)
    held.release.set()
    with pytest.raises(RuntimeError):
        await asyncio.wait_for(held.task, GUARD_S)
    zed_community = await _community_id(a, OTHER)
    zed = await a.store.members.get(zed_community, user("zed"))
    assert zed is not None, "the other community's unit committed"
    assert await a.store.tags.member_tag_ids(zed.id)
    assert a.bot.peers.is_loaded(ann_community), "nothing of the failed unit's to drop"


async def test_units_wait_for_a_free_connection_when_the_pool_is_small(url: str) -> None:
    """Six communities' units at once on a pool of two connections: each waits its turn for a
    connection, none fails."""
    from communitybot.store.store import Store

    store = await Store.open(url, pool_size=2)
    try:
        platform, clock = FakePlatform(), FakeClock()
        limits = RateLimiter(store, platform, clock, enabled=False)
        bot = Bot(store, platform, clock, PeerIndex(), prefix="/", limits=limits)
        refs = [CommunityRef("fake", f"pool-{n}") for n in range(6)]
        await asyncio.wait_for(
            asyncio.gather(*(command_in(bot, ref, "ann", "/tags add maths") for ref in refs)),
            GUARD_S,
        )
        replies = platform.texts("reply:ann")
        assert len(replies) == 6
        assert not any("went wrong" in text or "busy" in text for text in replies)
    finally:
        await store.close()


def test_a_unit_that_changed_many_members_names_their_communities_instead() -> None:
    """The payload stays small: 500 changed members become their two communities (the other
    processes reload those indexes, not every one)."""
    import json

    from communitybot.store.changes import MAX_PAYLOAD, UnitChanges

    changes = UnitChanges()
    for n in range(500):
        changes.note("members", (1 + n % 2, n))
    changes.note("questions", 7)
    payload = changes.payload("me")
    assert payload is not None and len(payload.encode()) < MAX_PAYLOAD
    assert json.loads(payload) == {"o": "me", "peers": [1, 2], "questions": [7]}
    assert UnitChanges().payload("me") is None, "nothing cached changed: nothing sent"


async def test_a_tag_merged_on_one_process_drops_that_communitys_index_on_the_other(
    two: tuple[Harness, Harness],
) -> None:
    a, b = two
    a.platform.moderators.add("mod")
    await b.command("ann", "/tags add maths")
    await b.command("bob", "/tags add edtech")
    await b.reply_text("ann", "/peers")
    community_id = await _community_id(b)
    assert b.bot.peers.is_loaded(community_id)
    await a.command("mod", "/tags merge edtech maths")
    await _until(lambda: not b.bot.peers.is_loaded(community_id), "B drops the index")
    assert "Bob" in _listed(await b.reply_text("ann", "/peers")), "reloaded with the merge"
