"""A member marked a chat's calendar event "Interested": offer them reminders, privately.

Discord tells the bot when a member marks a Guild Scheduled Event Interested; the adapter turns
that into a `ChoicePicked` with id `CALENDAR_INTERESTED + "chat:<series id>"` (the entry's key)
and no values (there is no interaction to answer, so the handler returns only a
`SendDirect`). The DM holds a prompt, Subscribe / No thanks, whose presses come back as
`OFFER + <series id>`; Subscribe does what `chat subscribe` does with the default lead times.
A member already subscribed gets nothing: they asked for nothing, and a note saying "already
done" would only be noise. An unknown or cancelled series, or one in a channel the member
cannot see, is ignored.
"""

from __future__ import annotations

from communitybot.chats import jobs as chat_jobs
from communitybot.chats import visibility as chats_visibility
from communitybot.chats.calendar_sync import KEY_PREFIX
from communitybot.chats.input import DEFAULT_LEADS, leads_text
from communitybot.context import Context
from communitybot.i18n import tr
from communitybot.numbers import parse_id
from communitybot.replies import (
    CALENDAR_INTERESTED,
    Action,
    Choice,
    Message,
    Prompt,
    SendDirect,
    reply,
)
from communitybot.store.chats import ChatSeries
from communitybot.text import quote

INTERESTED = CALENDAR_INTERESTED + KEY_PREFIX
"""What an adapter's "Interested" notice for a chat's calendar entry starts with."""
OFFER = "chat:remind-offer:"
"""The reminder offer's prompt id prefix (its Subscribe / No thanks buttons)."""
SUBSCRIBE, DECLINE = "subscribe", "no"


def _offer(series: ChatSeries, ctx: Context) -> Message:
    when = (
        chat_jobs.when_for(series.next_start, ctx.member.timezone, series.schedule.timezone)
        if series.next_start
        else tr("no date yet")
    )
    text = tr(
        "You marked **#{hashtag}: {title}** as interesting (next: {when}). Shall I send you a "
        "reminder {leads} before each chat?\n(Or later: `{command}`.)",
        hashtag=series.hashtag,
        title=quote(series.title, 120),
        when=when,
        leads=leads_text(DEFAULT_LEADS),
        command=f"{ctx.prefix}chat subscribe {series.hashtag}",
    )
    prompt = Prompt(
        custom_id=f"{OFFER}{series.id}",
        kind="single",
        choices=(Choice(SUBSCRIBE, tr("Subscribe")), Choice(DECLINE, tr("No thanks"))),
    )
    return Message(text, prompt)


async def _series(ctx: Context, raw_id: str) -> ChatSeries | None:
    """The active series of this community the member may see, or None."""
    series_id = parse_id(raw_id)
    series = await ctx.store.chats.get(series_id) if series_id is not None else None
    if series is None or series.status != "active" or series.community_id != ctx.community.id:
        return None
    return series if await chats_visibility.can_see(ctx, series) else None


async def _interested(ctx: Context, raw_id: str) -> list[Action]:
    """Offer reminders by DM; nothing for an unknown series or one already subscribed to (the
    member asked for nothing, so a note saying "already done" would only be noise)."""
    series = await _series(ctx, raw_id)
    if series is None or await ctx.store.chats.subscription(series.id, ctx.member.id):
        return []
    return [SendDirect(ctx.community.ref, ctx.member.ref, _offer(series, ctx))]


async def _answer(ctx: Context, raw_id: str, values: tuple[str, ...]) -> list[Action]:
    series = await _series(ctx, raw_id)
    if series is None:
        return reply(tr("That chat is no longer planned, so there is nothing to remind."))
    if (values[0] if values else "") != SUBSCRIBE:
        return reply(
            tr(
                "No reminders then. `{command}` if you change your mind.",
                command=f"{ctx.prefix}chat subscribe {series.hashtag}",
            ),
        )
    now = ctx.clock.now()
    await ctx.store.chats.subscribe(series.id, ctx.member.id, DEFAULT_LEADS, now)
    subscription = await ctx.store.chats.subscription(series.id, ctx.member.id)
    assert subscription is not None
    await chat_jobs.schedule_member_reminders(ctx.store, series, subscription, now)
    return reply(
        tr(
            "You'll get a reminder {leads} before each **#{hashtag}** chat. `{command}` stops "
            "them.",
            leads=leads_text(DEFAULT_LEADS),
            hashtag=series.hashtag,
            command=f"{ctx.prefix}chat unsubscribe {series.hashtag}",
        ),
    )


async def on_choice(ctx: Context, custom_id: str, values: tuple[str, ...]) -> list[Action] | None:
    """ "Interested" on a calendar event, or the answer to the reminder offer; None otherwise."""
    if custom_id.startswith(INTERESTED):
        return await _interested(ctx, custom_id.removeprefix(INTERESTED))
    if custom_id.startswith(OFFER):
        return await _answer(ctx, custom_id.removeprefix(OFFER), values)
    return None
