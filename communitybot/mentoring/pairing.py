"""A pairing's life cycle, shared by every mentoring path: naming people, the check-in schedule,
and ending a pairing (the one way `/mentor end`, `/mentor rematch` and a check-in's "end" do it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from communitybot.context import Context
from communitybot.events import CommunityRef, UserRef
from communitybot.i18n import tr, use_language
from communitybot.i18n.choice import member_language
from communitybot.introductions import name_in
from communitybot.models import Community, Member
from communitybot.naming import who as who  # the mentoring modules name people through here
from communitybot.replies import Action, Message, SendDirect, SendToGroup
from communitybot.store.mentoring import MentorPair
from communitybot.store.store import Store

CHECKIN = "mentoring.checkin"
"""The job kind that asks both sides of a pairing how it is going."""


async def _community_of(ctx: Context, member: Member) -> Community:
    """The community `member` belongs to (whose default language they read when they chose
    none); the acting one when it is theirs or cannot be found."""
    if member.community_id == ctx.community.id:
        return ctx.community
    return await ctx.store.communities.get_by_id(member.community_id) or ctx.community


async def language_of(ctx: Context, member: Member) -> str:
    """The language to write to `member` in, from a handler acting for someone else."""
    return member_language(member, await _community_of(ctx, member))


async def home_of(ctx: Context, member: Member) -> CommunityRef:
    """The community through which `member` is reached: theirs, which for a pairing made
    across a network may be another affiliate (the outbox routes it to its platform)."""
    if member.community_id == ctx.community.id:
        return ctx.community.ref
    community = await ctx.store.communities.get_by_id(member.community_id)
    return community.ref if community is not None else ctx.community.ref


def introduce_each(
    community: Community,
    members: Sequence[Member],
    title: Callable[[], str],
    message: Callable[[], Message],
) -> list[Action]:
    """Introduce `members` (all reached through `community`) in their own languages.

    When they all read the same language, one shared private conversation (`SendToGroup`) in
    it; when they do not, one DM each in the reader's own language: a shared text can only be in
    one language, and an introduction is the one message each side must understand. `title` and
    `message` are called inside each reader's language (the texts are worded to work in both a
    shared conversation and a DM).
    """
    languages = [member_language(m, community) for m in members]
    if len(set(languages)) == 1:
        with use_language(languages[0]):
            users = tuple(m.ref for m in members)
            return [SendToGroup(community.ref, users, title(), message())]
    actions: list[Action] = []
    for member, language in zip(members, languages, strict=True):
        with use_language(language):
            actions.append(SendDirect(community.ref, member.ref, message()))
    return actions


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
    done = (
        tr(
            "The pairing is ended. Thank you for taking part — your feedback goes only to "
            "the moderators."
        )
        if feedback
        else tr("The pairing is ended. Thank you for taking part.")
    )
    if other is None or other.left_at is not None:
        return done, []
    if pair.mentee_id == other.id:
        await store.set_request_status(other.id, "closed")
    p = ctx.prefix
    me = name_in(ctx.platform, other.community_id, ctx.member)
    with use_language(await language_of(ctx, other)):
        if reopen:
            text = tr(
                "{member} has asked to be matched with a different mentor, so your mentoring "
                "pairing has ended. That happens — a good fit depends on timing and many small "
                "things. Thank you for the time you gave! Your offer stays open: "
                "`{p}mentor status` shows your free seats.",
                member=me,
                p=p,
            )
        else:
            text = tr(
                "{member} has ended your mentoring pairing. Thank you for the time you spent "
                "together! `{p}mentor request` or `{p}mentor offer` whenever you'd like a new "
                "match.",
                member=me,
                p=p,
            )
    return done, [SendDirect(await home_of(ctx, other), other.ref, Message(text))]
