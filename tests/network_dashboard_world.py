"""A seeded network of three affiliates for the network dashboard tests (HTTP and browser).

Affiliates (all on the fake platform, in joining order):
- community-1 "North": mod (moderator and the network's steward), bea (moderator, not a
  steward), ann (finished onboarding), bob, cat;
- community-2 "South": dan, eve (dan has an open ask);
- community-3 named like a script: fay.
The network is named like a script too. Mentor pairings: ann→bob (same affiliate) and ann→dan
(across) this month (January 2027), eve→fay (across) last month. Peer-round meetings this
month: {bob, cat} (same) and {cat, eve} (across). A network chat this month: bob and fay
wrote; exchanges bob→fay (across) and bob→ann (same). A second network "Other" holds only
community-4, so a session for the first can be tried on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from communitybot.events import CommunityRef, MemberJoined
from communitybot.store.timefmt import to_db
from tests.conftest import COMMUNITY, Harness, user

SOUTH = CommunityRef("fake", "community-2")
THIRD = CommunityRef("fake", "community-3")
FOURTH = CommunityRef("fake", "community-4")
NETWORK_NAME = "Maths <script>alert(1)</script>"
THIRD_NAME = "<script>alert(3)</script> West"


@dataclass(frozen=True)
class SeededNetwork:
    network_id: int
    other_network_id: int
    north: int
    south: int
    third: int


async def seed_network(harness: Harness) -> SeededNetwork:
    store, now = harness.store, harness.clock.now()
    harness.platform.moderators.update({"mod", "bea"})
    for name in ("mod", "bea", "ann", "bob", "cat"):
        await harness.join(name)
    for where, names in ((SOUTH, ("dan", "eve")), (THIRD, ("fay",)), (FOURTH, ("gus",))):
        for name in names:
            await harness.bot.dispatch(MemberJoined(where, user(name)))
    ids = {}
    for where, name in (
        (COMMUNITY, "North"),
        (SOUTH, "South"),
        (THIRD, THIRD_NAME),
        (FOURTH, "Far"),
    ):
        community = await store.communities.get(where)
        assert community is not None
        await store.db.execute("UPDATE communities SET name = ? WHERE id = ?", (name, community.id))
        ids[where] = community.id

    async def member(where: CommunityRef, name: str) -> int:
        found = await store.members.get(ids[where], user(name))
        assert found is not None
        return found.id

    mod = await member(COMMUNITY, "mod")
    network = await store.networks.create(NETWORK_NAME, ids[COMMUNITY], mod, now)
    await store.networks.add_affiliate(network.id, ids[SOUTH], now + timedelta(seconds=1))
    await store.networks.add_affiliate(network.id, ids[THIRD], now + timedelta(seconds=2))
    other = await store.networks.create("Other", ids[FOURTH], await member(FOURTH, "gus"), now)

    ann, bob, cat = [await member(COMMUNITY, n) for n in ("ann", "bob", "cat")]
    dan, eve = await member(SOUTH, "dan"), await member(SOUTH, "eve")
    fay = await member(THIRD, "fay")
    await store.onboarding.set_status(ann, "completed", now)
    await store.mentoring.add_pair(ids[COMMUNITY], ann, bob, "r1", 1, "", now)
    await store.mentoring.add_pair(ids[COMMUNITY], ann, dan, "n1", 1, "", now)
    await store.mentoring.add_pair(ids[SOUTH], eve, fay, "n0", 1, "", now - timedelta(days=20))
    round_id = await store.rounds.add_round(ids[COMMUNITY], "w1", "manual", now)
    assert round_id is not None
    await store.rounds.add_groups(
        round_id, ids[COMMUNITY], [([bob, cat], ""), ([cat, eve], "")], now
    )
    await store.asks.create(ids[SOUTH], dan, "How do I teach fractions?", "general", 7, now)

    stamp = to_db(now)
    series = await store.db.fetch_one(
        "INSERT INTO chat_series (community_id, hashtag, title, channel_id, kind, timezone,"
        " local_time, anchor, created_at) VALUES (?, 'talk', 'Talk', 'general', 'once', 'UTC',"
        " '12:00', ?, ?) RETURNING id",
        (ids[COMMUNITY], stamp[:10], stamp),
    )
    assert series is not None
    run = await store.db.fetch_one(
        "INSERT INTO chat_runs (series_id, community_id, started_at, ends_at, conversation_id,"
        " in_thread, title, status, network_id) VALUES (?, ?, ?, ?, 'general', 0, 'Talk', 'ended',"
        " ?) RETURNING id",
        (int(series[0]), ids[COMMUNITY], stamp, stamp, network.id),
    )
    assert run is not None
    for n, who in enumerate((bob, fay)):
        await store.db.execute(
            "INSERT INTO chat_run_messages (run_id, message_id, member_id, question, text,"
            " posted_at) VALUES (?, ?, ?, 0, 'hi', ?)",
            (int(run[0]), f"m{n}", who, stamp),
        )
    for one, other_member in ((bob, fay), (bob, ann)):
        await store.db.execute(
            "INSERT INTO chat_run_exchanges (run_id, member_id, other_id) VALUES (?, ?, ?)",
            (int(run[0]), one, other_member),
        )
    return SeededNetwork(network.id, other.id, ids[COMMUNITY], ids[SOUTH], ids[THIRD])
