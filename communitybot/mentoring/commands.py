"""Mentoring: members offer or request help by tag; pairs are matched optimally and checked on.

This module holds a member's side (`/mentor offer|request|status|pause|resume|end|rematch`, a
member leaving). The rest has one module per job: `mentoring.match` (rounds and automatic
matching, introductions), `mentoring.checkins` (asking how it's going, answers, flags),
`mentoring.admin` (settings, the pairings list, /stats), `mentoring.pairing` (what every path
shares: names, the check-in schedule, ending a pairing) and `mentoring.solver` (the assignment);
`mentoring.feature` declares it all to the registry.
"""

from __future__ import annotations

import re
from typing import Any

from communitybot.context import Context
from communitybot.feature import handles
from communitybot.i18n import ntr, tr, use_language
from communitybot.mentoring.match import (
    NO_SHARED_TAGS,
    RoundResult,
    auto_match,
    nobody_shares_tags,
)
from communitybot.mentoring.pairing import (
    end_pairing,
    home_of,
    language_of,
    name_in,
    other_side,
    pairs_with,
    who,
)
from communitybot.models import Tag
from communitybot.replies import Action, Message, SendDirect, reply
from communitybot.tags.commands import resolve_tags
from communitybot.text import quote, split_list

MIN_CAPACITY = 1
MAX_CAPACITY = 5
MAX_TAGS = 15
MAX_WINDOW_HOURS = 12
_WINDOW = re.compile(
    r"^(?:±|\+/-|\+-|-\+|\+)?\s*([0-9]{1,2}(?:[.,]5)?)\s*(?:h|hr|hrs|hour|hours)?$", re.I
)


async def _tags(
    ctx: Context, raw: str, text_option: str, text_given: bool
) -> tuple[list[Tag], list[Action]]:
    """Resolve the tags option (a whole tag list, as `/tags add` takes it); on any problem, the
    friendly error to return (nothing saved).

    Every name must be a known tag: a word that is not one is never dropped or moved into the
    note/goals silently. When no `text_option` (note, goals) was given and the list ends in words
    that are not tags, the reply shows how to give them as that option instead.
    """
    names = split_list(raw)
    if not names:
        return [], reply(
            tr(
                "Please name at least one tag, e.g. `{p}mentor request maths, assessment` "
                "(see `{p}tags list`).",
                p=ctx.prefix,
            )
        )
    if len(names) > MAX_TAGS:
        return [], reply(tr("Please name at most {max} tags.", max=MAX_TAGS))
    tags, errors = await resolve_tags(ctx, names)
    if not errors:
        return tags, []
    lines = list(errors)
    if not text_given:
        kept, text = await _split_text(ctx, names)
        if kept and text:
            typed = f"{', '.join(kept)} {text_option}={quote(text, 80)}"
            if text_option == "note":
                hint = tr(
                    "If “{text}” is your note, give it as the note after the tags: `{typed}`.",
                    text=quote(text, 80),
                    typed=typed,
                )
            else:
                hint = tr(
                    "If “{text}” is your goals, give it as the goals after the tags: `{typed}`.",
                    text=quote(text, 80),
                    typed=typed,
                )
            lines.append(hint)
        elif text_option == "note":
            lines.append(
                tr(
                    "Tags are separated by commas or spaces; your note goes after them as "
                    "`note=…`, e.g. `maths, assessment note=…`."
                )
            )
        else:
            lines.append(
                tr(
                    "Tags are separated by commas or spaces; your goals goes after them as "
                    "`goals=…`, e.g. `maths, assessment goals=…`."
                )
            )
    return [], reply("\n".join([*lines, tr("Nothing was saved.")]))


async def _split_text(ctx: Context, names: list[str]) -> tuple[list[str], str]:
    """The typed list read as known tags followed by free text: (tags as typed, the text).

    `maths, assessment Happy to help` → (["maths", "assessment"], "Happy to help"); ("", …) when
    the list does not start with a known tag.
    """
    for index, name in enumerate(names):
        if (await resolve_tags(ctx, [name]))[0]:
            continue
        words = name.split()
        for cut in range(len(words) - 1, 0, -1):
            if (await resolve_tags(ctx, [" ".join(words[:cut])]))[0]:
                head, tail = " ".join(words[:cut]), words[cut:]
                return [*names[:index], head], " ".join([*tail, *names[index + 1 :]])
        return names[:index], " ".join(names[index:])
    return names, ""


def _names(tags: list[Tag]) -> str:
    return ", ".join(f"**{tag.name}**" for tag in tags)


def _note_line(text: str) -> str:
    """The note as stored, so the member sees where the tags ended and the text began."""
    return " " + tr("Your note: “{text}”.", text=quote(text, 120)) if text else ""


def _goals_line(text: str) -> str:
    """The goals as stored, so the member sees where the tags ended and the text began."""
    return " " + tr("Your goals: “{text}”.", text=quote(text, 120)) if text else ""


def parse_window(raw: str) -> int | None:
    """A time-zone window ("3", "±3h", "+-1.5 hours") in minutes; None if it isn't one."""
    found = _WINDOW.match(raw.strip())
    if not found:
        return None
    minutes = round(float(found.group(1).replace(",", ".")) * 60)
    return minutes if minutes <= MAX_WINDOW_HOURS * 60 else None


def _hours(minutes: int) -> str:
    hours = minutes / 60
    return f"±{hours:g}h"


def _matched_note(result: RoundResult | None, matched: bool, waiting: str, nobody: str) -> str:
    """What a round run on the member's behalf meant for them (None: auto-matching is off)."""
    if result is None:
        return waiting
    if matched:
        return tr("Good news: I've found a match already — see the private introduction.")
    return nobody


@handles("mentor", "offer")
async def offer(ctx: Context, options: dict[str, Any]) -> list[Action]:
    capacity = options.get("capacity")
    if not isinstance(capacity, int) or not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
        return reply(
            tr(
                "Capacity is how many mentees you take at once: a number from {low} to {high}, "
                "e.g. `{p}mentor offer 2 maths, assessment`.",
                low=MIN_CAPACITY,
                high=MAX_CAPACITY,
                p=ctx.prefix,
            )
        )
    tags, error = await _tags(ctx, str(options.get("tags") or ""), "note", "note" in options)
    if error:
        return error
    note = str(options.get("note") or "").strip()
    await ctx.store.mentoring.put_offer(
        ctx.member.id, capacity, note, [t.id for t in tags], ctx.clock.now()
    )
    result = await auto_match(
        ctx, lambda: tr("{member}'s offer", member=who(ctx.platform, ctx.member))
    )
    matched = result is not None and ctx.member.id in result.matched_mentors
    waiting = tr("When a moderator runs a matching round I'll introduce you privately.")
    nobody = tr("Nobody who fits is waiting right now; I'll introduce you as soon as someone asks.")
    text = (
        ntr(
            "Thank you! You offer to mentor up to {n} person on {tags}.",
            "Thank you! You offer to mentor up to {n} people on {tags}.",
            capacity,
            tags=_names(tags),
        )
        + f"{_note_line(note)} "
        + f"{_matched_note(result, matched, waiting, nobody)} "
        + tr("`{p}mentor pause` stops new matches at any time.", p=ctx.prefix)
    )
    return [*reply(text), *(result.introductions if result else [])]


@handles("mentor", "request")
async def request(ctx: Context, options: dict[str, Any]) -> list[Action]:
    raw_window = str(options.get("window") or "").strip()
    window = parse_window(raw_window) if raw_window else None
    if raw_window and window is None:
        return reply(
            tr(
                "The window is how many hours from your time zone your mentor may be: 0 to "
                "{max}, e.g. `window=±3h` or `window=3`. Nothing was saved.",
                max=MAX_WINDOW_HOURS,
            )
        )
    if window is not None and not ctx.member.timezone:
        return reply(
            tr(
                "A time-zone window needs your time zone: set it with "
                "`{p}profile edit timezone Europe/Berlin` (your city or zone), then ask "
                "again. Nothing was saved.",
                p=ctx.prefix,
            )
        )
    tags, error = await _tags(ctx, str(options.get("tags") or ""), "goals", "goals" in options)
    if error:
        return error
    live = [
        p
        for p in await ctx.store.mentoring.active_pairs_of(ctx.member.id)
        if p.mentee_id == ctx.member.id
    ]
    if live:
        return reply(
            tr(
                "You already have a mentor. To ask for a different one, "
                "`{p}mentor rematch` ends that pairing and finds you someone new.",
                p=ctx.prefix,
            )
        )
    goals = str(options.get("goals") or "").strip()
    await ctx.store.mentoring.put_request(
        ctx.member.id, goals, [t.id for t in tags], ctx.clock.now(), window
    )
    result = await auto_match(
        ctx, lambda: tr("{member}'s request", member=who(ctx.platform, ctx.member))
    )
    matched = result is not None and ctx.member.id in result.matched_mentees
    within = (
        " "
        + tr(
            "Only mentors within {window} of your time zone will be proposed.",
            window=_hours(window),
        )
        if window is not None
        else ""
    )
    waiting = tr(
        "I'll introduce you privately when the next matching round finds someone who shares "
        "your interests."
    )
    nobody = tr(
        "Nobody suitable has a free seat right now; I'll introduce you as soon as someone does."
    )
    tag_ids = tuple(t.id for t in tags)
    if (await ctx.store.mentoring.settings(ctx.community.id)).allow_no_shared_tags:
        waiting = tr(
            "I'll introduce you privately when the next matching round finds you a mentor."
        )
    elif (result is not None and ctx.member.id in result.no_shared_tags) or (
        result is None and await nobody_shares_tags(ctx, ctx.member.id, tag_ids)
    ):
        waiting = nobody = tr(NO_SHARED_TAGS)
    text = (
        tr("Got it: you're looking for a mentor for {tags}.", tags=_names(tags))
        + f"{within}{_goals_line(goals)} "
        + f"{_matched_note(result, matched, waiting, nobody)}"
    )
    return [*reply(text), *(result.introductions if result else [])]


@handles("mentor", "status")
async def status(ctx: Context, options: dict[str, Any]) -> list[Action]:
    names = await ctx.store.tags.names(ctx.community.id)
    store = ctx.store.mentoring
    lines = [tr("**Your mentoring**")]
    offered = await store.get_offer(ctx.member.id)
    if offered:
        tags = ", ".join(names.get(t, "?") for t in offered.tag_ids)
        if offered.paused:
            offer_line = ntr(
                "• Offer (paused): up to {n} mentees on {tags}",
                "• Offer (paused): up to {n} mentees on {tags}",
                offered.capacity,
                tags=tags,
            )
        else:
            offer_line = ntr(
                "• Offer (open): up to {n} mentees on {tags}",
                "• Offer (open): up to {n} mentees on {tags}",
                offered.capacity,
                tags=tags,
            )
        lines.append(offer_line)
    asked = await store.get_request(ctx.member.id)
    pairs = await store.active_pairs_of(ctx.member.id)
    if asked and asked.status != "closed":
        tags = ", ".join(names.get(t, "?") for t in asked.tag_ids)
        matched = any(p.mentee_id == ctx.member.id for p in pairs)
        within = (
            tr(", mentors within {window}", window=_hours(asked.window_minutes))
            if asked.window_minutes is not None
            else ""
        )
        if matched:
            lines.append(tr("• Request (matched): {tags}", tags=tags) + within)
        else:
            lines.append(tr("• Request (waiting for a match): {tags}", tags=tags) + within)
        if not matched and await nobody_shares_tags(ctx, ctx.member.id, asked.tag_ids):
            lines.append(f"  {tr(NO_SHARED_TAGS)}")
        if asked.window_minutes is not None and not ctx.member.timezone:
            lines.append(
                "  "
                + tr(
                    "⚠️ The window needs your time zone: "
                    "`{p}profile edit timezone <your city or zone>`.",
                    p=ctx.prefix,
                )
            )
    for pair in pairs:
        other = await other_side(ctx, pair)
        if other is None:
            continue
        name = name_in(ctx.platform, ctx.member.community_id, other)
        if pair.mentor_id == ctx.member.id:
            line = tr("• {name} is your mentee", name=name)
        else:
            line = tr("• {name} is your mentor", name=name)
        shared = tr(" — you share {tags}", tags=pair.shared) if pair.shared else ""
        lines.append(line + shared)
    if len(lines) == 1:
        lines.append(
            tr(
                "Nothing yet. `{p}mentor offer` to mentor, `{p}mentor request` to find a mentor.",
                p=ctx.prefix,
            )
        )
    return reply("\n".join(lines))


async def _set_paused(ctx: Context, paused: bool) -> list[Action]:
    offered = await ctx.store.mentoring.get_offer(ctx.member.id)
    if offered is None:
        return reply(
            tr(
                "You haven't offered to mentor yet: `{p}mentor offer 2 maths` does that.",
                p=ctx.prefix,
            )
        )
    await ctx.store.mentoring.set_paused(ctx.member.id, paused)
    if paused:
        return reply(
            tr(
                "Paused: you won't get new mentees (current pairings continue). "
                "`{p}mentor resume` when you're ready again.",
                p=ctx.prefix,
            )
        )
    result = await auto_match(
        ctx, lambda: tr("{member} resumed mentoring", member=who(ctx.platform, ctx.member))
    )
    text = tr("Welcome back: you can be matched with new mentees again.")
    if result is not None and ctx.member.id in result.matched_mentors:
        text += " " + tr(
            "I've introduced you to a new mentee already — see the private introduction."
        )
    return [*reply(text), *(result.introductions if result else [])]


@handles("mentor", "pause")
async def pause(ctx: Context, options: dict[str, Any]) -> list[Action]:
    return await _set_paused(ctx, True)


@handles("mentor", "resume")
async def resume(ctx: Context, options: dict[str, Any]) -> list[Action]:
    return await _set_paused(ctx, False)


@handles("mentor", "end")
async def end(ctx: Context, options: dict[str, Any]) -> list[Action]:
    store = ctx.store.mentoring
    found = await pairs_with(ctx, options.get("member"))
    if found is None:
        return reply(tr("You have no active mentoring pairing with them."))
    pairs = found
    if not pairs:
        asked = await store.get_request(ctx.member.id)
        if asked and asked.status == "open":
            await store.set_request_status(ctx.member.id, "closed")
            return reply(tr("Your mentor request is withdrawn."))
        return reply(tr("You have no active mentoring pairing to end."))
    if len(pairs) > 1:
        others = [m for m in [await other_side(ctx, p) for p in pairs] if m is not None]
        listed = ", ".join(who(ctx.platform, m) for m in others)
        return reply(
            tr(
                "You have several pairings ({listed}). Say which one: "
                "`{p}mentor end <member> [feedback]`.",
                listed=listed,
                p=ctx.prefix,
            )
        )
    feedback = str(options.get("feedback") or "").strip() or None
    done, notes = await end_pairing(ctx, pairs[0], feedback)
    result = await auto_match(ctx, lambda: tr("a pairing ended"))  # a mentor's seat is free
    return [*reply(done), *notes, *(result.introductions if result else [])]


@handles("mentor", "rematch")
async def rematch(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """A mentee ends their pairing and goes straight back into matching (never the same pair)."""
    mine = [
        p
        for p in await ctx.store.mentoring.active_pairs_of(ctx.member.id)
        if p.mentee_id == ctx.member.id
    ]
    if not mine:
        asked = await ctx.store.mentoring.get_request(ctx.member.id)
        if asked and asked.status != "closed":
            return reply(
                tr(
                    "You don't have a mentor yet: your request is waiting for a match, "
                    "`{p}mentor status` shows it.",
                    p=ctx.prefix,
                )
            )
        return reply(
            tr(
                "You don't have a mentor to swap. `{p}mentor request <tags>` asks for one.",
                p=ctx.prefix,
            )
        )
    feedback = str(options.get("feedback") or "").strip() or None
    done, notes = await end_pairing(ctx, mine[0], feedback, reopen=True)
    result = await auto_match(
        ctx, lambda: tr("{member}'s rematch", member=who(ctx.platform, ctx.member))
    )
    if result is None:
        then = tr(
            "Your request is open again with the same tags and goals: the next matching round "
            "will find you someone new (never the same mentor again)."
        )
    elif ctx.member.id in result.matched_mentees:
        then = tr("I've found you a new mentor already — see the private introduction.")
    else:
        then = tr(
            "Your request is open again; nobody suitable has a free seat right now, so I'll "
            "introduce you as soon as someone does."
        )
    return [*reply(f"{done}\n{then}"), *notes, *(result.introductions if result else [])]


async def on_leave(ctx: Context) -> list[Action]:
    """A member left the community: end their pairings and tell each other side kindly."""
    store = ctx.store.mentoring
    actions: list[Action] = []
    pairs = await store.active_pairs_of(ctx.member.id)
    for pair in pairs:
        await store.end_pair(pair.id, ctx.member.id, None, ctx.clock.now())
        other = await other_side(ctx, pair)
        if other is None or other.left_at is not None:
            continue
        if pair.mentee_id == other.id:
            await store.set_request_status(other.id, "open")  # matchable again
        name = name_in(ctx.platform, other.community_id, ctx.member)
        with use_language(await language_of(ctx, other)):
            if pair.mentee_id == other.id:
                text = tr(
                    "{member} has left the community, so your mentoring pairing has ended. "
                    "Thank you for the time you spent together! Your request is open again: "
                    "you'll be matched with someone new.",
                    member=name,
                )
            else:
                text = tr(
                    "{member} has left the community, so your mentoring pairing has ended. "
                    "Thank you for the time you spent together! `{p}mentor status` shows "
                    "your other pairings and free seats.",
                    member=name,
                    p=ctx.prefix,
                )
        actions.append(SendDirect(await home_of(ctx, other), other.ref, Message(text)))
    if pairs:
        label = quote(ctx.member.label, 60)
        result = await auto_match(ctx, lambda: tr("{member} left", member=label))
        actions.extend(result.introductions if result else [])
    return actions
