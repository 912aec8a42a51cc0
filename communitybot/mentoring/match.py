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
from functools import partial
from typing import Any

from communitybot import units
from communitybot.context import Context
from communitybot.feature import handles
from communitybot.i18n import N_, ntr, tr, use_language
from communitybot.i18n.choice import community_language
from communitybot.mentoring import solver, windows
from communitybot.mentoring.pairing import introduce_each, schedule_checkin, who
from communitybot.mentoring.scoring import rarity_weights
from communitybot.models import Member, Tag
from communitybot.replies import Action, Message, SendToChannel, reply
from communitybot.store.mentoring import MentorOffer
from communitybot.text import quote
from communitybot.timezones import utc_offset_minutes

PREVIEW_LINES = 20
NO_SHARED_TAGS = N_("No mentor shares your tags yet; you'll be matched when one does.")
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
        return self.describe(preview=False)

    def describe(self, *, preview: bool) -> str:
        """The round in one line (in the current language): pairs introduced (or, in a
        `preview`, to make), requests still waiting and why."""
        if preview:
            made = ntr("{n} new pair(s) to make", "{n} new pair(s) to make", self.made)
        else:
            made = ntr("{n} new pair(s) introduced", "{n} new pair(s) introduced", self.made)
        if not self.waiting:
            return tr("{made}, no request waiting.", made=made)
        lonely = len(self.no_shared_tags)
        free = self.waiting - lonely
        waiting = ntr("{n} request(s) still waiting", "{n} request(s) still waiting", self.waiting)
        lonely_text = ntr(
            "{n} because no mentor shares their tags yet",
            "{n} because no mentor shares their tags yet",
            lonely,
        )
        free_text = ntr(
            "{n} for a mentor with a free seat", "{n} for a mentor with a free seat", free
        )
        if lonely and free > 0:
            why = tr("{lonely} and {free}", lonely=lonely_text, free=free_text)
        else:
            why = lonely_text if lonely else free_text
        return tr("{made}, {waiting}: {why}.", made=made, waiting=waiting, why=why)


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
    topic = shared.split(", ")[0] if shared else tr("what you each hope to get from this")
    return tr(
        "**Suggested first step:** {mentee}, send {mentor} two times that suit you for a "
        "30-minute call this week; each of you brings one question about {topic}.",
        mentee=who(ctx.platform, mentee),
        mentor=who(ctx.platform, mentor),
        topic=topic,
    )


def _intro(
    ctx: Context, mentor: Member, mentee: Member, shared: str, note: str, goals: str, days: int
) -> Message:
    """One message both sides read: who is who, what they share, and what each said."""
    ment, mentee_name = who(ctx.platform, mentor), who(ctx.platform, mentee)
    lines = [
        tr(
            "🤝 {mentor}, meet {mentee}! {mentor} is {mentee}'s new mentor.",
            mentor=ment,
            mentee=mentee_name,
        )
    ]
    if shared:
        lines.append(tr("You share **{tags}**.", tags=shared))
    if goals:
        lines.append(tr("{mentee}'s goals: “{goals}”", mentee=mentee_name, goals=quote(goals, 300)))
    if note:
        lines.append(tr("{mentor}'s note: “{note}”", mentor=ment, note=quote(note, 300)))
    lines.append(_first_step(ctx, mentor, mentee, shared))
    lines.append(
        ntr(
            "In {n} day I'll ask each of you how it's going. `{p}mentor status` shows your "
            "pairings; `{p}mentor end` ends one.",
            "In {n} days I'll ask each of you how it's going. `{p}mentor status` shows your "
            "pairings; `{p}mentor end` ends one.",
            days,
            p=ctx.prefix,
        )
    )
    return Message("\n".join(lines))


def _title(mentor: Member, mentee: Member) -> str:
    return tr(
        "Mentoring: {mentor} & {mentee}",
        mentor=quote(mentor.label, 40),
        mentee=quote(mentee.label, 40),
    )


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

        title = partial(_title, mentor, mentee)
        message = partial(_intro, ctx, mentor, mentee, shared, note, goals, days)
        result.introductions.extend(introduce_each(ctx.community, (mentor, mentee), title, message))
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


def _modlog(ctx: Context, write: Callable[[], str]) -> list[Action]:
    """A note to the moderators' log, written in the community's language (`write` builds it
    inside that language)."""
    channel = ctx.community.modlog_channel
    if not channel:
        return []
    with use_language(community_language(ctx.community)):
        text = write()
    return [SendToChannel(ctx.community.ref, channel, Message(text))]


async def _preview(ctx: Context, problem: _Problem) -> list[Action]:
    pairs = await _solve(problem)
    names = await ctx.store.tags.names(ctx.community.id)
    members = await ctx.store.mentoring.round_members(ctx.community.id)
    outcome = RoundResult(made=len(pairs), waiting=len(problem.mentees) - len(pairs))
    _note_lonely(problem, {p.mentee_id for p in pairs}, outcome)
    lines = [tr("**Preview** (nothing saved): {summary}", summary=outcome.describe(preview=True))]
    for pair in pairs[:PREVIEW_LINES]:
        mentee, mentor = members.get(pair.mentee_id), members.get(pair.mentor_id)
        if mentee is None or mentor is None:
            continue
        shared = ", ".join(names.get(t, "?") for t in pair.shared) or tr("no tags")
        lines.append(
            tr(
                "• {mentee} ← {mentor} (shares {tags})",
                mentee=who(ctx.platform, mentee),
                mentor=who(ctx.platform, mentor),
                tags=shared,
            )
        )
    if len(pairs) > PREVIEW_LINES:
        more = len(pairs) - PREVIEW_LINES
        lines.append(ntr("… and {n} more.", "… and {n} more.", more))
    return reply("\n".join(lines))


@handles("mentoring", "match")
async def match(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """`/mentoring match [dry_run]`: a moderator's round over every open request."""
    problem = await _problem(ctx)
    if not problem.mentees or not problem.mentors:
        return reply(
            tr(
                "Nobody to match right now: {requests} open mentee request(s) and {mentors} "
                "mentor(s) with a free seat.",
                requests=len(problem.mentees),
                mentors=len(problem.mentors),
            )
        )
    if options.get("dry_run"):
        return await _preview(ctx, problem)
    result = await run_round(ctx, problem)
    summary = tr("Mentoring round: {summary}", summary=result.summary)

    def note() -> str:
        return tr(
            "🤝 {member} ran a mentoring round: {summary}",
            member=who(ctx.platform, ctx.member),
            summary=result.summary,
        )

    return [*reply(summary), *result.introductions, *_modlog(ctx, note)]


async def auto_match(ctx: Context, why: Callable[[], str]) -> RoundResult | None:
    """With the community's auto-matching on, run a round now; None when it is off.

    `why` names what triggered it for the moderators' log ("Cat's request"; a function, so it is
    written in the community's language). Only a round that
    introduced someone is logged: a request nobody can take yet is not news.
    """
    if not (await ctx.store.mentoring.settings(ctx.community.id)).auto_match:
        return None
    result = await run_round(ctx)
    if result.made:

        def note() -> str:
            return tr(
                "🤝 Automatic mentor matching after {why}: {summary}",
                why=why(),
                summary=result.summary,
            )

        result.introductions.extend(_modlog(ctx, note))
    return result
