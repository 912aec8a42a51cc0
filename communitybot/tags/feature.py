"""The tags feature: members' interest tags, the moderators' tag list (with channel and role
links) and a network's shared tags, curated by its stewards (`tags.network`)."""

from __future__ import annotations

from typing import Any

from communitybot.context import Context
from communitybot.feature import Feature, handlers_in
from communitybot.i18n import tr
from communitybot.models import Member
from communitybot.onboarding.profile import member_tags
from communitybot.store.stats import MemberCounts
from communitybot.tags import commands as tags
from communitybot.tags import network as network_tags
from communitybot.tags.catalogue import TAG_COMMANDS
from communitybot.text import quote

TOP_TAGS = 10


async def stats(ctx: Context, counts: MemberCounts) -> list[str]:
    top = await ctx.store.tags.top_tags(ctx.community.id, TOP_TAGS)
    listed = ", ".join(f"{quote(tag.name, 64)} ({count})" for tag, count in top)
    return [tr("• Top tags: {tags}", tags=listed or tr("none yet"))]


async def export(ctx: Context, member: Member) -> dict[str, Any]:
    return {
        "tags": [
            {"name": t.name, "category": t.category, "description": t.description}
            for t in await member_tags(ctx.store, member.id)
        ]
    }


FEATURE = Feature(
    "tags",
    catalogue=TAG_COMMANDS,
    commands=handlers_in(tags, network_tags),
    stats=stats,
    export=export,
)
