"""`/chat transcript`: a chat as Markdown, for the members who can see where it was held.

A chat held in a private channel or invite-only room is transcribed only for members who can
see that place, and for moderators (`chats.visibility`); anyone else hears there was no such
chat, as for a hashtag never used.

The latest chat of a series, or the one on a given (local) date: title, time, questions, then
the messages grouped by question with their authors' names. Names and text are quoted (single
line, mentions made inert). Messages of members who used `/forgetme` are gone with them.

It arrives as one reply: a short summary in the text, the whole transcript attached as
`<hashtag>-<YYYY-MM-DD>.md` (a file keeps a long chat in one piece, where message-size limits
would cut it into parts). A transcript past `FILE_LIMIT` stops with a note saying how many
messages were left out, in the file and in the summary.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from communitybot.chats import visibility as chats_visibility
from communitybot.chats.input import ChatInputError, parse_hashtag
from communitybot.context import Context
from communitybot.feature import handles
from communitybot.i18n import ntr, tr, use_language
from communitybot.i18n.choice import community_language
from communitybot.i18n.dates import full_datetime, time_of_day
from communitybot.naming import affiliate
from communitybot.replies import Action, Attachment, reply, safe_filename
from communitybot.store.chat_runs import ChatRun, RunMessage
from communitybot.text import quote

FILE_LIMIT = 1_000_000
"""Bytes (UTF-8) of Markdown at most: ~5,000 long messages, far beyond any real chat."""
MESSAGE_ECHO = 4000
"""Characters kept of one message (Discord's own maximum; a file has room for all of it)."""


def _section(run: ChatRun, number: int) -> str:
    question = run.question(number)
    if question is None:
        return tr("## Before Q1") if run.questions else tr("## Messages")
    return tr("## Q{number}. {question}", number=number, question=quote(question.text, 300))


def header(run: ChatRun, hashtag: str, zone: ZoneInfo, messages: list[RunMessage]) -> list[str]:
    """The title and the when/how-many line, in the current language."""
    start, end = run.started_at.astimezone(zone), run.ends_at.astimezone(zone)
    people = len({m.member_id for m in messages})
    count = tr(
        "{messages} from {participants}",
        messages=ntr("{n} message", "{n} messages", len(messages)),
        participants=ntr("{n} participant", "{n} participants", people),
    )
    if run.status == "running":
        count = tr("{count} · still running", count=count)
    return [
        f"# #{hashtag}: {quote(run.title, 200)}",
        f"{full_datetime(start)}–{time_of_day(end)} ({zone.key}) · {count}",
    ]


def render(run: ChatRun, hashtag: str, zone: ZoneInfo, messages: list[RunMessage]) -> list[str]:
    """The transcript as Markdown lines."""
    lines = header(run, hashtag, zone, messages)
    if run.questions:
        lines += ["", tr("## Questions")]
        lines += [f"{q.number}. {quote(q.text, 300)}" for q in run.questions]
    section: int | None = None
    for message in sorted(messages, key=lambda m: m.question):  # stable: time order within
        if message.question != section:
            section = message.question
            lines += ["", _section(run, section)]
        posted = message.posted_at.astimezone(zone)
        lines.append(
            f"**{quote(message.author, 60)}** ({time_of_day(posted)}): "
            f"{quote(message.text, MESSAGE_ECHO)}"
        )
    if not messages:
        lines += ["", tr("Nobody posted in this chat.")]
    return lines


def _is_message(line: str) -> bool:
    return line.startswith("**")


def cap(lines: list[str], limit: int = FILE_LIMIT) -> tuple[str, int]:
    """The lines as one Markdown document of at most `limit` UTF-8 bytes, and how many messages
    were left out (0 when everything fits); a cut document ends with a note saying so."""
    total = sum(1 for line in lines if _is_message(line))
    kept: list[str] = []
    size = 0
    shown = 0
    for line in lines:
        width = len(line.encode()) + 1
        if size + width > limit - 200:  # room for the note
            left = total - shown
            kept += [
                "",
                ntr(
                    "*(The transcript stops here: {n} more message did not fit.)*",
                    "*(The transcript stops here: {n} more messages did not fit.)*",
                    left,
                ),
            ]
            return "\n".join(kept) + "\n", left
        kept.append(line)
        size += width
        shown += _is_message(line)
    return "\n".join(kept) + "\n", 0


def _date(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ChatInputError(
            tr("“{typed}” is not a date: use YYYY-MM-DD, e.g. 2027-01-05.", typed=quote(raw, 20))
        ) from None


@handles("chat", "transcript")
async def transcript(ctx: Context, options: dict[str, Any]) -> list[Action]:
    try:
        hashtag = parse_hashtag(str(options["hashtag"]))
        on = _date(str(options["date"])) if options.get("date") else None
    except ChatInputError as error:
        return reply(str(error))
    network = await ctx.store.networks.of_community(ctx.community.id)
    found = await ctx.store.chat_runs.of_hashtag(
        ctx.community.id, hashtag, network_id=network.id if network else None
    )
    runs = await _visible_runs(ctx, found)
    if not runs:
        return reply(tr("No #{hashtag} chat has taken place yet.", hashtag=hashtag))
    chosen = None
    for run, zone_name in runs:
        if on is None or run.started_at.astimezone(ZoneInfo(zone_name)).date() == on:
            chosen = (run, ZoneInfo(zone_name))
            break
    if chosen is None:
        assert on is not None
        dates = ", ".join(f"{r.started_at.astimezone(ZoneInfo(z)):%Y-%m-%d}" for r, z in runs[:5])
        return reply(
            tr(
                "There was no #{hashtag} chat on {date}. The latest: {dates}.",
                hashtag=hashtag,
                date=f"{on:%Y-%m-%d}",
                dates=dates,
            )
        )
    run, zone = chosen
    messages = await ctx.store.chat_runs.messages(run.id)
    if run.network_id is not None:
        messages = await _network_messages(ctx, messages)
    with use_language(community_language(ctx.community)):  # a file the community reads
        document, left_out = cap(render(run, hashtag, zone, messages))
    name = safe_filename(f"{hashtag}-{run.started_at.astimezone(zone):%Y-%m-%d}", "md")
    title, when = header(run, hashtag, zone, messages)
    summary = [f"**{title.removeprefix('# ')}**", when]
    summary.append(tr("The whole transcript is attached as `{file}` (Markdown).", file=name))
    if left_out:
        summary.append(
            ntr(
                "It was too long for one file: it stops before the last {n} message.",
                "It was too long for one file: it stops before the last {n} messages.",
                left_out,
            )
        )
    return reply(
        "\n".join(summary),
        attachment=Attachment(name, document.encode(), "text/markdown"),
    )


async def _network_messages(ctx: Context, messages: list[RunMessage]) -> list[RunMessage]:
    """A network chat's messages as this affiliate may read them: every leg's, minus the other
    affiliates' `chat norelay` ones, each author named with their affiliate."""
    names: dict[int | None, str] = {}
    kept = []
    for message in messages:
        if message.kept_home and message.community_id != ctx.community.id:
            continue
        if message.community_id not in names:
            found = (
                await ctx.store.communities.get_by_id(message.community_id)
                if message.community_id is not None
                else None
            )
            names[message.community_id] = affiliate(found.ref) if found else "?"
        kept.append(replace(message, author=f"{message.author}, {names[message.community_id]}"))
    return kept


async def _visible_runs(ctx: Context, runs: list[tuple[ChatRun, str]]) -> list[tuple[ChatRun, str]]:
    """The runs `ctx.member` may see (each checked where its series and it were held)."""
    kept = []
    for run, zone in runs:
        series = await ctx.store.chats.get(run.series_id)
        if series is not None and await chats_visibility.can_see(ctx, series, run):
            kept.append((run, zone))
    return kept
