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


async def schedule_question(
    store: Store, run: ChatRun, number: int, due: datetime, key: str, now: datetime
) -> None:
    """Question `number`'s job (`key`: its first, or one a host's `chat resume` re-creates)."""
    payload = {"run": run.id, "number": number}
    await store.jobs.schedule(QUESTION, due, key, now, payload, community_id=run.community_id)


async def schedule_end(store: Store, run: ChatRun, due: datetime, key: str, now: datetime) -> None:
    """The run's end job (`key`: its first, or one a pause or resume moved)."""
    await store.jobs.schedule(END, due, key, now, {"run": run.id}, community_id=run.community_id)


async def schedule_run(store: Store, run: ChatRun, now: datetime) -> None:
    """One job per question and one for the end; keyed by run, so scheduling twice is harmless."""
    for question in run.questions:
        due = run.started_at + timedelta(minutes=question.offset)
        await schedule_question(
            store, run, question.number, due, question_key(run.id, question.number), now
        )
    await schedule_end(store, run, run.ends_at, end_key(run.id), now)
