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
from typing import Any

from communitybot import units
from communitybot.context import Context
from communitybot.feature import handles
from communitybot.introductions import Namer, Party, introduce
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
from communitybot.rounds.commands import PREVIEW_LINES
from communitybot.rounds.runs import DEFAULT_NO_REPEAT, FOLLOW_UP, FOLLOW_UP_AFTER, RECONFIRM_AFTER
from communitybot.rounds.solver import Member as Peer
from communitybot.rounds.solver import pair_round
from communitybot.store.jobs import NewJob
from communitybot.store.networks import Network
from communitybot.store.rounds import group_key
from communitybot.text import quote
from communitybot.timezones import utc_offset_minutes


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
        hello = f"{name(parties[0])}, meet {name(parties[1])}!"
    else:
        listed = ", ".join(name(p) for p in parties[:-1]) + f" and {name(parties[-1])}"
        hello = f"{listed}, meet each other!"
    common = (
        f"You share **{', '.join(shared)}**."
        if shared
        else "You don't share a listed interest yet, which makes for a good first question."
    )
    topic = shared[0] if shared else "what you're working on this term"
    return "\n".join(
        [
            f"🤝 **Peer round across the network** — {hello}",
            common,
            "Suggested first step: one of you proposes two 30-minute slots this week, and each "
            f"of you brings one question about {topic}.",
            f"In {days} days I'll ask whether you met. `{prefix}rounds status` shows your rounds.",
        ]
    )


@handles("network", "rounds", "run")
async def network_round(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """`network rounds run [dry_run]`: a steward's peer round over every affiliate."""
    network = await steward_network(ctx)
    if not isinstance(network, Network):
        return network
    store, now, p = ctx.store, ctx.clock.now(), ctx.prefix
    key = ROUND_PREFIX + now.date().isoformat()
    dry_run = bool(options.get("dry_run"))
    if not dry_run and await store.rounds.round_id(ctx.community.id, key) is not None:
        return reply(f"Today's network peer round ({key}) has already run. Nothing was changed.")
    refs = dict(await store.networks.affiliate_refs(network.id))
    eligible = await _eligible(ctx, network, refs)
    if len(eligible) < 2:
        return reply(
            f"Nobody to pair across the network: {len(eligible)} member(s) take part in peer "
            f"rounds (`{p}rounds join`) and chose to be found across the network "
            f"(`{p}privacy discoverable network`); a round needs at least 2. Nothing was changed."
        )
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

    across = sum(1 for g in groups if crossing(g))
    if dry_run:
        lines = [
            f"**Preview** (nothing saved, nobody told): {len(groups)} group(s) of "
            f"{len(eligible)} member(s), {across} across affiliates. Prefer outside: "
            f"{'on' if outside else 'off'}."
        ]
        for ids in groups[:PREVIEW_LINES]:
            people = ", ".join(
                f"{label(by_id[i])} ({affiliate(refs[by_id[i].community_id])})" for i in ids
            )
            lines.append(f"• {people} ({', '.join(shared(ids)) or 'no shared tags'})")
        if len(groups) > PREVIEW_LINES:
            lines.append(f"… and {len(groups) - PREVIEW_LINES} more.")
        return reply("\n".join(lines))
    round_id = await store.rounds.add_round(ctx.community.id, key, "manual", now)
    if round_id is None:
        return reply(f"Today's network peer round ({key}) has already run. Nothing was changed.")
    recorded = [(ids, ", ".join(shared(ids))) for ids in groups]
    created = await store.rounds.add_groups(round_id, ctx.community.id, recorded, now)
    due = now + FOLLOW_UP_AFTER
    days = round(FOLLOW_UP_AFTER.total_seconds() / 86400)
    actions: list[Action] = []
    follow_ups: list[NewJob] = []
    introduced = 0
    for ids in groups:
        group_id = created.get(group_key(round_id, ids))
        if group_id is None:
            continue
        introduced += 1
        follow_ups.append(
            NewJob(FOLLOW_UP, due, f"{FOLLOW_UP}:{group_id}", {"group": group_id}, ctx.community.id)
        )
        parties = [
            Party(by_id[i], refs[by_id[i].community_id], affiliate(refs[by_id[i].community_id]))
            for i in ids
        ]
        title = "Peer round: " + " & ".join(quote(by_id[i].label, 40) for i in ids)
        words = shared(ids)

        def compose(name: Namer, parties: list[Party] = parties, words: list[str] = words) -> str:
            return _text(name, parties, words, days, p)

        actions += introduce(ctx.platform, ctx.community.ref.platform, title, parties, compose)
    await store.jobs.schedule_many(follow_ups, now)
    summary = (
        f"Network peer round {key}: {introduced} group(s) introduced, {across} across "
        f"affiliates, of {len(eligible)} member(s)."
    )
    modlog = ctx.community.modlog_channel
    if modlog:
        note = Message(f"🤝 {label(ctx.member)} ran a network peer round. {summary}")
        actions.append(SendToChannel(ctx.community.ref, modlog, note))
    return [*reply(summary), *actions]


def _pair_outside(
    peers: list[Peer],
    weights: dict[int, int],
    recent: set[tuple[int, int]],
    seed: int,
    outside: int,
) -> list[tuple[int, ...]]:
    """`pair_round` with the points for crossing affiliates (a plain function for a thread)."""
    return pair_round(peers, weights, recent, seed, outside_points=outside)
