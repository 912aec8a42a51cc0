"""Matching rounds: `/mentoring match` and automatic matching when a request or offer arrives.

A round loads every open request and free mentor seat, solves the assignment in a worker thread
(`communitybot.mentoring.solver`: optimal for rarity-weighted shared tags, goals and time-zone
overlap), then records the pairs and introduces each pair in one private group conversation.
Hard rules go to the solver as forbidden (mentee, mentor) pairs: an ended pair is never proposed
again, nobody mentors their own mentor, and two accounts linked as one person
(`communitybot.identity`) are never paired with each other; a mentee's time-zone window rules
out mentors too far away (added lazily by `communitybot.mentoring.windows`). The store is read
before the solve and written after it; the solve itself runs outside the event's transaction
(`units.in_thread`): the handler's first run stops there and is rolled back, the solve runs
while other communities write, and the handler's second run gets the answer for the same
problem at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from communitybot import units
from communitybot.context import Context
from communitybot.feature import handles
from communitybot.mentoring import solver, windows
from communitybot.mentoring.pairing import schedule_checkin, who
from communitybot.mentoring.scoring import rarity_weights
from communitybot.models import Member, Tag
from communitybot.replies import Action, Message, SendToChannel, SendToGroup, reply
from communitybot.store.mentoring import MentorOffer
from communitybot.text import quote
from communitybot.timezones import utc_offset_minutes

PREVIEW_LINES = 20
NO_SHARED_TAGS = "No mentor shares your tags yet; you'll be matched when one does."
"""What a mentee is told while no mentor offers any of their tags (and pairs must share one)."""


@dataclass
class _Problem:
    mentees: list[solver.Mentee]
    mentors: list[solver.Mentor]
    weights: dict[int, int]
    forbidden: set[tuple[int, int]]
    windows: dict[int, int]
    """Mentee id → their time-zone window in minutes (a hard rule; see `mentoring.windows`)."""
    allow_no_shared_tags: bool = False
    """The community lets a round pair people who share no tag (off: they wait, told why)."""
    offered: dict[int, set[int]] = field(default_factory=dict)
    """Tag id → mentors offering it (free seat or not): who could ever fit a mentee."""


@dataclass
class RoundResult:
    """What a round did: pairs introduced, requests still waiting, the introductions to send."""

    made: int = 0
    waiting: int = 0
    matched_mentees: set[int] = field(default_factory=set)
    matched_mentors: set[int] = field(default_factory=set)
    introductions: list[Action] = field(default_factory=list)
    no_shared_tags: set[int] = field(default_factory=set)
    """Waiting mentees no offering mentor shares a tag with: they wait for one who does."""

    @property
    def summary(self) -> str:
        return self.describe("introduced")

    def describe(self, done: str) -> str:
        """The round in one line: pairs `done` ("introduced"), requests still waiting and why."""
        if not self.waiting:
            return f"{self.made} new pair(s) {done}, no request waiting."
        lonely = len(self.no_shared_tags)
        why = [
            f"{lonely} because no mentor shares their tags yet" if lonely else "",
            f"{self.waiting - lonely} for a mentor with a free seat"
            if self.waiting > lonely
            else "",
        ]
        return (
            f"{self.made} new pair(s) {done}, {self.waiting} request(s) still waiting: "
            + " and ".join(w for w in why if w)
            + "."
        )


def shares_no_tags(
    tag_ids: tuple[int, ...], offered: dict[int, set[int]], excluded: set[int]
) -> bool:
    """Whether no mentor in `offered` (tag id → mentor ids) outside `excluded` (the mentee,
    mentors they already had) offers any of `tag_ids`."""
    return not any(any(m not in excluded for m in offered.get(t, ())) for t in tag_ids)


def _offered(offers: list[MentorOffer]) -> dict[int, set[int]]:
    by_tag: dict[int, set[int]] = {}
    for offer in offers:
        for tag in offer.tag_ids:
            by_tag.setdefault(tag, set()).add(offer.member_id)
    return by_tag


async def nobody_shares_tags(ctx: Context, member_id: int, tag_ids: tuple[int, ...]) -> bool:
    """Whether a request with `tag_ids` can only wait, because no mentor (with a free seat or
    not, other than one they already had) offers any of those tags and the community does not
    allow pairs without a shared tag."""
    store = ctx.store.mentoring
    cid = ctx.community.id
    if (await store.settings(cid)).allow_no_shared_tags:
        return False
    had = {p.mentor_id for p in await store.community_pairs(cid) if p.mentee_id == member_id}
    return shares_no_tags(tag_ids, _offered(await store.offers(cid)), {member_id, *had})


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


async def _problem(ctx: Context) -> _Problem:
    """Everything the solver needs, read from the store (inside the event's transaction)."""
    store = ctx.store
    now = ctx.clock.now()
    cid = ctx.community.id
    tags = await store.tags.all(cid)
    weights = rarity_weights(await store.tags.member_counts(cid), await store.members.count(cid))
    history = await store.mentoring.community_pairs(cid)
    forbidden = {(p.mentee_id, p.mentor_id) for p in history}
    forbidden |= {(p.mentor_id, p.mentee_id) for p in history if p.status == "active"}
    for same in await store.people.same_person_members(cid):  # linked accounts: one person
        forbidden |= {(a, b) for a in same for b in same if a != b}
    seats_taken: dict[int, int] = {}
    for p in history:
        if p.status == "active":
            seats_taken[p.mentor_id] = seats_taken.get(p.mentor_id, 0) + 1
    people = await store.mentoring.round_members(cid)
    offsets = {m.id: utc_offset_minutes(m.timezone, now) for m in people.values()}
    goal_tags = _goal_finder(tags)
    requests = [r for r in await store.mentoring.open_requests(cid) if r.tag_ids]
    mentees = [
        solver.Mentee(r.member_id, r.tag_ids, offsets.get(r.member_id), goal_tags(r.goals))
        for r in requests
    ]
    offers = await store.mentoring.offers(cid)
    mentors = [
        solver.Mentor(
            o.member_id,
            o.tag_ids,
            o.capacity - seats_taken.get(o.member_id, 0),
            offsets.get(o.member_id),
        )
        for o in offers
        if o.capacity > seats_taken.get(o.member_id, 0)
    ]
    windows = {r.member_id: r.window_minutes for r in requests if r.window_minutes is not None}
    settings = await store.mentoring.settings(cid)
    return _Problem(
        mentees,
        mentors,
        weights,
        forbidden,
        windows,
        settings.allow_no_shared_tags,
        _offered(offers),
    )


def _first_step(ctx: Context, mentor: Member, mentee: Member, shared: str) -> str:
    """Worded to work both in a shared conversation and in the one-DM-each fallback."""
    topic = shared.split(", ")[0] if shared else "what you each hope to get from this"
    return (
        f"**Suggested first step:** {who(ctx.platform, mentee)}, send "
        f"{who(ctx.platform, mentor)} two times that suit you for a 30-minute call this week; "
        f"each of you brings one question about {topic}."
    )


def _intro(
    ctx: Context, mentor: Member, mentee: Member, shared: str, note: str, goals: str, days: int
) -> Message:
    """One message both sides read: who is who, what they share, and what each said."""
    ment, mentee_name = who(ctx.platform, mentor), who(ctx.platform, mentee)
    lines = [f"🤝 {ment}, meet {mentee_name}! {ment} is {mentee_name}'s new mentor."]
    if shared:
        lines.append(f"You share **{shared}**.")
    if goals:
        lines.append(f"{mentee_name}'s goals: “{quote(goals, 300)}”")
    if note:
        lines.append(f"{ment}'s note: “{quote(note, 300)}”")
    lines.append(_first_step(ctx, mentor, mentee, shared))
    lines.append(
        f"In {days} days I'll ask each of you how it's going. `{ctx.prefix}mentor status` shows "
        f"your pairings; `{ctx.prefix}mentor end` ends one."
    )
    return Message("\n".join(lines))


async def run_round(ctx: Context, problem: _Problem | None = None) -> RoundResult:
    """Solve, record and introduce: the part a moderator's round and auto-matching share."""
    problem = problem or await _problem(ctx)
    result = RoundResult(waiting=len(problem.mentees))
    pairs = await _solve(problem) if problem.mentees and problem.mentors else []
    _note_lonely(problem, {p.mentee_id for p in pairs}, result)
    if not pairs:
        return result
    names = await ctx.store.tags.names(ctx.community.id)
    members = await ctx.store.mentoring.round_members(ctx.community.id)
    days = (await ctx.store.mentoring.settings(ctx.community.id)).checkin_days
    now = ctx.clock.now()
    round_key = now.date().isoformat()
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
        await schedule_checkin(ctx.store, ctx.community.id, pair_id, 1, now)
        await ctx.store.mentoring.set_request_status(mentee.id, "matched")
        offered = await ctx.store.mentoring.get_offer(mentor.id)
        asked = await ctx.store.mentoring.get_request(mentee.id)
        note = offered.note if offered else ""
        goals = asked.goals if asked else ""
        title = f"Mentoring: {quote(mentor.label, 40)} & {quote(mentee.label, 40)}"
        message = _intro(ctx, mentor, mentee, shared, note, goals, days)
        result.introductions.append(
            SendToGroup(ctx.community.ref, (mentor.ref, mentee.ref), title, message)
        )
        result.made += 1
        result.waiting -= 1
        result.matched_mentees.add(mentee.id)
        result.matched_mentors.add(mentor.id)
    return result


def _note_lonely(problem: _Problem, matched: set[int], result: RoundResult) -> None:
    """Record which mentees left waiting share no tag with any offering mentor."""
    if problem.allow_no_shared_tags:
        return
    waiting = [m for m in problem.mentees if m.id not in matched]
    if not waiting:
        return
    had: dict[int, set[int]] = {}
    for mentee_id, mentor_id in problem.forbidden:
        had.setdefault(mentee_id, set()).add(mentor_id)
    for mentee in waiting:
        excluded = {mentee.id, *had.get(mentee.id, ())}
        if shares_no_tags(mentee.tags, problem.offered, excluded):
            result.no_shared_tags.add(mentee.id)


async def _solve(problem: _Problem) -> list[solver.Pair]:
    # CPU work: a worker thread keeps the event loop (and other platforms) alive, and outside the
    # unit's transaction every other community writes meanwhile.
    return await units.in_thread(
        windows.solve,
        problem.mentees,
        problem.mentors,
        problem.weights,
        problem.forbidden,
        problem.windows,
        problem.allow_no_shared_tags,
    )


def _modlog(ctx: Context, text: str) -> list[Action]:
    channel = ctx.community.modlog_channel
    if not channel:
        return []
    return [SendToChannel(ctx.community.ref, channel, Message(text))]


async def _preview(ctx: Context, problem: _Problem) -> list[Action]:
    pairs = await _solve(problem)
    names = await ctx.store.tags.names(ctx.community.id)
    members = await ctx.store.mentoring.round_members(ctx.community.id)
    outcome = RoundResult(made=len(pairs), waiting=len(problem.mentees) - len(pairs))
    _note_lonely(problem, {p.mentee_id for p in pairs}, outcome)
    lines = [f"**Preview** (nothing saved): {outcome.describe('to make')}"]
    for pair in pairs[:PREVIEW_LINES]:
        mentee, mentor = members.get(pair.mentee_id), members.get(pair.mentor_id)
        if mentee is None or mentor is None:
            continue
        shared = ", ".join(names.get(t, "?") for t in pair.shared) or "no tags"
        lines.append(
            f"• {who(ctx.platform, mentee)} ← {who(ctx.platform, mentor)} (shares {shared})"
        )
    if len(pairs) > PREVIEW_LINES:
        lines.append(f"… and {len(pairs) - PREVIEW_LINES} more.")
    return reply("\n".join(lines))


@handles("mentoring", "match")
async def match(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """`/mentoring match [dry_run]`: a moderator's round over every open request."""
    problem = await _problem(ctx)
    if not problem.mentees or not problem.mentors:
        return reply(
            f"Nobody to match right now: {len(problem.mentees)} open mentee request(s) and "
            f"{len(problem.mentors)} mentor(s) with a free seat."
        )
    if options.get("dry_run"):
        return await _preview(ctx, problem)
    result = await run_round(ctx, problem)
    summary = f"Mentoring round: {result.summary}"
    note = f"🤝 {who(ctx.platform, ctx.member)} ran a mentoring round: {result.summary}"
    return [*reply(summary), *result.introductions, *_modlog(ctx, note)]


async def auto_match(ctx: Context, why: str) -> RoundResult | None:
    """With the community's auto-matching on, run a round now; None when it is off.

    `why` names what triggered it for the moderators' log ("Cat's request"). Only a round that
    introduced someone is logged: a request nobody can take yet is not news.
    """
    if not (await ctx.store.mentoring.settings(ctx.community.id)).auto_match:
        return None
    result = await run_round(ctx)
    if result.made:
        result.introductions.extend(
            _modlog(ctx, f"🤝 Automatic mentor matching after {why}: {result.summary}")
        )
    return result
