"""Peer rounds across a network: `network rounds run [dry_run]`, run by the network's stewards.

Who takes part: members of every affiliate who joined their community's peer rounds (`rounds
join`, active, not on hold) and chose to be found across the network (`privacy discoverable
network`). One person takes part once: of several accounts of one person (linked, or one
platform account in two affiliates) only the first is in the round, so nobody meets themself.
Tags are matched by name across affiliates and weighted by the network's rarity
(`network_matching.network_tags`); the no-repeat window is each community's (recent pairs of
every affiliate's rounds count). With the network's `network mentors prefer-outside` on (the
default, one preference for mentoring and rounds), two members of different affiliates score
`OUTSIDE_POINTS` more (`communitybot.network_matching`).

The round is recorded as a round of the steward's community with key `network:<date>` (once a
day), its groups as that round's groups: follow-ups, `rounds status`, `rounds met` and
`network stats` read them like any other. Each group is introduced on each member's own
platform (`communitybot.introductions`).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from communitybot import network_schedule, units
from communitybot.affiliates import modlog_note
from communitybot.chats.schedule import heads_up, problems
from communitybot.context import Context
from communitybot.feature import handles
from communitybot.i18n import ntr, tr, use_language
from communitybot.i18n.choice import community_language
from communitybot.introductions import Namer, Party
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
from communitybot.rounds.commands import PREVIEW_LINES
from communitybot.rounds.runs import (
    DEFAULT_NO_REPEAT,
    FOLLOW_UP,
    FOLLOW_UP_AFTER,
    RECONFIRM_AFTER,
    Trigger,
)
from communitybot.rounds.schedule import parse_frequency
from communitybot.rounds.solver import Member as Peer
from communitybot.rounds.solver import pair_round
from communitybot.store.jobs import Job, NewJob
from communitybot.store.networks import Network
from communitybot.store.rounds import group_key
from communitybot.text import quote
from communitybot.timezones import describe_zone, utc_offset_minutes


async def _eligible(ctx: Context, network: Network, refs: dict[int, Any]) -> list[Member]:
    """Active participants of every affiliate who chose the network scope, one per person."""
    store = ctx.store
    found: dict[int, Member] = {}
    for cid in refs:
        silent = await store.rounds.silent(cid, RECONFIRM_AFTER)
        people = await store.rounds.members(cid)
        for p in await store.rounds.participants(cid):
            member = people.get(p.member_id)
            if p.status != "active" or p.member_id in silent or member is None:
                continue
            if member.discoverable and member.network_visible and not is_ghost(member):
                found[member.id] = member
    for same in await same_person_groups(ctx, network.id, found):
        for extra in same[1:]:  # one person meets others once, never themself
            found.pop(extra, None)
    return [found[k] for k in sorted(found)]


def _text(name: Namer, parties: list[Party], shared: list[str], days: int, prefix: str) -> str:
    """A network group's introduction, each reader's copy naming people as `name` says."""
    if len(parties) == 2:
        hello = tr(
            "🤝 **Peer round across the network** — {first}, meet {second}!",
            first=name(parties[0]),
            second=name(parties[1]),
        )
    else:
        listed = tr(
            "{items} and {last}",
            items=", ".join(name(p) for p in parties[:-1]),
            last=name(parties[-1]),
        )
        hello = tr(
            "🤝 **Peer round across the network** — {people}, meet each other!", people=listed
        )
    common = (
        tr("You share **{tags}**.", tags=", ".join(shared))
        if shared
        else tr("You don't share a listed interest yet, which makes for a good first question.")
    )
    topic = shared[0] if shared else tr("what you're working on this term")
    return "\n".join(
        [
            hello,
            common,
            tr(
                "Suggested first step: one of you proposes two 30-minute slots this week, and "
                "each of you brings one question about {topic}.",
                topic=topic,
            ),
            ntr(
                "In {n} day I'll ask whether you met. `{p}rounds status` shows your rounds.",
                "In {n} days I'll ask whether you met. `{p}rounds status` shows your rounds.",
                days,
                p=prefix,
            ),
        ]
    )


def _title(names: list[str]) -> str:
    return tr("Peer round: {names}", names=" & ".join(names))


def _modlog(community: Community | None, write: Callable[[], str]) -> list[Action]:
    """A note to `community`'s moderator log, written in its language."""
    with use_language(community_language(community)):
        return modlog_note(community, write())


@dataclass
class NetworkPeerRound:
    """What one network peer round found and (unless a preview) did."""

    key: str
    eligible: int = 0
    groups: list[str] = field(default_factory=list)
    """Each group as the preview lists it: its members with their affiliates, shared tags."""
    across: int = 0
    outside: bool = False
    introduced: int = 0
    already_ran: bool = False
    actions: list[Action] = field(default_factory=list)

    def nobody(self, prefix: str) -> str:
        return ntr(
            "Nobody to pair across the network: {n} member(s) take part in peer rounds "
            "(`{p}rounds join`) and chose to be found across the network "
            "(`{p}privacy discoverable network`); a round needs at least 2.",
            "Nobody to pair across the network: {n} member(s) take part in peer rounds "
            "(`{p}rounds join`) and chose to be found across the network "
            "(`{p}privacy discoverable network`); a round needs at least 2.",
            self.eligible,
            p=prefix,
        )

    def summary(self) -> str:
        return tr(
            "Network peer round {key}: {introduced} group(s) introduced, {across} across "
            "affiliates, of {eligible} member(s).",
            key=self.key,
            introduced=self.introduced,
            across=self.across,
            eligible=self.eligible,
        )


async def ran_today(ctx: Context, key: str, refs: Iterable[int]) -> bool:
    """Whether any affiliate already recorded the network round `key` (once a day for the whole
    network: a steward's run, another steward's in another affiliate, or the scheduled one)."""
    for cid in refs:
        if await ctx.store.rounds.round_id(cid, key) is not None:
            return True
    return False


async def run_network_round(
    ctx: Context,
    network: Network,
    home: Community,
    trigger: Trigger,
    *,
    dry_run: bool = False,
) -> NetworkPeerRound:
    """One network peer round, the steward's `network rounds run` and the scheduled one alike:
    read, solve outside the transaction, then (unless `dry_run`) record it as a round of
    `home` and introduce every group on each member's own platform."""
    store, now, p = ctx.store, ctx.clock.now(), ctx.prefix
    result = NetworkPeerRound(ROUND_PREFIX + now.date().isoformat())
    key = result.key
    refs = dict(await store.networks.affiliate_refs(network.id))
    if not dry_run and await ran_today(ctx, key, [home.id, *refs]):
        result.already_ran = True
        return result
    eligible = await _eligible(ctx, network, refs)
    result.eligible = len(eligible)
    if len(eligible) < 2:
        return result
    tags = await network_tags(ctx, refs)
    tags_of: dict[int, tuple[int, ...]] = {}
    recent: set[tuple[int, int]] = set()
    for cid in refs:
        for member_id, ids in (await store.rounds.tags_of(cid)).items():
            tags_of[member_id] = tuple(sorted({tags.network_id[t] for t in ids}))
        settings = await store.rounds.settings(cid)
        window = settings.no_repeat_rounds if settings else DEFAULT_NO_REPEAT
        recent |= await store.rounds.recent_pairs(cid, window)
    outside = OUTSIDE_POINTS if await store.mentoring.network_prefer_outside(network.id) else 0
    result.outside = bool(outside)
    peers = [
        Peer(m.id, tags_of.get(m.id, ()), utc_offset_minutes(m.timezone, now), m.community_id)
        for m in eligible
    ]
    seed = zlib.crc32(f"network:{network.id}:{key}".encode())
    solved = await units.in_thread(_pair_outside, peers, tags.weights, recent, seed, outside)
    by_id = {m.id: m for m in eligible}
    groups = [tuple(sorted(ids)) for ids in solved if len(ids) > 1]

    def shared(ids: tuple[int, ...]) -> list[str]:
        counts: dict[int, int] = {}
        for i in ids:
            for t in tags_of.get(i, ()):
                counts[t] = counts.get(t, 0) + 1
        common = [t for t, n in counts.items() if n > 1]
        common.sort(key=lambda t: (-counts[t], -tags.weights.get(t, 0), tags.names[t]))
        return [tags.names[t] for t in common[:4]]

    def crossing(ids: tuple[int, ...]) -> bool:
        return len({by_id[i].community_id for i in ids}) > 1

    result.across = sum(1 for g in groups if crossing(g))
    for ids in groups:
        people = ", ".join(
            f"{label(by_id[i])} ({affiliate(refs[by_id[i].community_id])})" for i in ids
        )
        result.groups.append(f"{people} ({', '.join(shared(ids)) or tr('no shared tags')})")
    if dry_run:
        return result
    round_id = await store.rounds.add_round(home.id, key, trigger, now)
    if round_id is None:  # pragma: no cover - checked above, inside the same transaction
        result.already_ran = True
        return result
    recorded = [(ids, ", ".join(shared(ids))) for ids in groups]
    created = await store.rounds.add_groups(round_id, home.id, recorded, now)
    due = now + FOLLOW_UP_AFTER
    days = round(FOLLOW_UP_AFTER.total_seconds() / 86400)
    follow_ups: list[NewJob] = []
    for ids in groups:
        group_id = created.get(group_key(round_id, ids))
        if group_id is None:
            continue
        result.introduced += 1
        follow_ups.append(
            NewJob(FOLLOW_UP, due, f"{FOLLOW_UP}:{group_id}", {"group": group_id}, home.id)
        )
        parties = [
            Party(by_id[i], refs[by_id[i].community_id], affiliate(refs[by_id[i].community_id]))
            for i in ids
        ]
        title = partial(_title, [quote(by_id[i].label, 40) for i in ids])
        words = shared(ids)

        def compose(name: Namer, parties: list[Party] = parties, words: list[str] = words) -> str:
            return _text(name, parties, words, days, p)

        languages = await readers(ctx, parties)
        result.actions += introduce_translated(
            ctx.platform, home.ref.platform, title, parties, compose, languages
        )
    await store.jobs.schedule_many(follow_ups, now)
    return result


@handles("network", "rounds", "run")
async def network_round(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """`network rounds run [dry_run]`: a steward's peer round over every affiliate."""
    network = await steward_network(ctx)
    if not isinstance(network, Network):
        return network
    dry_run = bool(options.get("dry_run"))
    result = await run_network_round(ctx, network, ctx.community, "manual", dry_run=dry_run)
    if result.already_ran:
        return reply(
            tr(
                "Today's network peer round ({key}) has already run. Nothing was changed.",
                key=result.key,
            )
        )
    if result.eligible < 2:
        return reply(tr("{error} Nothing was changed.", error=result.nobody(ctx.prefix)))
    if dry_run:
        lines = [
            tr(
                "**Preview** (nothing saved, nobody told): {groups} group(s) of {eligible} "
                "member(s), {across} across affiliates. Prefer outside: {prefer}.",
                groups=len(result.groups),
                eligible=result.eligible,
                across=result.across,
                prefer=on_off(result.outside),
            )
        ]
        lines += [f"• {group}" for group in result.groups[:PREVIEW_LINES]]
        if len(result.groups) > PREVIEW_LINES:
            more = len(result.groups) - PREVIEW_LINES
            lines.append(ntr("… and {n} more.", "… and {n} more.", more))
        return reply("\n".join(lines))

    def note() -> str:
        return tr(
            "🤝 {member} ran a network peer round. {summary}",
            member=label(ctx.member),
            summary=result.summary(),
        )

    return [*reply(result.summary()), *result.actions, *_modlog(ctx.community, note)]


def _pair_outside(
    peers: list[Peer],
    weights: dict[int, int],
    recent: set[tuple[int, int]],
    seed: int,
    outside: int,
) -> list[tuple[int, ...]]:
    """`pair_round` with the points for crossing affiliates (a plain function for a thread)."""
    return pair_round(peers, weights, recent, seed, outside_points=outside)


# On a schedule ----------------------------------------------------------------------------------


@handles("network", "rounds", "setup")
async def setup(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """`network rounds setup <weekly|biweekly|monthly> [weekday] [time] [timezone]`: run
    `network rounds run` by itself, at the steward's local time."""
    network = await steward_network(ctx)
    if not isinstance(network, Network):
        return network
    p, now = ctx.prefix, ctx.clock.now()
    try:  # as `rounds setup`: what is left out takes its default, not the earlier value
        frequency = parse_frequency(str(options.get("frequency") or ""))
        timing = network_schedule.read_timing(
            {**options, "frequency": frequency}, None, now, "frequency"
        )
    except network_schedule.TIMING_ERRORS as error:
        return reply(tr("{error} Nothing was changed.", error=error))
    saved = await network_schedule.set_up(ctx, network, "rounds", timing)
    lines = [
        network_schedule.status_line(saved, tr("Network peer rounds are on"), p, ""),
        tr(
            "Each is a `network rounds run`: members of every affiliate who joined their "
            "community's rounds (`{p}rounds join`) and chose `{p}privacy discoverable network`, "
            "once a day at most.",
            p=p,
        ),
    ]
    if not options.get("timezone"):
        lines.append(
            tr(
                "No time zone was given, so the time is {zone}. Add e.g. "
                "`timezone=Europe/London` to use yours.",
                zone=describe_zone(timing.zone.name),
            )
        )
    if timing.zone.note:
        lines.append(timing.zone.note)
    notes = problems(timing.schedule, now)
    if notes:
        lines += heads_up(notes[:3])

    def note() -> str:
        return tr(
            "⚙️ {member} scheduled network peer rounds: {schedule}.",
            member=label(ctx.member),
            schedule=describe(saved),
        )

    return [*reply("\n".join(lines)), *_modlog(ctx.community, note)]


@handles("network", "rounds", "pause")
async def pause(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """`network rounds pause`: no more scheduled network rounds until `resume`."""
    network = await steward_network(ctx)
    if not isinstance(network, Network):
        return network
    p = ctx.prefix
    old = await ctx.store.mentoring.network_schedule(network.id, "rounds")
    if old is None or not old.active:
        return reply(
            tr(
                "Network peer rounds aren't scheduled, so there is nothing to pause. "
                "`{p}network rounds setup weekly` schedules them.",
                p=p,
            )
        )
    await network_schedule.pause(ctx, old)
    text = tr(
        "Network peer rounds are paused ({schedule} when on). `{p}network rounds resume` starts "
        "them again; `{p}network rounds run` runs one now.",
        schedule=describe(old),
        p=p,
    )

    def note() -> str:
        return tr("⚙️ {member} paused network peer rounds.", member=label(ctx.member))

    return [*reply(text), *_modlog(ctx.community, note)]


@handles("network", "rounds", "resume")
async def resume(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """`network rounds resume`: the paused schedule again, from its next time."""
    network = await steward_network(ctx)
    if not isinstance(network, Network):
        return network
    p = ctx.prefix
    old = await ctx.store.mentoring.network_schedule(network.id, "rounds")
    if old is None:
        return reply(
            tr(
                "Network peer rounds were never scheduled: `{p}network rounds setup weekly "
                "monday 09:00 Europe/London` (for example) schedules them.",
                p=p,
            )
        )
    if old.active:
        return reply(
            network_schedule.status_line(old, tr("Network peer rounds are already on"), p, "")
        )
    timing = network_schedule.timing_of(old, ctx.clock.now())
    saved = await network_schedule.set_up(ctx, network, "rounds", timing)
    text = network_schedule.status_line(saved, tr("Network peer rounds are on again"), p, "")

    def note() -> str:
        return tr(
            "⚙️ {member} resumed network peer rounds: {schedule}.",
            member=label(ctx.member),
            schedule=describe(saved),
        )

    return [*reply(text), *_modlog(ctx.community, note)]


@handles("network", "rounds", "status")
async def status(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """`network rounds status`: when network peer rounds run by themselves, and the last one."""
    network = await steward_network(ctx)
    if not isinstance(network, Network):
        return network
    p = ctx.prefix
    settings = await ctx.store.mentoring.network_schedule(network.id, "rounds")
    lines = [
        network_schedule.status_line(
            settings, tr("Network peer rounds"), p, "network rounds setup weekly"
        )
    ]
    key = ROUND_PREFIX + ctx.clock.now().date().isoformat()
    refs = [cid for cid, _ in await ctx.store.networks.affiliate_refs(network.id)]
    if await ran_today(ctx, key, refs):
        lines.append(tr("Today's network peer round ({key}) has run.", key=key))
    lines.append(
        f"`{p}network rounds setup <weekly|biweekly|monthly> [weekday] [time] [timezone]`, "
        f"`{p}network rounds pause`, `{p}network rounds resume`."
    )
    return reply("\n".join(lines))


async def run_scheduled(jctx: Context, job: Job) -> list[Action]:
    """The `network.rounds.run` job: the steward's round, run by the schedule (nothing once the
    network is gone or the schedule was paused or changed; nothing twice in a day)."""
    due = await network_schedule.take_due(jctx, job, "rounds")
    if due is None:
        return []
    if due.late:
        return _modlog(
            due.home, lambda: tr("⚠️ A scheduled network peer round was skipped: I was offline.")
        )
    result = await run_network_round(jctx, due.network, due.home, "schedule")

    def note() -> str:
        if result.already_ran:
            return tr(
                "🤝 Scheduled network peer round: today's ({key}) had already run.",
                key=result.key,
            )
        if result.eligible < 2:
            return tr(
                "🤝 Scheduled network peer round: {summary}", summary=result.nobody(jctx.prefix)
            )
        return tr("🤝 Scheduled: {summary}", summary=result.summary())

    return [*result.actions, *_modlog(due.home, note)]
