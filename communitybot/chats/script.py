"""The question script hosts load with `/chat questions`, and when each question is posted.

A script is questions separated by new lines or `|`, each optionally labelled `Q1` and timed
`@5` (minutes after the start): `Q1 @5 What feedback works? | Q2 @20 How do you follow up?`.
Either every question has a time or none has; untimed questions are spaced evenly over the
chat, leaving room before the first (introductions) and after the last (wrap-up).
Pure functions: no store, no platform, so every rule is unit-testable.
"""

from __future__ import annotations

import re

from communitybot.i18n import tr
from communitybot.store.chat_runs import RunQuestion, ScriptQuestion
from communitybot.text import quote

MAX_QUESTIONS = 12
MAX_QUESTION_LENGTH = 280
MAX_SCRIPT_LENGTH = 4000
CLEAR_WORDS = frozenset({"clear", "none", "remove"})

_ITEM = re.compile(
    r"""^(?:Q(?P<label>[0-9]{1,3})\s*[:.)\-]?\s*)?      # optional label: Q1, Q1:, Q1.
         (?:@\s*(?P<offset>[0-9]{1,4})\s*(?:m|min|mins|minutes)?\b\s*[:\-]?\s*)?  # optional @5
         (?P<text>.*)$""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)


class ScriptError(ValueError):
    """What is wrong with a script, in words a host can act on."""


def parse_script(raw: str, duration_minutes: int) -> list[ScriptQuestion]:
    """The questions of `raw`, checked against the chat's length; ScriptError if unusable."""
    if len(raw) > MAX_SCRIPT_LENGTH:
        raise ScriptError(
            tr(
                "That script is too long ({length} characters, at most {max}).",
                length=len(raw),
                max=MAX_SCRIPT_LENGTH,
            )
        )
    items = [item.strip() for item in re.split(r"[|\n]", raw) if item.strip()]
    if not items:
        raise ScriptError(tr("Please give at least one question."))
    if len(items) > MAX_QUESTIONS:
        raise ScriptError(
            tr(
                "That is {count} questions; a chat can have at most {max}.",
                count=len(items),
                max=MAX_QUESTIONS,
            )
        )
    questions: list[ScriptQuestion] = []
    for number, item in enumerate(items, start=1):
        match = _ITEM.match(item)
        assert match is not None  # the pattern accepts any text
        text = " ".join(match["text"].split())
        if match["label"] is not None and int(match["label"]) != number:
            raise ScriptError(
                tr(
                    "Question {number} is labelled Q{label}: number them in order, or leave "
                    "the labels out.",
                    number=number,
                    label=match["label"],
                )
            )
        if not text:
            raise ScriptError(tr("Q{number} has no question text.", number=number))
        if len(text) > MAX_QUESTION_LENGTH:
            raise ScriptError(
                tr(
                    "Q{number} is too long ({length} characters, at most {max}): “{text}”",
                    number=number,
                    length=len(text),
                    max=MAX_QUESTION_LENGTH,
                    text=quote(text, 60),
                )
            )
        offset = None if match["offset"] is None else int(match["offset"])
        questions.append(ScriptQuestion(text, offset))
    _check_offsets(questions, duration_minutes)
    return questions


def _check_offsets(questions: list[ScriptQuestion], duration_minutes: int) -> None:
    timed = [q.offset for q in questions if q.offset is not None]
    if not timed:
        return
    if len(timed) != len(questions):
        raise ScriptError(
            tr("Give every question a time (e.g. `Q1 @5 …`), or none and I'll space them evenly.")
        )
    previous = -1
    for number, offset in enumerate(timed, start=1):
        if offset >= duration_minutes:
            raise ScriptError(
                tr(
                    "Q{number} is timed at minute {offset}, but the chat lasts {minutes} minutes.",
                    number=number,
                    offset=offset,
                    minutes=duration_minutes,
                )
            )
        if offset <= previous:
            raise ScriptError(
                tr(
                    "Q{number} must come after Q{previous_number} (minute {minute}).",
                    number=number,
                    previous_number=number - 1,
                    minute=previous,
                )
            )
        previous = offset


def planned(questions: list[ScriptQuestion], duration_minutes: int) -> list[RunQuestion]:
    """Each question with the minute it is posted, for a chat of this length.

    Untimed questions are spread evenly: n questions in a 60-minute chat start at 60/(n+1),
    2·60/(n+1), … A time beyond a since-shortened chat is brought inside it.
    """
    count = len(questions)
    last = max(0, duration_minutes - 1)
    out: list[RunQuestion] = []
    for number, question in enumerate(questions, start=1):
        if question.offset is None:
            offset = (number * duration_minutes) // (count + 1)
        else:
            offset = min(question.offset, last)
        out.append(RunQuestion(number, question.text, offset))
    return out


def describe(questions: list[RunQuestion]) -> list[str]:
    """`Q1 (minute 5): …` lines, the question text quoted."""
    return [
        tr(
            "**Q{number}** (minute {minute}): {text}",
            number=q.number,
            minute=q.offset,
            text=quote(q.text, 300),
        )
        for q in questions
    ]
