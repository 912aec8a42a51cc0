"""Network onboarding: a network's questions asked first in every affiliate, once per person.

Driven through the real Bot (SQLite and PostgreSQL) on two affiliates at once, `a` (the
community the network was created in, steward ann) and `b` (moderator bea).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest

from communitybot.bot import Bot
from communitybot.command_parser import parse_command_line
from communitybot.events import (
    ChoicePicked,
    CommandInvoked,
    CommunityRef,
    ConversationRef,
    MemberJoined,
    MessageReceived,
    UserRef,
)
from communitybot.models import Member
from communitybot.peers.index import PeerIndex
from communitybot.rate_limits import RateLimiter
from tests.conftest import COMMUNITY, Harness
from tests.fakes import FakePlatform, Sent
from tests.statements import counting_statements
from tests.test_join_statements import HOT_PATH_LIMIT

CODE = re.compile(r"`([0-9A-Z]{4}-[0-9A-Z]{4})`")
NETWORK = "Maths Teachers North"


@dataclass
class Site:
    """One affiliate community the harness's bot serves."""

    harness: Harness
    ref: CommunityRef
    other: tuple[Bot, FakePlatform] | None = None
    """The bot and platform of another platform's process on the same database, if this
    community is served by one."""

    @property
    def bot(self) -> Bot:
        return self.other[0] if self.other else self.harness.bot

    @property
    def platform(self) -> FakePlatform:
        return self.other[1] if self.other else self.harness.platform

    def user(self, name: str) -> UserRef:
        return UserRef(self.ref.platform, name, name.capitalize())

    async def command(self, name: str, line: str) -> str:
        """The reply `name` saw (earlier output dropped)."""
        return "\n".join(s.text for s in await self.sent(name, line) if s.where == f"reply:{name}")

    async def sent(self, name: str, line: str) -> list[Sent]:
        """Everything the bot sent for `name`'s command (earlier output dropped)."""
        self.platform.take()
        parsed = parse_command_line(line, "/", self.user)
        await self.bot.dispatch(
            CommandInvoked(
                self.ref,
                self.user(name),
                ConversationRef(self.ref.platform, "channel", "general"),
                parsed.command.path,
                parsed.options,
            )
        )
        return self.platform.take()

    async def join(self, name: str) -> str:
        """What `name` was sent privately on joining."""
        self.platform.take()
        await self.bot.dispatch(MemberJoined(self.ref, self.user(name)))
        return "\n".join(self.platform.texts(f"dm:{name}"))

    async def say(self, name: str, text: str) -> str:
        """A private message from `name`; the bot's answer."""
        self.platform.take()
        await self.bot.dispatch(
            MessageReceived(
                self.ref, self.user(name), ConversationRef(self.ref.platform, "dm", name), text
            )
        )
        return "\n".join(self.platform.texts(f"reply:{name}"))

    async def pick(self, name: str, custom_id: str, *values: str) -> str:
        self.platform.take()
        await self.bot.dispatch(
            ChoicePicked(
                self.ref,
                self.user(name),
                ConversationRef(self.ref.platform, "dm", name),
                custom_id,
                values,
            )
        )
        return "\n".join(self.platform.texts(f"reply:{name}"))

    async def member(self, name: str) -> Member:
        community = await self.harness.store.communities.get(self.ref)
        assert community is not None
        member = await self.harness.store.members.get(community.id, self.user(name))
        assert member is not None
        return member

    async def tags(self, name: str) -> set[str]:
        member = await self.member(name)
        return {t.name for t in await self.harness.store.tags.tags_of_member(member.id)}


@pytest.fixture
async def a(harness: Harness) -> Site:
    harness.platform.moderators.add("ann")
    site = Site(harness, COMMUNITY)
    await site.command("ann", "/help")
    return site


@pytest.fixture
async def b(harness: Harness) -> Site:
    harness.platform.moderators.add("bea")
    site = Site(harness, CommunityRef("fake", "b"))
    await site.command("bea", "/help")
    return site


async def _network(a: Site, b: Site, *, defaults: bool = True) -> None:
    """ann's network of a and b, with the default network questions unless told otherwise."""
    await a.command("ann", f"/network create {NETWORK}")
    (code,) = CODE.findall(await a.command("ann", "/network invite"))
    assert "now an affiliate" in await b.command("bea", f"/network join {code}")
    if defaults:
        added = await a.command("ann", "/network questions defaults")
        assert "Added 6 questions" in added


# The six network questions, then b's own grades and intro (its others are the network's).
ANSWERS = ("1", "maths, science", "edtech", "Europe/Berlin", "yes", "no")


async def _answer_all(site: Site, name: str, *, own: tuple[str, ...] = ()) -> str:
    text = ""
    for answer in (*ANSWERS, *own):
        text = await site.say(name, answer)
    return text


async def test_a_new_network_asks_nothing_until_a_steward_adds_questions(a: Site, b: Site) -> None:
    await _network(a, b, defaults=False)
    assert "There are no network questions" in await a.command("ann", "/network questions list")
    welcome = await b.join("cat")
    assert "from the network" not in welcome and "Question 1 of 8" in welcome  # b's own 8
    for _ in range(8):
        done = await b.say("cat", "skip")
    assert "All done" in done and "privacy discoverable on|network|off" in done


async def test_network_questions_come_first_then_the_affiliates_own(a: Site, b: Site) -> None:
    await _network(a, b)
    welcome = await b.join("cat")
    assert "Question 1 of 8" in welcome and "What best describes your role?" in welcome
    assert f"The first 6 are from the network “{NETWORK}”" in welcome
    for number, answer in enumerate(ANSWERS, start=2):
        text = await b.say("cat", answer)
        assert f"Question {number} of 8" in text
    assert "age groups or grade levels" in text  # b's own question, after the network's
    assert "Question 8 of 8" in await b.say("cat", "high school")
    done = await b.say("cat", "I teach maths in Leeds.")
    assert "All done" in done
    assert f"part of the network “{NETWORK}”. Right now only this community's members" in done
    cat = await b.member("cat")
    assert cat.role == "Classroom teacher" and cat.timezone == "Europe/Berlin"
    assert cat.wants_mentor and not cat.offers_mentor and cat.intro == "I teach maths in Leeds."
    assert await b.tags("cat") == {"maths", "science", "edtech", "high-school"}
    rows = await b.harness.store.db.fetch_all("SELECT * FROM network_answers")
    assert len(rows) == 6
    # A button for a network question is read like a typed answer.
    await b.command("cat", "/onboard")
    assert "Question 2 of 8" in await b.pick("cat", "onboarding:network:role", "School leader")
    assert (await b.member("cat")).role == "School leader"


async def test_the_same_account_in_a_second_affiliate_is_welcomed_by_name_and_asked_only_its_own(
    a: Site, b: Site
) -> None:
    await _network(a, b)
    await b.join("cat")
    await _answer_all(b, "cat", own=("high school", "Hello"))
    welcome = await a.join("cat")
    assert f"Welcome, Cat — you already answered “{NETWORK}”'s questions in fake “b”" in welcome
    assert "2 more questions for you" in welcome
    assert "Question 7 of 8" in welcome and "age groups" in welcome
    cat = await a.member("cat")
    assert cat.role == "Classroom teacher" and cat.timezone == "Europe/Berlin"
    assert cat.wants_mentor and not cat.offers_mentor
    assert await a.tags("cat") == {"maths", "science", "edtech"}  # resolved by name in a
    assert "Question 8 of 8" in await a.say("cat", "skip")
    assert "All done" in await a.say("cat", "skip")


async def test_a_linked_account_is_welcomed_by_name_too(a: Site, b: Site) -> None:
    await _network(a, b)
    store = b.harness.store
    await store.people.link(b.user("dan"), a.user("dan-work"), b.harness.clock.now())
    await b.join("dan")
    await _answer_all(b, "dan", own=("high school", "Hi"))
    welcome = await a.join("dan-work")
    assert "Welcome, Dan-work — you already answered" in welcome and "fake “b”" in welcome
    work = await a.member("dan-work")
    assert work.role == "Classroom teacher" and work.timezone == "Europe/Berlin"
    assert await a.tags("dan-work") == {"maths", "science", "edtech"}
    # Someone else, with no link, is asked everything.
    assert "Question 1 of 8" in await a.join("eve")


async def test_a_linked_account_on_another_platform_is_welcomed_by_name(a: Site, b: Site) -> None:
    """A space on a second platform, served by that platform's process on the same database,
    joins the network; an account there linked to cat's is asked only the space's questions."""
    platform = FakePlatform(name="other")
    limits = RateLimiter(a.harness.store, platform, a.harness.clock, enabled=False)
    bot = Bot(a.harness.store, platform, a.harness.clock, PeerIndex(), prefix="/", limits=limits)
    space = Site(a.harness, CommunityRef("other", "space-1"), (bot, platform))
    platform.moderators.add("oli")
    await _network(a, b)
    (code,) = CODE.findall(await a.command("ann", "/network invite"))
    assert "now an affiliate" in await space.command("oli", f"/network join {code}")
    await b.join("cat")
    await _answer_all(b, "cat", own=("high school", "Hi"))
    await a.harness.store.people.link(b.user("cat"), space.user("kat"), a.harness.clock.now())
    welcome = await space.join("kat")
    assert "Welcome, Kat — you already answered" in welcome and "in fake “b”" in welcome
    kat = await space.member("kat")
    assert kat.role == "Classroom teacher" and kat.timezone == "Europe/Berlin"
    assert await space.tags("kat") == {"maths", "science", "edtech"}


async def test_an_affiliate_joining_later_asks_the_network_questions(a: Site, b: Site) -> None:
    """b's question list was in memory before it joined: joining makes it read again."""
    await b.join("cat")
    await a.command("ann", f"/network create {NETWORK}")
    await a.command("ann", "/network questions add tz timezone timezone Where are you?")
    (code,) = CODE.findall(await a.command("ann", "/network invite"))
    await b.command("bea", f"/network join {code}")
    welcome = await b.join("dot")
    assert "Where are you?" in welcome and "Question 1 of 8" in welcome  # 1 + b's 7 left
    await b.command("bea", "/network leave")
    assert "What best describes your role?" in await b.join("fay")


async def test_an_affiliate_question_for_the_same_field_is_skipped_and_the_list_says_so(
    a: Site, b: Site
) -> None:
    await _network(a, b, defaults=False)
    await a.command("ann", "/network questions add tz timezone timezone Where are you?")
    listed = await b.command("bea", "/onboarding questions list")
    assert f"Members are first asked the 1 question of the network “{NETWORK}”" in listed
    assert "Not asked here: the network's question `tz` fills the same field" in listed
    assert listed.count("Not asked here") == 1
    welcome = await b.join("cat")
    assert "Question 1 of 8" in welcome and "Where are you?" in welcome
    for _ in range(8):
        text = await b.say("cat", "skip")
    assert "Which time zone are you in?" not in text


async def test_network_questions_commands_are_for_stewards(a: Site, b: Site) -> None:
    await _network(a, b)
    refused = await b.command("bea", "/network questions add years text none How long?")
    assert "Only the network's stewards can do that" in refused and "Nothing was changed" in refused
    assert "Only the network's stewards" in await b.command("bea", "/network questions remove role")
    assert "Network questions of" in await b.command("bea", "/network questions list")  # a mod
    await b.join("cat")
    assert "Only the network's stewards and the moderators" in await b.command(
        "cat", "/network questions list"
    )
    rows = await b.harness.store.db.fetch_all("SELECT key FROM network_questions")
    assert len(rows) == 6
    outside = Site(b.harness, CommunityRef("fake", "c"))
    b.harness.platform.moderators.add("cy")
    assert "not in a network" in await outside.command("cy", "/network questions list")


async def test_stewards_edit_move_and_remove_with_the_moderators_grammar(a: Site, b: Site) -> None:
    await _network(a, b)
    added = await a.command("ann", "/network questions add levels multi tags Which levels?")
    assert "✅ Added question 7" in added and "network questions edit levels choices" in added
    edited = await a.command("ann", "/network questions edit levels choices KS3, KS4")
    assert "Choices: KS3, KS4" in edited
    # Choice tags exist here at once; in another affiliate once someone there answers.
    store = a.harness.store
    here, there = (await store.communities.get(a.ref)), (await store.communities.get(b.ref))
    assert here is not None and there is not None
    assert await store.tags.get_by_name(here.id, "ks3") is not None
    assert await store.tags.get_by_name(there.id, "ks3") is None
    moved = await a.command("ann", "/network questions move levels 1")
    assert "Order now: 1. `levels`" in moved
    assert "There is no question `nope`" in await a.command("ann", "/network questions remove nope")
    assert "Removed `levels`" in await a.command("ann", "/network questions remove levels")
    again = await a.command("ann", "/network questions defaults")
    assert "already has every default question" in again


async def test_bad_answers_to_network_questions_are_explained_and_lose_nothing(
    a: Site, b: Site
) -> None:
    await _network(a, b, defaults=False)
    await a.command("ann", "/network questions add story text none Tell us a story")
    await a.command("ann", "/network questions add tz timezone timezone Where are you?")
    await a.command("ann", "/network questions add level single tags Your level?")
    await a.command("ann", "/network questions edit level choices Primary, Secondary")
    await b.join("cat")
    too_long = await b.say("cat", "x" * 5000)
    assert "5,000 characters" in too_long and "Question 1 of" in too_long
    assert "Question 2 of" in await b.say("cat", "Once upon a time")
    assert "⚠️" in await b.say("cat", "Mars/Olympus")
    assert "Question 3 of" in await b.say("cat", "Europe/Lisbon")
    wrong = await b.say("cat", "Tertiary")
    assert "couldn't match" in wrong and "Question 3 of" in wrong
    assert "couldn't match" in await b.say("cat", "\u0662")  # an Arabic-Indic 2 is no number
    assert "Question 4 of" in await b.say("cat", "2")
    cat = await b.member("cat")
    assert cat.timezone == "Europe/Lisbon" and "secondary" in await b.tags("cat")
    answers = await b.harness.store.onboarding.network.answers(cat.id)
    assert sorted(a.value or "" for a in answers.values()) == [
        "Europe/Lisbon",
        "Once upon a time",
        "Secondary",
    ]


async def _export(site: Site, name: str) -> dict[str, Any]:
    (sent,) = [s for s in await site.sent(name, "/mydata") if s.where == f"reply:{name}"]
    assert sent.message.attachment is not None
    data: dict[str, Any] = json.loads(sent.message.attachment.content)
    return data


async def test_mydata_includes_the_network_answers_and_forgetme_removes_them(
    a: Site, b: Site
) -> None:
    await _network(a, b)
    await b.join("cat")
    await _answer_all(b, "cat")
    await a.join("cat")
    data = await _export(b, "cat")
    exported = [m["onboarding"]["network_answers"] for m in data["memberships"]]
    assert len(exported) == 2  # both memberships hold them
    for answers in exported:
        by_key = {x["question"]: x for x in answers}
        assert by_key["subjects"]["value"] == ["Maths", "Science"]
        assert (
            by_key["timezone"]["value"] == "Europe/Berlin" and by_key["role"]["network"] == NETWORK
        )
    await b.command("cat", "/forgetme")
    assert "everything is deleted" in await b.say("cat", "yes")
    assert await b.harness.store.db.fetch_all("SELECT * FROM network_answers") == []
    assert len(await b.harness.store.db.fetch_all("SELECT * FROM network_questions")) == 6


async def test_a_network_question_edited_later_is_not_reasked_but_onboard_asks_it(
    a: Site, b: Site
) -> None:
    await _network(a, b)
    await b.join("cat")
    await _answer_all(b, "cat", own=("high school", "Hi"))
    await a.command("ann", "/network questions add years text none How long have you taught?")
    assert "I'm not sure what you mean" in await b.say("cat", "hello")  # not asked by itself
    again = "\n".join(s.text for s in await b.sent("cat", "/onboard") if s.where == "dm:cat")
    assert "What best describes your role?" in again and "Question 1 of 9" in again


@pytest.mark.sqlite_only  # counts statements with SQLite's trace callback
async def test_a_join_in_an_affiliate_costs_one_statement_more_only_with_network_questions(
    a: Site, b: Site
) -> None:
    """The hot path of a burst: the network questions a community asks are kept in memory, so
    a network without questions costs nothing, and one with questions one read (answers given
    elsewhere)."""
    await _network(a, b, defaults=False)
    await b.join("cat")  # the lists are in memory from here
    async with counting_statements(b.harness.store) as statements:
        await b.join("dot")
    assert len(statements) <= HOT_PATH_LIMIT, "\n".join(statements)
    assert not any("network_" in s for s in statements)
    await a.command("ann", "/network questions add tz timezone timezone Where are you?")
    await b.join("eve")
    async with counting_statements(b.harness.store) as statements:
        welcome = await b.join("fay")
    assert "Where are you?" in welcome
    assert len(statements) <= HOT_PATH_LIMIT + 1, "\n".join(statements)
    assert sum("network_questions" in s for s in statements) == 1  # earlier answers, joined


async def test_stats_count_a_member_who_stopped_after_network_answers_as_paused(
    a: Site, b: Site
) -> None:
    await _network(a, b)
    await b.join("cat")
    await b.say("cat", "1")
    assert "stopped the welcome questions" in await b.say("cat", "stop")
    assert "1 paused" in await b.command("bea", "/stats")
