"""Moderators' mentoring tools: the community's settings, the list of pairings, the /stats line."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from communitybot.context import Context
from communitybot.feature import handles
from communitybot.mentoring.checkins import ANSWER_LABELS
from communitybot.mentoring.match import auto_match
from communitybot.mentoring.pairing import name_in, who
from communitybot.models import Member
from communitybot.replies import Action, Message, SendToChannel, reply
from communitybot.store.mentoring import MentorPair
from communitybot.store.mentoring_checkins import Checkin

MIN_CHECKIN_DAYS = 3
MAX_CHECKIN_DAYS = 90
PAIRS_SHOWN = 25


def _on_off(value: bool) -> str:
    return "on" if value else "off"


@handles("mentoring", "settings")
async def settings(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """`/mentoring settings [auto_match] [checkin_days] [allow_no_shared_tags]`: show, or
    change and log the change."""
    current = await ctx.store.mentoring.settings(ctx.community.id)
    p = ctx.prefix
    auto = options.get("auto_match")
    days = options.get("checkin_days")
    unshared = options.get("allow_no_shared_tags")
    if auto is None and days is None and unshared is None:
        return reply(
            "**Mentoring settings**\n"
            f"• Automatic matching: {_on_off(current.auto_match)} (on: every new request or "
            "offer is matched at once; off: moderators run rounds)\n"
            f"• Check-ins: {current.checkin_days} days after an introduction, and again after "
            "an unanswered one\n"
            f"• Pairs sharing no tag: {_on_off(current.allow_no_shared_tags)} (off: a mentee "
            "waits until a mentor shares one of their tags, and is told so; on: they may get "
            "any mentor with a free seat)\n"
            f"Change with `{p}mentoring settings auto_match=on|off checkin_days=<3–90> "
            "allow_no_shared_tags=on|off`."
        )
    for name, value in (("auto_match", auto), ("allow_no_shared_tags", unshared)):
        if value is not None and not isinstance(value, bool):
            return reply(f"{name} must be on or off. Nothing was changed.")
    if days is not None and (
        not isinstance(days, int) or not MIN_CHECKIN_DAYS <= days <= MAX_CHECKIN_DAYS
    ):
        return reply(
            f"checkin_days must be a whole number of days from {MIN_CHECKIN_DAYS} to "
            f"{MAX_CHECKIN_DAYS}, e.g. `{p}mentoring settings checkin_days=21`. "
            "Nothing was changed."
        )
    changed = replace(
        current,
        auto_match=current.auto_match if auto is None else auto,
        checkin_days=current.checkin_days if days is None else days,
        allow_no_shared_tags=(current.allow_no_shared_tags if unshared is None else bool(unshared)),
    )
    await ctx.store.mentoring.put_settings(ctx.community.id, changed)
    summary = [
        f"automatic matching {_on_off(changed.auto_match)}",
        f"check-ins after {changed.checkin_days} days",
        f"pairs sharing no tag {'allowed' if changed.allow_no_shared_tags else 'not made'}",
    ]
    lines = ["Saved: " + "; ".join(summary) + "."]
    if days is not None and days != current.checkin_days:
        lines.append("Check-ins already scheduled keep their date; new ones use the new interval.")
    actions: list[Action] = []
    opened = changed.allow_no_shared_tags and not current.allow_no_shared_tags
    if changed.auto_match and (opened or not current.auto_match):
        why = (
            "automatic matching was switched on"
            if not current.auto_match
            else "pairs sharing no tag were allowed"
        )
        result = await auto_match(ctx, why)
        if result is not None and (result.made or result.waiting):
            lines.append(f"Matched who was waiting: {result.summary}")
            actions.extend(result.introductions)
    modlog = ctx.community.modlog_channel
    if modlog:
        note = f"⚙️ {who(ctx.platform, ctx.member)} changed the mentoring settings: " + "; ".join(
            summary
        )
        actions.append(SendToChannel(ctx.community.ref, modlog, Message(note)))
    return [*reply("\n".join(lines)), *actions]


def _side_state(ctx: Context, member: Member, checkins: list[Checkin]) -> str:
    mine = [c for c in checkins if c.member_id == member.id]
    if not mine:
        return f"{name_in(ctx.platform, ctx.community.id, member)}: not asked yet"
    last = mine[-1]
    answer = ANSWER_LABELS[last.answer] if last.answer else "no answer yet"
    return f"{name_in(ctx.platform, ctx.community.id, member)}: {answer}"


@handles("mentoring", "pairs")
async def pairs(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """`/mentoring pairs`: active pairings, flagged first, with each side's last check-in."""
    active = [
        p
        for p in await ctx.store.mentoring.community_pairs(ctx.community.id)
        if p.status == "active"
    ]
    if not active:
        return reply(
            f"No active mentoring pairings. `{ctx.prefix}mentoring match` runs a matching round."
        )
    active.sort(key=lambda p: (p.flagged_at is None, -p.id))
    shown = active[:PAIRS_SHOWN]
    checkins = await ctx.store.mentoring_checkins.of_pairs([p.id for p in shown])
    flagged = sum(1 for p in active if p.flagged_at is not None)
    lines = [f"**Active mentoring pairings: {len(active)}** ({flagged} flagged)"]
    for pair in shown:
        lines.append(await _pair_line(ctx, pair, checkins[pair.id]))
    if len(active) > PAIRS_SHOWN:
        lines.append(f"… and {len(active) - PAIRS_SHOWN} more.")
    return reply("\n".join(lines))


async def _pair_line(ctx: Context, pair: MentorPair, checkins: list[Checkin]) -> str:
    mentor = await ctx.store.members.get_by_id(pair.mentor_id)
    mentee = await ctx.store.members.get_by_id(pair.mentee_id)
    if mentor is None or mentee is None:
        return "• (a pairing whose member was removed)"
    flag = "⚠️ flagged: two check-ins unanswered · " if pair.flagged_at else ""
    rounds = max((c.round for c in checkins), default=0)
    state = (
        f"check-in {rounds}: " + ", ".join(_side_state(ctx, m, checkins) for m in (mentee, mentor))
        if rounds
        else "no check-in yet"
    )
    shared = f" · {pair.shared}" if pair.shared else ""
    return (
        f"• {flag}{name_in(ctx.platform, ctx.community.id, mentee)} ← "
        f"{name_in(ctx.platform, ctx.community.id, mentor)} · since "
        f"{pair.created_at.date().isoformat()}{shared} · {state}"
    )


async def stats_line(ctx: Context) -> str:
    """The mentoring line of `/stats`."""
    figures = await ctx.store.mentoring_checkins.figures(ctx.community.id)
    return (
        f"• Mentor pairings: {figures.active_pairs} active ({figures.flagged_pairs} flagged), "
        f"{figures.waiting_requests} request(s) waiting; check-ins answered: "
        f"{figures.answered_met} met, {figures.answered_not_yet} not yet"
    )
