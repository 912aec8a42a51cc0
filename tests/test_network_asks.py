"""`ask … scope=network`: a problem of practice shared with every affiliate of the network.

Driven through the real Bot serving three communities: two on the fake platform (the bot
delivers their messages here) and one standing in for a Matrix space (its messages wait in
the outbox for the Matrix process, so they are read from there).
"""

from __future__ import annotations

import pytest

from communitybot.command_parser import CommandParseError
from communitybot.outbox_codec import decode
from communitybot.replies import SendDirect, SendToChannel
from tests.test_network_peers import MIA, a, b, m, network_of
from tests.test_networks import Site

__all__ = ["a", "b", "m"]  # the communities, as fixtures


async def welcome(site: Site, moderator: str) -> None:
    await site.command(moderator, f"/setup welcome_channel=welcome-{site.ref.space_id}")
    site.harness.platform.take()


async def queued_for_matrix(site: Site) -> list[object]:
    rows = await site.harness.store.db.fetch_all(
        "SELECT action FROM outbox WHERE platform = 'matrix' ORDER BY id"
    )
    return [decode(str(row["action"])) for row in rows]


async def test_a_network_ask_is_posted_in_every_affiliate_naming_its_author(
    a: Site, b: Site, m: Site
) -> None:
    await network_of(a, b, m)
    await welcome(a, "ann")
    await welcome(b, "bea")
    answer = await a.reply("alice", "/ask @everyone district book clubs? scope=network")
    assert "Posted as **#1**" in answer
    assert "Shared with 1 other affiliate of **Makers**" in answer
    assert "1 more has no welcome channel set" in answer  # the Matrix space
    posts = {s.where: s.text for s in a.sent if s.where.startswith("#welcome")}
    assert set(posts) == {"#welcome-community-1", "#welcome-b"}
    assert "with the whole network" in posts["#welcome-community-1"]
    there = posts["#welcome-b"]
    assert "“Alice” of fake “community-1”" in there and "`/follow 1`" in there
    assert "@everyone" not in there and "district book clubs?" in there
    # The Matrix space sets its welcome room: the next ask reaches it through its outbox.
    await m.command("@mod:example.org", "/setup welcome_channel=!welcome:example.org")
    await a.reply("alice", "/ask Marking rubrics that students read? scope=network")
    (queued,) = [
        x
        for x in await queued_for_matrix(m)
        if isinstance(x, SendToChannel) and "Problem of practice" in x.message.text
    ]
    assert queued.channel_id == "!welcome:example.org"
    assert "“Alice” of fake “community-1”" in queued.message.text
    assert "`follow 2`" in queued.message.text  # Matrix's prefix is its own


async def test_any_affiliate_lists_follows_and_hears_the_outcome(a: Site, b: Site, m: Site) -> None:
    await network_of(a, b, m)
    await welcome(a, "ann")
    await welcome(b, "bea")
    await a.reply("alice", "/ask Phones in class? scope=network")
    await a.reply("alice", "/ask Only for us")
    listed = await b.reply("bob", "/asks")
    assert "#1" in listed and "Phones in class?" in listed and "fake “community-1”" in listed
    assert "Only for us" not in listed
    assert "You follow #1" in await b.reply("bob", "/follow 1")
    assert "no problem of practice #2" in await b.reply("bob", "/follow 2")
    assert "You follow #1" in await m.reply(MIA, "/follow 1")
    assert "You follow #1" in await a.reply("amy", "/follow 1")
    stats = await a.reply("ann", "/network stats")
    assert "1 open problem(s) of practice shared with the whole network" in stats
    here = await a.reply("alice", "/asks")
    assert "**#1** 🌐" in here and "shared with the whole network" in here
    done = await a.reply("alice", "/resolve 1 A phone box by the door worked")
    assert "I told 3 followers" in done
    dms = {s.where: s.text for s in a.sent if s.where.startswith("dm:")}
    assert "“Alice” of fake “community-1” shared how" in dms["dm:bob"]
    assert "“Alice”" not in dms["dm:amy"] and "shared how" in dms["dm:amy"]
    (queued,) = [
        x
        for x in await queued_for_matrix(m)
        if isinstance(x, SendDirect) and "shared how" in x.message.text
    ]
    assert queued.user.user_id == MIA and "A phone box by the door" in queued.message.text


async def test_leaving_the_network_takes_its_asks_and_followers_out(a: Site, b: Site) -> None:
    await network_of(a, b)
    await welcome(a, "ann")
    await welcome(b, "bea")
    await a.reply("alice", "/ask Homework policy? scope=network")
    await b.reply("bob", "/follow 1")
    assert "left the network" in await b.reply("bea", "/network leave")
    assert "Homework policy?" not in await b.reply("bob", "/asks")
    assert "no problem of practice #1" in await b.reply("bob", "/follow 1")
    assert "I told 0 followers" in await a.reply("alice", "/resolve 1 Less is more")


async def test_outside_a_network_the_scope_is_explained_and_nothing_is_posted(a: Site) -> None:
    await welcome(a, "ann")
    text = await a.reply("alice", "/ask Anything? scope=network")
    assert "not in a network" in text and "`/network create <name>`" in text
    assert not [s for s in a.sent if s.where.startswith("#")]
    assert await a.harness.store.db.fetch_all("SELECT * FROM asks") == []


async def test_a_wrong_scope_is_explained_before_anything_is_shared(a: Site, b: Site) -> None:
    await network_of(a, b)
    await welcome(a, "ann")
    with pytest.raises(CommandParseError, match="must be one of: community, network"):
        await a.command("alice", "/ask Anything? scope=everyone")
    text = await a.reply("alice", "/ask Anything? scope=network")
    assert "Shared with 0 other affiliates" in text and "1 more has no welcome" in text


async def test_mydata_says_which_asks_were_shared(a: Site, b: Site) -> None:
    await network_of(a, b)
    await welcome(a, "ann")
    await a.reply("alice", "/ask Shared one scope=network")
    member = await a.harness.find_member("alice")
    assert member is not None
    exported = await a.harness.store.asks.export_for_member(member.id)
    assert exported["asked"][0]["shared_with_network"] is True
