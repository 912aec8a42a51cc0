"""Where a member is in the welcome questions, and what an answer changes on their profile.

The flow is derived from the store on every event (questions + this member's answers), so there
is no in-memory state to lose on a restart.
"""

from __future__ import annotations

from dataclasses import dataclass

from communitybot.context import Context
from communitybot.models import Question, Tag
from communitybot.onboarding.questions import ParsedAnswer, is_askable
from communitybot.replies import Action
from communitybot.store.onboarding import Answer
from communitybot.tags import commands as tag_commands
from communitybot.text import normalize_tag

_PROFILE_TARGETS = {"role", "timezone", "intro"}
_MENTOR_TARGETS = {"wants_mentor", "offers_mentor"}


@dataclass(frozen=True)
class Flow:
    questions: list[Question]
    """The askable questions, in order."""
    answers: dict[int, Answer]
    """question id → this member's answer."""

    def current(self) -> Question | None:
        """The first question without an answer: where the member is."""
        return next((q for q in self.questions if q.id not in self.answers), None)

    def number(self, question: Question) -> int:
        ids = [q.id for q in self.questions]
        return ids.index(question.id) + 1 if question.id in ids else len(ids)

    def previous(self, current: Question | None) -> Question | None:
        """The answered question just before `current` (the last answered one when finished)."""
        before = [
            q
            for q in self.questions
            if q.id in self.answers and (current is None or q.position < current.position)
        ]
        return before[-1] if before else None

    def by_key(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    def answered(self, target: str) -> tuple[Question, Answer] | None:
        """The last non-skipped answer to a question with this target."""
        found = None
        for question in self.questions:
            answer = self.answers.get(question.id)
            if question.target == target and answer is not None and not answer.skipped:
                found = (question, answer)
        return found


async def load_flow(ctx: Context, answers: dict[int, Answer] | None = None) -> Flow:
    """Where the member is; `answers` when the caller knows them (none, right after `start`)."""
    questions = await ctx.store.onboarding.list_questions(ctx.community.id)
    if answers is None:
        answers = await ctx.store.onboarding.answers(ctx.member.id)
    return Flow([q for q in questions if is_askable(q)], answers)


def tag_source(question: Question) -> str:
    """The `member_tags.source` of tags this question gave, so a new answer replaces only them."""
    return f"onboarding:{question.key}"


async def _replace_tags(ctx: Context, question: Question, labels: tuple[str, ...]) -> list[Action]:
    now = ctx.clock.now()
    category = question.tag_category or "topic"
    wanted: list[Tag] = []
    for label in labels:
        name = normalize_tag(label)
        if name:
            wanted.append(await ctx.store.tags.ensure_tag(ctx.community.id, name, category, now))
    source = tag_source(question)
    keep = {tag.id for tag in wanted}
    old_ids = await ctx.store.tags.member_tag_ids_by_source(ctx.member.id, source)
    remove: list[Tag] = []
    for tag_id in old_ids:
        if tag_id not in keep and (tag := await ctx.store.tags.get(tag_id)) is not None:
            remove.append(tag)
    return await tag_commands.apply_member_tags(ctx, wanted, remove, source)


async def apply_answer(ctx: Context, question: Question, parsed: ParsedAnswer) -> list[Action]:
    """Carry an accepted answer over to the profile; returns role changes to deliver."""
    target = question.target
    if target == "tags":
        return await _replace_tags(ctx, question, parsed.labels)
    if target in _PROFILE_TARGETS:
        await ctx.store.members.update(ctx.member.id, **{target: parsed.stored})
    elif target in _MENTOR_TARGETS:
        await ctx.store.members.update(ctx.member.id, **{target: parsed.stored == "yes"})
    else:
        return []
    await ctx.reload_member()
    if target == "timezone":
        await ctx.member_changed()
    return []
