"""Mentor matching across a network: `network mentors match [dry_run]` and `network mentors
prefer-outside on|off`, run by the network's stewards.

A network round is a community round (`communitybot.mentoring.match`) over every affiliate at
once, for the members who chose to be found across the network (`privacy discoverable network`)
and have an open request or an offer with a free seat:

- The community round's hard rules hold network-wide: never an ended pair, never the reverse of
  a live pairing, capacities counted over every pairing a mentor has in any community, a
  mentee's time-zone window, a shared tag; never one person with themself. Tags by name, one
  person and the prefer-outside points are `communitybot.network_matching`'s.
- Each pairing is recorded under the mentee's community (the mentor's follows from their member
  row) and introduced on each side's own platform (`communitybot.introductions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from communitybot import units
from communitybot.context import Context
from communitybot.events import CommunityRef
from communitybot.feature import handles
from communitybot.introductions import Namer, Party, introduce
from communitybot.mentoring import solver, windows
from communitybot.mentoring.match import PREVIEW_LINES, _goal_finder
from communitybot.mentoring.pairing import schedule_checkin
from communitybot.models import Member
from communitybot.naming import affiliate, label
from communitybot.network_matching import (
    OUTSIDE_POINTS,
    ROUND_PREFIX,
    is_ghost,
    network_tags,
    same_person_groups,
    steward_network,
)
from communitybot.replies import Action, Message, SendToChannel, reply
from communitybot.store.networks import Network
from communitybot.text import quote
from communitybot.timezones import utc_offset_minutes


@dataclass
class NetworkProblem:
    """A network round's input, and what naming its outcome needs."""

    mentees: list[solver.Mentee] = field(default_factory=list)
    mentors: list[solver.Mentor] = field(default_factory=list)
    weights: dict[int, int] = field(default_factory=dict)
    forbidden: set[tuple[int, int]] = field(default_factory=set)
    windows: dict[int, int] = field(default_factory=dict)
    outside_points: int = 0
    members: dict[int, Member] = field(default_factory=dict)
    tag_names: dict[int, str] = field(default_factory=dict)
    """Network tag id → the name shown."""
    refs: dict[int, CommunityRef] = field(default_factory=dict)
    """Affiliate community id → its platform ref."""


async def network_problem(ctx: Context, network: Network) -> NetworkProblem:
    """Everything a network round needs, read from the store (inside the event's
    transaction)."""
    store = ctx.store
    now = ctx.clock.now()
    problem = NetworkProblem()
    problem.refs = dict(await store.networks.affiliate_refs(network.id))
    members = {
        k: m
        for k, m in (await store.mentoring.network_round_members(network.id)).items()
        if not is_ghost(m)
    }
    problem.members = members
    tags = await network_tags(ctx, problem.refs)
    tags_of, net_tag = tags.of_community, tags.network_id
    problem.tag_names, problem.weights = tags.names, tags.weights
    history = await store.mentoring.pairs_among(members)
    problem.forbidden = {(p.mentee_id, p.mentor_id) for p in history}
    problem.forbidden |= {(p.mentor_id, p.mentee_id) for p in history if p.status == "active"}
    for same in await same_person_groups(ctx, network.id, members):
        problem.forbidden |= {(a, b) for a in same for b in same if a != b}
    seats_taken: dict[int, int] = {}
    for p in history:
        if p.status == "active":
            seats_taken[p.mentor_id] = seats_taken.get(p.mentor_id, 0) + 1
    offsets = {m.id: utc_offset_minutes(m.timezone, now) for m in members.values()}
    for cid in problem.refs:
        goal_tags = _goal_finder(tags_of[cid])

        def mapped(ids: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(sorted({net_tag[t] for t in ids if t in net_tag}))

        for r in await store.mentoring.open_requests(cid):
            if r.member_id not in members or not r.tag_ids:
                continue
            problem.mentees.append(
                solver.Mentee(
                    r.member_id,
                    mapped(r.tag_ids),
                    offsets.get(r.member_id),
                    mapped(goal_tags(r.goals)),
                    cid,
                )
            )
            if r.window_minutes is not None:
                problem.windows[r.member_id] = r.window_minutes
        for o in await store.mentoring.offers(cid):
            free = o.capacity - seats_taken.get(o.member_id, 0)
            if o.member_id in members and free > 0:
                problem.mentors.append(
                    solver.Mentor(
                        o.member_id, mapped(o.tag_ids), free, offsets.get(o.member_id), cid
                    )
                )
    if await store.mentoring.network_prefer_outside(network.id):
        problem.outside_points = OUTSIDE_POINTS
    return problem


async def solve(problem: NetworkProblem) -> list[solver.Pair]:
    """The solve, in a worker thread outside the event's transaction (as a community round)."""
    if not problem.mentees or not problem.mentors:
        return []
    return await units.in_thread(
        windows.solve,
        problem.mentees,
        problem.mentors,
        problem.weights,
        problem.forbidden,
        problem.windows,
        False,
        problem.outside_points,
    )


def _party(problem: NetworkProblem, member: Member) -> Party:
    ref = problem.refs[member.community_id]
    return Party(member, ref, affiliate(ref))


def _intro_text(
    name: Namer, mentor: Party, mentee: Party, shared: str, goals: str, note: str, prefix: str
) -> str:
    """The introduction both sides read (each on their own platform when they differ)."""
    ment, mentee_name = name(mentor), name(mentee)
    lines = [
        f"🤝 {ment}, meet {mentee_name}! {ment} is {mentee_name}'s new mentor, matched across "
        "the network."
    ]
    if shared:
        lines.append(f"You share **{shared}**.")
    if goals:
        lines.append(f"{mentee_name}'s goals: “{quote(goals, 300)}”")
    if note:
        lines.append(f"{ment}'s note: “{quote(note, 300)}”")
    topic = shared.split(", ")[0] if shared else "what you each hope to get from this"
    lines.append(
        f"**Suggested first step:** {mentee_name}, send {ment} two times that suit you for a "
        f"30-minute call this week; each of you brings one question about {topic}."
    )
    lines.append(f"`{prefix}mentor status` shows your pairings; `{prefix}mentor end` ends one.")
    return "\n".join(lines)


async def _record(
    ctx: Context, problem: NetworkProblem, pairs: list[solver.Pair]
) -> tuple[int, int, list[Action]]:
    """Record and introduce the pairs: (made, of them across affiliates, introductions)."""
    now = ctx.clock.now()
    round_key = ROUND_PREFIX + now.date().isoformat()
    made = crossing = 0
    actions: list[Action] = []
    for pair in pairs:
        mentee, mentor = problem.members.get(pair.mentee_id), problem.members.get(pair.mentor_id)
        if mentee is None or mentor is None:
            continue
        shared = ", ".join(problem.tag_names.get(t, "?") for t in pair.shared)
        pair_id = await ctx.store.mentoring.add_pair(
            mentee.community_id, mentor.id, mentee.id, round_key, pair.score, shared, now
        )
        if pair_id is None:
            continue
        await schedule_checkin(ctx.store, mentee.community_id, pair_id, 1, now)
        await ctx.store.mentoring.set_request_status(mentee.id, "matched")
        offered = await ctx.store.mentoring.get_offer(mentor.id)
        asked = await ctx.store.mentoring.get_request(mentee.id)
        a, b = _party(problem, mentor), _party(problem, mentee)
        title = f"Mentoring: {quote(mentor.label, 40)} & {quote(mentee.label, 40)}"

        goals = asked.goals if asked else ""
        note = offered.note if offered else ""

        def compose(
            name: Namer,
            a: Party = a,
            b: Party = b,
            words: tuple[str, str, str] = (shared, goals, note),
        ) -> str:
            return _intro_text(name, a, b, *words, ctx.prefix)

        actions += introduce(ctx.platform, ctx.community.ref.platform, title, [a, b], compose)
        made += 1
        crossing += mentor.community_id != mentee.community_id
    return made, crossing, actions


def _modlog(ctx: Context, text: str) -> list[Action]:
    channel = ctx.community.modlog_channel
    return [SendToChannel(ctx.community.ref, channel, Message(text))] if channel else []


@handles("network", "mentors", "match")
async def network_match(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """`network mentors match [dry_run]`: a steward's round over every affiliate."""
    network = await steward_network(ctx)
    if not isinstance(network, Network):
        return network
    problem = await network_problem(ctx, network)
    if not problem.mentees or not problem.mentors:
        return reply(
            f"Nobody to match across the network right now: {len(problem.mentees)} open mentee "
            f"request(s) and {len(problem.mentors)} mentor(s) with a free seat among members "
            f"who chose to be found across the network (`{ctx.prefix}privacy discoverable "
            "network`)."
        )
    pairs = await solve(problem)
    across = sum(
        1
        for p in pairs
        if problem.members[p.mentee_id].community_id != problem.members[p.mentor_id].community_id
    )
    waiting = len(problem.mentees) - len(pairs)
    prefer = "on" if problem.outside_points else "off"
    if options.get("dry_run"):
        lines = [
            f"**Preview** (nothing saved): {len(pairs)} new pair(s) to make, {across} of them "
            f"across affiliates; {waiting} request(s) would wait. Prefer outside: {prefer}."
        ]
        for pair in pairs[:PREVIEW_LINES]:
            mentee, mentor = problem.members[pair.mentee_id], problem.members[pair.mentor_id]
            shared = ", ".join(problem.tag_names.get(t, "?") for t in pair.shared)
            lines.append(
                f"• {label(mentee)} ({affiliate(problem.refs[mentee.community_id])}) ← "
                f"{label(mentor)} ({affiliate(problem.refs[mentor.community_id])}), "
                f"shares {shared}"
            )
        if len(pairs) > PREVIEW_LINES:
            lines.append(f"… and {len(pairs) - PREVIEW_LINES} more.")
        lines.append(f"`{ctx.prefix}network mentors match` makes them.")
        return reply("\n".join(lines))
    made, crossing, introductions = await _record(ctx, problem, pairs)
    summary = (
        f"{made} new pair(s) introduced, {crossing} of them across affiliates; "
        f"{len(problem.mentees) - made} request(s) still waiting."
    )
    note = f"🤝 {label(ctx.member)} ran a network mentoring round: {summary}"
    return [*reply(f"Network mentoring round: {summary}"), *introductions, *_modlog(ctx, note)]


@handles("network", "mentors", "prefer-outside")
async def prefer_outside(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """`network mentors prefer-outside [on|off]`: show or change the network's preference."""
    network = await steward_network(ctx)
    if not isinstance(network, Network):
        return network
    store = ctx.store.mentoring
    state = options.get("state")
    if state is None:
        on = await store.network_prefer_outside(network.id)
        return reply(
            f"Prefer mentors outside the mentee's affiliate: {'on' if on else 'off'}. "
            f"`{ctx.prefix}network mentors prefer-outside on|off` changes it."
        )
    on = state == "on"
    await store.put_network_prefer_outside(network.id, on)
    what = (
        "on: a mentor in another affiliate scores higher (someone outside your school)"
        if on
        else "off: only shared interests and time zones count, wherever the mentor is"
    )
    return [
        *reply(f"Network mentor matching, prefer outside: {what}."),
        *_modlog(ctx, f"🌐 {label(ctx.member)} set network prefer-outside {state}."),
    ]
