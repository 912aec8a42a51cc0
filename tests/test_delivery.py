"""Delivery: refused DMs and failed role grants are reported, never swallowed or fatal."""

from __future__ import annotations

from communitybot.delivery import DM_REFUSED_TEXT, deliver
from communitybot.events import CommandInvoked, ConversationRef, MemberJoined
from communitybot.replies import GrantRole, Message, SendDirect, SendToChannel
from tests.conftest import COMMUNITY, user
from tests.fakes import FakePlatform


async def test_refused_dm_on_join_is_reported_to_moderators() -> None:
    platform = FakePlatform(closed_dms={"alice"})
    event = MemberJoined(COMMUNITY, user("alice"))
    problems = await deliver(
        platform, event, [SendDirect(COMMUNITY, user("alice"), Message("Welcome!"))], "modlog"
    )
    assert problems and "Alice" in problems[0]
    (sent,) = platform.take()
    assert sent.where == "#modlog" and "DMs are closed" in sent.text


async def test_refused_dm_after_a_command_tells_the_member() -> None:
    platform = FakePlatform(closed_dms={"alice"})
    event = CommandInvoked(
        COMMUNITY, user("alice"), ConversationRef("fake", "channel", "general"), ("onboard",)
    )
    await deliver(platform, event, [SendDirect(COMMUNITY, user("alice"), Message("Q1"))], None)
    (sent,) = platform.take()
    assert sent.where == "reply:alice" and sent.text == DM_REFUSED_TEXT and sent.ephemeral


async def test_failed_role_grant_goes_to_modlog_and_later_actions_still_run() -> None:
    platform = FakePlatform(forbidden_roles={"teachers"})
    event = MemberJoined(COMMUNITY, user("alice"))
    actions = [
        GrantRole(COMMUNITY, user("alice"), "teachers"),
        SendToChannel(COMMUNITY, "general", Message("after")),
    ]
    await deliver(platform, event, actions, "modlog")
    where = [s.where for s in platform.take()]
    assert where == ["#modlog", "#general"]


async def test_mass_mentions_never_leave_the_bot() -> None:
    platform = FakePlatform()
    event = MemberJoined(COMMUNITY, user("alice"))
    await deliver(
        platform, event, [SendToChannel(COMMUNITY, "intro", Message("hi @everyone"))], None
    )
    (sent,) = platform.take()
    assert "@everyone" not in sent.text
