"""The onboarding feature: the welcome questions on join, the profile they fill (`profile`), and
the moderators' question list (`onboarding questions`), and the network's questions its stewards
keep (`network questions`), asked first in every affiliate, once per person."""

from __future__ import annotations

from typing import Any

from communitybot.context import Context
from communitybot.feature import Feature, handlers_in
from communitybot.i18n import ntr, tr
from communitybot.models import Community, Member
from communitybot.onboarding import admin, flow, network_admin, profile
from communitybot.onboarding.catalogue import (
    ONBOARD_COMMANDS,
    PROFILE_COMMANDS,
    QUESTION_COMMANDS,
)
from communitybot.replies import Action
from communitybot.store.stats import MemberCounts

_NETWORK_MEMBERSHIP = {("network", "join"), ("network", "leave"), ("network", "create")}


async def stats(ctx: Context, counts: MemberCounts) -> list[str]:
    completion = await ctx.store.onboarding.completion_counts(ctx.community.id)
    if not completion:
        return []
    parts = [
        ntr("{n} completed", "{n} completed", completion.get("completed", 0)),
        ntr("{n} in progress", "{n} in progress", completion.get("active", 0)),
        ntr(
            "{n} deciding about their intro post",
            "{n} deciding about their intro post",
            completion.get("awaiting_consent", 0),
        ),
    ]
    if "paused" in completion:
        parts.append(ntr("{n} paused", "{n} paused", completion["paused"]))
    parts.append(ntr("{n} not started", "{n} not started", completion.get("not_started", 0)))
    return [tr("• Onboarding: {counts}", counts=", ".join(parts))]


async def after_moderator_command(
    ctx: Context, path: tuple[str, ...], actions: list[Action]
) -> list[Action]:
    """A community that joined, left or started a network asks other network questions from
    now on: the questions it asks are read again (nothing is written)."""
    if path in _NETWORK_MEMBERSHIP:
        ctx.store.onboarding.network.community_changed(ctx.community.id)
    return actions


def _writes_nothing(community: Community) -> bool:
    return False


async def export(ctx: Context, member: Member) -> dict[str, Any]:
    return {"onboarding": await ctx.store.onboarding.export_for_member(member.id)}


FEATURE = Feature(
    "onboarding",
    catalogue=(*ONBOARD_COMMANDS, *PROFILE_COMMANDS, *QUESTION_COMMANDS),
    commands=handlers_in(flow, profile, admin, network_admin),
    on_join=flow.on_join,
    on_message=flow.on_message,
    on_choice=flow.on_choice,
    seed=flow.seed_defaults,
    stats=stats,
    export=export,
    after_moderator_command=after_moderator_command,
    after_moderator_command_may_write=_writes_nothing,
)
