"""`/chat transcript`: a chat as Markdown, for anyone in the community (the chat was public).

The latest chat of a series, or the one on a given (local) date: title, time, questions, then
the messages grouped by question with their authors' names. Names and text are quoted (single
line, mentions made inert). Messages of members who used `/forgetme` are gone with them. A
long transcript comes in a few replies of at most ~1,900 characters (Discord's limit is 2,000),
and stops with a clear note past that.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from communitybot.context import CommandHandler, Context
from communitybot.features.chat_input import ChatInputError, parse_hashtag
from communitybot.replies import Action, Message, Reply, reply
from communitybot.store.chat_runs import ChatRun, RunMessage
from communitybot.text import quote

PART_LIMIT = 1900
MAX_PARTS = 5
MESSAGE_ECHO = 1000


def _section(run: ChatRun, number: int) -> str:
    question = run.question(number)
    if question is None:
        return "## Before Q1" if run.questions else "## Messages"
    return f"## Q{number}. {quote(question.text, 300)}"


def render(run: ChatRun, hashtag: str, zone: ZoneInfo, messages: list[RunMessage]) -> list[str]:
    """The transcript as Markdown lines."""
    start, end = run.started_at.astimezone(zone), run.ends_at.astimezone(zone)
    people = len({m.member_id for m in messages})
    status = " · still running" if run.status == "running" else ""
    lines = [
        f"# #{hashtag}: {quote(run.title, 200)}",
        f"{start:%A %d %B %Y, %H:%M}–{end:%H:%M} ({zone.key}) · {len(messages)} message"
        f"{'' if len(messages) == 1 else 's'} from {people} participant"
        f"{'' if people == 1 else 's'}{status}",
    ]
    if run.questions:
        lines += ["", "## Questions"]
        lines += [f"{q.number}. {quote(q.text, 300)}" for q in run.questions]
    section: int | None = None
    for message in sorted(messages, key=lambda m: m.question):  # stable: time order within
        if message.question != section:
            section = message.question
            lines += ["", _section(run, section)]
        posted = message.posted_at.astimezone(zone)
        lines.append(
            f"**{quote(message.author, 60)}** ({posted:%H:%M}): {quote(message.text, MESSAGE_ECHO)}"
        )
    if not messages:
        lines += ["", "Nobody posted in this chat."]
    return lines


def _is_message(line: str) -> bool:
    return line.startswith("**")


def split(lines: list[str], limit: int = PART_LIMIT, max_parts: int = MAX_PARTS) -> list[str]:
    """Lines packed into at most `max_parts` messages of at most `limit` characters.

    What does not fit is left out, and the last part says how many messages that was.
    """
    parts: list[list[str]] = [[]]
    size = 0
    cut = False
    for line in lines:
        if size + len(line) + 1 > limit and parts[-1]:
            if len(parts) == max_parts:
                cut = True
                break
            parts.append([])
            size = 0
        parts[-1].append(line)
        size += len(line) + 1
    if cut:
        total = sum(1 for line in lines if _is_message(line))

        def note() -> str:
            left = total - sum(1 for part in parts for line in part if _is_message(line))
            return (
                f"*(The transcript stops here: {left} more message"
                f"{'' if left == 1 else 's'} did not fit.)*"
            )

        while parts[-1] and size + len(note()) + 1 > limit:
            size -= len(parts[-1].pop()) + 1
        parts[-1].append(note())
    return ["\n".join(part) for part in parts]


def _date(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ChatInputError(
            f"“{quote(raw, 20)}” is not a date: use YYYY-MM-DD, e.g. 2027-01-05."
        ) from None


async def transcript(ctx: Context, options: dict[str, Any]) -> list[Action]:
    try:
        hashtag = parse_hashtag(str(options["hashtag"]))
        on = _date(str(options["date"])) if options.get("date") else None
    except ChatInputError as error:
        return reply(str(error))
    runs = await ctx.store.chat_runs.of_hashtag(ctx.community.id, hashtag)
    if not runs:
        return reply(f"No #{hashtag} chat has taken place yet.")
    chosen = None
    for run, zone_name in runs:
        if on is None or run.started_at.astimezone(ZoneInfo(zone_name)).date() == on:
            chosen = (run, ZoneInfo(zone_name))
            break
    if chosen is None:
        assert on is not None
        dates = ", ".join(f"{r.started_at.astimezone(ZoneInfo(z)):%Y-%m-%d}" for r, z in runs[:5])
        return reply(f"There was no #{hashtag} chat on {on:%Y-%m-%d}. The latest: {dates}.")
    run, zone = chosen
    messages = await ctx.store.chat_runs.messages(run.id)
    parts = split(render(run, hashtag, zone, messages))
    if len(parts) > 1:
        parts = [f"{p}\n*(part {i} of {len(parts)})*" for i, p in enumerate(parts, start=1)]
    return [Reply(Message(part)) for part in parts]


COMMANDS: dict[tuple[str, ...], CommandHandler] = {("chat", "transcript"): transcript}
