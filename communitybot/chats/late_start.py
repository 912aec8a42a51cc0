"""A chat whose start job ran late (the bot was down): no burst of overdue questions.

Question jobs always run, however late (a chat's questions must not be lost to a short
outage). Without a rule, a chat started 25 minutes late would get Q1 and Q2 in the same second.
The rule, shared by the welcome's note and the question job: a question whose successor is
already due is overtaken and skipped, so only the latest due question is posted and the rest
keep their times. The same rule covers downtime in the middle of a chat.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from communitybot.i18n import ntr, tr
from communitybot.store.chat_runs import RunQuestion
from communitybot.text import quote

LATE = timedelta(minutes=1)
"""A start handled later than this gets the note (a busy scheduler's seconds do not)."""


def overtaken(
    questions: Sequence[RunQuestion],
    number: int,
    started_at: datetime,
    shift: timedelta,
    now: datetime,
) -> bool:
    """Whether question `number`'s successor is due by `now` (`shift`: the pauses' total)."""
    if number >= len(questions):
        return False
    successor = questions[number]  # numbers start at 1: this is question number + 1
    return started_at + timedelta(minutes=successor.offset) + shift <= now


def note(questions: Sequence[RunQuestion], started_at: datetime, now: datetime) -> str | None:
    """The welcome's line for a late start, naming the questions skipped; None if on time."""
    late = now - started_at
    if late < LATE:
        return None
    minutes = int(late.total_seconds() // 60)
    lines = [
        ntr(
            "⏱️ This chat started {n} minute late (the bot was away); it still ends at its usual "
            "time.",
            "⏱️ This chat started {n} minutes late (the bot was away); it still ends at its "
            "usual time.",
            minutes,
        )
    ]
    skipped = [
        q for q in questions if overtaken(questions, q.number, started_at, timedelta(0), now)
    ]
    if skipped:
        names = "; ".join(f"**Q{q.number}** {quote(q.text, 100)}" for q in skipped)
        lines.append(tr("Skipped, their time had passed: {questions}.", questions=names))
    return "\n".join(lines)
