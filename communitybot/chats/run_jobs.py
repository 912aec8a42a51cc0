"""A running chat's own jobs: one per question and one for its end, keyed by run.

Apart from `chats.run` so that a network chat's legs (`chats.legs`), which `run` hands the
network's start to, can schedule a run's jobs without importing `run` back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from communitybot.store.chat_runs import ChatRun
from communitybot.store.store import Store

QUESTION = "chat.question"
END = "chat.end"


def question_key(run_id: int, number: int) -> str:
    return f"chat-question:{run_id}:{number}"


def end_key(run_id: int) -> str:
    return f"chat-end:{run_id}"


async def schedule_run(store: Store, run: ChatRun, now: datetime) -> None:
    """One job per question and one for the end; keyed by run, so scheduling twice is harmless."""
    for question in run.questions:
        due = run.started_at + timedelta(minutes=question.offset)
        payload = {"run": run.id, "number": question.number}
        await store.jobs.schedule(
            QUESTION,
            due,
            question_key(run.id, question.number),
            now,
            payload,
            community_id=run.community_id,
        )
    await store.jobs.schedule(
        END, run.ends_at, end_key(run.id), now, {"run": run.id}, community_id=run.community_id
    )
