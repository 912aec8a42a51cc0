"""One person, many accounts: `link`, `unlink`, and what `/mydata` and `/forgetme` make of it,
as members and moderators on two platforms experience it.

The harness bot serves the "fake" platform (community-1, community-2); a second bot on the same
database serves "other" (a second platform's process): a DM to an account there is queued in the
outbox for that platform and goes out when its process delivers.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from adapters.console.platform import ConsolePlatform
from adapters.console.runner import ConsoleSession
from communitybot.bot import Bot
from communitybot.clock import FakeClock
from communitybot.command_parser import parse_command_line
from communitybot.events import (
    ChoicePicked,
    CommandInvoked,
    CommunityRef,
    ConversationRef,
    MessageReceived,
    UserRef,
)
from communitybot.one_time_codes import ALPHABET, normalized
from communitybot.outbox_codec import decode
from communitybot.peers.index import PeerIndex
from communitybot.rate_limits import RateLimiter
from communitybot.replies import Action
from communitybot.store.store import Store
from tests.conftest import COMMUNITY, Harness, user
from tests.fakes import FakePlatform, Sent
from tests.mentoring_setup import mentoring_community

SECOND = CommunityRef("fake", "community-2")
SPACE = CommunityRef("other", "space-1")
CODE = re.compile(r"\*\*([0-9A-Z]{4}-[0-9A-Z]{4})\*\*")


def other(name: str) -> UserRef:
    """An account on the other platform."""
    return UserRef("other", f"@{name}:other.example", name.capitalize())


@dataclass
class World:
    harness: Harness
    other_bot: Bot
    other_platform: FakePlatform

    @property
    def platform(self) -> FakePlatform:
        return self.harness.platform

    async def command(
        self, who: UserRef, line: str, community: CommunityRef | None = None
    ) -> list[Action]:
        where = community or (SPACE if who.platform == "other" else COMMUNITY)
        bot = self.other_bot if where.platform == "other" else self.harness.bot
        parsed = parse_command_line(line, "/", lambda raw: UserRef(where.platform, raw, raw))
        event = CommandInvoked(
            where,
            who,
            ConversationRef(where.platform, "channel", "general"),
            parsed.command.path,
            parsed.options,
        )
        return await bot.dispatch(event)

    async def answer(self, who: UserRef, text: str, community: CommunityRef = COMMUNITY) -> str:
        """A typed private message; returns the one reply."""
        bot = self.other_bot if who.platform == "other" else self.harness.bot
        platform = self.other_platform if who.platform == "other" else self.platform
        platform.take()
        await bot.dispatch(
            MessageReceived(community, who, ConversationRef(who.platform, "dm", who.user_id), text)
        )
        (reply,) = platform.texts(f"reply:{who.user_id}")
        return reply

    async def reply(self, who: UserRef, line: str, community: CommunityRef | None = None) -> str:
        where = community or _home(who)
        platform = self.other_platform if where.platform == "other" else self.platform
        platform.take()
        await self.command(who, line, community)
        (text,) = platform.texts(f"reply:{who.user_id}")
        return text

    async def code(self, who: UserRef, community: CommunityRef | None = None) -> str:
        found = CODE.search(await self.reply(who, "/link", community))
        assert found, "no code in the reply"
        return found.group(1)

    async def deliver(self) -> tuple[list[Sent], list[Sent]]:
        """Both platforms' processes deliver what is owed to them: (fake's, other's)."""
        await self.harness.bot.deliver_outbox()
        await self.other_bot.deliver_outbox()
        return self.platform.take(), self.other_platform.take()

    async def linked(self, who: UserRef) -> list[UserRef]:
        return [a.user for a in await self.harness.store.people.accounts_of(who)]

    async def link(self, first: UserRef, second: UserRef) -> None:
        """`first` gets a code, `second` types it, `first` confirms."""
        code = await self.code(first, _home(first))
        await self.command(second, f"/link {code}", _home(second))
        await self.deliver()
        assert "Linked" in await self.answer(first, "yes", _home(first))
        await self.deliver()


def _home(who: UserRef) -> CommunityRef:
    return SPACE if who.platform == "other" else COMMUNITY


@pytest.fixture
async def world(harness: Harness) -> AsyncIterator[World]:
    platform = FakePlatform(name="other")
    limits = RateLimiter(harness.store, platform, harness.clock, enabled=False)
    bot = Bot(harness.store, platform, harness.clock, PeerIndex(), prefix="/", limits=limits)
    yield World(harness, bot, platform)


ALICE, BOB = user("alice"), user("bob")
ANN = other("ann")


# The code -----------------------------------------------------------------------------------------
async def test_link_gives_a_private_one_time_code_stored_only_hashed(world: World) -> None:
    world.platform.take()
    await world.command(ALICE, "/link")
    (sent,) = world.platform.take()
    assert sent.where == "reply:alice" and sent.ephemeral
    found = CODE.search(sent.text)
    assert found and "10 minutes" in sent.text and "/link " + found.group(1) in sent.text
    code = found.group(1).replace("-", "")
    assert len(code) == 8 and set(code) <= set(ALPHABET)  # 8 × 5 bits = 40 bits
    rows = await world.harness.store.db.fetch_all("SELECT * FROM link_codes")
    assert len(rows) == 1
    stored = json.dumps([dict(r) for r in rows])
    assert code not in stored and found.group(1) not in stored
    digest = hashlib.sha256(f"communitybot-link:{code}".encode()).hexdigest()
    assert rows[0]["code_hash"] == digest


def test_codes_are_read_the_way_people_copy_them() -> None:
    assert normalized("abcd-efgh") == "ABCDEFGH"
    assert normalized(" AB CD EF GH ") == "ABCDEFGH"
    assert normalized("oIl0-1234") == "0110" + "1234"
    for wrong in ("ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFGU", "ABCD_EFGH", ""):
        assert normalized(wrong) is None, wrong


async def test_each_code_is_different(world: World) -> None:
    codes = {await world.code(ALICE) for _ in range(20)}
    assert len(codes) == 20
    rows = await world.harness.store.db.fetch_all("SELECT * FROM link_codes")
    assert len(rows) == 1  # a new code replaces the account's earlier one


# Linking across platforms ---------------------------------------------------------------------
async def test_a_code_typed_on_another_platform_asks_the_first_account_then_links(
    world: World,
) -> None:
    world.platform.moderators.add("mod")
    world.other_platform.moderators.add("@mod:other.example")
    await world.command(user("mod"), "/setup modlog_channel=mod-log")
    await world.command(other("mod"), "/setup modlog_channel=mod-log")
    code = await world.code(ALICE)
    world.platform.take()

    typed = code.lower().replace("-", " ")  # case and separators do not matter
    text = await world.reply(ANN, f"/link {typed}")
    assert "Confirm from your other account" in text and "Alice" in text
    assert await world.linked(ALICE) == []  # nothing linked before the first account says yes
    # The other platform's process never sends to an account on "fake": it queued the question.
    assert world.other_platform.take() == []
    rows = await world.harness.store.db.fetch_all("SELECT platform, claimed_by FROM outbox")
    assert [(r["platform"], r["claimed_by"]) for r in rows] == [("fake", None)]

    mine, theirs = await world.deliver()
    (asked,) = mine
    assert asked.where == "dm:alice" and "Ann" in asked.text and "(other)" in asked.text
    assert asked.message.prompt is not None
    assert (asked.message.prompt.custom_id, asked.message.prompt.kind) == ("link:confirm", "yesno")
    assert theirs == []

    await world.harness.say("alice", "Yes")
    mine = world.platform.take()
    assert [s.where for s in mine] == ["reply:alice", "#mod-log"]  # delivered here at once
    assert "Linked ✅" in mine[0].text
    mine.pop(0)
    assert await world.linked(ALICE) == [ALICE, ANN]
    assert await world.linked(ANN) == [ALICE, ANN]
    _, theirs = await world.deliver()
    assert [s.where for s in theirs] == ["dm:@ann:other.example", "#mod-log"]
    assert "Linked ✅" in theirs[0].text
    for line in (mine[0].text, theirs[1].text):
        assert "Alice" in line and "Ann" in line and "linked" in line
        assert code not in line


async def test_a_button_confirms_too_and_the_same_platform_in_another_community_links(
    world: World,
) -> None:
    """Two accounts on one platform (two ids, two communities): the confirmation is a DM on
    the same platform, delivered by this process at once."""
    alice_at_work = UserRef("fake", "alice-work", "Alice W")
    code = await world.code(ALICE)
    world.platform.take()
    await world.command(alice_at_work, f"/link {code}", SECOND)
    assert [s.where for s in world.platform.take()] == ["reply:alice-work", "dm:alice"]
    await world.harness.bot.dispatch(
        ChoicePicked(
            COMMUNITY, ALICE, ConversationRef("fake", "dm", "alice"), "link:confirm", ("yes",)
        )
    )
    assert await world.linked(alice_at_work) == [ALICE, alice_at_work]


async def test_declining_links_nothing_and_tells_the_other_account(world: World) -> None:
    code = await world.code(ALICE)
    await world.command(ANN, f"/link {code}")
    await world.deliver()
    assert "nothing was linked" in await world.answer(ALICE, "no")
    assert await world.linked(ALICE) == []
    _, theirs = await world.deliver()
    assert [s.where for s in theirs] == ["dm:@ann:other.example"]
    assert "declined" in theirs[0].text
    # The code was used up: typing it again is a wrong code.
    assert "wrong, expired or already used" in await world.reply(ANN, f"/link {code}")


async def test_a_code_is_single_use_and_expires(world: World) -> None:
    code = await world.code(ALICE)
    await world.command(ANN, f"/link {code}")
    text = await world.reply(other("cy"), f"/link {code}")
    assert "wrong, expired or already used" in text
    late = await world.code(BOB)
    world.harness.clock.advance(minutes=11)
    assert "wrong, expired or already used" in await world.reply(other("dan"), f"/link {late}")


async def test_a_confirmation_expires_after_ten_minutes(world: World) -> None:
    code = await world.code(ALICE)
    await world.command(ANN, f"/link {code}")
    world.harness.clock.advance(minutes=11)
    assert "expired" in await world.answer(ALICE, "yes")
    assert await world.linked(ALICE) == []


async def test_a_yes_long_after_the_confirmation_expired_is_left_to_others(world: World) -> None:
    code = await world.code(ALICE)
    await world.command(ANN, f"/link {code}")
    world.harness.clock.advance(hours=2)
    assert "expired" not in await world.answer(ALICE, "yes")  # e.g. an onboarding answer
    assert await world.harness.store.people.get_request(ALICE) is None
    assert await world.linked(ALICE) == []


async def test_other_words_while_a_confirmation_waits_are_not_taken_for_it(world: World) -> None:
    code = await world.code(ALICE)
    await world.command(ANN, f"/link {code}")
    text = await world.answer(ALICE, "hello there")
    assert "Linked" not in text
    assert await world.linked(ALICE) == []


# Refusals -----------------------------------------------------------------------------------------
async def test_a_code_of_the_wrong_shape_gets_an_example(world: World) -> None:
    text = await world.reply(ANN, "/link 1234")
    assert "doesn't look like a link code" in text and "/link ABCD-EFGH" in text
    assert await world.harness.store.people.wrong_codes_since(ANN, world.harness.clock.now()) == []


async def test_five_wrong_codes_an_hour_then_refused_with_when_and_logged_without_the_code(
    world: World,
) -> None:
    logged: list[str] = []
    sink = logger.add(logged.append, level="INFO", format="{message}")
    try:
        wrong = ["ABCD-EFG0", "ABCD-EFG1", "ABCD-EFG2", "ABCD-EFG3", "ABCD-EFG4"]
        for n, code in enumerate(wrong):
            text = await world.reply(ANN, f"/link {code}")
            assert "wrong, expired or already used" in text
            assert f"{4 - n} more tries" in text or (n == 4 and "No more tries" in text)
        good = await world.code(ALICE)
        text = await world.reply(ANN, f"/link {good}")
        assert "Too many wrong codes" in text and "try again in 60 minutes" in text
        assert await world.linked(ALICE) == []
        world.harness.clock.advance(minutes=30)
        assert "try again in 30 minutes" in await world.reply(ANN, f"/link {good}")
        world.harness.clock.advance(minutes=31)
        fresh = await world.code(ALICE)  # the first one has expired meanwhile
        assert "Confirm from your other account" in await world.reply(ANN, f"/link {fresh}")
    finally:
        logger.remove(sink)
    wrong_lines = [line for line in logged if "wrong or expired code" in line]
    assert len(wrong_lines) == 5 and "5 of 5" in wrong_lines[-1]
    assert any("refused unread" in line for line in logged)
    everything = "".join(logged)
    for code in [*wrong, good, fresh]:
        assert code not in everything and code.replace("-", "") not in everything


async def test_an_account_cannot_link_with_itself(world: World) -> None:
    code = await world.code(ALICE)
    assert "own code" in await world.reply(ALICE, f"/link {code}")


async def test_a_bridged_ghost_account_is_never_a_person(world: World) -> None:
    ghost = UserRef("matrix", "@_discord_123456:example.org", "Alice (Discord)")
    text = await world.reply(ghost, "/link", SPACE)
    assert "bridge" in text and "**" not in text  # no code for a puppet
    code = await world.code(ALICE)
    assert "bridge" in await world.reply(ghost, f"/link {code}", SPACE)
    assert await world.linked(ALICE) == []


async def test_an_account_linked_to_another_person_must_unlink_first(world: World) -> None:
    await world.link(ALICE, ANN)
    await world.link(BOB, other("ben"))
    code = await world.code(BOB)
    text = await world.reply(ANN, f"/link {code}")
    assert "already linked" in text and "/unlink" in text
    assert await world.linked(BOB) == [BOB, other("ben")]


# Already linked, unlinking, revoking ----------------------------------------------------------
async def test_link_while_linked_shows_the_accounts_and_how_to_link_more(world: World) -> None:
    await world.link(ALICE, ANN)
    text = await world.reply(ALICE, "/link")
    assert "This account is linked with:" in text and "Ann" in text and "(other)" in text
    assert "link one more" in text and CODE.search(text)
    alice_at_work = UserRef("fake", "alice-work", "Alice W")
    code = CODE.search(text)
    assert code
    await world.command(alice_at_work, f"/link {code.group(1)}", SECOND)
    await world.answer(ALICE, "yes")
    assert set(await world.linked(ANN)) == {ALICE, ANN, alice_at_work}


async def test_unlink_takes_only_this_account_out(world: World) -> None:
    alice_at_work = UserRef("fake", "alice-work", "Alice W")
    await world.link(ALICE, ANN)
    code = await world.code(ALICE)
    await world.command(alice_at_work, f"/link {code}", SECOND)
    await world.answer(ALICE, "yes")
    text = await world.reply(ANN, "/unlink")
    assert "on its own again" in text and "stay linked" in text
    assert await world.linked(ANN) == []
    assert await world.linked(ALICE) == [ALICE, alice_at_work]
    await world.command(alice_at_work, "/unlink", SECOND)
    assert await world.linked(ALICE) == []  # one account alone is no person
    assert await world.harness.store.db.fetch_all("SELECT * FROM people") == []
    assert "not linked" in await world.reply(ALICE, "/unlink")


async def test_a_moderator_revokes_a_members_link_and_the_modlog_says_so(world: World) -> None:
    world.platform.moderators.add("mod")
    await world.command(user("mod"), "/setup modlog_channel=mod-log")
    await world.link(ALICE, ANN)
    assert "Only moderators" in await world.reply(BOB, "/unlink alice")
    assert await world.linked(ALICE) == [ALICE, ANN]
    world.platform.take()
    await world.command(user("mod"), "/unlink alice")
    sent = world.platform.take()
    assert [s.where for s in sent] == ["reply:mod", "dm:alice", "#mod-log"]
    assert "Revoked" in sent[0].text and "moderator" in sent[1].text
    assert "revoked the link of **Alice**" in sent[2].text
    assert await world.linked(ANN) == []


async def test_unlink_is_in_the_modlog(world: World) -> None:
    world.platform.moderators.add("mod")
    await world.command(user("mod"), "/setup modlog_channel=mod-log")
    await world.link(ALICE, ANN)
    world.platform.take()
    await world.command(ALICE, "/unlink")
    assert [s.where for s in world.platform.take()] == ["reply:alice", "#mod-log"]


# /mydata and /forgetme ----------------------------------------------------------------------------
async def _export(world: World, who: UserRef) -> dict[str, Any]:
    world.platform.take()
    await world.command(who, "/mydata")
    (sent,) = world.platform.take()
    assert sent.message.attachment is not None
    data: dict[str, Any] = json.loads(sent.message.attachment.content)
    assert "linked with others" in sent.text and "ann:other.example (other)" in sent.text
    return data


async def test_mydata_lists_the_linked_accounts_and_never_a_code(world: World) -> None:
    await world.link(ALICE, ANN)
    code = await world.code(ALICE)
    data = await _export(world, ALICE)
    accounts = data["linking"]["linked_accounts"]
    assert [(a["platform"], a["user_id"]) for a in accounts] == [
        ("fake", "alice"),
        ("other", "@ann:other.example"),
    ]
    assert data["linking"]["link_code_expires_at"] is not None
    dumped = json.dumps(data)
    assert code not in dumped and code.replace("-", "") not in dumped


async def test_forgetme_asks_whether_this_account_or_the_whole_person(world: World) -> None:
    await world.link(ALICE, ANN)
    world.platform.take()
    await world.command(ALICE, "/forgetme")
    (sent,) = world.platform.take()
    assert "this" in sent.text and "all" in sent.text and "whole person" in sent.text
    prompt = sent.message.prompt
    assert prompt is not None and [c.value for c in prompt.choices] == ["this", "all", "no"]


async def test_forgetme_this_account_keeps_the_other_accounts(world: World) -> None:
    alice_at_work = UserRef("fake", "alice-work", "Alice W")
    await world.link(ALICE, ANN)
    code = await world.code(ALICE)
    await world.command(alice_at_work, f"/link {code}", SECOND)
    await world.answer(ALICE, "yes")
    await world.command(ALICE, "/forgetme")
    assert "everything is deleted" in await world.answer(ALICE, "this")
    assert await world.harness.store.members.all_for_user(ALICE) == []
    assert set(await world.linked(ANN)) == {ANN, alice_at_work}
    assert await world.harness.store.members.all_for_user(ANN) != []


async def test_forgetme_all_forgets_every_linked_account_in_every_community(
    world: World,
) -> None:
    alice_at_work = UserRef("fake", "alice-work", "Alice W")
    await world.link(ALICE, ANN)
    code = await world.code(ALICE)
    await world.command(alice_at_work, f"/link {code}", SECOND)
    await world.answer(ALICE, "yes")
    await world.command(ANN, "/profile edit role librarian")
    # A message still owed to one of the accounts goes too.
    await world.command(ALICE, "/link")
    await world.command(ANN, "/forgetme")
    await world.deliver()
    world.other_platform.take()
    await world.other_bot.dispatch(
        ChoicePicked(SPACE, ANN, ConversationRef("other", "dm", ANN.user_id), "forgetme", ("all",))
    )
    (done,) = world.other_platform.texts(f"reply:{ANN.user_id}")
    assert "everything is deleted for all 3 linked accounts" in done
    store = world.harness.store
    for account in (ALICE, ANN, alice_at_work):
        assert await store.members.all_for_user(account) == []
        assert await world.linked(account) == []
    for table in ("people", "person_accounts", "link_codes", "link_requests", "link_attempts"):
        assert await store.db.fetch_all(f"SELECT * FROM {table}") == [], table
    assert await world.harness.find_member("bob") is None  # never joined; untouched anyway
    for row in await store.db.fetch_all("SELECT action FROM outbox"):
        assert "alice" not in json.dumps(str(decode(str(row[0]))))


async def test_the_store_never_puts_an_account_in_two_people(world: World) -> None:
    """A link that races another (two processes on PostgreSQL) is refused, not half-made."""
    from communitybot.store.people import LinkConflict

    people, now = world.harness.store.people, world.harness.clock.now()
    await people.link(ALICE, ANN, now)
    await people.link(BOB, other("ben"), now)
    with pytest.raises(LinkConflict):
        await people.link(BOB, ANN, now)  # the caller checked earlier; then ANN was linked


async def test_the_console_walk_through_links_two_names_in_one_run(tmp_path: Path) -> None:
    """docs/linking.md's walk-through, typed into the console (every account on `console`)."""
    store = await Store.open(tmp_path / "bot.db")
    out = io.StringIO()
    platform = ConsolePlatform(out, tmp_path / "files")
    bot = Bot(store, platform, FakeClock(), PeerIndex(), prefix="/")
    session = ConsoleSession(bot, platform, CommunityRef("console", "local"))
    try:
        for line in (":join alice", "/link"):
            assert await session.handle(line)
        found = CODE.search(out.getvalue())
        assert found
        typed = found.group(1).lower().replace("-", " ")
        for line in (":as alice-work", f"/link {typed}", ":as alice", "yes", "/mydata"):
            assert await session.handle(line)
        printed = out.getvalue()
        assert "[reply:alice-work] Code accepted. **Confirm from your other account**" in printed
        assert "[dm:alice] 🔗 **alice-work** (console) typed your link code" in printed
        assert "[dm:alice] Linked ✅" in printed
        assert "[dm:alice-work] 🔗 Linked ✅" in printed
        people = await store.people.accounts_of(UserRef("console", "alice"))
        assert {a.user.user_id for a in people} == {"alice", "alice-work"}
    finally:
        await store.close()


# Matching ---------------------------------------------------------------------------------------
async def test_mentor_matching_never_pairs_a_person_with_themself(world: World) -> None:
    """Two accounts of one person in one community: one offers, the other asks; they are
    never matched, while another mentor is."""
    harness = world.harness
    await mentoring_community(harness, "alice", "alice-work", "bob")
    await world.harness.store.people.link(user("alice"), user("alice-work"), harness.clock.now())
    await harness.command("alice-work", "/mentor offer 2 maths")
    await harness.command("alice", "/mentor request maths")
    assert "0 new pair(s)" in await harness.reply_text("mod", "/mentoring match")
    await harness.command("bob", "/mentor offer 1 maths")
    assert "1 new pair" in await harness.reply_text("mod", "/mentoring match")
    bob = await harness.member("bob")
    (pair,) = await harness.store.mentoring.community_pairs(bob.community_id)
    assert (pair.mentee_id, pair.mentor_id) == (
        (await harness.member("alice")).id,
        bob.id,
    )
