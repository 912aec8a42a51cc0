"""A linked person's tags and profile are one across a network (issue #14).

Driven through the real Bot (SQLite and PostgreSQL) serving affiliates of one network — `a`
(community-1) and `b` on the fake platform, `m` standing in for a Matrix space — and `c`, a
community of no network. Alice is `alice` in `a` and `alice-w` in `b`, linked with `/link`.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from communitybot.command_parser import parse_command_line
from communitybot.events import CommandInvoked, CommunityRef, ConversationRef, MessageReceived
from communitybot.models import Member
from communitybot.priority_lock import Priority
from communitybot.replies import GrantRole, RevokeRole
from tests.conftest import COMMUNITY, Harness
from tests.statements import counting_statements
from tests.test_network_peers import listed, network_of
from tests.test_networks import Site, site_with

CODE = re.compile(r"\*\*([0-9A-Z]{4}-[0-9A-Z]{4})\*\*")
GUARD_S = 5.0


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
        harness,
        CommunityRef("fake", "b"),
        "bea",
        "/tags create robotics",
        "/tags create maths",
        "/tags create drama",
    )


@pytest.fixture
async def c(harness: Harness) -> Site:
    """A community of no network."""
    return await site_with(
        harness, CommunityRef("fake", "c"), "cat", "/tags create robotics", "/tags create maths"
    )


@pytest.fixture
async def m(harness: Harness) -> Site:
    """A Matrix space: its robotics tag is called robot-club, with `robotics` as an alias."""
    return await site_with(
        harness,
        CommunityRef("matrix", "!space:example.org"),
        "@mod:example.org",
        "/tags create robot-club",
        "/tags alias robot-club robotics",
    )


async def link(first: Site, first_name: str, second: Site, second_name: str) -> str:
    """`first_name` asks for a code, `second_name` types it, the first confirms by a typed yes;
    returns the confirmation the first account read."""
    found = CODE.search(await first.reply(first_name, "/link"))
    assert found
    await second.command(second_name, f"/link {found.group(1)}")
    harness = first.harness
    harness.platform.take()
    user = first.user(first_name)
    await harness.bot.dispatch(
        MessageReceived(first.ref, user, ConversationRef(user.platform, "dm", first_name), "yes")
    )
    (text,) = harness.platform.texts(f"reply:{first_name}")
    assert "Linked ✅" in text
    return text


async def tags_of(site: Site, name: str) -> set[str]:
    store = site.harness.store
    community = await store.communities.get(site.ref)
    assert community is not None
    member = await store.members.get(community.id, site.user(name))
    assert member is not None
    return {t.name for t in await store.tags.tags_of_member(member.id)}


async def member_of(site: Site, name: str) -> Member:
    store = site.harness.store
    community = await store.communities.get(site.ref)
    assert community is not None
    member = await store.members.get(community.id, site.user(name))
    assert member is not None
    return member


async def alice(a: Site, b: Site) -> None:
    """Alice's two accounts, linked, in two affiliates of one network."""
    await network_of(a, b)
    await a.command("alice", "/privacy discoverable network")
    await b.command("alice-w", "/privacy discoverable network")
    await link(a, "alice", b, "alice-w")


async def test_tags_added_in_one_affiliate_are_the_linked_accounts_in_the_other(
    a: Site, b: Site
) -> None:
    await alice(a, b)
    await b.command("dora", "/tags add robotics")
    assert listed(await b.reply("dora", "/peers")) == []  # b's index loaded, Alice not in it
    text = await a.reply("alice", "/tags add robotics, maths")
    assert text.startswith("Added **robotics**, **maths** to your profile.")
    assert "Also added in 1 other membership of yours (fake “b”)." in text
    assert await tags_of(b, "alice-w") == {"robotics", "maths"}
    # Seen at once in the other affiliate's peer index, and across the network.
    assert listed(await b.reply("dora", "/peers")) == ["Alice-w"]
    await a.command("amy", "/tags add maths")
    await a.command("amy", "/privacy discoverable network")
    assert listed(await b.reply("dora", "/peers scope=network")) == ["Alice-w", "Alice"]
    # Removing is one too; the reply says where.
    text = await b.reply("alice-w", "/tags remove robotics")
    assert "Removed **robotics** from your profile." in text
    assert "Also removed in 1 other membership of yours (fake “community-1”)." in text
    assert await tags_of(a, "alice") == {"maths"}
    assert listed(await b.reply("dora", "/peers")) == []


async def test_a_tag_the_other_affiliate_lacks_is_skipped_and_said(a: Site, b: Site) -> None:
    await alice(a, b)
    text = await a.reply("alice", "/tags add poetry, maths")
    assert "Not added in fake “b”: it has no tag **poetry**." in text
    assert await tags_of(b, "alice-w") == {"maths"}
    b_id = (await member_of(b, "alice-w")).community_id
    assert await b.harness.store.tags.get_by_name(b_id, "poetry") is None  # never created
    # Only the missing tag: nothing at all there says so without "also".
    text = await a.reply("alice", "/tags add poetry")
    assert "Also added" not in text
    assert "Not added in fake “b”: it has no tag **poetry**." in text


async def test_a_network_tag_is_found_by_its_link_and_a_local_one_by_alias(
    a: Site, b: Site, m: Site
) -> None:
    await network_of(a, b, m)
    await a.command("ann", "/network tags add edtech")  # every affiliate has a copy
    await link(a, "alice", m, "@alice:example.org")
    text = await a.reply("alice", "/tags add robotics, edtech")
    assert "Also added in 1 other membership of yours (matrix “!space:example.org”)." in text
    assert await tags_of(m, "@alice:example.org") == {"robot-club", "edtech"}


async def test_the_same_account_in_two_affiliates_is_one_person_too(a: Site, b: Site) -> None:
    await network_of(a, b)
    await b.command("bob", "/help")
    text = await a.reply("bob", "/tags add maths")
    assert "Also added in 1 other membership of yours (fake “b”)." in text
    assert await tags_of(b, "bob") == {"maths"}


async def test_profile_edits_are_mirrored_and_say_where(a: Site, b: Site) -> None:
    await alice(a, b)
    text = await a.reply("alice", "/profile edit timezone Europe/Berlin")
    assert text.startswith("Your time zone is now")
    assert text.endswith("Also changed in 1 other membership of yours (fake “b”).")
    assert (await member_of(b, "alice-w")).timezone == "Europe/Berlin"
    await b.command("alice-w", "/profile edit role head of maths")
    assert (await member_of(a, "alice")).role == "head of maths"
    await b.command("alice-w", "/profile edit wants_mentor yes")
    assert (await member_of(a, "alice")).wants_mentor is True
    # A bad value changes nothing anywhere.
    text = await a.reply("alice", "/profile edit timezone Nowhere/Atlantis")
    assert "Also changed" not in text
    assert (await member_of(b, "alice-w")).timezone == "Europe/Berlin"


async def test_a_community_outside_the_network_stays_separate(a: Site, b: Site, c: Site) -> None:
    await alice(a, b)
    await c.command("alice", "/tags add robotics")  # the same account, in no network
    await c.command("alice", "/profile edit role librarian")
    text = await a.reply("alice", "/tags add maths")
    assert "1 other membership" in text and "“c”" not in text
    await a.command("alice", "/profile edit role teacher")
    assert await tags_of(c, "alice") == {"robotics"}
    assert (await member_of(c, "alice")).role == "librarian"
    assert (await member_of(b, "alice-w")).role == "teacher"
    # And what she changes there stays there.
    text = await c.reply("alice", "/tags add maths")
    assert text == "Added **maths** to your profile."
    await c.command("alice", "/tags remove robotics")
    assert await tags_of(a, "alice") == {"maths"}


async def test_a_member_with_one_membership_gets_the_replies_of_before(
    a: Site, b: Site, c: Site
) -> None:
    await network_of(a, b)
    for site in (a, c):  # in a network, and in none
        assert await site.reply("zoe", "/tags add maths") == "Added **maths** to your profile."
        assert await site.reply("zoe", "/tags add maths") == (
            "You already had **maths**.\nNothing was changed."
        )
        assert await site.reply("zoe", "/tags remove maths") == (
            "Removed **maths** from your profile."
        )
        assert await site.reply("zoe", "/profile edit role teacher") == (
            "Your role is now “teacher”."
        )


@pytest.mark.sqlite_only  # counts statements with SQLite's trace callback
async def test_the_extra_reads_of_a_tags_add_are_few_for_one_membership(c: Site) -> None:
    await c.command("zoe", "/tags add robotics")
    async with counting_statements(c.harness.store) as statements:
        await c.command("zoe", "/tags add maths")
    extra = [s for s in statements if "person_accounts" in s or "network_affiliates" in s]
    # Whether the community is in a network, and whether she is linked: nothing more (the
    # lanes are read on the read connection, beside the write path).
    assert len(extra) == 2, "\n".join(extra)
    assert len(statements) <= 14, "\n".join(statements)  # 12 before persons were one


async def test_roles_of_tags_are_granted_and_revoked_in_the_other_community(
    a: Site, b: Site
) -> None:
    await alice(a, b)
    await b.command("bea", "/tags link robotics role=robo-b")
    actions = await a.harness.bot.dispatch(_command(a, "alice", "/tags add robotics"))
    assert GrantRole(b.ref, b.user("alice-w"), "robo-b") in actions
    assert "robo-b" in a.harness.platform.roles.get("alice-w", set())
    actions = await a.harness.bot.dispatch(_command(a, "alice", "/tags remove robotics"))
    assert RevokeRole(b.ref, b.user("alice-w"), "robo-b") in actions


async def test_a_full_profile_elsewhere_is_not_overfilled(a: Site, b: Site) -> None:
    await alice(a, b)
    store = b.harness.store
    member = await member_of(b, "alice-w")
    now = b.harness.clock.now()
    ids = [
        (await store.tags.ensure_tag(member.community_id, f"t{n}", "topic", now)).id
        for n in range(40)
    ]
    await store.tags.add_member_tags(member.id, ids, "self", now)
    text = await a.reply("alice", "/tags add maths")
    assert text.startswith("Added **maths** to your profile.")
    assert "Not added in fake “b”: your profile there already carries 40 tags." in text
    assert "maths" not in await tags_of(b, "alice-w")


async def test_at_link_time_tags_are_united_and_empty_fields_filled(
    a: Site, b: Site, c: Site
) -> None:
    await network_of(a, b)
    await a.command("alice", "/tags add robotics, poetry")
    await a.command("alice", "/profile edit role teacher")
    await a.command("alice", "/profile edit intro I teach in Leeds")
    await b.command("alice-w", "/tags add maths, drama")
    await b.command("alice-w", "/profile edit timezone Europe/Berlin")
    await b.command("alice-w", "/profile edit intro Maths in Yorkshire")
    await c.command("alice-w", "/tags add robotics")  # outside the network: left alone
    text = await link(a, "alice", b, "alice-w")
    assert await tags_of(a, "alice") == {"robotics", "poetry", "maths"}  # a has no drama
    assert await tags_of(b, "alice-w") == {"robotics", "maths", "drama"}  # b has no poetry
    first, second = await member_of(a, "alice"), await member_of(b, "alice-w")
    assert (first.timezone, second.role) == ("Europe/Berlin", "teacher")  # filled
    assert (first.intro, second.intro) == ("I teach in Leeds", "Maths in Yorkshire")  # kept
    assert await tags_of(c, "alice-w") == {"robotics"}
    assert (await member_of(c, "alice-w")).role is None
    assert "In the network “Makers” your profiles are now one:" in text
    assert "• fake “community-1”: added **maths**; filled time zone" in text
    assert "• fake “b”: added **robotics**; filled role" in text


async def test_the_confirm_button_merges_too_and_holds_the_other_accounts_lanes(
    a: Site, b: Site
) -> None:
    await network_of(a, b)
    await b.command("alice-w", "/tags add maths")
    found = CODE.search(await a.reply("alice", "/link"))
    assert found
    await b.command("alice-w", f"/link {found.group(1)}")
    bot = a.harness.bot
    assert await bot.lanes.acquire(b.ref, Priority.BULK)  # alice-w's community is busy
    a.harness.platform.take()
    pressed = asyncio.create_task(a.harness.pick("alice", "link:confirm", "yes"))
    await asyncio.wait({pressed}, timeout=0.5)
    assert not pressed.done(), "the confirmation waits for the lane of alice-w's community"
    bot.lanes.release(b.ref)
    await asyncio.wait_for(pressed, GUARD_S)
    (text,) = a.harness.platform.texts("reply:alice")
    assert "• fake “community-1”: added **maths**" in text
    assert await tags_of(a, "alice") == {"maths"}


async def test_a_link_with_nothing_to_merge_says_nothing_more(a: Site, c: Site) -> None:
    text = await link(a, "alice", c, "alice-c")
    assert "profiles are now one" not in text


async def test_the_unit_holds_the_other_communitys_lane(a: Site, b: Site) -> None:
    await alice(a, b)
    bot = a.harness.bot
    assert await bot.lanes.acquire(b.ref, Priority.BULK)  # the other affiliate is busy
    await asyncio.wait_for(a.command("zoe", "/tags add maths"), GUARD_S)  # no one elsewhere
    change = asyncio.create_task(a.command("alice", "/tags add maths"))
    await asyncio.wait({change}, timeout=0.5)  # ample for a unit that need not wait
    assert not change.done(), "waits for the lane of alice-w's community"
    bot.lanes.release(b.ref)
    await asyncio.wait_for(change, GUARD_S)
    assert await tags_of(b, "alice-w") == {"maths"}


def _command(site: Site, name: str, line: str) -> CommandInvoked:
    parsed = parse_command_line(line, "/", site.user)
    return CommandInvoked(
        site.ref,
        site.user(name),
        ConversationRef(site.ref.platform, "channel", "general"),
        parsed.command.path,
        parsed.options,
    )


async def test_two_linked_accounts_in_one_community_of_no_network_are_one(c: Site) -> None:
    await link(c, "alice", c, "alice-2")
    text = await c.reply("alice", "/tags add maths")
    assert "Also added in 1 other membership of yours (fake “c”)." in text
    assert await tags_of(c, "alice-2") == {"maths"}


async def test_a_role_in_a_community_on_another_platform_is_not_granted_from_here(
    a: Site, m: Site
) -> None:
    """This process cannot tell whether a role on another platform gives moderation rights:
    the tag is added there, its role is not handed out (a removal still takes it back)."""
    await network_of(a, m)
    await m.command("@mod:example.org", "/tags link robot-club role=!robots:example.org")
    await link(a, "alice", m, "@alice:example.org")
    actions = await a.harness.bot.dispatch(_command(a, "alice", "/tags add robotics"))
    assert await tags_of(m, "@alice:example.org") == {"robot-club"}
    assert not [x for x in actions if isinstance(x, GrantRole)]
    actions = await a.harness.bot.dispatch(_command(a, "alice", "/tags remove robotics"))
    assert await tags_of(m, "@alice:example.org") == set()
    assert RevokeRole(m.ref, m.user("@alice:example.org"), "!robots:example.org") in actions
