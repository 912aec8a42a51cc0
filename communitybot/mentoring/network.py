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

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from communitybot import network_schedule, units
from communitybot.affiliates import modlog_note
from communitybot.context import Context
from communitybot.events import CommunityRef
from communitybot.feature import handles
from communitybot.i18n import ntr, tr, use_language
from communitybot.i18n.choice import community_language
from communitybot.introductions import Namer, Party
from communitybot.mentoring import solver, windows
from communitybot.mentoring.match import PREVIEW_LINES, _goal_finder
from communitybot.mentoring.pairing import schedule_checkin
from communitybot.models import Community, Member
from communitybot.naming import affiliate, label
from communitybot.network_matching import (
    OUTSIDE_POINTS,
    ROUND_PREFIX,
    introduce_translated,
    is_ghost,
    network_tags,
    on_off,
    readers,
    same_person_groups,
    steward_network,
)
from communitybot.network_schedule import describe
from communitybot.replies import Action, reply
from communitybot.store.jobs import Job
from communitybot.store.mentoring import NetworkSchedule
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
        tr(
            "🤝 {mentor}, meet {mentee}! {mentor} is {mentee}'s new mentor, matched across the "
            "network.",
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
    topic = shared.split(", ")[0] if shared else tr("what you each hope to get from this")
    lines.append(
        tr(
            "**Suggested first step:** {mentee}, send {mentor} two times that suit you for a "
            "30-minute call this week; each of you brings one question about {topic}.",
            mentee=mentee_name,
            mentor=ment,
            topic=topic,
        )
    )
    lines.append(tr("`{p}mentor status` shows your pairings; `{p}mentor end` ends one.", p=prefix))
    return "\n".join(lines)


async def _record(
    ctx: Context, problem: NetworkProblem, pairs: list[solver.Pair], home: Community
) -> tuple[int, int, list[Action]]:
    """Record and introduce the pairs: (made, of them across affiliates, introductions).
    `home`: the community the round runs from (the steward's, or the scheduled job's)."""
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
        title = partial(_title, mentor, mentee)

        goals = asked.goals if asked else ""
        note = offered.note if offered else ""

        def compose(
            name: Namer,
            a: Party = a,
            b: Party = b,
            words: tuple[str, str, str] = (shared, goals, note),
        ) -> str:
            return _intro_text(name, a, b, *words, ctx.prefix)

        languages = await readers(ctx, [a, b])
        actions += introduce_translated(
            ctx.platform, home.ref.platform, title, [a, b], compose, languages
        )
        made += 1
        crossing += mentor.community_id != mentee.community_id
    return made, crossing, actions


def _title(mentor: Member, mentee: Member) -> str:
    return tr(
        "Mentoring: {mentor} & {mentee}",
        mentor=quote(mentor.label, 40),
        mentee=quote(mentee.label, 40),
    )


def _modlog(community: Community | None, write: Callable[[], str]) -> list[Action]:
    """A note to `community`'s moderator log, written in its language."""
    with use_language(community_language(community)):
        return modlog_note(community, write())


@dataclass
class NetworkRound:
    """What one network mentoring round found and (unless a preview) did."""

    problem: NetworkProblem
    pairs: list[solver.Pair] = field(default_factory=list)
    made: int = 0
    crossing: int = 0
    introductions: list[Action] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nobody on one side: nothing was solved or changed."""
        return not self.problem.mentees or not self.problem.mentors

    def nobody(self, prefix: str) -> str:
        return tr(
            "Nobody to match across the network right now: {requests} open mentee request(s) "
            "and {mentors} mentor(s) with a free seat among members who chose to be found "
            "across the network (`{p}privacy discoverable network`).",
            requests=len(self.problem.mentees),
            mentors=len(self.problem.mentors),
            p=prefix,
        )

    def summary(self) -> str:
        return ntr(
            "{n} new pair(s) introduced, {crossing} of them across affiliates; {waiting} "
            "request(s) still waiting.",
            "{n} new pair(s) introduced, {crossing} of them across affiliates; {waiting} "
            "request(s) still waiting.",
            self.made,
            crossing=self.crossing,
            waiting=len(self.problem.mentees) - self.made,
        )


async def run_network_round(
    ctx: Context, network: Network, home: Community, *, dry_run: bool = False
) -> NetworkRound:
    """One network mentoring round, the steward's `network mentors match` and the scheduled
    one alike: read, solve outside the transaction, then (unless `dry_run`) record and
    introduce from `home`."""
    result = NetworkRound(await network_problem(ctx, network))
    if result.empty:
        return result
    result.pairs = await solve(result.problem)
    if not dry_run:
        made, crossing, introductions = await _record(ctx, result.problem, result.pairs, home)
        result.made, result.crossing, result.introductions = made, crossing, introductions
    return result


@handles("network", "mentors", "match")
async def network_match(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """`network mentors match [dry_run]`: a steward's round over every affiliate."""
    network = await steward_network(ctx)
    if not isinstance(network, Network):
        return network
    dry_run = bool(options.get("dry_run"))
    result = await run_network_round(ctx, network, ctx.community, dry_run=dry_run)
    problem, pairs = result.problem, result.pairs
    if result.empty:
        return reply(result.nobody(ctx.prefix))
    if dry_run:
        across = sum(
            1
            for p in pairs
            if problem.members[p.mentee_id].community_id
            != problem.members[p.mentor_id].community_id
        )
        waiting = len(problem.mentees) - len(pairs)
        prefer = on_off(bool(problem.outside_points))
        lines = [
            ntr(
                "**Preview** (nothing saved): {n} new pair(s) to make, {across} of them across "
                "affiliates; {waiting} request(s) would wait. Prefer outside: {prefer}.",
                "**Preview** (nothing saved): {n} new pair(s) to make, {across} of them across "
                "affiliates; {waiting} request(s) would wait. Prefer outside: {prefer}.",
                len(pairs),
                across=across,
                waiting=waiting,
                prefer=prefer,
            )
        ]
        for pair in pairs[:PREVIEW_LINES]:
            mentee, mentor = problem.members[pair.mentee_id], problem.members[pair.mentor_id]
            shared = ", ".join(problem.tag_names.get(t, "?") for t in pair.shared)
            lines.append(
                tr(
                    "• {mentee} ({mentee_affiliate}) ← {mentor} ({mentor_affiliate}), shares "
                    "{tags}",
                    mentee=label(mentee),
                    mentee_affiliate=affiliate(problem.refs[mentee.community_id]),
                    mentor=label(mentor),
                    mentor_affiliate=affiliate(problem.refs[mentor.community_id]),
                    tags=shared,
                )
            )
        if len(pairs) > PREVIEW_LINES:
            lines.append(ntr("… and {n} more.", "… and {n} more.", len(pairs) - PREVIEW_LINES))
        lines.append(tr("`{p}network mentors match` makes them.", p=ctx.prefix))
        return reply("\n".join(lines))

    def note() -> str:
        return tr(
            "🤝 {member} ran a network mentoring round: {summary}",
            member=label(ctx.member),
            summary=result.summary(),
        )

    return [
        *reply(tr("Network mentoring round: {summary}", summary=result.summary())),
        *result.introductions,
        *_modlog(ctx.community, note),
    ]


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
            tr(
                "Prefer mentors outside the mentee's affiliate: {state}. "
                "`{p}network mentors prefer-outside on|off` changes it.",
                state=on_off(on),
                p=ctx.prefix,
            )
        )
    on = state == "on"
    await store.put_network_prefer_outside(network.id, on)
    what = (
        tr("on: a mentor in another affiliate scores higher (someone outside your school)")
        if on
        else tr("off: only shared interests and time zones count, wherever the mentor is")
    )

    def note() -> str:
        return tr(
            "🌐 {member} set network prefer-outside {state}.",
            member=label(ctx.member),
            state=state,
        )

    return [
        *reply(tr("Network mentor matching, prefer outside: {what}.", what=what)),
        *_modlog(ctx.community, note),
    ]


# On a schedule ----------------------------------------------------------------------------------


def _settings_text(ctx: Context, settings: NetworkSchedule | None, outside: bool) -> str:
    p = ctx.prefix
    auto = network_schedule.status_line(
        settings, tr("• Automatic matching"), p, "network mentors settings auto_match=on"
    )
    return "\n".join(
        [
            tr("**Network mentoring settings**"),
            auto,
            tr(
                "• Prefer mentors outside the mentee's affiliate: {state}",
                state=on_off(outside),
            ),
            tr(
                "Change with `{p}network mentors settings auto_match=on|off "
                "every=weekly|biweekly|monthly weekday=<day> time=HH:MM timezone=<zone>` and "
                "`{p}network mentors prefer-outside on|off`.",
                p=p,
            ),
        ]
    )


@handles("network", "mentors", "settings")
async def settings(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """`network mentors settings [auto_match=on|off] [every] [weekday] [time] [timezone]`:
    show the network's mentoring settings, or run `network mentors match` on a schedule."""
    network = await steward_network(ctx)
    if not isinstance(network, Network):
        return network
    store, p = ctx.store.mentoring, ctx.prefix
    old = await store.network_schedule(network.id, "mentors")
    auto = options.get("auto_match")
    timing_given = any(options.get(k) is not None for k in ("every", "weekday", "time", "timezone"))
    if auto is None and not timing_given:
        return reply(_settings_text(ctx, old, await store.network_prefer_outside(network.id)))
    if auto is not None and not isinstance(auto, bool):
        return reply(tr("{option} must be on or off. Nothing was changed.", option="auto_match"))
    if auto is False:
        if timing_given:
            return reply(
                tr(
                    "Turning automatic matching off keeps its timing for later: leave out "
                    "`every`, `weekday`, `time` and `timezone`, or give them with "
                    "`auto_match=on`. Nothing was changed."
                )
            )
        if old is None or not old.active:
            return reply(tr("Automatic network matching is already off. Nothing was changed."))
        await network_schedule.pause(ctx, old)
        text = tr(
            "Automatic network matching is off. Stewards still run `{p}network mentors match`; "
            "`{p}network mentors settings auto_match=on` turns it on again.",
            p=p,
        )

        def off_note() -> str:
            return tr(
                "⚙️ {member} turned automatic network mentor matching off.",
                member=label(ctx.member),
            )

        return [*reply(text), *_modlog(ctx.community, off_note)]
    if auto is None and (old is None or not old.active):
        return reply(
            tr(
                "Automatic network matching is off: add `auto_match=on` to turn it on with that "
                "timing, e.g. `{p}network mentors settings auto_match=on every=weekly "
                "weekday=monday time=09:00`. Nothing was changed.",
                p=p,
            )
        )
    try:
        timing = network_schedule.read_timing(options, old, ctx.clock.now(), "every")
    except network_schedule.TIMING_ERRORS as error:
        return reply(tr("{error} Nothing was changed.", error=error))
    saved = await network_schedule.set_up(ctx, network, "mentors", timing)
    when = network_schedule.status_line(saved, tr("Automatic network mentor matching"), p, "")
    lines = [
        when,
        tr(
            "Each run is a `network mentors match`: the pairs go to everyone's own platform and "
            "the summary to this community's moderator log."
        ),
    ]
    if timing.zone.note:
        lines.append(timing.zone.note)

    def note() -> str:
        return tr(
            "⚙️ {member} scheduled network mentor matching: {schedule}.",
            member=label(ctx.member),
            schedule=describe(saved),
        )

    return [*reply("\n".join(lines)), *_modlog(ctx.community, note)]


async def run_scheduled(jctx: Context, job: Job) -> list[Action]:
    """The `network.mentors.match` job: the steward's round, run by the schedule (nothing once
    the network is gone or the schedule was paused or changed)."""
    due = await network_schedule.take_due(jctx, job, "mentors")
    if due is None:
        return []
    if due.late:
        return _modlog(
            due.home,
            lambda: tr(
                "⚠️ Scheduled network mentor matching was skipped: I was offline when it was due."
            ),
        )
    result = await run_network_round(jctx, due.network, due.home)
    if result.empty:
        return _modlog(
            due.home,
            lambda: tr(
                "🤝 Scheduled network mentoring round: {summary}",
                summary=result.nobody(jctx.prefix),
            ),
        )

    def note() -> str:
        return tr("🤝 Scheduled network mentoring round: {summary}", summary=result.summary())

    return [*result.introductions, *_modlog(due.home, note)]
