"""The peers feature: `peers` finds members who share your interests (from the peer index), and
`introduce` asks the bot to introduce you to one of another affiliate.

Its data is the members' tags and profiles, which the tags and privacy features export, and the
introductions a membership asked for (`peer_introductions`, exported here).
"""

from __future__ import annotations

from typing import Any

from communitybot.context import Context
from communitybot.feature import Feature, handlers_in
from communitybot.models import Member
from communitybot.peers import commands as peers
from communitybot.peers import introduce
from communitybot.peers.catalogue import PEER_COMMANDS


async def export(ctx: Context, member: Member) -> dict[str, Any]:
    return {"peer_introductions": await ctx.store.introductions.export_for_member(member.id)}


FEATURE = Feature(
    "peers",
    catalogue=PEER_COMMANDS,
    commands=handlers_in(peers, introduce),
    export=export,
)
