"""`/rounds`: peer rounds, Donut-style — members opt in and get introduced in pairs every round.

Members: `join` (also the re-confirmation), `leave`, `pause [rounds]`, `resume`, `status`,
`met yes|no|skip` (the answer to the latest follow-up, also given with buttons). Moderators:
`setup <weekly|biweekly|monthly> [weekday] [time] [timezone] [no_repeat]`, `off`, `run [dry_run]`.
The round itself is `rounds.runs`; its timing and jobs are `rounds.schedule`. Every handler checks
its input first and changes nothing on a bad one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from loguru import logger

from communitybot import typed_choices
from communitybot.chats.jobs import when_for
from communitybot.chats.schedule import (
    ScheduleError,
    heads_up,
    next_occurrence,
    occurrences,
    problems,
)
from communitybot.context import Context
from communitybot.feature import handles
from communitybot.i18n import N_, ntr, tr, use_language
from communitybot.i18n.choice import community_language, member_language
from communitybot.i18n.dates import day_time, full_datetime, short_day
from communitybot.introductions import name_in
from communitybot.models import Member
from communitybot.numbers import parse_int
from communitybot.replies import Action, Message, SendDirect, SendToChannel, reply
from communitybot.rounds import schedule as round_schedule
from communitybot.rounds.runs import (
    DEFAULT_NO_REPEAT,
    MET_PREFIX,
    RECONFIRM_AFTER,
    REJOIN_ID,
    names,
    run_round,
    who,
)
from communitybot.rounds.schedule import (
    DEFAULT_TIMEZONE,
    RoundInputError,
    describe,
    parse_frequency,
    parse_time,
    parse_weekday,
    round_key,
    schedule_of,
)
from communitybot.store.jobs import Job
from communitybot.store.rounds import ANSWERS, Answer, Participant, RoundSettings, Seat
from communitybot.timezones import TimezoneError, ZoneReading, describe_zone, read_timezone

MAX_PAUSE = 12
MAX_NO_REPEAT = 52
STATUS_GROUPS = 3
PREVIEW_LINES = 20
LATE_LIMIT = timedelta(days=2)
"""A scheduled round found later than this (the bot was down) is skipped, not run days late."""
_UNTIL_RESUMED = {"all", "until", "indefinitely", "forever", "until-resumed", "off"}
_ANSWER_TEXT: dict[Answer, str] = {
    "yes": N_("Wonderful — thanks for letting me know! 🎉 I hope it was useful."),
    "no": N_("Thanks! There's still time: a short message suggesting two slots often does it."),
    "skip": N_("Thanks for telling me — it happens. I'll introduce you to someone new next round."),
}
_SEAT_STATE: dict[Answer | None, str] = {
    "yes": N_("you met"),
    "no": N_("not met yet"),
    "skip": N_("couldn't meet"),
    None: N_("no answer yet"),
}


# Helpers ----------------------------------------------------------------------------------------


def _when(settings: RoundSettings, moment: datetime, member: Member) -> str:
    """ "Tuesday 19 January, 19:00 (Europe/London)" in the member's zone (else the rounds'), as
    `chats.jobs.when_for` writes it, in the reader's language (`i18n.dates`)."""
    zone_name = member.timezone or settings.timezone
    try:
        local = moment.astimezone(ZoneInfo(zone_name))
    except (OverflowError, ValueError):
        return when_for(moment, member.timezone, settings.timezone)
    return f"{day_time(local)} ({describe_zone(zone_name)})"


def _next_round(ctx: Context, settings: RoundSettings | None) -> str:
    if settings is None or not settings.active or settings.next_at is None:
        return tr(
            "Rounds aren't scheduled right now: I'll introduce you when a moderator runs one."
        )
    return tr("The next round is on {when}.", when=_when(settings, settings.next_at, ctx.member))


def _not_joined(ctx: Context) -> list[Action]:
    return reply(
        tr("You haven't joined peer rounds yet: `{p}rounds join` does that.", p=ctx.prefix)
    )


def _names_here(ctx: Context, members: list[Member]) -> str:
    """Partners as named to the acting member: a partner from another affiliate (a network
    round) as inert text."""
    if all(m.community_id == ctx.member.community_id for m in members):
        return names(ctx.platform, members)
    return ", ".join(name_in(ctx.platform, ctx.member.community_id, m) for m in members)


async def _partners(ctx: Context, seat: Seat) -> list[Member]:
    found = []
    for member_id in seat.group.member_ids:
        if member_id != ctx.member.id:
            member = await ctx.store.members.get_by_id(member_id)
            if member is not None:
                found.append(member)
    return found


def _return_date(ctx: Context, settings: RoundSettings | None, skip: int) -> str:
    """When a member pausing for `skip` rounds is matched again, if rounds are scheduled."""
    if settings is None or not settings.active or settings.next_at is None:
        return ""
    ahead = occurrences(schedule_of(settings), settings.next_at - timedelta(seconds=1), skip + 1)
    if len(ahead) <= skip:
        return ""
    return " " + tr(
        "You'll be matched again from {when}.",
        when=_when(settings, ahead[skip].start, ctx.member),
    )


# Members ----------------------------------------------------------------------------------------


@handles("rounds", "join")
async def join(ctx: Context, options: dict[str, Any]) -> list[Action]:
    store = ctx.store.rounds
    before = await store.participant(ctx.member.id)
    await store.join(ctx.member.id, ctx.community.id, ctx.clock.now())
    settings = await store.settings(ctx.community.id)
    if before is None:
        lines = [
            tr(
                "You're in! 🤝 Every round I'll introduce you privately to one or two members "
                "who share your interests and whose time zone suits you."
            )
        ]
        if not await ctx.store.tags.member_tag_ids(ctx.member.id):
            lines.append(
                tr(
                    "Tip: add interest tags with `{p}tags add` so I can find people who share "
                    "them.",
                    p=ctx.prefix,
                )
            )
    elif before.status == "active":
        lines = [tr("You're already taking part in peer rounds — see you in the next one.")]
    elif before.status == "paused":
        lines = [tr("Welcome back: you're no longer paused.")]
    else:
        lines = [tr("Thanks for confirming — you're back in the peer rounds.")]
    lines.append(_next_round(ctx, settings))
    lines.append(tr("`{p}rounds pause` skips a round, `{p}rounds leave` stops them.", p=ctx.prefix))
    return reply("\n".join(lines))


@handles("rounds", "leave")
async def leave(ctx: Context, options: dict[str, Any]) -> list[Action]:
    if not await ctx.store.rounds.leave(ctx.member.id):
        return reply(tr("You're not taking part in peer rounds, so there's nothing to leave."))
    return reply(
        tr(
            "You've left the peer rounds: no more introductions. Anyone you've already met is "
            "still just a message away. `{p}rounds join` brings you back any time.",
            p=ctx.prefix,
        )
    )


def _pause_count(raw: Any) -> int | None:
    """Rounds to skip: 1 by default, None for "until resumed"; RoundInputError if unreadable."""
    text = str(raw if raw is not None else "").strip().casefold()
    if not text:
        return 1
    if text in _UNTIL_RESUMED:
        return None
    count = parse_int(text, 1, MAX_PAUSE)
    if count is not None:
        return count
    raise RoundInputError(
        tr(
            "Say how many rounds to skip, from 1 to {max}, or `all` to pause until you resume, "
            "e.g. `rounds pause 2`.",
            max=MAX_PAUSE,
        )
    )


@handles("rounds", "pause")
async def pause(ctx: Context, options: dict[str, Any]) -> list[Action]:
    try:
        count = _pause_count(options.get("rounds"))
    except RoundInputError as error:
        return reply(str(error))
    if await ctx.store.rounds.participant(ctx.member.id) is None:
        return _not_joined(ctx)
    await ctx.store.rounds.pause(ctx.member.id, count, ctx.clock.now())
    if count is None:
        return reply(
            tr(
                "Paused until you say so: `{p}rounds resume` when you're ready again.",
                p=ctx.prefix,
            )
        )
    settings = await ctx.store.rounds.settings(ctx.community.id)
    skipped = ntr(
        "Paused: you'll skip the next round.", "Paused: you'll skip the next {n} rounds.", count
    )
    early = tr("`{p}rounds resume` ends the pause early.", p=ctx.prefix)
    return reply(f"{skipped}{_return_date(ctx, settings, count)} {early}")


@handles("rounds", "resume")
async def resume(ctx: Context, options: dict[str, Any]) -> list[Action]:
    participant = await ctx.store.rounds.participant(ctx.member.id)
    if participant is None:
        return _not_joined(ctx)
    if participant.status == "active":
        return reply(tr("You're not paused: you're in the next round already."))
    return await join(ctx, options)


def _state(ctx: Context, participant: Participant) -> str:
    if participant.status == "active":
        return tr("• You're taking part.")
    if participant.status == "on_hold":
        return ntr(
            "• **On hold**: you didn't answer the follow-ups of your last {n} rounds, so I'm "
            "not matching you until you confirm with `{p}rounds join`.",
            "• **On hold**: you didn't answer the follow-ups of your last {n} rounds, so I'm "
            "not matching you until you confirm with `{p}rounds join`.",
            RECONFIRM_AFTER,
            p=ctx.prefix,
        )
    if participant.skip_rounds is None:
        return tr("• Paused until you resume (`{p}rounds resume`).", p=ctx.prefix)
    return ntr(
        "• Paused: skipping the next round.",
        "• Paused: skipping the next {n} rounds.",
        participant.skip_rounds,
    )


@handles("rounds", "status")
async def status(ctx: Context, options: dict[str, Any]) -> list[Action]:
    store = ctx.store.rounds
    participant = await store.participant(ctx.member.id)
    settings = await store.settings(ctx.community.id)
    lines = [tr("**Your peer rounds**")]
    if participant is None:
        lines.append(tr("• You're not taking part. `{p}rounds join` to join.", p=ctx.prefix))
    else:
        lines.append(_state(ctx, participant))
    if settings is not None and settings.active and settings.next_at is not None:
        lines.append(
            tr(
                "• Rounds run {schedule}; the next is on {when}.",
                schedule=describe(settings),
                when=_when(settings, settings.next_at, ctx.member),
            )
        )
    else:
        lines.append(tr("• Rounds aren't scheduled right now (a moderator can run one any time)."))
    seats = await store.seats_of(ctx.member.id, STATUS_GROUPS)
    open_question: tuple[Seat, list[Member]] | None = None
    if seats:
        lines.append(tr("• Your last partners:"))
    for seat in seats:
        partners = await _partners(ctx, seat)
        if not partners:
            continue
        shared = tr(" (you share {tags})", tags=seat.group.shared) if seat.group.shared else ""
        state = tr(_SEAT_STATE[seat.answer]) if seat.asked_at else tr("introduced")
        lines.append(f"  – {seat.group.round_key}: {_names_here(ctx, partners)}{shared} — {state}")
        if open_question is None and seat.asked_at is not None and seat.answer is None:
            open_question = (seat, partners)
    if open_question is not None:
        lines.append(
            tr(
                "Did you meet {names}? `{p}rounds met yes`, `no` or `skip`.",
                names=_names_here(ctx, open_question[1]),
                p=ctx.prefix,
            )
        )
    upcoming = settings.next_at if settings is not None and settings.active else None
    return reply("\n".join(lines), moments=(upcoming,) if upcoming else ())


async def _answer(ctx: Context, seat: Seat, answer: Answer) -> list[Action]:
    changed = seat.answer is not None and seat.answer != answer
    await ctx.store.rounds.answer(seat.group.id, ctx.member.id, answer, ctx.clock.now())
    text = tr(_ANSWER_TEXT[answer])
    if changed:
        text = tr("Updated.") + " " + text
    participant = await ctx.store.rounds.participant(ctx.member.id)
    if participant is not None and participant.status == "on_hold":
        text += "\n" + tr(
            "You're on hold for the next rounds: `{p}rounds join` and I'll match you again.",
            p=ctx.prefix,
        )
    return reply(text)


@handles("rounds", "met")
async def met(ctx: Context, options: dict[str, Any]) -> list[Action]:
    answer = str(options.get("answer") or "").strip().casefold()
    if answer not in ANSWERS:
        return reply(tr("Please answer yes, no or skip, e.g. `{p}rounds met yes`.", p=ctx.prefix))
    asked = [s for s in await ctx.store.rounds.seats_of(ctx.member.id, 10) if s.asked_at]
    if not asked:
        return reply(
            tr(
                "I haven't asked you about a peer round yet: I do that a few days after an "
                "introduction."
            )
        )
    open_seats = [s for s in asked if s.answer is None]
    return await _answer(ctx, (open_seats or asked)[0], answer)


# Moderators -------------------------------------------------------------------------------------


def _no_repeat(raw: Any, settings: RoundSettings | None) -> int:
    if raw is None:
        return settings.no_repeat_rounds if settings else DEFAULT_NO_REPEAT
    if isinstance(raw, int) and 0 <= raw <= MAX_NO_REPEAT:
        return raw
    raise RoundInputError(
        tr(
            "`no_repeat` is how many rounds two people aren't paired again: 0 to {max}.",
            max=MAX_NO_REPEAT,
        )
    )


@handles("rounds", "setup")
async def setup(ctx: Context, options: dict[str, Any]) -> list[Action]:
    now = ctx.clock.now()
    store = ctx.store.rounds
    old = await store.settings(ctx.community.id)
    raw_zone = options.get("timezone")
    try:
        frequency = parse_frequency(str(options.get("frequency") or ""))
        weekday = parse_weekday(options.get("weekday"))
        at = parse_time(options.get("time"))
        zone = read_timezone(str(raw_zone), now) if raw_zone else ZoneReading(DEFAULT_TIMEZONE)
        timezone = zone.name
        no_repeat = _no_repeat(options.get("no_repeat"), old)
        schedule = round_schedule.build(frequency, weekday, at, timezone, now)
    except (RoundInputError, TimezoneError, ScheduleError) as error:
        return reply(tr("{error} Nothing was changed.", error=error))
    first = next_occurrence(schedule, now)
    assert first is not None
    if old is not None:
        await round_schedule.cancel_next(ctx.store, old, now)
    saved = await store.put_settings(
        ctx.community.id,
        frequency,
        weekday,
        at,
        timezone,
        no_repeat,
        schedule.anchor,
        first.start,
        now,
    )
    await round_schedule.schedule_next(ctx.store, saved, now)
    counts = await store.counts(ctx.community.id)
    lines = [
        tr("Peer rounds are on: {schedule}.", schedule=schedule.describe()),
        tr(
            "First round: {when} ({zone}).",
            when=full_datetime(first.local),
            zone=describe_zone(timezone),
        ),
        ntr(
            "Nobody is paired with the same person again within {n} round(s).",
            "Nobody is paired with the same person again within {n} round(s).",
            no_repeat,
        )
        if no_repeat
        else tr("Pairs may repeat from one round to the next (`no_repeat` is 0)."),
    ]
    if not raw_zone:
        lines.append(
            tr(
                "No time zone was given, so the time is UTC. Add e.g. `timezone=Europe/London` "
                "to use yours."
            )
        )
    if zone.note:
        lines.append(zone.note)
    notes = problems(schedule, now)
    if notes:
        lines += heads_up(notes[:3])
    lines.append(
        ntr(
            "{n} member(s) taking part so far; members join with `{p}rounds join`. "
            "`{p}rounds run dry_run=on` previews a round.",
            "{n} member(s) taking part so far; members join with `{p}rounds join`. "
            "`{p}rounds run dry_run=on` previews a round.",
            counts.taking_part,
            p=ctx.prefix,
        )
    )
    actions: list[Action] = reply("\n".join(lines), moments=(first.start,))
    modlog = ctx.community.modlog_channel
    if modlog:
        with use_language(community_language(ctx.community)):
            text = tr(
                "⚙️ {member} set up peer rounds: {schedule}.",
                member=who(ctx.platform, ctx.member),
                schedule=schedule.describe(),
            )
        actions.append(SendToChannel(ctx.community.ref, modlog, Message(text)))
    return actions


@handles("rounds", "off")
async def off(ctx: Context, options: dict[str, Any]) -> list[Action]:
    now = ctx.clock.now()
    settings = await ctx.store.rounds.settings(ctx.community.id)
    if settings is None or not settings.active:
        return reply(
            tr(
                "Peer rounds aren't scheduled, so there's nothing to turn off. "
                "`{p}rounds setup weekly` schedules them.",
                p=ctx.prefix,
            )
        )
    await round_schedule.cancel_next(ctx.store, settings, now)
    await ctx.store.rounds.turn_off(ctx.community.id, now)
    actions: list[Action] = reply(
        tr(
            "Peer rounds are off: no more scheduled rounds. Members stay opted in; "
            "`{p}rounds setup` turns them on again, `{p}rounds run` runs one now.",
            p=ctx.prefix,
        )
    )
    modlog = ctx.community.modlog_channel
    if modlog:
        with use_language(community_language(ctx.community)):
            text = tr("⚙️ {member} turned peer rounds off.", member=who(ctx.platform, ctx.member))
        actions.append(SendToChannel(ctx.community.ref, modlog, Message(text)))
    return actions


@handles("rounds", "run")
async def run(ctx: Context, options: dict[str, Any]) -> list[Action]:
    now = ctx.clock.now()
    settings = await ctx.store.rounds.settings(ctx.community.id)
    key = round_key(now, settings.timezone if settings else DEFAULT_TIMEZONE)
    dry_run = bool(options.get("dry_run"))
    result = await run_round(ctx, ctx.community, now, key, "manual", dry_run=dry_run)
    if result.already_ran:
        return reply(
            tr(
                "Today's peer round ({key}) has already run, so nobody is introduced twice.",
                key=key,
            )
            + " "
            + _next_round(ctx, settings)
        )
    if result.eligible < 2:
        return reply(
            ntr(
                "Nobody to pair: {n} member(s) can be matched right now ({paused} paused, "
                "{held} on hold). A round needs at least 2; members join with `{p}rounds join`. "
                "Nothing was changed.",
                "Nobody to pair: {n} member(s) can be matched right now ({paused} paused, "
                "{held} on hold). A round needs at least 2; members join with `{p}rounds join`. "
                "Nothing was changed.",
                result.eligible,
                paused=result.paused,
                held=result.waiting + len(result.newly_on_hold),
                p=ctx.prefix,
            )
        )
    if dry_run:
        lines = [
            tr(
                "**Preview** (nothing saved, nobody told): {summary}",
                summary=result.summary(preview=True),
            )
        ]
        for group in result.groups[:PREVIEW_LINES]:
            shared = ", ".join(group.shared) or tr("no shared tags")
            lines.append(f"• {names(ctx.platform, group.members)} ({shared})")
        if len(result.groups) > PREVIEW_LINES:
            more = len(result.groups) - PREVIEW_LINES
            lines.append(ntr("… and {n} more.", "… and {n} more.", more))
        return reply("\n".join(lines))
    actions: list[Action] = reply(result.summary())
    actions += result.actions
    modlog = ctx.community.modlog_channel
    if modlog:
        with use_language(community_language(ctx.community)):
            text = tr(
                "🤝 {member} ran a round. {summary}",
                member=who(ctx.platform, ctx.member),
                summary=result.summary(),
            )
        actions.append(SendToChannel(ctx.community.ref, modlog, Message(text)))
    return actions


# Scheduled work ---------------------------------------------------------------------------------


async def run_scheduled(jctx: Context, job: Job) -> list[Action]:
    """The round due now: move the schedule on first (the chain never stalls), then run it."""
    store = jctx.store
    community_id = int(job.payload["community"])
    due = datetime.fromisoformat(str(job.payload["at"]))
    settings = await store.rounds.settings(community_id)
    if (
        settings is None
        or not settings.active
        or settings.generation != int(job.payload["generation"])
        or settings.next_at != due
    ):
        return []  # the schedule was changed or turned off after this job was planned
    community = await store.communities.get_by_id(community_id)
    if community is None:
        return []
    await round_schedule.advance(store, settings, due, jctx.now)
    key = round_key(due, settings.timezone)
    modlog = community.modlog_channel
    if jctx.now - due > LATE_LIMIT:
        logger.warning("peer round {} of community {} was missed", key, community_id)
        if modlog:
            with use_language(community_language(community)):
                text = tr("⚠️ Peer round {key} was skipped: I was offline when it was due.", key=key)
            return [SendToChannel(community.ref, modlog, Message(text))]
        return []
    result = await run_round(jctx, community, jctx.now, key, "schedule")
    actions = list(result.actions)
    if modlog and not result.already_ran:
        with use_language(community_language(community)):
            if result.eligible < 2:
                text = ntr(
                    "🤝 Peer round {key}: nobody to pair ({n} member(s) available, {paused} "
                    "paused, {held} on hold).",
                    "🤝 Peer round {key}: nobody to pair ({n} member(s) available, {paused} "
                    "paused, {held} on hold).",
                    result.eligible,
                    key=key,
                    paused=result.paused,
                    held=result.waiting + len(result.newly_on_hold),
                )
            else:
                text = f"🤝 {result.summary()}"
        actions.append(SendToChannel(community.ref, modlog, Message(text)))
    return actions


# Buttons, leaving, figures ----------------------------------------------------------------------


async def on_choice(ctx: Context, custom_id: str, values: tuple[str, ...]) -> list[Action] | None:
    """The follow-up buttons ("rounds:met:<group>") and the re-confirmation ("rounds:rejoin")."""
    value = values[0].casefold() if values else ""
    if custom_id == REJOIN_ID:
        await typed_choices.answered(ctx, custom_id)
        if value == "leave":
            return await leave(ctx, {})
        return await join(ctx, {})
    if not custom_id.startswith(MET_PREFIX):
        return None
    group_id = custom_id.removeprefix(MET_PREFIX)
    seats = await ctx.store.rounds.seats_of(ctx.member.id, 50)
    seat = next((s for s in seats if str(s.group.id) == group_id and s.asked_at), None)
    if seat is None or value not in ANSWERS:
        return reply(
            tr(
                "That question is no longer open. `{p}rounds status` shows your rounds.",
                p=ctx.prefix,
            )
        )
    await typed_choices.answered(ctx, custom_id)
    return await _answer(ctx, seat, value)


async def on_leave(ctx: Context) -> list[Action]:
    """A member left the community: out of the rounds; their open groups are told kindly."""
    await ctx.store.rounds.leave(ctx.member.id)
    actions: list[Action] = []
    for group in await ctx.store.rounds.open_groups_of(ctx.member.id):
        others = []
        for member_id in group.member_ids:
            member = await ctx.store.members.get_by_id(member_id)
            if member is not None and member.id != ctx.member.id and member.left_at is None:
                others.append(member)
        alone = len(others) < 2
        if alone:
            await ctx.store.rounds.close_group(group.id, ctx.clock.now())
        for member in others:
            home = ctx.community
            if member.community_id != ctx.community.id:  # a network round: told at home
                home = await ctx.store.communities.get_by_id(member.community_id) or home
            name = name_in(ctx.platform, member.community_id, ctx.member)
            with use_language(member_language(member, home)):
                after = (
                    tr("I'll introduce you to someone new in the next round.")
                    if alone
                    else tr("The two of you can still meet — enjoy!")
                )
                text = tr(
                    "{member} has left the community, so they can't meet you for this peer "
                    "round. Sorry about that! {after}",
                    member=name,
                    after=after,
                )
            actions.append(SendDirect(home.ref, member.ref, Message(text)))
    return actions


async def stats_line(ctx: Context) -> str:
    """One line for `/stats`."""
    counts = await ctx.store.rounds.counts(ctx.community.id)
    settings = await ctx.store.rounds.settings(ctx.community.id)
    if settings is not None and settings.active and settings.next_at is not None:
        local = settings.next_at.astimezone(schedule_of(settings).zone)
        when = tr("{schedule}, next {day}", schedule=describe(settings), day=short_day(local))
    else:
        when = tr("not scheduled")
    line = tr(
        "• Peer rounds: {when}; {taking_part} taking part ({paused} paused, {on_hold} on hold)",
        when=when,
        taking_part=counts.taking_part,
        paused=counts.paused,
        on_hold=counts.on_hold,
    )
    if counts.last_round_key:
        line += tr(
            "; {rounds} round(s) so far, the last ({key}): {groups} group(s), {met} of "
            "{members} said they met",
            rounds=counts.rounds,
            key=counts.last_round_key,
            groups=counts.last_groups,
            met=counts.last_met,
            members=counts.last_members,
        )
    return line
