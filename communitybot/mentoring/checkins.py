"""Check-ins: some days into a pairing, each side is asked how it is going (met / not yet / end).

Round 1 goes to both sides `checkin_days` after the introduction (a community setting). Each
round schedules the next one, which first looks back: a side that answered "met" is done; a side
that said "not yet" or did not answer is asked again. When one side has left two check-ins
unanswered, the pairing is flagged for the moderators (one note in the moderator log, and it
shows in `/stats` and `/mentoring pairs`) and the bot stops asking. "end" ends the pairing exactly
as `/mentor end` does. Buttons answer on Discord; `/mentor checkin met|not-yet|end [member]` is
the typed form for Matrix and the console (and works everywhere).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from communitybot import typed_choices
from communitybot.context import Context
from communitybot.feature import handles
from communitybot.i18n import N_, ntr, tr, use_language
from communitybot.i18n.choice import community_language, member_language
from communitybot.mentoring.match import auto_match
from communitybot.mentoring.pairing import (
    checkin_key,
    end_pairing,
    name_in,
    other_id,
    other_side,
    pairs_with,
    schedule_checkin,
    who,
)
from communitybot.models import Community, Member
from communitybot.naming import label
from communitybot.numbers import parse_id
from communitybot.replies import Action, Choice, Message, Prompt, SendDirect, SendToChannel, reply
from communitybot.store.jobs import Job
from communitybot.store.mentoring import MentorPair
from communitybot.store.mentoring_checkins import Answer, Checkin

PROMPT_PREFIX = "mentoring:checkin:"
MISSES_TO_FLAG = 2
TYPED_ANSWERS: dict[str, Answer] = {"met": "met", "not-yet": "not_yet", "end": "end"}
ANSWER_LABELS: dict[Answer, str] = {"met": N_("met"), "not_yet": N_("not yet"), "end": N_("end")}
"""How each answer reads in a list (translate with `answer_label`)."""


def answer_label(answer: Answer) -> str:
    """An answer as the moderators' list shows it, in the current language."""
    return tr(ANSWER_LABELS[answer])


def _prompt(pair_id: int) -> Prompt:
    return Prompt(
        custom_id=f"{PROMPT_PREFIX}{pair_id}",
        kind="single",
        choices=(
            Choice("met", tr("We've met")),
            Choice("not_yet", tr("Not yet")),
            Choice("end", tr("End the pairing")),
        ),
    )


def _question(
    jctx: Context, you: Member, other: Member, pair: MentorPair, live: bool = True
) -> Message:
    """The question for `you`. `live`: both sides are in the job's community (this process
    renders for its platform); a pairing made across a network names the other side as inert
    text instead, and the typed answer names nobody (they are not a member here)."""
    p, handle = jctx.prefix, f" {other.ref.user_id}" if live else ""
    name = who(jctx.platform, other) if live else label(other)
    if pair.mentor_id == other.id:
        ask = tr(
            "👋 A quick check-in about your mentoring with {name}, your mentor: how is it going? "
            "Have you met yet?",
            name=name,
        )
    else:
        ask = tr(
            "👋 A quick check-in about your mentoring with {name}, your mentee: how is it going? "
            "Have you met yet?",
            name=name,
        )
    how = tr(
        "Answer with the buttons, or type `{p}mentor checkin met{handle}`, "
        "`{p}mentor checkin not-yet{handle}` or `{p}mentor checkin end{handle}`. "
        "If it isn't working out, ending it is perfectly fine.",
        p=p,
        handle=handle,
    )
    text = f"{ask}\n{how}"
    return Message(text, _prompt(pair.id))


def _misses(checkins: list[Checkin], before_round: int) -> Counter[int]:
    return Counter(c.member_id for c in checkins if c.round < before_round and c.answer is None)


async def _flag(
    jctx: Context, community: Community, pair: MentorPair, silent: list[Member]
) -> list[Action]:
    if not await jctx.store.mentoring_checkins.flag(pair.id, jctx.now):
        return []
    if not community.modlog_channel:
        return []  # still flagged: /stats and /mentoring pairs show it
    mentor = await jctx.store.members.get_by_id(pair.mentor_id)
    mentee = await jctx.store.members.get_by_id(pair.mentee_id)
    if mentor is None or mentee is None:
        return []
    with use_language(community_language(community)):
        named = [name_in(jctx.platform, community.id, m) for m in silent]
        names = (
            tr("{first} and {second}", first=named[0], second=named[1])
            if len(named) == 2
            else named[0]
        )
        text = tr(
            "⚠️ Mentoring pairing {mentee} ← {mentor} (since {date}): {names} left two "
            "check-ins unanswered. A friendly word may help; `{p}mentoring pairs` lists every "
            "pairing.",
            mentee=name_in(jctx.platform, community.id, mentee),
            mentor=name_in(jctx.platform, community.id, mentor),
            date=pair.created_at.date().isoformat(),
            names=names,
            p=jctx.prefix,
        )
    return [SendToChannel(community.ref, community.modlog_channel, Message(text))]


async def run_checkin(jctx: Context, job: Job) -> list[Action]:
    """One check-in round of one pairing (only while the pairing and both sides are here)."""
    store = jctx.store
    pair = await store.mentoring.get_pair(int(job.payload["pair_id"]))
    round_no = int(job.payload.get("round", 1))
    if pair is None or pair.status != "active" or pair.flagged_at is not None:
        return []
    community = await store.communities.get_by_id(pair.community_id)
    mentor = await store.members.get_by_id(pair.mentor_id)
    mentee = await store.members.get_by_id(pair.mentee_id)
    if community is None or mentor is None or mentee is None:
        return []
    if mentor.left_at is not None or mentee.left_at is not None:
        return []
    checkins = await store.mentoring_checkins.of_pair(pair.id)
    misses = _misses(checkins, round_no)
    silent = [m for m in (mentee, mentor) if misses[m.id] >= MISSES_TO_FLAG]
    if silent:
        return await _flag(jctx, community, pair, silent)
    done = {c.member_id for c in checkins if c.answer == "met"}
    to_ask = [m for m in (mentee, mentor) if m.id not in done]
    actions: list[Action] = []
    for you in to_ask:
        other = mentor if you.id == mentee.id else mentee
        if await store.mentoring_checkins.ask(pair.id, you.id, round_no, jctx.now):
            # a pairing made across a network: each side is asked through their own community
            home = community if you.community_id == community.id else None
            home = home or await store.communities.get_by_id(you.community_id) or community
            live = you.community_id == other.community_id == community.id
            with use_language(member_language(you, home)):
                question = _question(jctx, you, other, pair, live)
            actions.append(SendDirect(home.ref, you.ref, question))
    if to_ask:
        await schedule_checkin(store, community.id, pair.id, round_no + 1, jctx.now)
    return actions


async def _answer(ctx: Context, pair: MentorPair, answer: Answer) -> list[Action]:
    """Store a side's answer; "end" ends the pairing as `/mentor end` does."""
    now = ctx.clock.now()
    asked = await ctx.store.mentoring_checkins.answer(pair.id, ctx.member.id, answer, now)
    if asked is None:
        return reply(
            tr(
                "I haven't asked you about this pairing yet, so there's nothing to answer. "
                "`{p}mentor end` ends a pairing at any time.",
                p=ctx.prefix,
            )
        )
    if answer == "end":
        done, notes = await end_pairing(ctx, pair, None)
        result = await auto_match(ctx, lambda: tr("a pairing ended"))  # a seat is free again
        return [*reply(done), *notes, *(result.introductions if result else [])]
    other = await other_side(ctx, pair)
    name = name_in(ctx.platform, ctx.member.community_id, other) if other else tr("your partner")
    if answer == "met":
        thanks = reply(
            tr(
                "Wonderful — thank you for letting me know, and enjoy working with {name}!",
                name=name,
            )
        )
        if await ctx.store.mentoring_checkins.unflag(pair.id):
            return [*thanks, *_modlog_unflagged(ctx, pair)]
        return thanks
    nxt = await ctx.store.jobs.get(checkin_key(pair.id, asked + 1))
    again = ""
    if nxt is not None and nxt.status == "pending" and nxt.due_at > now:
        days = max(1, round((nxt.due_at - now) / timedelta(days=1)))
        again = " " + ntr(
            "I'll ask again in about {n} days.", "I'll ask again in about {n} days.", days
        )
    return reply(
        tr(
            "Thanks for telling me. A short message to {name} with two times that suit you "
            "often helps.",
            name=name,
        )
        + again
    )


def _modlog_unflagged(ctx: Context, pair: MentorPair) -> list[Action]:
    """Tell the moderators a flagged pairing is fine after all (they may be about to step in)."""
    channel = ctx.community.modlog_channel
    if not channel:
        return []
    with use_language(community_language(ctx.community)):
        text = tr(
            "✅ {member} says they have met their mentoring partner: the pairing flagged on "
            "{date} is no longer flagged.",
            member=who(ctx.platform, ctx.member),
            date=pair.flagged_at.date().isoformat() if pair.flagged_at else "?",
        )
    return [SendToChannel(ctx.community.ref, channel, Message(text))]


async def on_choice(ctx: Context, custom_id: str, values: tuple[str, ...]) -> list[Action] | None:
    """A check-in button; None when the button isn't one of ours."""
    if not custom_id.startswith(PROMPT_PREFIX):
        return None
    raw_id = custom_id.removeprefix(PROMPT_PREFIX)
    value = values[0] if values else ""
    pair_id = parse_id(raw_id)
    pair = await ctx.store.mentoring.get_pair(pair_id) if pair_id is not None else None
    answer = next((a for a in ANSWER_LABELS if a == value), None)
    if pair is None or answer is None or ctx.member.id not in (pair.mentor_id, pair.mentee_id):
        return reply(
            tr(
                "That check-in is no longer open. `{p}mentor status` shows your pairings.",
                p=ctx.prefix,
            )
        )
    await typed_choices.answered(ctx, custom_id)
    if pair.status != "active":
        return reply(tr("That pairing has already ended, so there's nothing to do. Thank you!"))
    return await _answer(ctx, pair, answer)


@handles("mentor", "checkin")
async def checkin(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """`/mentor checkin met|not-yet|end [member]`: the typed answer to a check-in."""
    answer = TYPED_ANSWERS.get(str(options.get("answer") or "").casefold())
    if answer is None:
        return reply(
            tr(
                "Please answer met, not-yet or end, e.g. `{p}mentor checkin met`.",
                p=ctx.prefix,
            )
        )
    found = await pairs_with(ctx, options.get("member"))
    if found is None:
        return reply(tr("You have no active mentoring pairing with them."))
    pairs = found
    if not pairs:
        return reply(tr("You have no active mentoring pairing to check in on."))
    if len(pairs) > 1:
        pending = await _pending(ctx, pairs)
        if len(pending) != 1:
            return await _which_one(ctx, pairs)
        pairs = pending
    return await _answer(ctx, pairs[0], answer)


async def _pending(ctx: Context, pairs: list[MentorPair]) -> list[MentorPair]:
    """The pairs whose latest check-in to this member is still unanswered."""
    found = await ctx.store.mentoring_checkins.of_pairs([p.id for p in pairs])
    pending = []
    for pair in pairs:
        mine = [c for c in found[pair.id] if c.member_id == ctx.member.id]
        if mine and mine[-1].answer is None:
            pending.append(pair)
    return pending


async def _which_one(ctx: Context, pairs: list[MentorPair]) -> list[Action]:
    others = [await ctx.store.members.get_by_id(other_id(p, ctx.member.id)) for p in pairs]
    listed = ", ".join(who(ctx.platform, m) for m in others if m is not None)
    return reply(
        tr(
            "You have several pairings ({listed}). Say which one: "
            "`{p}mentor checkin met <member>`.",
            listed=listed,
            p=ctx.prefix,
        )
    )
