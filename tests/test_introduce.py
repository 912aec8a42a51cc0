"""`introduce <number>`: the bot introduces a member to someone of another affiliate that
`peers scope=network` listed, each on their own platform.

Driven through the real Bot (SQLite and PostgreSQL) serving two communities on the fake
platform and one standing in for a Matrix space, whose messages wait in the outbox for the
Matrix process (read from there).
"""

from __future__ import annotations

import json
import re

import pytest

from communitybot.command_parser import CommandParseError
from communitybot.outbox_codec import decode
from communitybot.replies import SendDirect
from tests.test_network_peers import GHOST, MIA, _community_id, a, b, m, network_of, person
from tests.test_networks import Site

__all__ = ["a", "b", "m"]  # the communities, as fixtures

NUMBER = re.compile(r"`/introduce (\d+)`")


async def numbers(site: Site, asker: str, tags: str = "robotics") -> list[str]:
    return NUMBER.findall(await site.reply(asker, f"/peers {tags} scope=network"))


async def queued_for_matrix(site: Site) -> list[SendDirect]:
    rows = await site.harness.store.db.fetch_all(
        "SELECT action FROM outbox WHERE platform = 'matrix' ORDER BY id"
    )
    actions = [decode(str(row["action"])) for row in rows]
    return [x for x in actions if isinstance(x, SendDirect)]


async def test_peers_offers_a_number_and_the_bot_introduces_each_side_on_its_platform(
    a: Site, b: Site, m: Site
) -> None:
    await network_of(a, b, m)
    await person(a, "alice", "robotics, maths")
    await person(m, MIA, "robotics", scope="network", display_name="Mia")
    (number,) = await numbers(a, "alice")
    done = await a.reply("alice", f"/introduce {number}")
    assert "Done: “Mia” (matrix “!space:example.org”) gets an introduction" in done
    (mine,) = [s.text for s in a.sent if s.where == "dm:alice"]
    assert "asked me to introduce them" in mine and "You both care about **robotics**" in mine
    assert f"reach them as `{MIA}`" in mine and "Matrix" in mine
    (theirs,) = [x for x in await queued_for_matrix(m) if "introduce" in x.message.text]
    assert theirs.user.user_id == MIA
    assert "“Alice”" in theirs.message.text and "reach them as `alice`" in theirs.message.text
    # Asked again within the month: refused, nothing sent.
    again = await a.reply("alice", f"/introduce {number}")
    assert "I introduced you to “Mia”" in again and "ask again after" in again
    assert not [s for s in a.sent if s.where.startswith("dm:")]


async def test_only_members_found_across_the_network_can_be_introduced(
    a: Site, b: Site, m: Site
) -> None:
    await network_of(a, b)
    await person(a, "alice", "robotics")
    await person(a, "amy", "robotics")  # this community: mention her instead
    await person(b, "carl", "robotics")  # community scope only
    await person(m, MIA, "robotics", scope="network")  # not in the network
    await person(b, "bob", "robotics", scope="network")
    ids = {
        name: (await site.harness.store.members.get(await _community_id(site), site.user(name)))
        for site, name in ((a, "amy"), (b, "carl"), (m, MIA), (b, "bob"))
    }
    for name in ("amy", "carl", MIA):
        member = ids[name]
        assert member is not None
        text = await a.reply("alice", f"/introduce {member.id}")
        assert "There is no member" in text and "scope=network" in text, name
    assert "There is no member" in await a.reply("alice", "/introduce 99999999")
    with pytest.raises(CommandParseError, match="digits 0-9"):
        await a.command("alice", "/introduce ١٢")
    bob = ids["bob"]
    assert bob is not None
    assert "Done" in await a.reply("alice", f"/introduce {bob.id}")
    await person(b, "bob", "robotics", scope="on")  # narrows his scope afterwards
    assert "There is no member" in await a.reply("amy", f"/introduce {bob.id}")


async def test_a_person_gets_five_introductions_a_day_and_never_meets_themself(
    a: Site, b: Site, m: Site
) -> None:
    await network_of(a, b, m)
    await person(a, "alice", "robotics")
    await person(b, "alice", "robotics", scope="network")  # her own account elsewhere
    for n in range(6):
        await person(b, f"peer{n}", "robotics", scope="network")
    await person(m, GHOST, "robotics", scope="network")
    own = await a.harness.store.members.get(await _community_id(b), b.user("alice"))
    assert own is not None
    assert "own accounts" in await a.reply("alice", f"/introduce {own.id}")
    ghost = await a.harness.store.members.get(await _community_id(m), m.user(GHOST))
    assert ghost is not None
    assert "There is no member" in await a.reply("alice", f"/introduce {ghost.id}")
    sent = 0
    for n in range(6):
        peer = await a.harness.store.members.get(await _community_id(b), b.user(f"peer{n}"))
        assert peer is not None
        text = await a.reply("alice", f"/introduce {peer.id}")
        sent += "Done" in text
        if n == 5:
            assert "5 introductions in the last 24 hours" in text
    assert sent == 5
    a.harness.clock.advance(seconds=24 * 3600 + 1)
    assert "Done" in await a.reply("alice", f"/introduce {peer.id}")


async def test_outside_a_network_introduce_is_explained(a: Site) -> None:
    assert "not in a network" in await a.reply("alice", "/introduce 3")


async def test_mydata_lists_the_introductions_asked_for_and_forgetme_removes_them(
    a: Site, b: Site
) -> None:
    await network_of(a, b)
    await person(a, "alice", "robotics")
    await person(b, "bob", "robotics", scope="network")
    (number,) = await numbers(a, "alice")
    await a.reply("alice", f"/introduce {number}")
    a.harness.platform.take()
    await a.command("alice", "/mydata")
    (file,) = a.harness.platform.attachments("reply:alice")
    (membership,) = json.loads(file.content)["memberships"]
    assert [i["member"] for i in membership["peer_introductions"]] == [int(number)]
    await a.command("alice", "/forgetme")
    await a.harness.say("alice", "yes")
    assert await a.harness.store.db.fetch_all("SELECT * FROM peer_introductions") == []
