"""A topic chat while it runs: open it, post its questions on time, listen, end with a recap.

The chat-start job (`chats.jobs.run_start`) hands over to `begin` once the series has moved on.
`begin` records one run per occurrence (series, start): the place the chat happens (a Discord
thread, or the channel itself), the questions with their minutes, and a `chat.question` job per
question plus a `chat.end` job, keyed by run, so a restarted bot neither opens a second thread
nor repeats a question. Members' messages in that place are recorded (`on_channel_message`),
answers recognised by an "A1 …" prefix; at the end the recap (`chats.recap`) is posted there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from loguru import logger

from communitybot import units
from communitybot.chats import late_start, network_recap
from communitybot.chats import legs as chat_legs
from communitybot.chats import recap as chat_recap
from communitybot.chats import relay as chat_relay
from communitybot.chats.hosts import hosts_line
from communitybot.chats.run_jobs import schedule_run
from communitybot.chats.script import planned
from communitybot.chats.welcome import about_line, questions_line
from communitybot.context import Context
from communitybot.events import ChannelMessage, CommunityRef
from communitybot.i18n import tr, use_language
from communitybot.i18n.choice import community_language
from communitybot.models import Community
from communitybot.ports import PlatformError
from communitybot.replies import Action, Message, SendToChannel
from communitybot.store.chat_runs import ChatRun, NewMessage, RunQuestion
from communitybot.store.chats import ChatSeries
from communitybot.store.jobs import Job
from communitybot.store.store import Store
from communitybot.text import neutralize_mass_mentions, quote

MAX_STORED_TEXT = 4000
STALE_RECAP = timedelta(hours=24)
"""A recap found later than this after the chat (the bot was down) is not posted any more."""
_ANSWER = re.compile(r"^\W{0,3}A([0-9]{1,2})\b", re.IGNORECASE)


# Starting ----------------------------------------------------------------------
async def _welcome(ctx: Context, series: ChatSeries, questions: list[RunQuestion]) -> Message:
    lines = [
        tr(
            "🗣️ **#{hashtag}: {title}** starts now ({minutes} minutes). Welcome, everyone!",
            hashtag=series.hashtag,
            title=quote(series.title, 200),
            minutes=series.duration_minutes,
        )
    ]
    hosted = await hosts_line(ctx.store, ctx.platform, series)
    if hosted:
        lines.append(hosted)
    if series.description:
        lines.append(about_line(series.description))
    lines.append(questions_line(len(questions)))
    lines.append(
        tr(
            "Reply to and mention each other: the recap at the end suggests who to follow up "
            "with. Messages here are kept for the transcript (`{transcript}`); `{forget}` "
            "removes yours.",
            transcript=f"{ctx.prefix}chat transcript {series.hashtag}",
            forget=f"{ctx.prefix}forgetme",
        )
    )
    return Message("\n".join(lines), ping_role=series.ping_role)


async def begin(
    ctx: Context, community: Community, series: ChatSeries, start_at: datetime
) -> list[Action]:
    """Open the chat that starts at `start_at` (once) and schedule its questions and its end.

    This is the one place a job calls the platform itself instead of returning an action: the
    id of the thread the platform opens must be stored with the run, in the same transaction.
    If the thread cannot be made (PlatformError), the chat runs in the channel and the welcome
    goes out as an ordinary action. A crash after the thread was opened but before the commit
    can leave an unused thread; a committed run is never opened twice.
    """
    if series.network_id is not None:  # one leg per affiliate (issue #15)
        return await chat_legs.begin_network(ctx, community, series, start_at)
    existing = await ctx.store.chat_runs.for_occurrence(series.id, start_at)
    if existing is not None:
        logger.info("chat #{} of {} is already open", series.hashtag, start_at)
        return []
    script = await ctx.store.chat_runs.script(series.id)
    questions = planned(script, series.duration_minutes)
    await ctx.store.chat_runs.clear_script(series.id)  # a script serves one chat
    with use_language(community_language(community)):  # the channel's language
        welcome = await _welcome(ctx, series, questions)
        late = late_start.note(questions, start_at, ctx.now)
    if late is not None:  # the bot was down at the start: say so, skip the overdue questions
        welcome = replace(welcome, text=f"{welcome.text}\n{late}")
    safe = replace(welcome, text=neutralize_mass_mentions(welcome.text))
    actions: list[Action] = []
    try:
        conversation = await units.outside(  # a network call: outside the transaction if it can
            ctx.platform.open_chat_thread,
            community.ref,
            series.channel_id,
            f"#{series.hashtag}: {series.title}"[:100],
            safe,
        )
        in_thread = conversation != series.channel_id
    except PlatformError as error:
        logger.warning(
            "no thread for chat #{} ({}); it runs in the channel itself", series.hashtag, error
        )
        conversation, in_thread = series.channel_id, False
        actions.append(SendToChannel(community.ref, series.channel_id, welcome))
    run = await ctx.store.chat_runs.create(
        series.id,
        community.id,
        start_at,
        timedelta(minutes=series.duration_minutes),
        conversation,
        in_thread,
        series.title,
        questions,
    )
    await schedule_run(ctx.store, run, ctx.now)
    return actions


# Questions and the end ----------------------------------------------------------------------
async def _community(ctx: Context, run: ChatRun) -> CommunityRef:
    community = await ctx.store.communities.get_by_id(run.community_id)
    assert community is not None
    return community.ref


async def places(ctx: Context, run: ChatRun) -> list[tuple[CommunityRef, str]]:
    """Where a run's chat happens, for whatever goes to the whole chat (questions, the recap,
    a host's note): its own conversation; a network chat's legs, one per affiliate."""
    if run.network_id is not None:
        return await chat_legs.places(ctx.store, run)
    return [(await _community(ctx, run), run.conversation_id)]


async def to_chat(ctx: Context, run: ChatRun, message: Callable[[], Message]) -> list[Action]:
    """The message `message()` builds posted in every place of the run, at the same instant,
    each built in its place's community's language (a network chat's legs may differ)."""
    actions: list[Action] = []
    for ref, conversation in await places(ctx, run):
        community = await ctx.store.communities.get(ref)
        with use_language(community_language(community)):
            actions.append(SendToChannel(ref, conversation, message()))
    return actions


async def run_question(ctx: Context, job: Job) -> list[Action]:
    """Post question n in the chat; nothing once the chat has ended, nothing if a host already
    posted it (`chat next-question`), nothing while a host has paused the questions (`chat
    resume` schedules it again), nothing if the next question is already due (the bot was
    down: `chats.late_start`)."""
    run = await ctx.store.chat_runs.get(int(job.payload["run"]))
    number = int(job.payload["number"])
    question = run.question(number) if run else None
    if run is None or question is None or run.status != "running":
        return []
    if ctx.now >= run.ends_at:
        logger.info("chat question {} dropped: the chat is over", job.key)
        return []
    if number <= run.current_question:
        logger.info("chat question {} dropped: it was posted already", job.key)
        return []
    pause = await ctx.store.chat_runs.pause_state(run.id)
    if pause.paused_at is not None:
        logger.info("chat question {} waits: the questions are paused", job.key)
        return []
    if late_start.overtaken(run.questions, number, run.started_at, pause.shift, ctx.now):
        logger.info("chat question {} skipped: the next one is already due", job.key)
        return []
    return await ask(ctx, run, number)


async def ask(ctx: Context, run: ChatRun, number: int) -> list[Action]:
    """Post question `number` in the chat now (its job, or a host's `chat next-question`)."""
    question = run.question(number)
    assert question is not None
    await ctx.store.chat_runs.set_current(run.id, number)

    def text() -> Message:
        return Message(
            tr(
                "❓ **Q{number}** {question}\nStart your answer with **A{number}**, e.g. "
                "`A{number} …`",
                number=number,
                question=quote(question.text, 300),
            )
        )

    return await to_chat(ctx, run, text)


async def run_end(ctx: Context, job: Job) -> list[Action]:
    """The chat is over: stop listening and post the recap where it happened."""
    run = await ctx.store.chat_runs.get(int(job.payload["run"]))
    return [] if run is None else await close(ctx, run)


async def close(ctx: Context, run: ChatRun) -> list[Action]:
    """End the run once (its end job, or a host's `chat end`): the recap, never twice."""
    if not await ctx.store.chat_runs.end(run.id):
        return []
    if ctx.now - run.ends_at > STALE_RECAP:
        logger.warning("chat run {} ended while the bot was down: no recap posted", run.id)
        return []
    series = await ctx.store.chats.get(run.series_id)
    hashtag = series.hashtag if series else ""
    if run.network_id is not None:
        return await network_recap.post(ctx, run, hashtag)
    community = await ctx.store.communities.get_by_id(run.community_id)
    assert community is not None
    with use_language(community_language(community)):  # everyone in the chat reads it
        text = await chat_recap.recap(ctx.store, ctx.platform, ctx.prefix, run, hashtag)
    return [SendToChannel(community.ref, run.conversation_id, Message(text))]


# Listening ----------------------------------------------------------------------
async def listens_to(store: Store, event: ChannelMessage) -> bool:
    """Whether a chat runs where `event` was posted: one read, no write, no member row."""
    return await store.chat_runs.is_live(
        event.community, event.conversation.conversation_id, event.parent_channel_id
    )


def answered(text: str, run: ChatRun) -> int | None:
    """The question an "A2 …" / "a2: …" / "**A2** - …" message answers, if the chat has it."""
    match = _ANSWER.match(text.strip())
    if match is None:
        return None
    number = int(match[1])
    return number if run.question(number) else None


async def on_channel_message(ctx: Context, event: ChannelMessage) -> list[Action]:
    """Record a message in a running chat (once per message id); nothing is said back."""
    run = await ctx.store.chat_runs.live_in(
        ctx.community.id, event.conversation.conversation_id, event.parent_channel_id
    )
    if run is not None and run.network_id is not None:
        question = answered(event.text, run) or run.current_question
        return await chat_relay.on_leg_message(ctx, event, run, question, MAX_STORED_TEXT)
    if run is None or not event.text.strip() or event.change != "posted":
        return []
    question = answered(event.text, run) or run.current_question
    new = NewMessage(
        run.id, event.message_id, ctx.member.id, question, event.text[:MAX_STORED_TEXT]
    )
    if not await ctx.store.chat_runs.record(new, ctx.clock.now()):
        return []
    await chat_relay.record_exchanges(ctx, run, None, chat_relay.platform_partners(event))
    return []
