"""Networks of affiliate communities: create, invite codes, join, leave, show, stewards.

Driven through the real Bot (SQLite and PostgreSQL) on several communities at once: each
`Site` is one community, its moderator log a channel of its own name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest

from communitybot import one_time_codes as codes
from communitybot.command_parser import CommandParseError, parse_command_line
from communitybot.events import CommandInvoked, CommunityRef, ConversationRef, UserRef
from communitybot.outbox_codec import decode
from communitybot.replies import SendToChannel
from tests.conftest import COMMUNITY, Harness

CODE = re.compile(r"`([0-9A-Z]{4}-[0-9A-Z]{4})`")


@dataclass
class Site:
    """One community the harness's bot serves."""

    harness: Harness
    ref: CommunityRef

    def user(self, name: str) -> UserRef:
        return UserRef(self.ref.platform, name, name.capitalize())

    @property
    def modlog(self) -> str:
        return f"#mod-{self.ref.space_id}"

    async def command(self, name: str, line: str) -> None:
        parsed = parse_command_line(line, "/", self.user)
        await self.harness.bot.dispatch(
            CommandInvoked(
                self.ref,
                self.user(name),
                ConversationRef(self.ref.platform, "channel", "general"),
                parsed.command.path,
                parsed.options,
            )
        )

    async def reply(self, name: str, line: str) -> str:
        """The one reply `name` saw (earlier output dropped; later output kept for `sent`)."""
        self.harness.platform.take()
        await self.command(name, line)
        self.sent = self.harness.platform.take()
        (text,) = [s.text for s in self.sent if s.where == f"reply:{name}"]
        return text

    def logged(self) -> list[str]:
        """The moderator-log lines the last `reply` sent to this community."""
        return [s.text for s in self.sent if s.where == self.modlog]

    async def setup(self, moderator: str) -> None:
        self.harness.platform.moderators.add(moderator)
        await self.command(moderator, f"/setup modlog_channel=mod-{self.ref.space_id}")
        self.harness.platform.take()


async def site_with(harness: Harness, ref: CommunityRef, moderator: str, *lines: str) -> Site:
    """A community the harness serves, set up by `moderator`, after these commands of theirs
    (`/tags create robotics`, …)."""
    site = Site(harness, ref)
    await site.setup(moderator)
    for line in lines:
        await site.command(moderator, line)
    return site


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


async def invite_code(site: Site, steward: str) -> str:
    text = await site.reply(steward, "/network invite")
    (code,) = CODE.findall(text)
    return code


async def network_of_two(a: Site, b: Site) -> str:
    await a.command("ann", "/network create Maths Teachers North")
    code = await invite_code(a, "ann")
    return await b.reply("bea", f"/network join {code}")


async def test_a_network_grows_by_invite_and_shows_its_affiliates_and_stewards(
    a: Site, b: Site
) -> None:
    text = await a.reply("ann", "/network create Maths Teachers North")
    assert (
        "Created the network **“Maths Teachers North”**" in text and "you are its steward" in text
    )
    assert "created the network" in a.logged()[0]
    text = await a.reply("ann", "/network invite")
    (code,) = CODE.findall(text)
    assert "It works once, until 2" in text
    (reply,) = [s for s in a.sent if s.where == "reply:ann"]
    assert reply.ephemeral
    assert code not in " ".join(a.logged()) and "made an invite code" in a.logged()[0]
    # Only the fingerprint is stored.
    row = await a.harness.store.db.fetch_one("SELECT code_hash FROM network_invites")
    assert row is not None and row["code_hash"] == codes.code_hash(code.replace("-", ""), "network")
    joined = await b.reply("bea", f"/network join {code.lower()}")
    assert "now an affiliate" in joined and "(2 affiliates)" in joined
    assert "joined this community to the network" in b.logged()[0]
    assert any("invite code made here was used" in s.text for s in b.sent if s.where == a.modlog)
    shown = await b.reply("bea", "/network show")
    assert "Maths Teachers North" in shown and "fake “b” (this community)" in shown
    assert "Stewards:** “Ann” (fake “community-1”)" in shown
    assert "Open invite codes" not in shown  # bea is no steward
    assert "Open invite codes: 0" in await a.reply("ann", "/network show")


async def test_a_code_works_once_and_reads_forgivingly(a: Site, b: Site, harness: Harness) -> None:
    await a.command("ann", "/network create North")
    code = await invite_code(a, "ann")
    typed = code.replace("-", " ").lower().replace("0", "o").replace("1", "l")
    assert "now an affiliate" in await b.reply("bea", f"/network join {typed}")
    c = Site(harness, CommunityRef("fake", "c"))
    await c.setup("cy")
    again = await c.reply("cy", f"/network join {code}")
    assert "already used" in again and "Nothing was changed" in again


async def test_an_expired_code_is_refused_kindly(a: Site, b: Site, harness: Harness) -> None:
    await a.command("ann", "/network create North")
    code = await invite_code(a, "ann")
    harness.clock.advance(seconds=7 * 24 * 3600 + 1)
    text = await b.reply("bea", f"/network join {code}")
    assert "expired" in text and "new one" in text
    assert "not in a network" in await b.reply("bea", "/network show")


async def test_wrong_codes_are_limited_logged_and_noted_without_the_code(
    a: Site, b: Site, harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await a.command("ann", "/network create North")
    good = await invite_code(a, "ann")
    for n in range(1, 6):
        text = await b.reply("bea", "/network join AAAA-AAAA")
        assert "not right" in text
        (note,) = b.logged()
        assert f"({n} of 5 this hour)" in note and "AAAA" not in note
    assert "no more tries for an hour" in text
    refused = await b.reply("bea", f"/network join {good}")
    assert "Too many wrong codes" in refused and "Try again after" in refused
    harness.clock.advance(seconds=3601)
    assert "now an affiliate" in await b.reply("bea", f"/network join {good}")


async def test_a_malformed_code_is_explained_and_not_counted(a: Site, b: Site) -> None:
    await a.command("ann", "/network create North")
    text = await b.reply("bea", "/network join hello")
    assert "8 letters and digits" in text
    rows = await b.harness.store.db.fetch_all("SELECT * FROM network_join_failures")
    assert rows == []


async def test_a_community_belongs_to_one_network_at_most(a: Site, b: Site) -> None:
    await network_of_two(a, b)
    text = await b.reply("bea", "/network create Another")
    assert "already belongs to the network **“Maths Teachers North”**" in text
    await a.command("ann", "/network invite")
    code = CODE.findall(a.harness.platform.texts("reply:ann")[0])[0]
    assert "already belongs" in await b.reply("bea", f"/network join {code}")


async def test_members_cannot_run_moderator_or_steward_commands(a: Site, b: Site) -> None:
    await network_of_two(a, b)
    text = await a.reply("zed", "/network leave")
    assert "Only moderators" in text
    assert "Only the stewards" in await a.reply("zed", "/network invite")
    assert "Only the stewards" in await b.reply("bea", "/network invite")
    assert "Only the stewards" in await b.reply("bea", "/network stewards add bea")
    assert "Only moderators" in await a.reply("zed", "/network create Mine")
    assert "2 affiliates" not in await a.reply("zed", "/network show")
    assert "fake “b”" in await a.reply("zed", "/network show")


async def test_names_are_checked_and_never_echoed_as_mentions(a: Site) -> None:
    with pytest.raises(CommandParseError, match="too long"):
        await a.command("ann", f"/network create {'x' * 81}")
    # Where the platform does not check (the core is called directly), the handler does.
    path, options = ("network", "create"), {"name": "x" * 81}
    await a.harness.bot.dispatch(
        CommandInvoked(a.ref, a.user("ann"), ConversationRef("fake", "channel", "g"), path, options)
    )
    (refused,) = a.harness.platform.texts("reply:ann")
    assert "too long (81 characters, at most 80)" in refused
    text = await a.reply("ann", "/network create @everyone Réseau des écoles 🌍")
    assert "@everyone" not in text and "Réseau des écoles 🌍" in text
    assert "@everyone" not in a.logged()[0]


async def test_stewards_are_added_and_the_last_one_is_never_removed(a: Site, b: Site) -> None:
    await network_of_two(a, b)
    await a.command("bob", "/onboard")  # bob is a member of a
    assert "is not a steward" in await a.reply("ann", "/network stewards remove bob")
    text = await a.reply("ann", "/network stewards add bob")
    assert "“Bob” is now a steward" in text and "made “Bob” a steward" in a.logged()[0]
    assert "already is a steward" in await a.reply("ann", "/network stewards add bob")
    assert "found no member “Nobody”" in await a.reply("ann", "/network stewards add nobody")
    assert "no longer a steward" in await a.reply("bob", "/network stewards remove ann")
    last = await a.reply("bob", "/network stewards remove bob")
    assert "last steward" in last and "Nothing was changed" in last
    assert "Stewards:** “Bob”" in await b.reply("bea", "/network show")


async def test_leaving_ends_the_stewards_there_and_the_last_affiliate_closes_it(
    a: Site, b: Site
) -> None:
    await network_of_two(a, b)
    text = await a.reply("ann", "/network leave")
    assert "left the network" in text and "1 steward role held here ended" in text
    assert "no stewards now" in text and "One affiliate is left" in text
    assert "took this community out" in a.logged()[0]
    assert any("left the network" in s.text for s in a.sent if s.where == b.modlog)
    assert "not in a network" in await a.reply("ann", "/network show")
    shown = await b.reply("bea", "/network show")
    assert "Stewards:** none" in shown
    # A moderator of the remaining affiliate takes the role, then invites again.
    assert "“Bea” is now a steward" in await b.reply("bea", "/network stewards add bea")
    await invite_code(b, "bea")
    closed = await b.reply("bea", "/network leave")
    assert "last affiliate" in closed and "closed" in closed
    for table in ("networks", "network_affiliates", "network_stewards", "network_invites"):
        assert await b.harness.store.db.fetch_all(f"SELECT * FROM {table}") == []


async def test_any_platform_joins_and_mydata_forgetme_cover_steward_roles(
    a: Site, harness: Harness
) -> None:
    await a.command("ann", "/network create North")
    code = await invite_code(a, "ann")
    matrix = Site(harness, CommunityRef("matrix", "!space:example.org"))
    harness.platform.moderators.add("@mo:example.org")
    text = await matrix.reply("@mo:example.org", f"/network join {code}")
    assert "now an affiliate" in text
    assert "matrix “!space:example.org”" in await a.reply("ann", "/network show")
    harness.platform.take()
    await a.command("ann", "/mydata")
    (file,) = harness.platform.attachments("reply:ann")
    (membership,) = json.loads(file.content)["memberships"]
    assert [s["network"] for s in membership["network_stewardships"]] == ["North"]
    await a.command("ann", "/forgetme")
    await harness.say("ann", "yes")
    assert await harness.store.db.fetch_all("SELECT * FROM network_stewards") == []
    shown = await matrix.reply("@mo:example.org", "/network show")
    assert "Stewards:** none" in shown and "North" in shown


async def test_an_affiliate_is_shown_by_the_name_its_moderators_gave_it(a: Site, b: Site) -> None:
    await network_of_two(a, b)
    assert "community-1" in await b.reply("bea", "/network show")
    saved = await a.reply("ann", "/setup name=Riverside   High @everyone maths")
    assert "“Riverside High everyone maths”" in saved or "Riverside High" in saved
    assert "@everyone" not in saved
    shown = await b.reply("bea", "/network show")
    assert "“Riverside High" in shown and "(fake)" in shown and "community-1" not in shown
    assert "Automatic mentor matching: not scheduled" in shown
    assert "Network peer rounds: not scheduled (`/network rounds setup weekly`" in shown
    with pytest.raises(CommandParseError, match="at most 80"):
        await a.command("ann", "/setup name=" + "x" * 81)
    cleared = await a.reply("ann", "/setup name=none")
    assert "not set" in cleared
    assert "community-1" in await b.reply("bea", "/network show")


async def test_notes_reach_an_affiliate_on_another_platform_without_mentions(
    a: Site, harness: Harness
) -> None:
    """A note for an affiliate on another platform is queued for that platform's process (or
    the other side of this one), naming people as text: a mention means nothing there."""
    await a.command("ann", "/network create North")
    matrix = Site(harness, CommunityRef("matrix", "!space:example.org"))
    await matrix.setup("@mo:example.org")
    code = await invite_code(a, "ann")
    assert "now an affiliate" in await matrix.reply("@mo:example.org", f"/network join {code}")
    await a.command("ann", "/network tags add robotics")
    rows = await harness.store.db.fetch_all(
        "SELECT action FROM outbox WHERE platform = 'matrix' ORDER BY id"
    )
    notes = [
        action.message.text
        for action in (decode(str(row["action"])) for row in rows)
        if isinstance(action, SendToChannel) and f"#{action.channel_id}" == matrix.modlog
    ]
    assert any("joined this community to the network" in text for text in notes), notes
    (tagged,) = [text for text in notes if "robotics" in text]
    assert "“Ann” (fake “community-1”) added the tag **robotics**" in tagged
    assert "<@" not in tagged


async def test_a_steward_acts_in_any_affiliate_and_removes_stewards_of_others(
    a: Site, b: Site
) -> None:
    await network_of_two(a, b)
    # ann is a steward through her membership of a; in b she is a member too.
    text = await b.reply("ann", "/network stewards add bea")
    assert "“Bea” is now a steward" in text
    text = await a.reply("ann", "/network stewards remove Bea")
    assert "“Bea” is no longer a steward" in text
    assert "removed “Bea” from the stewards" in a.logged()[0]
    assert any("removed “Bea”" in s.text for s in a.sent if s.where == b.modlog)
    assert "Stewards:** “Ann”" in await b.reply("bea", "/network show")


def test_codes_carry_40_bits_and_read_back_however_they_are_typed() -> None:
    assert len(codes.ALPHABET) ** codes.LENGTH == 2**40
    seen = {codes.new_code() for _ in range(200)}
    assert len(seen) == 200
    for code in seen:
        shown = codes.shown(code)
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", shown)
        assert codes.normalized(shown) == code
        assert codes.normalized(f" {shown.lower()} ".replace("0", "o").replace("1", "i")) == code
    assert codes.normalized("ABCD-EFG") is None and codes.normalized("ABCD-EFGU") is None
    assert codes.code_hash("ABCDEFGH", "network") != codes.code_hash("ABCDEFGJ", "network")
    assert codes.code_hash("ABCDEFGH", "network") != codes.code_hash("ABCDEFGH", "link")


async def test_a_steward_who_leaves_their_community_is_no_steward_any_more(
    a: Site, b: Site, harness: Harness
) -> None:
    await network_of_two(a, b)
    harness.platform.take()
    await harness.leave("ann")  # ann leaves community a, the harness's community
    (note,) = harness.platform.texts(a.modlog)
    assert "no longer a steward" in note and "no stewards now" in note
    await harness.join("ann")
    assert "Stewards:** none" in await b.reply("bea", "/network show")
    assert "Only the stewards" in await a.reply("zed", "/network invite")


async def test_network_stats_give_stewards_figures_per_affiliate_and_no_names(
    a: Site, b: Site
) -> None:
    await network_of_two(a, b)
    for name in ("amy", "abe"):
        await a.command(name, "/tags add maths")
    await a.command("amy", "/privacy discoverable network")
    await a.command("abe", "/privacy discoverable off")
    await b.command("bob", "/tags add maths")
    await b.command("bea", "/privacy discoverable network")
    store = a.harness.store
    async with store.db.transaction():  # bob and amy are one person, in both affiliates
        await store.people.link(b.user("bob"), a.user("amy"), a.harness.clock.now())
    await invite_code(a, "ann")

    text = await a.reply("ann", "/network stats")
    lines = text.splitlines()
    assert lines[0] == "📊 Network **“Maths Teachers North”**: 2 affiliate(s)"
    assert lines[1] == (
        "• fake “community-1” (this community): 3 member(s), 0 finished onboarding, "
        "2 findable here, 1 across the network"
    )
    assert lines[2] == (
        "• fake “b”: 2 member(s), 0 finished onboarding, 2 findable here, 1 across the network"
    )
    assert "**In all:** 5 member(s), 0 finished onboarding (0%), 2 findable" in text
    assert "**Across affiliates:** 1 person(s) with linked accounts in more than one" in text
    assert "Open invite codes: 1." in text
    for name in ("amy", "Amy", "abe", "Abe", "bob", "Bob"):
        assert name not in text  # aggregates only
    # Members and moderators who are not stewards see nothing of it.
    for site, who in ((a, "amy"), (b, "bea")):
        refused = await site.reply(who, "/network stats")
        assert refused.startswith("Only the network's stewards see `/network stats`")
    # The same for someone in no network.
    assert "network" in await a.reply("ann", "/network leave")
    assert (await a.reply("ann", "/network stats")).startswith(
        "This community is not in a network."
    )
