"""The relay decisions of a network chat (issue #15): what a message said in one affiliate's leg
becomes in the others.

A message is recorded once, keyed by its relay key ("discord:123"), with its leg; a new one is
relayed to every other OPEN leg as a `RelayPost` (never back to its own, never twice: a message
already recorded is not relayed again, so a replayed event after a restart does nothing). It
stays home, recorded but not relayed and left out of the other affiliates' transcripts, when
its author said `chat norelay` or is a bridged ghost (a copy of someone on another network,
whose own network has the original). Edits and deletions follow their copies (`RelayEdit`,
`RelayDelete`). Everything relayed is made inert first: no @everyone/@room, no user mention
or Matrix pill pings anyone on any platform. A reply to a message of another leg counts as an
exchange between the two members: the recap's "who met whom across affiliates".
"""

from __future__ import annotations

from communitybot.context import Context
from communitybot.events import ChannelMessage, UserRef, relay_key
from communitybot.ghosts import is_bridged_ghost
from communitybot.replies import Action, RelayDelete, Relayed, RelayEdit, RelayPost
from communitybot.store.chat_legs import Leg
from communitybot.store.chat_runs import ChatRun, NewMessage
from communitybot.text import neutralize_mentions, quote

MAX_MENTIONS = 20
AUTHOR_LIMIT = 80
EXCERPT = 80
_PLATFORMS = {"discord": "Discord", "matrix": "Matrix", "console": "Console"}


def origin(platform: str, community_name: str) -> str:
    """Where a message was said, as the other affiliates read it: "Makers Lab (Discord)", or
    just "Matrix" for an affiliate without a name."""
    shown = _PLATFORMS.get(platform, platform.capitalize())
    name = quote(community_name, 60) if community_name else ""
    return f"{name} ({shown})" if name else shown


async def _targets(ctx: Context, run: ChatRun, *, open_only: bool) -> list[Leg]:
    """The run's legs other than this community's (only the open ones for new copies)."""
    return [
        leg
        for leg in await ctx.store.chat_legs.of_run(run.id)
        if leg.community_id != ctx.community.id and (leg.status == "open" or not open_only)
    ]


async def on_leg_message(
    ctx: Context, event: ChannelMessage, run: ChatRun, question: int, limit: int
) -> list[Action]:
    """A message posted, edited or deleted in this community's leg of a running network chat."""
    if await ctx.store.chat_legs.get(run.id, ctx.community.id) is None:
        return []
    key = relay_key(event.community.platform, event.message_id)
    if event.change == "deleted":
        return await _deleted(ctx, run, key)
    if event.change == "edited":
        return await _edited(ctx, run, key, event.text[:limit])
    links = tuple(event.attachment_urls)
    if not event.text.strip() and not links:
        return []
    stays = is_bridged_ghost(event.user) or await ctx.store.chat_legs.norelay(ctx.member.id)
    stored = event.text[:limit] if event.text.strip() else "\n".join(links)[:limit]
    new = NewMessage(
        run.id, key, ctx.member.id, question, stored, community_id=ctx.community.id, kept_home=stays
    )
    if not await ctx.store.chat_runs.record(new, ctx.clock.now()):
        return []  # seen before (a replay): never relayed twice
    excerpt = await _exchanges(ctx, run, event)
    if stays:
        return []
    relayed = Relayed(
        key=key,
        author=neutralize_mentions(_author(event.user, ctx.member.label))[:AUTHOR_LIMIT],
        origin=origin(event.community.platform, ctx.community.ref.name),
        text=neutralize_mentions(event.text[:limit]),
        avatar_url=event.avatar_url,
        reply_to_key=event.reply_to_key,
        reply_excerpt=excerpt,
        attachment_urls=links,
    )
    return [
        RelayPost(leg.community, leg.conversation_id, (relayed,))
        for leg in await _targets(ctx, run, open_only=True)
    ]


def _author(user: UserRef, fallback: str) -> str:
    return " ".join((user.display_name or fallback).split())


async def _exchanges(ctx: Context, run: ChatRun, event: ChannelMessage) -> str:
    """Record who this message replies to or mentions; returns an excerpt of the message it
    answers (for a copy whose target is not there), "" when it answers none."""
    mentioned = list(event.mentioned_user_ids[:MAX_MENTIONS])
    if not event.reply_to_key:
        await record_exchanges(ctx, run, None, platform_partners(event))
        return ""
    answered = await ctx.store.chat_legs.message(run.id, event.reply_to_key)
    await record_exchanges(ctx, run, answered.member_id if answered else None, mentioned)
    return quote(answered.text, EXCERPT) if answered else ""


def platform_partners(event: ChannelMessage) -> list[str]:
    """The user ids a message replies to (as the platform says) and mentions."""
    replied = [event.reply_to_user_id] if event.reply_to_user_id else []
    return replied + list(event.mentioned_user_ids[:MAX_MENTIONS])


async def record_exchanges(
    ctx: Context, run: ChatRun, answered: int | None, user_ids: list[str]
) -> None:
    """Record that the author exchanged with the member `answered` (found by the caller) and
    the members among `user_ids` (only those the bot knows; never themselves): the recap's
    "who met whom"."""
    others = [answered] if answered is not None else []
    for user_id in user_ids:
        found = await _member_id(ctx, user_id)
        others += [found] if found is not None else []
    for other in dict.fromkeys(others):
        if other != ctx.member.id:
            await ctx.store.chat_runs.record_exchange(run.id, ctx.member.id, other)


async def _member_id(ctx: Context, user_id: str) -> int | None:
    """An existing member (no row is created for someone who was only mentioned)."""
    found = await ctx.store.members.get(
        ctx.community.id, UserRef(ctx.community.ref.platform, user_id)
    )
    return found.id if found is not None else None


async def _edited(ctx: Context, run: ChatRun, key: str, text: str) -> list[Action]:
    """Only its author's edit counts (a Matrix server lets anyone send an `m.replace`)."""
    if not text.strip():
        return []
    original = await ctx.store.chat_legs.message(run.id, key)
    if original is None or original.member_id != ctx.member.id:
        return []
    before = await ctx.store.chat_legs.edit(run.id, key, text)
    if before is None or before.kept_home or before.text == text:
        return []
    inert = neutralize_mentions(text)
    return [
        RelayEdit(leg.community, leg.conversation_id, key, inert)
        for leg in await _targets(ctx, run, open_only=True)
    ]


async def _deleted(ctx: Context, run: ChatRun, key: str) -> list[Action]:
    gone = await ctx.store.chat_legs.delete(run.id, key)
    if gone is None or gone.kept_home:
        return []
    return [
        RelayDelete(leg.community, leg.conversation_id, key)
        for leg in await _targets(ctx, run, open_only=False)
    ]
