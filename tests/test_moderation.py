"""Moderators' `/setup` and `/stats`: settings shown and changed, outsiders refused, true counts."""

from __future__ import annotations

import re

from communitybot.events import CommandInvoked, ConversationRef, MemberLeft
from communitybot.models import Community
from tests.conftest import COMMUNITY, Harness, user
from tests.mentoring_setup import mentoring_community


async def _community(harness: Harness) -> Community:
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    return community


# /setup ---------------------------------------------------------------------------------------
async def test_setup_without_options_shows_settings(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    text = await harness.reply_text("mod", "/setup")
    assert "Welcome channel: not set" in text
    assert "Moderator role: not set" in text


async def test_setup_sets_channels_and_reports_to_modlog(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    harness.platform.take()
    await harness.command(
        "mod", "/setup welcome_channel=#welcome introductions_channel=intros modlog_channel=mods"
    )
    sent = harness.platform.take()
    (reply,) = [s.text for s in sent if s.where == "reply:mod"]
    assert "Saved" in reply and "#intros" in reply
    (note,) = [s.text for s in sent if s.where == "#mods"]
    assert "Mod" in note and "Introductions channel" in note and "#intros" in note

    community = await _community(harness)
    assert community.welcome_channel == "welcome"
    assert community.introductions_channel == "intros"
    assert community.modlog_channel == "mods"
    text = await harness.reply_text("mod", "/setup")
    assert "Welcome channel: #welcome" in text and "Moderator-log channel: #mods" in text


async def test_setup_none_clears_a_setting(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/setup welcome_channel=welcome")
    await harness.command("mod", "/setup welcome_channel=none")
    assert (await _community(harness)).welcome_channel is None


async def test_setup_refuses_overlong_values_and_changes_nothing(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/setup welcome_channel=welcome")
    harness.platform.take()
    await harness.bot.dispatch(
        CommandInvoked(
            COMMUNITY,
            user("mod"),
            ConversationRef("fake", "channel", "general"),
            ("setup",),
            {"welcome_channel": "elsewhere", "moderator_role": "m" * 101},
        )
    )
    (text,) = harness.platform.texts("reply:mod")
    assert "too long" in text and "101" in text and "Nothing was changed" in text
    community = await _community(harness)
    assert community.welcome_channel == "welcome"
    assert community.moderator_role is None


async def test_setup_refused_for_members(harness: Harness) -> None:
    await harness.join("alice")
    text = await harness.reply_text("alice", "/setup modlog_channel=mine")
    assert "Only moderators" in text
    assert (await _community(harness)).modlog_channel is None


async def test_configured_moderator_role_grants_moderation(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    await harness.join("bob")
    harness.platform.roles["bob"] = {"mods"}
    assert "Only moderators" in await harness.reply_text("bob", "/stats")
    await harness.command("mod", "/setup moderator_role=mods")
    assert "Community statistics" in await harness.reply_text("bob", "/stats")


# /stats ---------------------------------------------------------------------------------------
def _number(text: str, pattern: str) -> int:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in {text!r}"
    return int(match.group(1))


async def test_stats_numbers_match(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    for name in ("alice", "bob", "carol", "dave"):
        await harness.join(name)
    await harness.command("alice", "/profile edit wants_mentor yes")
    await harness.command("bob", "/profile edit wants_mentor yes")
    await harness.command("carol", "/profile edit offers_mentor yes")
    await harness.command("dave", "/profile edit offers_mentor no")
    await harness.command("carol", "/privacy discoverable off")
    await harness.command("dave", "/forgetme")
    await harness.say("dave", "yes")  # dave is forgotten
    await harness.join("erin")
    await harness.bot.dispatch(MemberLeft(COMMUNITY, user("erin")))  # erin left
    # Present: alice, bob, carol and the mod (who becomes a member by using /stats).
    text = await harness.reply_text("mod", "/stats")
    assert _number(text, r"Members: (\d+)") == 4
    assert _number(text, r"Discoverable: (\d+) of 4") == 3
    assert _number(text, r"(\d+) would like a mentor") == 2
    assert _number(text, r"(\d+) would like to mentor") == 1


async def test_stats_counts_onboarding_and_top_tags(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    for name in ("alice", "bob", "carol"):
        await harness.join(name)
    await harness.give_tags("alice", "maths", "science")
    await harness.give_tags("bob", "maths")
    await harness.give_tags("carol", "maths", "science", "art")
    text = await harness.reply_text("mod", "/stats")
    # The three who joined were greeted with the first question; the mod never started.
    assert _number(text, r"Onboarding: (\d+) completed") == 0
    assert _number(text, r"(\d+) in progress") == 3
    assert _number(text, r"(\d+) not started") == 1
    assert "Top tags: maths (3), science (2), art (1)" in text


async def test_stats_count_open_mentor_requests_as_wanting_a_mentor(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat")
    await harness.command("cat", "/mentor request maths")
    await harness.command("ann", "/mentor offer 2 maths")
    text = await harness.reply_text("mod", "/stats")
    assert "Mentoring: 1 would like a mentor, 1 would like to mentor" in text
