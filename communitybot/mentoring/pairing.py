"""A pairing's life cycle, shared by every mentoring path: naming people, the check-in schedule,
and ending a pairing (the one way `/mentor end`, `/mentor rematch` and a check-in's "end" do it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from communitybot.context import Context
from communitybot.events import CommunityRef, UserRef
from communitybot.introductions import name_in
from communitybot.models import Member
from communitybot.naming import who as who  # the mentoring modules name people through here
from communitybot.replies import Action, Message, SendDirect
from communitybot.store.mentoring import MentorPair
from communitybot.store.store import Store

CHECKIN = "mentoring.checkin"
"""The job kind that asks both sides of a pairing how it is going."""


async def home_of(ctx: Context, member: Member) -> CommunityRef:
    """The community through which `member` is reached: theirs, which for a pairing made
    across a network may be another affiliate (the outbox routes it to its platform)."""
    if member.community_id == ctx.community.id:
        return ctx.community.ref
    community = await ctx.store.communities.get_by_id(member.community_id)
    return community.ref if community is not None else ctx.community.ref


def other_id(pair: MentorPair, member_id: int) -> int:
    return pair.mentee_id if pair.mentor_id == member_id else pair.mentor_id


async def other_side(ctx: Context, pair: MentorPair) -> Member | None:
    return await ctx.store.members.get_by_id(other_id(pair, ctx.member.id))


async def pairs_with(ctx: Context, target: object) -> list[MentorPair] | None:
    """The acting member's active pairings, narrowed to the one with `target` when a member was
    named; None when they named someone they are not paired with."""
    pairs = await ctx.store.mentoring.active_pairs_of(ctx.member.id)
    if not isinstance(target, UserRef):
        return pairs
    other = await ctx.store.members.get(ctx.community.id, target)
    if other is not None:
        pairs = [p for p in pairs if other.id in (p.mentor_id, p.mentee_id)]
        return pairs or None
    # A partner in another affiliate (a network round) cannot be mentioned here: they are
    # named as typed, by their platform id or their display name.
    named = {target.user_id.casefold(), target.label.casefold()}
    found = []
    for pair in pairs:
        partner_id = pair.mentee_id if pair.mentor_id == ctx.member.id else pair.mentor_id
        partner = await ctx.store.members.get_by_id(partner_id)
        if partner is None or partner.community_id == ctx.community.id:
            continue
        if {partner.ref.user_id.casefold(), partner.label.casefold()} & named:
            found.append(pair)
    return found or None


def checkin_key(pair_id: int, round_no: int) -> str:
    """Round 1 keeps the key the first release used, so its pending jobs stay valid."""
    return f"{CHECKIN}:{pair_id}" if round_no == 1 else f"{CHECKIN}:{pair_id}:{round_no}"


async def schedule_checkin(
    store: Store, community_id: int, pair_id: int, round_no: int, now: datetime
) -> datetime:
    """Schedule the pairing's check-in round after the community's interval; when it is due."""
    days = (await store.mentoring.settings(community_id)).checkin_days
    due = now + timedelta(days=days)
    payload = {"pair_id": pair_id, "round": round_no}
    job, _ = await store.jobs.schedule(
        CHECKIN, due, checkin_key(pair_id, round_no), now, payload, community_id=community_id
    )
    return job.due_at


async def end_pairing(
    ctx: Context, pair: MentorPair, feedback: str | None, *, reopen: bool = False
) -> tuple[str, list[Action]]:
    """End `pair` for the acting member: the confirmation for them, and a kind note to the other.

    `reopen`: the acting mentee goes straight back into matching (`/mentor rematch`) instead of
    closing their request, and the mentor is told it is about fit, not about them.
    """
    store = ctx.store.mentoring
    await store.end_pair(pair.id, ctx.member.id, feedback, ctx.clock.now())
    if pair.mentee_id == ctx.member.id:
        await store.set_request_status(ctx.member.id, "open" if reopen else "closed")
    other = await other_side(ctx, pair)
    thanks = " — your feedback goes only to the moderators." if feedback else "."
    done = "The pairing is ended. Thank you for taking part" + thanks
    if other is None or other.left_at is not None:
        return done, []
    if pair.mentee_id == other.id:
        await store.set_request_status(other.id, "closed")
    p = ctx.prefix
    me = name_in(ctx.platform, other.community_id, ctx.member)
    if reopen:
        text = (
            f"{me} has asked to be matched with a different mentor, "
            "so your mentoring pairing has ended. That happens — a good fit depends on timing "
            "and many small things. Thank you for the time you gave! Your offer stays open: "
            f"`{p}mentor status` shows your free seats."
        )
    else:
        text = (
            f"{me} has ended your mentoring pairing. Thank you for the "
            f"time you spent together! `{p}mentor request` or `{p}mentor offer` whenever you'd "
            "like a new match."
        )
    return done, [SendDirect(await home_of(ctx, other), other.ref, Message(text))]
