"""Moderators' mentoring tools: the community's settings, the list of pairings, the /stats line."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from communitybot.context import Context
from communitybot.feature import handles
from communitybot.i18n import ntr, ptr, tr, use_language
from communitybot.i18n.choice import community_language
from communitybot.mentoring.checkins import answer_label
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
    return ptr("setting state", "on") if value else ptr("setting state", "off")


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
        lines = [
            tr("**Mentoring settings**"),
            tr(
                "• Automatic matching: {state} (on: every new request or offer is matched at "
                "once; off: moderators run rounds)",
                state=_on_off(current.auto_match),
            ),
            ntr(
                "• Check-ins: {n} days after an introduction, and again after an unanswered one",
                "• Check-ins: {n} days after an introduction, and again after an unanswered one",
                current.checkin_days,
            ),
            tr(
                "• Pairs sharing no tag: {state} (off: a mentee waits until a mentor shares one "
                "of their tags, and is told so; on: they may get any mentor with a free seat)",
                state=_on_off(current.allow_no_shared_tags),
            ),
            tr(
                "Change with `{p}mentoring settings auto_match=on|off checkin_days=<3–90> "
                "allow_no_shared_tags=on|off`.",
                p=p,
            ),
        ]
        return reply("\n".join(lines))
    for name, value in (("auto_match", auto), ("allow_no_shared_tags", unshared)):
        if value is not None and not isinstance(value, bool):
            return reply(tr("{option} must be on or off. Nothing was changed.", option=name))
    if days is not None and (
        not isinstance(days, int) or not MIN_CHECKIN_DAYS <= days <= MAX_CHECKIN_DAYS
    ):
        return reply(
            tr(
                "checkin_days must be a whole number of days from {low} to {high}, e.g. "
                "`{p}mentoring settings checkin_days=21`. Nothing was changed.",
                low=MIN_CHECKIN_DAYS,
                high=MAX_CHECKIN_DAYS,
                p=p,
            )
        )
    changed = replace(
        current,
        auto_match=current.auto_match if auto is None else auto,
        checkin_days=current.checkin_days if days is None else days,
        allow_no_shared_tags=(current.allow_no_shared_tags if unshared is None else bool(unshared)),
    )
    await ctx.store.mentoring.put_settings(ctx.community.id, changed)

    def summary() -> str:
        return "; ".join(
            [
                tr("automatic matching {state}", state=_on_off(changed.auto_match)),
                ntr("check-ins after {n} days", "check-ins after {n} days", changed.checkin_days),
                tr("pairs sharing no tag allowed")
                if changed.allow_no_shared_tags
                else tr("pairs sharing no tag not made"),
            ]
        )

    lines = [tr("Saved: {summary}.", summary=summary())]
    if days is not None and days != current.checkin_days:
        lines.append(
            tr("Check-ins already scheduled keep their date; new ones use the new interval.")
        )
    actions: list[Action] = []
    opened = changed.allow_no_shared_tags and not current.allow_no_shared_tags
    if changed.auto_match and (opened or not current.auto_match):
        switched = not current.auto_match

        def why() -> str:
            if switched:
                return tr("automatic matching was switched on")
            return tr("pairs sharing no tag were allowed")

        result = await auto_match(ctx, why)
        if result is not None and (result.made or result.waiting):
            lines.append(tr("Matched who was waiting: {summary}", summary=result.summary))
            actions.extend(result.introductions)
    modlog = ctx.community.modlog_channel
    if modlog:
        with use_language(community_language(ctx.community)):
            note = tr(
                "⚙️ {member} changed the mentoring settings: {summary}",
                member=who(ctx.platform, ctx.member),
                summary=summary(),
            )
        actions.append(SendToChannel(ctx.community.ref, modlog, Message(note)))
    return [*reply("\n".join(lines)), *actions]


def _side_state(ctx: Context, member: Member, checkins: list[Checkin]) -> str:
    mine = [c for c in checkins if c.member_id == member.id]
    name = name_in(ctx.platform, ctx.community.id, member)
    if not mine:
        return tr("{name}: not asked yet", name=name)
    last = mine[-1]
    answer = answer_label(last.answer) if last.answer else tr("no answer yet")
    return tr("{name}: {answer}", name=name, answer=answer)


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
            tr(
                "No active mentoring pairings. `{p}mentoring match` runs a matching round.",
                p=ctx.prefix,
            )
        )
    active.sort(key=lambda p: (p.flagged_at is None, -p.id))
    shown = active[:PAIRS_SHOWN]
    checkins = await ctx.store.mentoring_checkins.of_pairs([p.id for p in shown])
    flagged = sum(1 for p in active if p.flagged_at is not None)
    lines = [
        tr(
            "**Active mentoring pairings: {count}** ({flagged} flagged)",
            count=len(active),
            flagged=flagged,
        )
    ]
    for pair in shown:
        lines.append(await _pair_line(ctx, pair, checkins[pair.id]))
    if len(active) > PAIRS_SHOWN:
        lines.append(ntr("… and {n} more.", "… and {n} more.", len(active) - PAIRS_SHOWN))
    return reply("\n".join(lines))


async def _pair_line(ctx: Context, pair: MentorPair, checkins: list[Checkin]) -> str:
    mentor = await ctx.store.members.get_by_id(pair.mentor_id)
    mentee = await ctx.store.members.get_by_id(pair.mentee_id)
    if mentor is None or mentee is None:
        return tr("• (a pairing whose member was removed)")
    flag = tr("⚠️ flagged: two check-ins unanswered · ") if pair.flagged_at else ""
    rounds = max((c.round for c in checkins), default=0)
    state = (
        tr(
            "check-in {round}: {sides}",
            round=rounds,
            sides=", ".join(_side_state(ctx, m, checkins) for m in (mentee, mentor)),
        )
        if rounds
        else tr("no check-in yet")
    )
    shared = f" · {pair.shared}" if pair.shared else ""
    return "• " + tr(
        "{flag}{mentee} ← {mentor} · since {date}{shared} · {state}",
        flag=flag,
        mentee=name_in(ctx.platform, ctx.community.id, mentee),
        mentor=name_in(ctx.platform, ctx.community.id, mentor),
        date=pair.created_at.date().isoformat(),
        shared=shared,
        state=state,
    )


async def stats_line(ctx: Context) -> str:
    """The mentoring line of `/stats`."""
    figures = await ctx.store.mentoring_checkins.figures(ctx.community.id)
    return tr(
        "• Mentor pairings: {active} active ({flagged} flagged), {waiting} request(s) waiting; "
        "check-ins answered: {met} met, {not_yet} not yet",
        active=figures.active_pairs,
        flagged=figures.flagged_pairs,
        waiting=figures.waiting_requests,
        met=figures.answered_met,
        not_yet=figures.answered_not_yet,
    )
