"""Mentoring: members offer or request help by tag; moderators run optimal matching rounds.

`/mentor offer|request|status|pause|resume|end` keep a member's side in the store;
`/mentoring match` loads every open request and free mentor seat, solves the assignment in a
worker thread (`communitybot.mentoring.solver`: optimal for rarity-weighted shared tags, goals
and time-zone overlap), then records the pairs and introduces each privately. The handler runs
inside the event's transaction, so the store is only read before and written after the solve.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from communitybot.context import CommandHandler, Context
from communitybot.events import UserRef
from communitybot.features.tags import resolve_tags
from communitybot.mentoring import solver
from communitybot.mentoring.scoring import rarity_weights
from communitybot.models import Member, Tag
from communitybot.replies import Action, Message, SendDirect, SendToChannel, reply
from communitybot.scheduler import JobContext, JobKind
from communitybot.store.jobs import Job
from communitybot.store.mentoring import MentorPair
from communitybot.text import quote, split_list
from communitybot.timezones import utc_offset_minutes

MIN_CAPACITY = 1
MAX_CAPACITY = 5
MAX_TAGS = 15
PREVIEW_LINES = 20
CHECKIN = "mentoring.checkin"
CHECKIN_AFTER = timedelta(days=14)
"""When both sides of a new pairing are asked how it's going."""


def _who(ctx: Context, member: Member) -> str:
    return ctx.platform.mention_user(replace(member.ref, display_name=quote(member.label, 60)))


async def _tags(ctx: Context, raw: str) -> tuple[list[Tag], list[Action]]:
    """Resolve the tags option; on any problem, the friendly error to return (nothing saved)."""
    names = split_list(raw)
    if not names:
        return [], reply(
            f"Please name at least one tag, e.g. `{ctx.prefix}mentor request maths,assessment` "
            f"(see `{ctx.prefix}tags list`)."
        )
    if len(names) > MAX_TAGS:
        return [], reply(f"Please name at most {MAX_TAGS} tags.")
    tags, errors = await resolve_tags(ctx, names)
    if errors:
        return [], reply("\n".join([*errors, "Nothing was saved."]))
    return tags, []


def _names(tags: list[Tag]) -> str:
    return ", ".join(f"**{tag.name}**" for tag in tags)


async def offer(ctx: Context, options: dict[str, Any]) -> list[Action]:
    capacity = options.get("capacity")
    if not isinstance(capacity, int) or not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
        return reply(
            f"Capacity is how many mentees you take at once: a number from {MIN_CAPACITY} to "
            f"{MAX_CAPACITY}, e.g. `{ctx.prefix}mentor offer 2 maths,assessment`."
        )
    tags, error = await _tags(ctx, str(options.get("tags") or ""))
    if error:
        return error
    note = str(options.get("note") or "").strip()
    await ctx.store.mentoring.put_offer(
        ctx.member.id, capacity, note, [t.id for t in tags], ctx.clock.now()
    )
    people = "person" if capacity == 1 else "people"
    return reply(
        f"Thank you! You offer to mentor up to {capacity} {people} on {_names(tags)}. "
        "When a moderator runs a matching round I'll introduce you privately. "
        f"`{ctx.prefix}mentor pause` stops new matches at any time."
    )


async def request(ctx: Context, options: dict[str, Any]) -> list[Action]:
    tags, error = await _tags(ctx, str(options.get("tags") or ""))
    if error:
        return error
    live = [
        p
        for p in await ctx.store.mentoring.active_pairs_of(ctx.member.id)
        if p.mentee_id == ctx.member.id
    ]
    if live:
        return reply(
            "You already have a mentor. To ask for a different one, end that pairing first "
            f"with `{ctx.prefix}mentor end`."
        )
    goals = str(options.get("goals") or "").strip()
    await ctx.store.mentoring.put_request(
        ctx.member.id, goals, [t.id for t in tags], ctx.clock.now()
    )
    return reply(
        f"Got it: you're looking for a mentor for {_names(tags)}. I'll introduce you privately "
        "when the next matching round finds someone who shares your interests."
    )


async def _tag_names(ctx: Context) -> dict[int, str]:
    return {tag.id: tag.name for tag in await ctx.store.tags.all(ctx.community.id)}


async def _other(ctx: Context, pair: MentorPair) -> Member | None:
    other = pair.mentee_id if pair.mentor_id == ctx.member.id else pair.mentor_id
    return await ctx.store.members.get_by_id(other)


async def status(ctx: Context, options: dict[str, Any]) -> list[Action]:
    names = await _tag_names(ctx)
    store = ctx.store.mentoring
    lines = ["**Your mentoring**"]
    offered = await store.get_offer(ctx.member.id)
    if offered:
        state = "paused" if offered.paused else "open"
        tags = ", ".join(names.get(t, "?") for t in offered.tag_ids)
        lines.append(f"• Offer ({state}): up to {offered.capacity} mentees on {tags}")
    asked = await store.get_request(ctx.member.id)
    pairs = await store.active_pairs_of(ctx.member.id)
    if asked and asked.status != "closed":
        tags = ", ".join(names.get(t, "?") for t in asked.tag_ids)
        matched = any(p.mentee_id == ctx.member.id for p in pairs)
        state = "matched" if matched else "waiting for a match"
        lines.append(f"• Request ({state}): {tags}")
    for pair in pairs:
        other = await _other(ctx, pair)
        if other is None:
            continue
        role = "your mentee" if pair.mentor_id == ctx.member.id else "your mentor"
        shared = f" — you share {pair.shared}" if pair.shared else ""
        lines.append(f"• {_who(ctx, other)} is {role}{shared}")
    if len(lines) == 1:
        lines.append(
            f"Nothing yet. `{ctx.prefix}mentor offer` to mentor, "
            f"`{ctx.prefix}mentor request` to find a mentor."
        )
    return reply("\n".join(lines))


async def _set_paused(ctx: Context, paused: bool) -> list[Action]:
    offered = await ctx.store.mentoring.get_offer(ctx.member.id)
    if offered is None:
        return reply(
            f"You haven't offered to mentor yet: `{ctx.prefix}mentor offer 2 maths` does that."
        )
    await ctx.store.mentoring.set_paused(ctx.member.id, paused)
    if paused:
        return reply(
            "Paused: you won't get new mentees (current pairings continue). "
            f"`{ctx.prefix}mentor resume` when you're ready again."
        )
    return reply("Welcome back: you can be matched with new mentees again.")


async def pause(ctx: Context, options: dict[str, Any]) -> list[Action]:
    return await _set_paused(ctx, True)


async def resume(ctx: Context, options: dict[str, Any]) -> list[Action]:
    return await _set_paused(ctx, False)


async def end(ctx: Context, options: dict[str, Any]) -> list[Action]:
    store = ctx.store.mentoring
    pairs = await store.active_pairs_of(ctx.member.id)
    target = options.get("member")
    if isinstance(target, UserRef):
        other = await ctx.store.members.get(ctx.community.id, target)
        pairs = [p for p in pairs if other is not None and other.id in (p.mentor_id, p.mentee_id)]
        if not pairs:
            return reply("You have no active mentoring pairing with them.")
    if not pairs:
        asked = await store.get_request(ctx.member.id)
        if asked and asked.status == "open":
            await store.set_request_status(ctx.member.id, "closed")
            return reply("Your mentor request is withdrawn.")
        return reply("You have no active mentoring pairing to end.")
    if len(pairs) > 1:
        others = [m for m in [await _other(ctx, p) for p in pairs] if m is not None]
        listed = ", ".join(_who(ctx, m) for m in others)
        return reply(
            f"You have several pairings ({listed}). Say which one: "
            f"`{ctx.prefix}mentor end <member> [feedback]`."
        )
    pair = pairs[0]
    feedback = str(options.get("feedback") or "").strip() or None
    await store.end_pair(pair.id, ctx.member.id, feedback, ctx.clock.now())
    if pair.mentee_id == ctx.member.id:
        await store.set_request_status(ctx.member.id, "closed")
    other = await _other(ctx, pair)
    actions: list[Action] = reply(
        "The pairing is ended. Thank you for taking part"
        + (" — your feedback goes only to the moderators." if feedback else ".")
    )
    if other is not None and other.left_at is None:
        if pair.mentee_id == other.id:
            await store.set_request_status(other.id, "closed")
        text = (
            f"{_who(ctx, ctx.member)} has ended your mentoring pairing. Thank you for the time "
            f"you spent together! `{ctx.prefix}mentor request` or `{ctx.prefix}mentor offer` "
            "whenever you'd like a new match."
        )
        actions.append(SendDirect(ctx.community.ref, other.ref, Message(text)))
    return actions


async def on_leave(ctx: Context) -> list[Action]:
    """A member left the community: end their pairings and tell each other side kindly."""
    store = ctx.store.mentoring
    actions: list[Action] = []
    for pair in await store.active_pairs_of(ctx.member.id):
        await store.end_pair(pair.id, ctx.member.id, None, ctx.clock.now())
        other = await _other(ctx, pair)
        if other is None or other.left_at is not None:
            continue
        if pair.mentee_id == other.id:
            await store.set_request_status(other.id, "open")  # matchable again
        text = (
            f"{_who(ctx, ctx.member)} has left the community, so your mentoring pairing has "
            "ended. Thank you for the time you spent together! "
            + (
                "Your request is open again: you'll be matched with someone new in the next round."
                if pair.mentee_id == other.id
                else f"`{ctx.prefix}mentor status` shows your other pairings and free seats."
            )
        )
        actions.append(SendDirect(ctx.community.ref, other.ref, Message(text)))
    return actions


# Matching ---------------------------------------------------------------------------------------


def _goal_finder(tags: list[Tag]) -> Callable[[str], tuple[int, ...]]:
    """Tags named in a goals text (whole words, any case): one compiled pattern per round."""
    by_name = {tag.name.lower(): tag.id for tag in tags}
    if not by_name:
        return lambda goals: ()
    names = sorted(by_name, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, names)) + r")(?!\w)", re.I)

    def find(goals: str) -> tuple[int, ...]:
        found = {by_name[m.lower()] for m in pattern.findall(goals)} if goals else set()
        return tuple(sorted(found))

    return find


async def _problem(
    ctx: Context,
) -> tuple[list[solver.Mentee], list[solver.Mentor], dict[int, int], set[tuple[int, int]]]:
    """Everything the solver needs, read from the store (inside the event's transaction)."""
    store = ctx.store
    now = ctx.clock.now()
    cid = ctx.community.id
    tags = await store.tags.all(cid)
    weights = rarity_weights(await store.tags.member_counts(cid), await store.members.count(cid))
    history = await store.mentoring.community_pairs(cid)
    forbidden = {(p.mentee_id, p.mentor_id) for p in history}
    forbidden |= {(p.mentor_id, p.mentee_id) for p in history if p.status == "active"}
    seats_taken: dict[int, int] = {}
    for p in history:
        if p.status == "active":
            seats_taken[p.mentor_id] = seats_taken.get(p.mentor_id, 0) + 1
    people = await store.mentoring.round_members(cid)
    offsets = {m.id: utc_offset_minutes(m.timezone, now) for m in people.values()}
    goal_tags = _goal_finder(tags)

    mentees = [
        solver.Mentee(r.member_id, r.tag_ids, offsets.get(r.member_id), goal_tags(r.goals))
        for r in await store.mentoring.open_requests(cid)
        if r.tag_ids
    ]
    mentors = [
        solver.Mentor(
            o.member_id,
            o.tag_ids,
            o.capacity - seats_taken.get(o.member_id, 0),
            offsets.get(o.member_id),
        )
        for o in await store.mentoring.offers(cid)
        if o.capacity > seats_taken.get(o.member_id, 0)
    ]
    return mentees, mentors, weights, forbidden


def _first_step(shared: str) -> str:
    topic = shared.split(", ")[0] if shared else "what you each hope to get from this"
    return (
        "Suggested first step: agree on a 30-minute call this week and each bring one question "
        f"about {topic}."
    )


def _intro(ctx: Context, you_are: str, other: Member, shared: str, extra: str) -> Message:
    common = f"You share **{shared}**. " if shared else ""
    lines = [f"🤝 Meet {_who(ctx, other)}, {you_are}! {common}", _first_step(shared)]
    if extra:
        lines.append(extra)
    lines.append(
        f"`{ctx.prefix}mentor status` shows your pairings; `{ctx.prefix}mentor end` ends one."
    )
    return Message("\n".join(lines))


async def match(ctx: Context, options: dict[str, Any]) -> list[Action]:
    mentees, mentors, weights, forbidden = await _problem(ctx)
    if not mentees or not mentors:
        return reply(
            f"Nobody to match right now: {len(mentees)} open mentee request(s) and "
            f"{len(mentors)} mentor(s) with a free seat."
        )
    # The solve is CPU work: a worker thread keeps the event loop (and other platforms) alive.
    pairs = await asyncio.to_thread(solver.solve, mentees, mentors, weights, forbidden)
    names = await _tag_names(ctx)
    members = await ctx.store.mentoring.round_members(ctx.community.id)
    waiting = len(mentees) - len(pairs)
    if options.get("dry_run"):
        lines = [f"**Preview** (nothing saved): {len(pairs)} pair(s), {waiting} still waiting."]
        for pair in pairs[:PREVIEW_LINES]:
            mentee, mentor = members.get(pair.mentee_id), members.get(pair.mentor_id)
            if mentee is None or mentor is None:
                continue
            shared = ", ".join(names.get(t, "?") for t in pair.shared) or "no tags"
            lines.append(f"• {_who(ctx, mentee)} ← {_who(ctx, mentor)} (shares {shared})")
        if len(pairs) > PREVIEW_LINES:
            lines.append(f"… and {len(pairs) - PREVIEW_LINES} more.")
        return reply("\n".join(lines))
    now = ctx.clock.now()
    round_key = now.date().isoformat()
    actions: list[Action] = []
    made = 0
    for pair in pairs:
        mentee, mentor = members.get(pair.mentee_id), members.get(pair.mentor_id)
        if mentee is None or mentor is None:
            continue
        shared = ", ".join(names.get(t, "?") for t in pair.shared)
        pair_id = await ctx.store.mentoring.add_pair(
            ctx.community.id, mentor.id, mentee.id, round_key, pair.score, shared, now
        )
        if pair_id is None:
            continue
        await ctx.store.jobs.schedule(
            CHECKIN, now + CHECKIN_AFTER, f"{CHECKIN}:{pair_id}", now, {"pair_id": pair_id}
        )
        made += 1
        await ctx.store.mentoring.set_request_status(mentee.id, "matched")
        offered = await ctx.store.mentoring.get_offer(mentor.id)
        asked = await ctx.store.mentoring.get_request(mentee.id)
        note = f"Their note: “{quote(offered.note, 300)}”" if offered and offered.note else ""
        goals = f"Their goals: “{quote(asked.goals, 300)}”" if asked and asked.goals else ""
        actions.append(
            SendDirect(
                ctx.community.ref, mentee.ref, _intro(ctx, "your mentor", mentor, shared, note)
            )
        )
        actions.append(
            SendDirect(
                ctx.community.ref, mentor.ref, _intro(ctx, "your new mentee", mentee, shared, goals)
            )
        )
    summary = (
        f"Mentoring round: {made} new pair(s) introduced, {waiting} request(s) still waiting "
        f"for a mentor with a free seat."
    )
    modlog = ctx.community.modlog_channel
    if modlog:
        who = ctx.platform.mention_user(ctx.member.ref)
        actions.append(
            SendToChannel(
                ctx.community.ref,
                modlog,
                Message(f"🤝 {who} ran a {summary[0].lower()}{summary[1:]}"),
            )
        )
    return [*reply(summary), *actions]


# Check-ins --------------------------------------------------------------------------------------


async def run_checkin(jctx: JobContext, job: Job) -> list[Action]:
    """Two weeks in, ask both sides how it's going (only while the pairing and both are here)."""
    pair = await jctx.store.mentoring.get_pair(int(job.payload["pair_id"]))
    if pair is None or pair.status != "active":
        return []
    community = await jctx.store.communities.get_by_id(pair.community_id)
    mentor = await jctx.store.members.get_by_id(pair.mentor_id)
    mentee = await jctx.store.members.get_by_id(pair.mentee_id)
    if community is None or mentor is None or mentee is None:
        return []
    if mentor.left_at is not None or mentee.left_at is not None:
        return []
    actions: list[Action] = []
    for you, other, role in ((mentee, mentor, "your mentor"), (mentor, mentee, "your mentee")):
        name = jctx.platform.mention_user(replace(other.ref, display_name=quote(other.label, 60)))
        text = (
            f"👋 It's been a while since I introduced you to {name}, {role}. How is it going? "
            "If you haven't met yet, this is a good moment to suggest a time. "
            f"If it isn't working out, `{jctx.prefix}mentor end {other.ref.user_id}` ends the "
            "pairing, with private feedback for the moderators if you like."
        )
        actions.append(SendDirect(community.ref, you.ref, Message(text)))
    return actions


COMMANDS: dict[tuple[str, ...], CommandHandler] = {
    ("mentor", "offer"): offer,
    ("mentor", "request"): request,
    ("mentor", "status"): status,
    ("mentor", "pause"): pause,
    ("mentor", "resume"): resume,
    ("mentor", "end"): end,
    ("mentoring", "match"): match,
}
JOB_KINDS: dict[str, JobKind] = {CHECKIN: JobKind(run_checkin, grace=timedelta(days=3))}
"""A check-in found late (after downtime) still goes out for a few days; later it is dropped."""
