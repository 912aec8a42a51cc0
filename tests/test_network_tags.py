"""One taxonomy for a network: tags its stewards curate, which every affiliate shares.

Driven through the real Bot (SQLite and PostgreSQL) serving three communities: two on the fake
platform and one standing in for a Matrix space. Ann is a moderator of the first and the
network's steward; Bea moderates the second and is no steward.
"""

from __future__ import annotations

import pytest

from communitybot.events import CommunityRef
from communitybot.text import MASS_MENTION
from tests.conftest import COMMUNITY, Harness
from tests.test_network_peers import listed, network_of, person
from tests.test_networks import Site

MOD = "@mod:example.org"
MIA = "@mia:example.org"


@pytest.fixture
async def a(harness: Harness) -> Site:
    site = Site(harness, COMMUNITY)
    await site.setup("ann")
    return site


@pytest.fixture
async def b(harness: Harness) -> Site:
    site = Site(harness, CommunityRef("fake", "b"))
    await site.setup("bea")
    return site


@pytest.fixture
async def m(harness: Harness) -> Site:
    site = Site(harness, CommunityRef("matrix", "!space:example.org"))
    await site.setup(MOD)
    return site


async def held(site: Site, name: str) -> list[str]:
    """The names of the tags this member of `site` carries."""
    store = site.harness.store
    community = await store.communities.get(site.ref)
    assert community is not None
    member = await store.members.get(community.id, site.user(name))
    assert member is not None
    return [t.name for t in await store.tags.tags_of_member(member.id)]


async def tag_names(site: Site) -> dict[str, tuple[str, ...]]:
    """This community's tags beyond the ones every community starts with: name → aliases."""
    store = site.harness.store
    community = await store.communities.get(site.ref)
    assert community is not None
    tags = await store.tags.all(community.id)
    return {t.name: t.aliases for t in tags if t.name not in await seeded(site)}


async def seeded(site: Site) -> set[str]:
    """The tags a fresh community starts with (`onboarding.defaults`)."""
    fresh = Site(site.harness, CommunityRef("fake", "fresh"))
    await fresh.command("nobody", "/tags list")
    store = site.harness.store
    community = await store.communities.get(fresh.ref)
    assert community is not None
    return {t.name for t in await store.tags.all(community.id)}


async def test_a_steward_adds_a_tag_every_affiliate_has_and_its_members_use(
    a: Site, b: Site, m: Site
) -> None:
    await network_of(a, b, m)
    text = await a.reply("ann", "/network tags add robotics subject")
    assert "Added **robotics** to the network's tags in *subject*: all 3 affiliates" in text
    assert "added the tag **robotics** (*subject*) to the network" in a.logged()[0]
    assert any("added the tag **robotics**" in s.text for s in a.sent if s.where == b.modlog)
    for site, name in ((a, "alice"), (b, "bob"), (m, MIA)):
        assert "Added **robotics** to your profile." in await site.reply(name, "/tags add robotics")
        assert await held(site, name) == ["robotics"]
    listing = await b.reply("bob", "/tags list")
    assert "🌐 = the network's" in listing and "robotics 🌐 ✓" in listing
    shown = await m.reply(MIA, "/network tags list")
    assert "Tags of the network" in shown and "**subject**: robotics" in shown
    # A moderator who is no steward, and a community in no network, are told.
    text = await b.reply("bea", "/network tags add poetry")
    assert "Only the stewards of **“Makers”** curate the network's tags" in text
    assert "poetry" not in await tag_names(b)


async def test_outside_a_network_there_are_no_network_tags(a: Site) -> None:
    text = await a.reply("ann", "/network tags add robotics")
    assert "not in a network" in text
    assert "not in a network" in await a.reply("alice", "/network tags list")
    assert await tag_names(a) == {}


async def test_an_alias_works_in_every_affiliate_with_did_you_mean(
    a: Site, b: Site, m: Site
) -> None:
    await network_of(a, b, m)
    await a.command("ann", "/network tags add robotics")
    text = await a.reply("ann", "/network tags alias robotics Robots")
    assert "“robots” now leads to **robotics** in all 3 affiliates" in text
    for site, name in ((a, "alice"), (b, "bob"), (m, MIA)):
        await site.command(name, "/tags add robots")
        assert await held(site, name) == ["robotics"]
    assert "Did you mean `robotics`" in await b.reply("bob", "/tags add robotcs")
    text = await a.reply("ann", "/network tags alias robotcs bots")
    assert "The network has no tag “robotcs”. Did you mean `robotics`" in text
    assert "already an alias of the network tag **robotics**" in await a.reply(
        "ann", "/network tags add robots"
    )
    assert "already has a tag **robotics**" in await a.reply("ann", "/network tags add robotics")


async def test_peers_across_the_network_find_a_member_through_the_network_alias(
    a: Site, b: Site
) -> None:
    await network_of(a, b)
    await a.command("ann", "/network tags add robotics")
    await a.command("ann", "/network tags alias robotics robots")
    await person(a, "alice", "poetry")
    await person(b, "bob", "robotics", scope="network")
    text = await a.reply("alice", "/peers robots scope=network")
    assert listed(text) == ["Bob"] and "shares robotics" in text


async def test_merging_moves_members_tags_in_every_affiliate(a: Site, b: Site, m: Site) -> None:
    await network_of(a, b, m)
    await a.command("ann", "/network tags add robotics")
    await a.command("ann", "/network tags add robots")
    await a.command("alice", "/tags add robots")
    await b.command("bob", "/tags add robots, robotics")
    await m.command(MIA, "/tags add robots")
    text = await a.reply("ann", "/network tags merge robots robotics")
    assert "Merged **robots** into **robotics** in all 3 affiliates" in text
    assert "Where an affiliate's own tags met it" not in text
    for site, name in ((a, "alice"), (b, "bob"), (m, MIA)):
        assert await held(site, name) == ["robotics"]
        assert await tag_names(site) == {"robotics": ("robots",)}
    # The old name still resolves, everywhere.
    await m.command("mo", "/tags add robots")
    assert await held(m, "mo") == ["robotics"]
    assert "robotics (also robots)" in await b.reply("bob", "/network tags list")


async def test_promoting_a_local_tag_links_or_adopts_the_same_names_elsewhere(
    a: Site, b: Site, m: Site
) -> None:
    await network_of(a, b, m)
    await a.command("ann", "/tags create makerspace subject")
    await a.command("ann", "/tags alias makerspace maker")
    await a.command("alice", "/tags add maker")
    await b.command("bea", "/tags create makerspace")  # the same name: linked
    await b.command("bob", "/tags add makerspace")
    await m.command(MOD, "/tags create maker")  # named like the alias: adopted and renamed
    await m.command(MIA, "/tags add maker")
    text = await a.reply("ann", "/network tags promote maker")
    assert "**makerspace** is a network tag now: all 3 affiliates have it" in text
    assert "its own tag **maker** became the network's" in text
    assert await held(a, "alice") == ["makerspace"]
    assert await held(b, "bob") == ["makerspace"]
    assert await held(m, MIA) == ["makerspace"]
    for site in (a, b, m):
        assert await tag_names(site) == {"makerspace": ("maker",)}
    notes = [s.text for s in a.sent if s.where == b.modlog]
    assert notes and "its own tag **makerspace** became the network's" in notes[0]
    assert "already is one of the network's tags" in await a.reply(
        "ann", "/network tags promote makerspace"
    )
    listing = await b.reply("bea", "/network tags list")
    assert "**subject**: makerspace (also maker)" in listing


async def test_a_joining_affiliate_gets_the_taxonomy_and_a_leaving_one_keeps_copies(
    a: Site, b: Site
) -> None:
    await a.command("ann", "/network create Makers")
    await a.command("ann", "/network tags add robotics subject")
    await a.command("ann", "/network tags alias robotics robots")
    await b.command("bea", "/tags create robots")  # named like the alias: becomes the copy
    await b.command("bea", "/tags create poetry")
    await b.command("bob", "/tags add robots, poetry")
    await network_of_two(a, b)
    assert await tag_names(b) == {"poetry": (), "robotics": ("robots",)}
    assert sorted(await held(b, "bob")) == ["poetry", "robotics"]
    listing = await b.reply("bob", "/tags list")
    assert "robotics 🌐 ✓" in listing and "poetry ✓" in listing and "poetry 🌐" not in listing
    # Leaving: the copies stay, as this community's own tags, and its moderators curate them.
    await b.command("bea", "/network leave")
    assert sorted(await held(b, "bob")) == ["poetry", "robotics"]
    assert "🌐" not in await b.reply("bob", "/tags list")
    assert "Renamed **robotics** to **robo**" in await b.reply("bea", "/tags rename robotics robo")
    assert "robotics" in await tag_names(a)
    # The last affiliate leaving closes the network; its copies stay too.
    await a.command("alice", "/tags add robots")
    assert "network is closed" in await a.reply("ann", "/network leave")
    assert await held(a, "alice") == ["robotics"]
    assert "Renamed" in await a.reply("ann", "/tags rename robotics robotics-club")
    row = await a.harness.store.db.fetch_one("SELECT count(*) AS n FROM network_tags")
    assert row is not None and row["n"] == 0


async def network_of_two(a: Site, b: Site) -> None:
    """b joins a's existing network."""
    from tests.test_networks import invite_code

    code = await invite_code(a, "ann")
    assert "now an affiliate" in await b.reply("bea", f"/network join {code}")


async def test_moderators_of_an_affiliate_cannot_rename_a_network_tag_but_link_it(
    a: Site, b: Site
) -> None:
    await network_of(a, b)
    await a.command("ann", "/network tags add robotics")
    for line in (
        "/tags rename robotics robo",
        "/tags alias robotics robo",
        "/tags delete robotics",
        "/tags merge robotics maths",
    ):
        if "merge" in line:
            await b.command("bea", "/tags create maths")
        text = await b.reply("bea", line)
        assert "one of the network's shared tags, so only the network's stewards" in text, line
        assert "Nothing was changed." in text
    assert "robotics" in await tag_names(b)
    assert "There's already a tag **robotics**" in await b.reply("bea", "/tags create robotics")
    text = await b.reply("bea", "/tags link robotics robot-lounge")
    assert "**robotics** now suggests" in text
    # A local tag may be folded into the network's one.
    await b.command("bob", "/tags add maths")
    assert "Merged **maths** into **robotics**" in await b.reply(
        "bea", "/tags merge maths robotics"
    )
    assert await held(b, "bob") == ["robotics"]
    # The steward's own community is no exception.
    assert "only the network's stewards" in await a.reply("ann", "/tags delete robotics")


async def test_rename_category_and_remove_reach_every_affiliate(a: Site, b: Site) -> None:
    await network_of(a, b)
    await a.command("ann", "/network tags add robotics")
    await b.command("bob", "/tags add robotics")
    text = await a.reply("ann", "/network tags rename robotics robotics-club")
    assert "Renamed the network tag **robotics** to **robotics-club** in all 2 affiliates" in text
    assert await held(b, "bob") == ["robotics-club"]
    text = await a.reply("ann", "/network tags category robotics-club subject")
    assert "is in *subject* now (it was in *topic*)" in text
    listing = await b.reply("bob", "/tags list")
    subject = next(line for line in listing.splitlines() if line.startswith("**subject**"))
    assert "robotics-club 🌐 ✓" in subject
    text = await a.reply("ann", "/network tags remove robotics-club")
    assert "no longer a network tag" in text and "keeps it as its own tag" in text
    assert any("took **robotics-club** out" in s.text for s in a.sent if s.where == b.modlog)
    assert await held(b, "bob") == ["robotics-club"]
    assert "no shared tags yet" in await b.reply("bob", "/network tags list")
    assert "Deleted the tag **robotics-club**" in await b.reply("bea", "/tags delete robotics-club")


async def test_bad_names_are_explained_and_change_nothing(a: Site, b: Site) -> None:
    await network_of(a, b)
    text = await a.reply("ann", "/network tags add " + "x" * 40)
    assert "at most 32 characters" in text and "Nothing was changed" in text
    assert "no letters or digits" in await a.reply("ann", "/network tags add ###")
    text = await a.reply("ann", "/network tags add @everyone")
    assert MASS_MENTION.search(text) is None and "**everyone**" in text
    text = await a.reply("ann", '/network tags add "Éducation Spéciale" ça')
    assert "**éducation-spéciale**" in text and "in *ça*" in text
    assert "éducation-spéciale" in await tag_names(b)
    assert "The network has no tag “nope”" in await a.reply("ann", "/network tags remove nope")
    text = await a.reply("ann", "/network tags merge everyone everyone")
    assert "same network tag" in text


async def test_an_affiliates_own_tag_named_like_a_new_network_name_is_merged_in(
    a: Site, b: Site
) -> None:
    await network_of(a, b)
    await a.command("ann", "/network tags add robotics")
    await b.command("bea", "/tags create robots")
    await b.command("bea", "/tags create coding")
    await b.command("bea", "/tags alias coding code")
    await b.command("bob", "/tags add robots")
    text = await a.reply("ann", "/network tags alias robotics robots")
    assert "fake “b”: its own tag **robots** was merged in (1 member gained it)" in text
    notes = [s.text for s in a.sent if s.where == b.modlog]
    assert notes and "Here its own tag **robots** was merged in" in notes[0]
    assert await held(b, "bob") == ["robotics"]
    # A local alias with the network's new name now leads to the network's tag.
    text = await a.reply("ann", "/network tags alias robotics code")
    assert "its alias “code” now leads to it" in text
    assert await tag_names(b) == {"robotics": ("code", "robots"), "coding": ()}
