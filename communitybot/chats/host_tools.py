"""Host tools for a running chat (issue #15): `chat pause|resume|next-question|end`.

Who may: the series' hosts and the community's moderators (as for `chat questions`), and only
while that chat runs. Whatever the chat should see goes through `chats.run.to_chat`, so every
place of the run hears it (a network chat's legs too).

A pause lives in the store (`chat_run_pauses`), so a restarted bot keeps it. While paused, the
question jobs that fire do nothing; `resume` re-creates the questions still to come, later by
the pause's length, and moves the end by as much, so the chat keeps its length. The jobs'
idempotency keys carry the pause's number: a finished job's key is never scheduled again, so a
re-created job needs a key of its own. The total pause is capped at the chat's own length: at
`pause` the end job moves to the latest end the cap allows, so a pause nobody resumes ends the
chat there, with its recap (the questions not asked are not posted).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from communitybot.chats import run as chat_run
from communitybot.chats import run_jobs
from communitybot.chats.details import no_such_chat
from communitybot.chats.input import ChatInputError, parse_hashtag
from communitybot.chats.jobs import when_for
from communitybot.chats.network import find_network_series
from communitybot.context import Context
from communitybot.feature import handles
from communitybot.i18n import N_, ntr, tr
from communitybot.replies import Action, Message, reply
from communitybot.store.chat_runs import ChatRun, RunPause
from communitybot.store.chats import ChatSeries

PAUSED = N_("⏸️ The host paused the questions.")


def question_job_key(run_id: int, number: int, pauses: int) -> str:
    """The question's job after `pauses` resumed pauses (0: the job `begin` scheduled)."""
    base = run_jobs.question_key(run_id, number)
    return base if pauses == 0 else f"{base}:resume-{pauses}"


def end_job_key(run_id: int, pauses: int, paused: bool) -> str:
    """The run's end job: `begin`'s, the cap's while pause n lasts, or the one after resume n."""
    base = run_jobs.end_key(run_id)
    if pauses == 0:
        return base
    return f"{base}:{'pause' if paused else 'resume'}-{pauses}"


def _minutes(span: timedelta) -> str:
    minutes = max(1, round(span.total_seconds() / 60))
    return ntr("{n} minute", "{n} minutes", minutes)


def length(run: ChatRun, pause: RunPause) -> timedelta:
    """The chat's own length: its end minus its start, less the finished pauses."""
    return run.ends_at - run.started_at - pause.shift


def allowance(run: ChatRun, pause: RunPause) -> timedelta:
    """How much longer the questions may be paused in all (the cap: the chat's length)."""
    return max(timedelta(0), length(run, pause) - pause.shift)


async def _not_running(ctx: Context, hashtag: str) -> str:
    series = await ctx.store.chats.find(ctx.community.id, hashtag)
    series = series or await find_network_series(ctx, hashtag)
    if series is None:
        return no_such_chat(ctx, hashtag)
    if series.next_start is None:
        return tr("#{hashtag} is not running now, and no chat of it is scheduled.", hashtag=hashtag)
    when = when_for(series.next_start, ctx.member.timezone, series.schedule.timezone)
    return tr("#{hashtag} is not running now; it next starts {when}.", hashtag=hashtag, when=when)


async def _running(ctx: Context, options: dict[str, Any]) -> tuple[ChatSeries, ChatRun] | str:
    """The running chat named by `hashtag` and its series if the member may steer it, or the
    reply that says why not."""
    try:
        hashtag = parse_hashtag(str(options["hashtag"]))
    except ChatInputError as error:
        return str(error)
    network = await ctx.store.networks.of_community(ctx.community.id)
    run = await ctx.store.chat_runs.running_of_hashtag(
        ctx.community.id, hashtag, network.id if network else None
    )
    series = await ctx.store.chats.get(run.series_id) if run is not None else None
    if series is None:
        series = await ctx.store.chats.find(ctx.community.id, hashtag)
    if series is None:
        series = await find_network_series(ctx, hashtag)
    if series is not None and not await _may_steer(ctx, series):
        if series.network_id is not None:
            return tr(
                "Only the network's stewards and the hosts of #{hashtag} can steer its chat.",
                hashtag=hashtag,
            )
        return tr(
            "Only moderators and the hosts of #{hashtag} can steer its chat.", hashtag=hashtag
        )
    if run is None or series is None:
        return await _not_running(ctx, hashtag)
    return series, run


async def _may_steer(ctx: Context, series: ChatSeries) -> bool:
    """Its hosts; for a community chat its moderators, for a network chat the network's
    stewards (an affiliate's moderators steer only their own chats)."""
    if ctx.member.id in await ctx.store.chats.hosts(series.id):
        return True
    if series.network_id is None:
        return ctx.is_moderator
    return await ctx.store.networks.is_steward(series.network_id, ctx.member.ref)


async def _move_end(
    ctx: Context, run: ChatRun, old_key: str, new_key: str, ends_at: datetime
) -> None:
    await ctx.store.jobs.cancel(old_key, ctx.now)
    await run_jobs.schedule_end(ctx.store, run, ends_at, new_key, ctx.now)


@handles("chat", "pause")
async def pause(ctx: Context, options: dict[str, Any]) -> list[Action]:
    found = await _running(ctx, options)
    if isinstance(found, str):
        return reply(found)
    series, run = found
    tag = series.hashtag
    state = await ctx.store.chat_runs.pause_state(run.id)
    if state.paused_at is not None:
        return reply(
            tr(
                "The questions of #{hashtag} are already paused (for {minutes} now). "
                "`{command}` resumes them.",
                hashtag=tag,
                minutes=_minutes(ctx.now - state.paused_at),
                command=f"{ctx.prefix}chat resume {tag}",
            )
        )
    left = allowance(run, state)
    if left < timedelta(minutes=1):
        return reply(
            tr(
                "The questions of #{hashtag} have been paused for {minutes} in all, as long as "
                "the chat itself: they can't be paused again. `{command}` ends the chat now.",
                hashtag=tag,
                minutes=_minutes(state.shift),
                command=f"{ctx.prefix}chat end {tag}",
            )
        )
    paused = await ctx.store.chat_runs.pause(run.id, ctx.now)
    cap_end = run.ends_at + left
    await _move_end(
        ctx,
        run,
        end_job_key(run.id, paused.pauses - 1, False),
        end_job_key(run.id, paused.pauses, True),
        cap_end,
    )
    answer = tr(
        "Paused the questions of #{hashtag}: none is posted until `{resume}`. The questions "
        "still to come and the end then move later by the pause's length. If they are still "
        "paused {minutes} from now (pauses may add up to the chat's own length), the chat ends "
        "then, with its recap. `{next}` posts the next question meanwhile.",
        hashtag=tag,
        resume=f"{ctx.prefix}chat resume {tag}",
        minutes=_minutes(cap_end - ctx.now),
        next=f"{ctx.prefix}chat next-question {tag}",
    )
    return reply(answer) + await chat_run.to_chat(ctx, run, lambda: Message(tr(PAUSED)))


@handles("chat", "resume")
async def resume(ctx: Context, options: dict[str, Any]) -> list[Action]:
    found = await _running(ctx, options)
    if isinstance(found, str):
        return reply(found)
    series, run = found
    tag = series.hashtag
    state = await ctx.store.chat_runs.pause_state(run.id)
    if state.paused_at is None:
        return reply(
            tr(
                "The questions of #{hashtag} are not paused: nothing to resume. (`{command}` "
                "pauses them.)",
                hashtag=tag,
                command=f"{ctx.prefix}chat pause {tag}",
            )
        )
    span = min(ctx.now - state.paused_at, allowance(run, state))
    span = timedelta(seconds=int(span.total_seconds()))
    resumed = await ctx.store.chat_runs.resume(run.id, span)
    moved = await ctx.store.chat_runs.get(run.id)
    assert moved is not None
    generation = resumed.pauses
    for question in moved.questions:
        if question.number <= moved.current_question:
            continue  # posted already (before the pause, or by `chat next-question`)
        await ctx.store.jobs.cancel(
            question_job_key(run.id, question.number, generation - 1), ctx.now
        )
        await run_jobs.schedule_question(
            ctx.store,
            run,
            question.number,
            moved.started_at + timedelta(minutes=question.offset) + resumed.shift,
            question_job_key(run.id, question.number, generation),
            ctx.now,
        )
    await _move_end(
        ctx,
        run,
        end_job_key(run.id, generation, True),
        end_job_key(run.id, generation, False),
        moved.ends_at,
    )

    def later() -> str:
        return _minutes(span) if span >= timedelta(seconds=30) else tr("less than a minute")

    def note() -> Message:
        return Message(
            tr(
                "▶️ Questions resume. The questions still to come and the chat's end move "
                "{later} later.",
                later=later(),
            )
        )

    answer = tr(
        "Resumed the questions of #{hashtag}: they and the end moved {later} later.",
        hashtag=tag,
        later=later(),
    )
    return reply(answer) + await chat_run.to_chat(ctx, moved, note)


@handles("chat", "next-question")
async def next_question(ctx: Context, options: dict[str, Any]) -> list[Action]:
    found = await _running(ctx, options)
    if isinstance(found, str):
        return reply(found)
    series, run = found
    tag = series.hashtag
    number = run.current_question + 1
    if not run.questions:
        return reply(tr("#{hashtag} has no questions: it is an open conversation.", hashtag=tag))
    if run.question(number) is None:
        return reply(
            ntr(
                "All {n} question of #{hashtag} have been posted: there is no next one.",
                "All {n} questions of #{hashtag} have been posted: there is no next one.",
                len(run.questions),
                hashtag=tag,
            )
        )
    state = await ctx.store.chat_runs.pause_state(run.id)
    answer = tr(
        "Posted **Q{number}** in #{hashtag} now; the questions after it keep their times.",
        number=number,
        hashtag=tag,
    )
    if state.paused_at is not None:
        answer += " " + tr(
            "The questions stay paused: `{command}` resumes them.",
            command=f"{ctx.prefix}chat resume {tag}",
        )
    return reply(answer) + await chat_run.ask(ctx, run, number)


@handles("chat", "end")
async def end(ctx: Context, options: dict[str, Any]) -> list[Action]:
    found = await _running(ctx, options)
    if isinstance(found, str):
        return reply(found)
    series, run = found
    await ctx.store.chat_runs.set_ends_at(run.id, ctx.now)  # the transcript shows when it ended
    ended = await ctx.store.chat_runs.get(run.id)
    assert ended is not None
    recap = await chat_run.close(ctx, ended)
    return (
        reply(tr("Ended #{hashtag} now: the recap is posted in the chat.", hashtag=series.hashtag))
        + recap
    )
