"""`/peers scope=network` and the discoverability scope: finding peers in the other affiliates.

Driven through the real Bot (SQLite and PostgreSQL) serving three communities: two on the fake
platform and one standing in for a Matrix space (its members' ids look like Matrix ids), so a
hit there is on another platform than the asker's.
"""

from __future__ import annotations

import json
import math
import random
import re
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from communitybot.events import CommunityRef, MemberLeft
from communitybot.peers import index as peer_index
from communitybot.peers.community import CommunityIndex, MemberRows
from communitybot.peers.index import PeerIndex
from communitybot.peers.scoring import tz_distance, weight
from communitybot.store.store import Store
from communitybot.timezones import utc_offset_minutes
from tests.conftest import COMMUNITY, Harness
from tests.test_networks import Site, invite_code, site_with

MIA = "@mia:example.org"
GHOST = "@_discord_42:example.org"


@pytest.fixture
async def a(harness: Harness) -> Site:
    return await site_with(
        harness,
        COMMUNITY,
        "ann",
        "/tags create robotics",
        "/tags create maths",
        "/tags create poetry",
    )


@pytest.fixture
async def b(harness: Harness) -> Site:
    return await site_with(
        harness, CommunityRef("fake", "b"), "bea", "/tags create robotics", "/tags create maths"
    )


@pytest.fixture
async def m(harness: Harness) -> Site:
    """A Matrix space: its tag for robotics has another name and `robotics` as an alias."""
    return await site_with(
        harness,
        CommunityRef("matrix", "!space:example.org"),
        "@mod:example.org",
        "/tags create robot-club",
        "/tags alias robot-club robotics",
    )


MODERATORS = {"community-1": "ann", "b": "bea", "!space:example.org": "@mod:example.org"}


async def network_of(a: Site, *others: Site) -> None:
    await a.command("ann", "/network create Makers")
    for site in others:
        code = await invite_code(a, "ann")
        joined = await site.reply(MODERATORS[site.ref.space_id], f"/network join {code}")
        assert "now an affiliate" in joined


async def _community_id(site: Site) -> int:
    community = await site.harness.store.communities.get(site.ref)
    assert community is not None
    return community.id


async def person(site: Site, name: str, tags: str, scope: str = "on", **values: Any) -> None:
    """A member of `site` with these tags and discoverability (on, network or off)."""
    await site.command(name, f"/tags add {tags}")
    await site.command(name, f"/privacy discoverable {scope}")
    if values:
        store = site.harness.store
        member = await store.members.get(await _community_id(site), site.user(name))
        assert member is not None
        await store.members.update(member.id, **values)
        await site.harness.bot.peers.refresh_member(store, member.community_id, member.id)
    site.harness.platform.take()


def listed(text: str) -> list[str]:
    """The names the reply lists, in order."""
    return [
        line.split(". ", 1)[1].split(" (", 1)[0].strip("“”")
        for line in text.splitlines()
        if re.match(r"\d+\. ", line)
    ]


async def test_network_scope_finds_who_chose_it_and_names_their_affiliate(
    a: Site, b: Site, m: Site
) -> None:
    await network_of(a, b, m)
    await person(a, "alice", "robotics")
    await person(a, "amy", "robotics")  # here: ordinary discoverability applies
    await person(a, "hana", "robotics", scope="off")
    await person(b, "bob", "robotics", scope="network")
    await person(b, "carl", "robotics")  # community only: not across
    await person(b, "dora", "robotics", scope="off")
    await person(b, "alice", "robotics", scope="network")  # the asker's other membership
    await person(m, MIA, "robotics", scope="network", display_name="Mia")  # through the alias
    await person(m, GHOST, "robotics", scope="network", display_name="Ghost")  # never a person
    text = await a.reply("alice", "/peers scope=network")
    assert sorted(listed(text)) == ["Amy", "Bob", "Mia"]
    lines = {name: line for name, line in zip(listed(text), text.splitlines()[1:], strict=False)}
    assert lines["Amy"].endswith("· this community")
    bob = await a.harness.store.members.get(await _community_id(b), b.user("bob"))
    assert bob is not None
    assert lines["Bob"].endswith(f"· fake “b” — `/introduce {bob.id}`")
    assert "“Bob”" in lines["Bob"]  # named, not mentioned: another server
    mia = lines["Mia"]
    assert "matrix “!space:example.org” — `/introduce " in mia
    assert "“Mia”" in mia  # named, not mentioned: another platform
    assert "`/introduce <number>` asks me to introduce you" in text
    assert "shares robotics" in mia
    assert "Other affiliates cannot find you" in text
    # Without the scope nothing changes: this community only.
    assert listed(await a.reply("alice", "/peers")) == ["Amy"]
    # Carl widens his scope; Bob goes back to his community only; another bridged ghost
    # chooses the network after the indexes were loaded (mirrored, not reloaded).
    await person(b, "carl", "robotics", scope="network")
    await person(b, "bob", "robotics", scope="on")
    await person(m, "@_slack_7:example.org", "robotics", scope="network")
    assert sorted(listed(await a.reply("alice", "/peers scope=network"))) == [
        "Amy",
        "Carl",
        "Mia",
    ]


async def test_the_asker_is_never_listed_and_is_told_when_hidden(a: Site, b: Site) -> None:
    await network_of(a, b)
    await person(a, "alice", "robotics", scope="off")
    text = await a.reply("alice", "/peers scope=network")
    assert "No one else in the network" in text and "Alice" not in listed(text)
    assert "You are hidden" in text
    await person(b, "bob", "robotics", scope="network")
    await person(a, "alice", "robotics", scope="network")
    text = await a.reply("alice", "/peers scope=network")
    assert listed(text) == ["Bob"]
    assert "cannot find you" not in text and "hidden" not in text


async def test_a_community_that_leaves_drops_out_at_once(a: Site, b: Site) -> None:
    await network_of(a, b)
    await person(a, "alice", "robotics")
    await person(b, "bob", "robotics", scope="network")
    assert listed(await a.reply("alice", "/peers scope=network")) == ["Bob"]
    assert "left the network" in await b.reply("bea", "/network leave")
    text = await a.reply("alice", "/peers scope=network")
    assert listed(text) == [] and "No one else in the network" in text
    # From b's side there is no network any more.
    text = await b.reply("bob", "/peers scope=network")
    assert "not in a network" in text and "`/peers` finds members here" in text


async def test_members_who_left_are_not_listed(a: Site, b: Site) -> None:
    await network_of(a, b)
    await person(a, "alice", "robotics")
    await person(b, "bob", "robotics", scope="network")
    await person(b, "cy", "robotics", scope="network")
    await a.harness.bot.dispatch(MemberLeft(b.ref, b.user("cy")))
    assert listed(await a.reply("alice", "/peers scope=network")) == ["Bob"]


async def test_rarity_is_the_networks_and_tags_typed_wrong_get_did_you_mean(
    a: Site, b: Site
) -> None:
    await network_of(a, b)
    # maths is common across the network (five carry it), robotics rare (one in b).
    for name in ("m1", "m2", "m3"):
        await person(a, name, "maths")
    for name in ("m4", "m5"):
        await person(b, name, "maths", scope="network")
    await person(b, "bob", "robotics", scope="network")
    await person(a, "alice", "maths, robotics")
    text = await a.reply("alice", "/peers maths, robtics scope=network")
    assert "Did you mean `robotics`?" in text
    assert listed(text) == ["M1", "M2", "M3", "M4", "M5"]
    names = listed(await a.reply("alice", "/peers scope=network"))
    assert names[0] == "Bob" and sorted(names[1:]) == ["M1", "M2", "M3", "M4", "M5"]
    # A tag no other affiliate has (poetry) still searches here, and an unknown one is said.
    text = await a.reply("alice", "/peers poetry, nothing-like-it scope=network")
    assert "I don't know the tag" in text and "No one else in the network" in text


async def test_mentions_are_never_echoed_live(a: Site, b: Site, m: Site) -> None:
    await network_of(a, b, m)
    await person(a, "alice", "robotics")
    await person(b, "bob", "robotics", scope="network", display_name="@everyone Bob")
    await person(m, MIA, "robotics", scope="network", display_name="@here Mia")
    await a.command("alice", "/peers scope=network")
    (sent,) = [s for s in a.harness.platform.take() if s.where == "reply:alice"]
    assert sent.ephemeral
    assert "@everyone" not in sent.text and "@here" not in sent.text
    assert "Bob" in sent.text and "Mia" in sent.text


async def test_outside_a_network_scope_network_is_explained(a: Site) -> None:
    await person(a, "alice", "robotics")
    text = await a.reply("alice", "/peers robotics scope=network")
    assert "This community is not in a network" in text and "`/network create <name>`" in text


async def test_privacy_scope_is_shown_exported_and_reset_by_on(a: Site) -> None:
    await a.command("alice", "/privacy show")
    text = await a.reply("alice", "/privacy discoverable network")
    assert "every affiliate" in text and "not in a network yet" in text
    assert "Discoverable: network" in await a.reply("alice", "/privacy show")
    assert "network — members of every affiliate" in await a.reply("alice", "/profile show")
    a.harness.platform.take()
    await a.command("alice", "/mydata")
    (sent,) = [s for s in a.harness.platform.take() if s.where == "reply:alice"]
    assert sent.message.attachment is not None
    profile = json.loads(sent.message.attachment.content)["memberships"][0]["profile"]
    assert profile["network_visible"] is True and profile["discover_scope"] == "network"
    assert "this community" in await a.reply("alice", "/privacy discoverable on")
    alice = await a.harness.store.members.get(await _community_id(a), a.user("alice"))
    assert alice is not None and alice.discoverable and not alice.network_visible
    assert "Discoverable: on (this community)" in await a.reply("alice", "/privacy show")
    await a.command("alice", "/privacy discoverable network")
    await a.command("alice", "/privacy discoverable off")
    alice = await a.harness.store.members.get(await _community_id(a), a.user("alice"))
    assert alice is not None and alice.discover_scope == "nobody" and not alice.network_visible


# The merge against a brute force ------------------------------------------------------------
ZONES = [None, "Europe/London", "America/New_York", "Asia/Tokyo", "Europe/Paris"]


def _random_affiliate(
    rng: random.Random, first_id: int, n: int, tags: list[int]
) -> tuple[CommunityIndex, dict[int, tuple[set[int], str | None, bool, bool]]]:
    members: dict[int, tuple[set[int], str | None, bool, bool]] = {}
    for member_id in range(first_id, first_id + n):
        carried = {t for t in tags if rng.random() < 0.15}
        discoverable = rng.random() < 0.8
        members[member_id] = (carried, rng.choice(ZONES), discoverable, rng.random() < 0.5)
    names = ZONES
    ids = np.array(list(members), np.int64)
    rows = MemberRows(
        ids=ids,
        tz_codes=np.array([names.index(members[i][1]) for i in members], np.int16),
        tz_names=list(names),
        discoverable=np.array([members[i][2] for i in members], np.bool_),
        network=np.array([members[i][3] for i in members], np.bool_),
    )
    ix = CommunityIndex.build(
        rows, tags, [np.array([i for i in members if t in members[i][0]], np.int64) for t in tags]
    )
    return ix, members


def _churn(
    rng: random.Random,
    index: PeerIndex,
    affiliates: dict[int, tuple[list[int], dict[int, tuple[set[int], str | None, bool, bool]]]],
    burst: bool,
) -> None:
    """A few members of random affiliates change (in the index and in the brute force's
    model); `burst`: one affiliate gains 100 members at once."""
    changes = rng.randint(0, 3)
    for _ in range(changes + (100 if burst else 0)):
        c = 1 if burst else rng.choice(list(affiliates))
        tags, members = affiliates[c]
        ix = index._communities[c]
        if members and rng.random() < 0.6 and not burst:
            member_id = rng.choice(list(members))
        else:
            member_id = 10_000 * c + 5_000 + rng.randrange(4_000)
        if members.get(member_id) is not None and rng.random() < 0.2:
            ix.upsert(member_id, (), None, False, present=False)
            del members[member_id]
            continue
        carried = {t for t in tags if rng.random() < 0.3}
        row = (carried, rng.choice(ZONES), rng.random() < 0.8, rng.random() < 0.5)
        ix.upsert(member_id, sorted(carried), row[1], row[2], present=True, network=row[3])
        members[member_id] = row


@pytest.mark.parametrize("small", [peer_index.SMALL_AFFILIATE, 0], ids=["whole", "pruned"])
async def test_network_search_is_the_exact_network_wide_ranking(
    store: Store, small: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small affiliates are scored whole in one pass (through the network's cached layout),
    large ones by the pruning ranker: both give the brute force's answer, also while members
    join, leave, change tags and scope between searches, and when an affiliate outgrows the
    room its layout region had."""
    monkeypatch.setattr(peer_index, "SMALL_AFFILIATE", small)
    rng = random.Random(14)
    index = PeerIndex()
    at = datetime(2027, 1, 4, 12, tzinfo=UTC)
    affiliates = {}
    for k in range(4):
        tags = [1000 * (k + 1) + t for t in range(6)]  # tag ids differ per affiliate
        ix, members = _random_affiliate(rng, 10_000 * (k + 1), rng.randint(5, 60), tags)
        index._communities[k + 1] = ix
        affiliates[k + 1] = (tags, members)
    for step in range(60):
        _churn(rng, index, affiliates, burst=step == 30)
        query = rng.sample(range(6), rng.randint(1, 4))
        matches = {
            c: [tags[q] if rng.random() < 0.9 else None for q in query]
            for c, (tags, _) in affiliates.items()
        }
        home = rng.choice(list(affiliates))
        asker = rng.choice(list(affiliates[home][1]))
        limit = rng.choice([1, 3, 10])
        hits = await index.search_network(
            store, matches, home, {home: asker}, "Europe/Berlin", limit, at=at
        )
        # Brute force: network-wide df per query tag over every present member.
        total = sum(len(ms) for _, ms in affiliates.values())
        df = [
            sum(
                1
                for c, (_, ms) in affiliates.items()
                for carried, *_ in ms.values()
                if matches[c][q] is not None and matches[c][q] in carried
            )
            for q in range(len(query))
        ]
        weights = [weight(total, d) for d in df]
        asker_offset = utc_offset_minutes("Europe/Berlin", at)
        expected = []
        for order, (c, (_, ms)) in enumerate(affiliates.items()):
            for member_id, (carried, zone, discoverable, network) in ms.items():
                visible = discoverable if c == home else discoverable and network
                if not visible or member_id == asker:
                    continue
                shared = [q for q in range(len(query)) if matches[c][q] in carried]
                score = sum(weights[q] for q in shared)
                if score <= 0:
                    continue
                offset = utc_offset_minutes(zone, at)
                distance = int(
                    tz_distance(
                        np.array([10_000 if offset is None else offset], np.int32), asker_offset
                    )[0]
                )
                expected.append((-score, distance, order, member_id))
        expected.sort()
        got = [(-round(h.score * 1000), h.community_id - 1, h.member_id) for h in hits]
        assert got == [(s, o, mid) for s, _, o, mid in expected[:limit]]
        assert all(not math.isnan(h.score) for h in hits)


async def test_a_linked_account_of_the_asker_is_never_their_peer(a: Site, b: Site, m: Site) -> None:
    """Linked accounts are one person (`/link`): the asker's Matrix account in another
    affiliate is never offered as their peer, though it chose network visibility."""
    await network_of(a, b, m)
    await person(a, "alice", "robotics")
    await person(b, "bob", "robotics", scope="network")
    await person(m, MIA, "robotics", scope="network", display_name="Mia")
    assert sorted(listed(await a.reply("alice", "/peers scope=network"))) == ["Bob", "Mia"]
    store = a.harness.store
    async with store.db.transaction():
        await store.people.link(a.user("alice"), m.user(MIA), datetime.now(UTC))
    assert listed(await a.reply("alice", "/peers scope=network")) == ["Bob"]
    assert listed(await m.reply(MIA, "/peers scope=network")) == ["Bob"]
