"""Fairness under load (issue #11): one member's burst must not slow the others down.

Driven through the Harness (real Bot, real SQLite store, fake clock). Nothing here measures
time: the proofs are orderings and counts of what members saw.
"""

from __future__ import annotations

import asyncio

import pytest

from communitybot.bot import Bot
from communitybot.clock import FakeClock
from communitybot.command_parser import parse_command_line
from communitybot.events import CommandInvoked, ConversationRef
from communitybot.peers.index import PeerIndex
from communitybot.rate_limits import RateLimiter, Refusal
from communitybot.store.store import Store
from tests.conftest import COMMUNITY, Harness, user
from tests.fakes import FakePlatform
from tests.schema import writes_so_far

TOO_FAST = "You're sending commands faster than this community allows"
POSTS = "You've reached this community's limit of"


@pytest.fixture
def harness(store: Store, platform: FakePlatform, clock: FakeClock) -> Harness:
    """The shared harness, with the rate limits on (as in production)."""
    bot = Bot(store, platform, clock, PeerIndex(), prefix="/")
    return Harness(bot, platform, clock, store)


@pytest.fixture
async def members(harness: Harness) -> None:
    harness.platform.moderators.add("mo")
    for name in ("mo", "spammer", "other"):
        await harness.join(name)
    await harness.command("mo", "/setup welcome_channel=welcome")
    harness.platform.take()


def _event(name: str, line: str) -> CommandInvoked:
    parsed = parse_command_line(line, "/", user)
    return CommandInvoked(
        COMMUNITY,
        user(name),
        ConversationRef("fake", "channel", "general"),
        parsed.command.path,
        parsed.options,
    )


@pytest.mark.usefixtures("members")
@pytest.mark.parametrize("line", ["/help", "/tags add maths"])
async def test_a_burst_of_1000_commands_does_not_queue_in_front_of_another_member(
    harness: Harness, line: str
) -> None:
    dispatch = harness.bot.dispatch
    burst = [asyncio.ensure_future(dispatch(_event("spammer", line))) for _ in range(1000)]
    theirs = asyncio.ensure_future(harness.bot.dispatch(_event("other", line)))
    await asyncio.gather(*burst, theirs)

    where = [sent.where for sent in harness.platform.sent]
    answered_at = where.index("reply:other")
    assert where[:answered_at].count("reply:spammer") <= 11  # the allowance and one notice
    spammer = harness.platform.texts("reply:spammer")
    assert len(spammer) == 11  # ten at once, one notice; the other 989 dropped silently
    assert sum(TOO_FAST in text for text in spammer) == 1


@pytest.mark.usefixtures("members")
async def test_the_limit_is_said_once_per_window_and_lifts_with_time(harness: Harness) -> None:
    for _ in range(10):  # a small burst is fine
        await harness.command("spammer", "/help")
    harness.platform.take()

    refused = await harness.reply_text("spammer", "/help")
    assert refused == (
        "You're sending commands faster than this community allows (20 a minute). Try again in 3 s."
    )
    assert await harness.command("spammer", "/help") == []  # silent: no spam amplifier
    assert harness.platform.take() == []

    harness.clock.advance(seconds=3)
    assert "What I can do" in await harness.reply_text("spammer", "/help")
    assert TOO_FAST in await harness.reply_text("spammer", "/help")  # a new window, said again


@pytest.mark.usefixtures("members")
async def test_a_refused_command_costs_no_database_write(harness: Harness) -> None:
    start = await writes_so_far(harness.store.db)
    for _ in range(10):
        await harness.command("spammer", "/tags add maths")
    before = await writes_so_far(harness.store.db)
    assert before > start  # the counter sees an accepted command's write
    await harness.command("spammer", "/tags add physics")
    await harness.command("spammer", "/tags add chemistry")
    assert await writes_so_far(harness.store.db) == before
    assert await harness.tag_names("spammer") == {"maths"}


@pytest.mark.usefixtures("members")
async def test_public_asks_are_limited_to_five_an_hour(harness: Harness) -> None:
    await harness.command("mo", "/limits commands_per_minute=0")  # only posts are limited here
    too_long = CommandInvoked(  # as an adapter without length checks would send it
        COMMUNITY,
        user("spammer"),
        ConversationRef("fake", "channel", "general"),
        ("ask",),
        {"problem": "x" * 1001},
    )
    await harness.bot.dispatch(too_long)  # refused by the handler: posted nothing, free
    for number in range(5):
        await harness.command("spammer", f"/ask Question number {number} about marking?")
    assert len(harness.platform.texts("#welcome")) == 5
    harness.platform.take()

    refused = await harness.reply_text("spammer", "/ask One more?")
    assert refused == (
        "You've reached this community's limit of 5 public posts an hour. Try again in 12 min."
    )
    assert await harness.command("spammer", "/ask And another?") == []
    assert harness.platform.texts("#welcome") == []
    asked = await harness.store.db.fetch_one("SELECT count(*) AS n FROM asks")
    assert asked is not None and asked["n"] == 5
    assert "What I can do" in await harness.reply_text("spammer", "/help")  # commands still fine

    harness.clock.advance(seconds=12 * 60)
    await harness.command("spammer", "/ask Now it is fine again?")
    assert len(harness.platform.texts("#welcome")) == 1


@pytest.mark.usefixtures("members")
async def test_moderators_configure_the_limits_and_are_exempt(harness: Harness) -> None:
    shown = await harness.reply_text("mo", "/limits")
    assert "Commands: 20 a minute" in shown and "Public posts" in shown and "5 an hour" in shown

    saved = await harness.reply_text("mo", "/limits 2 1")
    assert "commands 20 a minute → 2 a minute" in saved
    assert "Only moderators" in await harness.reply_text("spammer", "/limits 0 0")

    assert "What I can do" in await harness.reply_text("other", "/help")
    assert "What I can do" in await harness.reply_text("other", "/help")
    assert "(2 a minute)" in await harness.reply_text("other", "/help")

    for _ in range(40):  # moderators are never limited
        await harness.command("mo", "/help")
    assert all("What I can do" in text for text in harness.platform.texts("reply:mo"))

    assert "no limit" in await harness.reply_text("mo", "/limits commands_per_minute=0")
    harness.platform.take()
    for _ in range(50):
        await harness.command("spammer", "/help")
    assert len(harness.platform.texts("reply:spammer")) == 50


async def test_memory_is_bounded(harness: Harness) -> None:
    limiter = RateLimiter(harness.store, harness.platform, harness.clock, max_members=3)
    for number in range(10):
        assert await limiter.admit(_event(f"member{number}", "/help")) is None
    assert limiter.tracked == 3


async def test_limits_off_admits_everything(harness: Harness) -> None:
    limiter = RateLimiter(harness.store, harness.platform, harness.clock, enabled=False)
    for _ in range(100):
        assert await limiter.admit(_event("spammer", "/help")) is None


async def test_typos_an_adapter_explains_itself_share_the_commands_limit(
    harness: Harness,
) -> None:
    limiter = RateLimiter(harness.store, harness.platform, harness.clock)
    for _ in range(10):
        assert await limiter.admit_mistake(COMMUNITY, user("typist")) is None
    refused = await limiter.admit_mistake(COMMUNITY, user("typist"))
    assert refused is not None and refused.text is not None and TOO_FAST in refused.text
    assert await limiter.admit_mistake(COMMUNITY, user("typist")) == Refusal(None)


@pytest.mark.usefixtures("members")
async def test_answers_in_a_dm_have_a_minute_of_allowance_of_their_own(harness: Harness) -> None:
    for _ in range(10):
        await harness.command("spammer", "/help")
    for _ in range(20):  # onboarding asks several questions in a row: answers are not commands
        await harness.say("spammer", "skip")
    assert not any(TOO_FAST in text for text in harness.platform.texts("reply:spammer"))
    await harness.say("spammer", "skip")
    (notice,) = harness.platform.texts("reply:spammer")
    assert notice.startswith("You're sending messages faster than this community allows")


@pytest.mark.usefixtures("members")
async def test_the_refusal_speaks_the_language_the_member_was_last_answered_in(
    harness: Harness,
) -> None:
    """The limit is checked before the member's row is read: the bot remembers their language."""
    await harness.command("spammer", "/profile edit language fr")
    for _ in range(9):
        await harness.command("spammer", "/help")
    harness.platform.take()
    refused = await harness.reply_text("spammer", "/help")
    assert refused == (
        "Vous envoyez des commandes plus vite que cette communauté ne le permet (20 par minute). "
        "Réessayez dans 3 s."
    )
