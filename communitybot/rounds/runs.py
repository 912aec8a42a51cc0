"""Running one peer round: who is in, the solve, the introductions, and the follow-ups after.

A round (from `/rounds run` or the `rounds.run` job) reads everyone opted in, puts on hold the
members who left their last `RECONFIRM_AFTER` follow-ups unanswered (and asks them once whether
they're still in), then pairs the rest in a worker thread (`rounds.solver.pair_round`: shared
tags weighted by rarity, time-zone fit, no repeat within the no-repeat window, one trio for an
odd count). Every group is stored under its idempotency key *before* its introduction is
returned, and the round itself is unique per community and local date, so a replay adds nothing.
Each group gets a `rounds.followup` job a few days later asking "did you meet?".
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Literal

from communitybot import units
from communitybot.context import Context
from communitybot.i18n import N_, ntr, tr, use_language
from communitybot.i18n.choice import member_language
from communitybot.mentoring.pairing import introduce_each
from communitybot.mentoring.scoring import rarity_weights
from communitybot.models import Community, Member
from communitybot.naming import who
from communitybot.ports import ChatPlatform
from communitybot.replies import Action, Choice, Message, Prompt, SendDirect
from communitybot.rounds.solver import Member as Peer
from communitybot.rounds.solver import pair_round
from communitybot.store.jobs import Job, NewJob
from communitybot.store.rounds import RoundSettings, group_key
from communitybot.text import quote
from communitybot.timezones import format_offset, offset_distance, utc_offset_minutes

FOLLOW_UP = "rounds.followup"
FOLLOW_UP_AFTER = timedelta(days=5)
"""When a group is asked whether they met (earlier if the next round comes sooner)."""
FOLLOW_UP_AT_LEAST = timedelta(days=1)
RECONFIRM_AFTER = 2
"""Unanswered follow-ups in a row after which a member is not matched until they re-confirm."""
DEFAULT_NO_REPEAT = 6
MAX_SHARED = 4
MET_PREFIX = "rounds:met:"
REJOIN_ID = "rounds:rejoin"
MET_CHOICES = (
    Choice("yes", N_("Yes, we met")),
    Choice("no", N_("Not yet")),
    Choice("skip", N_("We couldn't")),
)
REJOIN_CHOICES = (Choice("join", N_("Yes, keep me in")), Choice("leave", N_("Leave peer rounds")))
"""The buttons' labels are marked for the catalogue; `translated` writes them for a reader."""


def translated(choices: tuple[Choice, ...]) -> tuple[Choice, ...]:
    """`choices` with their labels in the current language (the values stay what is typed)."""
    return tuple(Choice(c.value, tr(c.label)) for c in choices)


Trigger = Literal["schedule", "manual"]


@dataclass(frozen=True)
class Group:
    members: tuple[Member, ...]
    shared_by: tuple[tuple[str, tuple[int, ...]], ...]
    """(tag name, member ids holding it) for tags at least two of them share, most shared and
    rarest first."""

    @property
    def shared(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.shared_by)


@dataclass
class RoundResult:
    round_key: str
    eligible: int = 0
    paused: int = 0
    waiting: int = 0
    """Members already on hold, waiting to re-confirm."""
    newly_on_hold: list[Member] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    introduced: int = 0
    already_ran: bool = False
    actions: list[Action] = field(default_factory=list)

    def summary(self, *, preview: bool = False) -> str:
        """One line for the moderator: groups made, who was paused or put on hold."""
        trios = sum(1 for g in self.groups if len(g.members) == 3)
        pairs = len(self.groups) - trios
        kinds = [ntr("{n} pair", "{n} pairs", pairs)] if pairs else []
        kinds += [tr("1 trio")] if trios else []
        people = sum(len(g.members) for g in self.groups)
        made = (
            ntr(
                "{n} group(s) would be introduced",
                "{n} group(s) would be introduced",
                len(self.groups),
            )
            if preview
            else ntr("{n} group(s) introduced", "{n} group(s) introduced", self.introduced)
        )
        members = ntr("{n} members", "{n} members", people)
        parts = [f"{made} ({', '.join([*kinds, members])})"]
        if self.paused:
            parts.append(ntr("{n} paused", "{n} paused", self.paused))
        if self.newly_on_hold:
            held = len(self.newly_on_hold)
            parts.append(
                ntr(
                    "{n} would be put on hold (no answer to their last {last} follow-ups; "
                    "asked to re-confirm)",
                    "{n} would be put on hold (no answer to their last {last} follow-ups; "
                    "asked to re-confirm)",
                    held,
                    last=RECONFIRM_AFTER,
                )
                if preview
                else ntr(
                    "{n} put on hold (no answer to their last {last} follow-ups; asked to "
                    "re-confirm)",
                    "{n} put on hold (no answer to their last {last} follow-ups; asked to "
                    "re-confirm)",
                    held,
                    last=RECONFIRM_AFTER,
                )
            )
        if self.waiting:
            parts.append(
                ntr(
                    "{n} still waiting to re-confirm",
                    "{n} still waiting to re-confirm",
                    self.waiting,
                )
            )
        return tr("Peer round {key}: {parts}.", key=self.round_key, parts="; ".join(parts))


def names(platform: ChatPlatform, members: list[Member] | tuple[Member, ...]) -> str:
    """ "Ann", "Ann and Bob", "Ann, Bob and Cat"."""
    return _listing([who(platform, m) for m in members])


def _seed(community_id: int, key: str) -> int:
    """The same round (community and date) breaks ties the same way if it is ever replayed."""
    return zlib.crc32(f"{community_id}:{key}".encode())


def _shared(
    ids: tuple[int, ...],
    tags_of: dict[int, tuple[int, ...]],
    weights: dict[int, int],
    tag_names: dict[int, str],
) -> tuple[tuple[str, tuple[int, ...]], ...]:
    holders: dict[int, list[int]] = {}
    for member_id in ids:
        for tag in tags_of.get(member_id, ()):
            holders.setdefault(tag, []).append(member_id)
    common = [t for t, held in holders.items() if len(held) >= 2 and t in tag_names]
    common.sort(key=lambda t: (-len(holders[t]), -weights.get(t, 0), tag_names[t]))
    return tuple((tag_names[t], tuple(holders[t])) for t in common[:MAX_SHARED])


def _listing(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c" in the current language."""
    if len(items) <= 1:
        return "".join(items)
    return tr("{items} and {last}", items=", ".join(items[:-1]), last=items[-1])


def _common_ground(platform: ChatPlatform, group: Group) -> str:
    """ "You share **maths**. Ann and Bob also share **science**." (a trio may share unevenly)."""
    everyone = [
        f"**{quote(n, 64)}**" for n, held in group.shared_by if len(held) == len(group.members)
    ]
    some: dict[tuple[int, ...], list[str]] = {}
    for name, held in group.shared_by:
        if len(held) < len(group.members):
            some.setdefault(held, []).append(f"**{quote(name, 64)}**")
    by_id = {m.id: m for m in group.members}
    sentences = [tr("You share {tags}.", tags=_listing(everyone))] if everyone else []
    for held, tags in some.items():
        pair = names(platform, [by_id[i] for i in held])
        if everyone:
            sentences.append(tr("{names} also share {tags}.", names=pair, tags=_listing(tags)))
        else:
            sentences.append(tr("{names} share {tags}.", names=pair, tags=_listing(tags)))
    return " ".join(sentences)


def _time_zones(
    platform: ChatPlatform, prefix: str, members: tuple[Member, ...], now: datetime
) -> str:
    offsets = {m.id: utc_offset_minutes(m.timezone, now) for m in members}
    known = [m for m in members if offsets[m.id] is not None]
    unknown = [m for m in members if offsets[m.id] is None]
    listed = ", ".join(f"{who(platform, m)} {format_offset(offsets[m.id])}" for m in known)
    if unknown:
        missing = names(platform, unknown)
        where = f"{listed}; " if listed else ""
        return "🕒 " + ntr(
            "{where}{missing} hasn't set a time zone yet, so tell each other where you are "
            "(`{p}profile edit timezone` saves it for the next round).",
            "{where}{missing} haven't set a time zone yet, so tell each other where you are "
            "(`{p}profile edit timezone` saves it for the next round).",
            len(unknown),
            where=where,
            missing=missing,
            p=prefix,
        )
    values = [o for o in offsets.values() if o is not None]
    spread = max(offset_distance(a, b) for a in values for b in values)
    hours = f"{spread / 60:g}"
    if spread == 0:
        fit = tr("the same time zone, so any time that suits you works")
    elif spread <= 180:
        fit = tr("close time zones ({hours} h apart at most)", hours=hours)
    else:
        fit = tr(
            "{hours} hours apart, so look for a morning or evening that suits everyone",
            hours=hours,
        )
    return f"🕒 {listed}: {fit}."


def introduction(
    platform: ChatPlatform, prefix: str, group: Group, now: datetime, follow_up: timedelta
) -> Message:
    people = names(platform, group.members)
    if len(group.members) == 2:
        first, second = group.members
        hello = tr(
            "🤝 **Peer round** — {first}, meet {second}!",
            first=who(platform, first),
            second=who(platform, second),
        )
    else:
        hello = tr("🤝 **Peer round** — {people}, meet each other!", people=people)
    if group.shared_by:
        common = _common_ground(platform, group)
        topic = quote(group.shared[0], 64)
    else:
        common = tr("You don't share a listed interest yet, which makes for a good first question.")
        topic = tr("what you're working on this term")
    days = max(1, round(follow_up.total_seconds() / 86400))
    lines = [
        hello,
        common,
        _time_zones(platform, prefix, group.members, now),
        tr(
            "Suggested first step: one of you proposes two 30-minute slots this week, and each "
            "of you brings one question about {topic}.",
            topic=topic,
        ),
        ntr(
            "In {n} day I'll ask whether you met. `{p}rounds status` shows your rounds; "
            "`{p}rounds pause` skips the next one.",
            "In {n} days I'll ask whether you met. `{p}rounds status` shows your rounds; "
            "`{p}rounds pause` skips the next one.",
            days,
            p=prefix,
        ),
    ]
    return Message("\n".join(lines))


def follow_up_text(
    platform: ChatPlatform, prefix: str, others: list[Member], named: str | None = None
) -> str:
    """`named`: the others as already named (a network round's, as inert text)."""
    question = tr(
        "👋 Did you meet {names} from your peer round?",
        names=named or names(platform, others),
    )
    how = tr(
        "Answer with the buttons, or type `{p}rounds met yes`, `{p}rounds met no` (not yet) or "
        "`{p}rounds met skip` (we couldn't). Members who answer stay in the next rounds.",
        p=prefix,
    )
    return f"{question}\n{how}"


def reconfirm_message(prefix: str) -> Message:
    asked = ntr(
        "👋 Are you still up for peer rounds? You didn't answer my last {n} check-ins, so "
        "I've stopped matching you for now.",
        "👋 Are you still up for peer rounds? You didn't answer my last {n} check-ins, so "
        "I've stopped matching you for now.",
        RECONFIRM_AFTER,
    )
    how = tr(
        "Type `{p}rounds join` (or press the button) to stay in, or `{p}rounds leave` to stop.",
        p=prefix,
    )
    prompt = Prompt(custom_id=REJOIN_ID, kind="single", choices=translated(REJOIN_CHOICES))
    return Message(f"{asked}\n{how}", prompt)


def _title(group: Group) -> str:
    return tr("Peer round: {names}", names=" & ".join(quote(m.label, 40) for m in group.members))


def _follow_up_due(now: datetime, next_round: datetime | None) -> datetime:
    due = now + FOLLOW_UP_AFTER
    if next_round is not None and next_round > now and due > next_round - FOLLOW_UP_AT_LEAST:
        due = max(now + FOLLOW_UP_AT_LEAST, next_round - FOLLOW_UP_AT_LEAST)
    return due


async def run_round(
    env: Context,
    community: Community,
    now: datetime,
    key: str,
    trigger: Trigger,
    *,
    dry_run: bool = False,
) -> RoundResult:
    """Run (or, with `dry_run`, only preview) the round `key` for `community`.

    A manual round with fewer than two members to pair changes nothing (the caller says so); a
    scheduled one is still recorded, so pauses count down and its replay is a no-op.
    """
    store, cid = env.store, community.id
    result = RoundResult(key)
    if not dry_run and await store.rounds.round_id(cid, key) is not None:
        result.already_ran = True
        return result
    settings = await store.rounds.settings(cid)
    participants = await store.rounds.participants(cid)
    silent = await store.rounds.silent(cid, RECONFIRM_AFTER)
    people = await store.rounds.members(cid)
    eligible = [
        people[p.member_id]
        for p in participants
        if p.status == "active" and p.member_id not in silent and p.member_id in people
    ]
    result.eligible = len(eligible)
    result.paused = sum(1 for p in participants if p.status == "paused")
    result.waiting = sum(1 for p in participants if p.status == "on_hold")
    result.newly_on_hold = [people[i] for i in sorted(silent) if i in people]
    if dry_run or (len(eligible) < 2 and trigger == "manual"):
        if len(eligible) >= 2:
            result.groups = await _solve(env, community, now, eligible, settings, key)
        return result
    round_id = await store.rounds.add_round(cid, key, trigger, now)
    if round_id is None:  # pragma: no cover - checked above, inside the same transaction
        result.already_ran = True
        return result
    await store.rounds.count_down_pauses(cid, now)
    await store.rounds.put_on_hold([m.id for m in result.newly_on_hold], now)
    for member in result.newly_on_hold:
        with use_language(member_language(member, community)):
            message = reconfirm_message(env.prefix)
        result.actions.append(SendDirect(community.ref, member.ref, message))
    if len(eligible) == 1:
        with use_language(member_language(eligible[0], community)):
            text = tr(
                "🤝 Nobody else was available for this peer round, sorry! You stay in, and I'll "
                "introduce you to someone next time."
            )
        result.actions.append(SendDirect(community.ref, eligible[0].ref, Message(text)))
    if len(eligible) < 2:
        return result
    result.groups = await _solve(env, community, now, eligible, settings, key)
    next_round = settings.next_at if settings and settings.active else None
    due = _follow_up_due(now, next_round)
    recorded = [(tuple(m.id for m in g.members), ", ".join(g.shared)) for g in result.groups]
    created = await store.rounds.add_groups(round_id, cid, recorded, now)
    follow_ups: list[NewJob] = []
    for group, (ids, _) in zip(result.groups, recorded, strict=True):
        group_id = created.get(group_key(round_id, ids))
        if group_id is None:
            continue
        result.introduced += 1
        follow_ups.append(
            NewJob(FOLLOW_UP, due, f"{FOLLOW_UP}:{group_id}", {"group": group_id}, cid)
        )
        title = partial(_title, group)
        write = partial(introduction, env.platform, env.prefix, group, now, due - now)
        result.actions.extend(introduce_each(community, group.members, title, write))
    await store.jobs.schedule_many(follow_ups, now)
    return result


async def _solve(
    env: Context,
    community: Community,
    now: datetime,
    eligible: list[Member],
    settings: RoundSettings | None,
    key: str,
) -> list[Group]:
    store, cid = env.store, community.id
    window = settings.no_repeat_rounds if settings else DEFAULT_NO_REPEAT
    weights = rarity_weights(await store.tags.member_counts(cid), await store.members.count(cid))
    tags_of = await store.rounds.tags_of(cid)
    tag_names = await store.tags.names(cid)
    recent = await store.rounds.recent_pairs(cid, window)
    peers = [
        Peer(m.id, tags_of.get(m.id, ()), utc_offset_minutes(m.timezone, now)) for m in eligible
    ]
    # CPU work: a worker thread keeps the event loop alive; outside the unit's transaction
    # (`units.in_thread`: a `/rounds run`; a scheduler batch solves in place) others write.
    solved = await units.in_thread(pair_round, peers, weights, recent, _seed(cid, key))
    by_id = {m.id: m for m in eligible}
    groups = []
    for ids in solved:
        if len(ids) < 2:
            continue
        ordered = tuple(sorted(ids))
        groups.append(
            Group(
                tuple(by_id[i] for i in ordered),
                _shared(ordered, tags_of, weights, tag_names),
            )
        )
    return groups


async def run_follow_up(jctx: Context, job: Job) -> list[Action]:
    """A few days after the introduction: ask each member still here whether they met."""
    store = jctx.store
    group = await store.rounds.group(int(job.payload["group"]))
    if group is None or group.closed_at is not None:
        return []
    await store.rounds.close_group(group.id, jctx.now)
    community = await store.communities.get_by_id(group.community_id)
    if community is None:
        return []
    present: list[Member] = []
    for member_id in group.member_ids:
        member = await store.members.get_by_id(member_id)
        if member is not None and member.left_at is None:
            present.append(member)
    if len(present) < 2:
        return []
    await store.rounds.mark_asked(group.id, [m.id for m in present], jctx.now)
    actions: list[Action] = []
    for member in present:
        others = [m for m in present if m.id != member.id]
        local = all(m.community_id == community.id for m in present)
        home = community
        if not local:  # a network round: each member asked at home, the others named as text
            home = await store.communities.get_by_id(member.community_id) or community
        with use_language(member_language(member, home)):
            if local:
                text = follow_up_text(jctx.platform, jctx.prefix, others)
            else:
                named = ", ".join(f"“{quote(m.label, 60)}”" for m in others)
                text = follow_up_text(jctx.platform, jctx.prefix, others, named)
            choices = translated(MET_CHOICES)
        prompt = Prompt(custom_id=f"{MET_PREFIX}{group.id}", kind="single", choices=choices)
        actions.append(SendDirect(home.ref, member.ref, Message(text, prompt)))
    return actions
