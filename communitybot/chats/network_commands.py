"""`/chat room` and `/chat norelay`: an affiliate's side of a network chat (issue #15).

A network chat is held in every affiliate; its moderators choose the room (`chat room`), the
steward who created it having chosen the owner's with the series' channel. `chat norelay` is a
member's own choice, for every membership of theirs (linked accounts included): their messages
in a network chat stay in their own community's room and out of the other affiliates'
transcripts.
"""

from __future__ import annotations

from typing import Any

from communitybot.chats.calendar_sync import calendar_actions
from communitybot.chats.details import find_series
from communitybot.context import Context
from communitybot.feature import handles
from communitybot.i18n import tr
from communitybot.replies import Action, PublishCalendar, reply


@handles("chat", "room")
async def room(ctx: Context, options: dict[str, Any]) -> list[Action]:
    found = await find_series(ctx, options)
    if isinstance(found, str):
        return reply(found)
    if found.network_id is None:
        return reply(
            tr(
                "#{hashtag} is your community's own chat: move it with `{command}`. "
                "`chat room` is for network chats.",
                hashtag=found.hashtag,
                command=f"{ctx.prefix}chat edit {found.hashtag} channel=…",
            )
        )
    if found.community_id == ctx.community.id:
        return reply(
            tr(
                "#{hashtag} was created here, so it is held in its own channel, {channel}: a "
                "steward moves it with `{command}`.",
                hashtag=found.hashtag,
                channel=ctx.platform.mention_channel(found.channel_id),
                command=f"{ctx.prefix}chat edit {found.hashtag} channel=…",
            )
        )
    channel = str(options["channel"])
    await ctx.store.chat_legs.set_room(found.id, ctx.community.id, channel, ctx.clock.now())
    # This community's calendar entry moves to the room (the others' are as they were).
    calendar = [
        action
        for action in await calendar_actions(ctx.store, found, ctx.now)
        if isinstance(action, PublishCalendar) and action.community == ctx.community.ref
    ]
    return (
        reply(
            tr(
                "The network chat **#{hashtag}** will be held here in {channel}, from its next "
                "session on.",
                hashtag=found.hashtag,
                channel=ctx.platform.mention_channel(channel),
            ),
            ephemeral=False,
        )
        + calendar
    )


@handles("chat", "norelay")
async def norelay(ctx: Context, options: dict[str, Any]) -> list[Action]:
    setting = str(options.get("setting") or "on").strip().casefold()
    if setting not in ("on", "off"):
        return reply(tr("Say `on` (keep your messages in your own room) or `off`."))
    users = [ctx.member.ref, *(a.user for a in await ctx.store.people.accounts_of(ctx.member.ref))]
    memberships = [
        m.id for user in dict.fromkeys(users) for m in await ctx.store.members.all_for_user(user)
    ]
    await ctx.store.chat_legs.set_norelay(
        [ctx.member.id, *memberships], setting == "on", ctx.clock.now()
    )
    if setting == "on":
        return reply(
            tr(
                "From now on, what you write in a network chat stays in your own community's "
                "room: it is not shown in the other affiliates' rooms or transcripts. "
                "`{command}` undoes it.",
                command=f"{ctx.prefix}chat norelay off",
            )
        )
    return reply(
        tr(
            "Your messages in network chats are shown in every affiliate's room again, with "
            "your name and community."
        )
    )
