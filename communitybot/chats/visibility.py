"""Who may see a chat: the members who can see the channel it is held in, and moderators.

A chat planned in a private Discord channel or an invite-only Matrix room belongs to the people
who can see that place. `/chat list`, `/chat next`, `/chat subscribe`, `/chat calendar` and
`/chat transcript` therefore leave it out (or answer as if there were no such chat, so its
existence does not leak either) for anyone else. Moderators see every chat. The platform only
answers the fact (`ChatPlatform.can_view_channel`, from its cache); the rule is here.
"""

from __future__ import annotations

from communitybot.chats.network import room_for
from communitybot.context import Context
from communitybot.store.chat_runs import ChatRun
from communitybot.store.chats import ChatSeries


async def can_see(ctx: Context, series: ChatSeries, run: ChatRun | None = None) -> bool:
    """Whether `ctx.member` may see this series (and this run of it, held where it was held).

    A run held in the channel itself (Matrix, or a Discord channel where no thread could be
    made) is also checked there, in case the series moved channels since; a run in a thread
    follows its series' channel (a thread's visibility is its channel's).
    """
    if ctx.is_moderator:
        return True
    if series.network_id is not None:
        # A network chat is seen where this community holds it (its room); no room: anyone.
        room = await room_for(ctx.store, series, ctx.community)
        return room is None or await ctx.platform.can_view_channel(
            ctx.community.ref, ctx.member.ref, room
        )
    places = [series.channel_id]
    if run is not None and not run.in_thread and run.conversation_id != series.channel_id:
        places.append(run.conversation_id)
    for place in places:
        if not await ctx.platform.can_view_channel(ctx.community.ref, ctx.member.ref, place):
            return False
    return True


async def visible(ctx: Context, all_series: list[ChatSeries]) -> list[ChatSeries]:
    """The series `ctx.member` may see, in their order."""
    return [series for series in all_series if await can_see(ctx, series)]
