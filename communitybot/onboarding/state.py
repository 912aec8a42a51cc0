"""Where a member is in the welcome questions, and what an answer changes on their profile.

The flow is derived from the store on every event (questions + this member's answers), so there
is no in-memory state to lose on a restart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from communitybot.context import Context
from communitybot.models import Question, Tag
from communitybot.onboarding.questions import ParsedAnswer, is_askable, qualified_key
from communitybot.replies import Action
from communitybot.store.network_questions import NO_NETWORK, AskedQuestions, NetworkQuestion
from communitybot.store.onboarding import Answer
from communitybot.tags import commands as tag_commands
from communitybot.text import normalize_tag

_PROFILE_TARGETS = {"role", "timezone", "intro"}
_MENTOR_TARGETS = {"wants_mentor", "offers_mentor"}
FIELD_TARGETS = _PROFILE_TARGETS | _MENTOR_TARGETS
"""Targets that fill one profile field: asked by the network, not asked again by an affiliate."""


def slot(question: Question) -> int:
    """Where a question's answer sits in `Flow.answers`: network questions have ids of their own
    table, so they sit at the negated id (never equal to a community question's)."""
    return -question.id if isinstance(question, NetworkQuestion) else question.id


def fills_same_field(question: Question, network: tuple[NetworkQuestion, ...]) -> Question | None:
    """The network question that already fills what this affiliate question would: the same
    profile field (role, time zone, intro, mentor wishes), or tags of the same category."""
    for asked in network:
        if not is_askable(asked):
            continue
        if question.target in FIELD_TARGETS and asked.target == question.target:
            return asked
        if (
            question.target == "tags"
            and asked.target == "tags"
            and (asked.tag_category or "topic") == (question.tag_category or "topic")
        ):
            return asked
    return None


@dataclass(frozen=True)
class Flow:
    questions: list[Question]
    """The askable questions, in order: the network's first, then the community's own (less
    those a network question already fills)."""
    answers: dict[int, Answer]
    """`slot(question)` → this member's answer."""
    network: AskedQuestions = field(default=NO_NETWORK)

    def current(self) -> Question | None:
        """The first question without an answer: where the member is."""
        return next((q for q in self.questions if slot(q) not in self.answers), None)

    def number(self, question: Question) -> int:
        slots = [slot(q) for q in self.questions]
        return slots.index(slot(question)) + 1 if slot(question) in slots else len(slots)

    def previous(self, current: Question | None) -> Question | None:
        """The answered question just before `current` (the last answered one when finished)."""
        end = len(self.questions) if current is None else self.number(current) - 1
        before = [q for q in self.questions[:end] if slot(q) in self.answers]
        return before[-1] if before else None

    def by_key(self, key: str) -> Question | None:
        """The question a component's key names (`network:<key>` for the network's)."""
        return next((q for q in self.questions if qualified_key(q) == key), None)

    def network_questions(self) -> list[Question]:
        return [q for q in self.questions if isinstance(q, NetworkQuestion)]

    def answered(self, target: str) -> tuple[Question, Answer] | None:
        """The last non-skipped answer to a question with this target."""
        found = None
        for question in self.questions:
            answer = self.answers.get(slot(question))
            if question.target == target and answer is not None and not answer.skipped:
                found = (question, answer)
        return found


async def load_flow(
    ctx: Context,
    answers: dict[int, Answer] | None = None,
    network_answers: dict[int, Answer] | None = None,
) -> Flow:
    """Where the member is; `answers` / `network_answers` when the caller knows them (none,
    right after `start`). Outside a network, or in one without questions, this reads nothing
    more than before (both lists are kept in memory)."""
    store = ctx.store.onboarding
    asked = await store.network.for_community(ctx.community.id)
    own = await store.list_questions(ctx.community.id)
    network = [q for q in asked.questions if is_askable(q)]
    questions: list[Question] = [*network]
    questions += [
        q
        for q in own
        if is_askable(q) and (not network or not fills_same_field(q, asked.questions))
    ]
    if answers is None:
        answers = await store.answers(ctx.member.id)
    merged = dict(answers)
    if network:
        if network_answers is None:
            stored = await store.network.answers(ctx.member.id)
            network_answers = {
                -qid: Answer(-qid, a.value, a.skipped, a.answered_at) for qid, a in stored.items()
            }
        merged.update(network_answers)
    return Flow(questions, merged, asked)


async def save_answer(ctx: Context, question: Question, value: str | None, skipped: bool) -> None:
    """Store an answer in the table its question belongs to."""
    now = ctx.clock.now()
    if isinstance(question, NetworkQuestion):
        await ctx.store.onboarding.network.save_answer(
            ctx.member.id, question.id, value, skipped, now
        )
    else:
        await ctx.store.onboarding.save_answer(ctx.member.id, question.id, value, skipped, now)


async def delete_answer(ctx: Context, question: Question) -> None:
    if isinstance(question, NetworkQuestion):
        await ctx.store.onboarding.network.delete_answer(ctx.member.id, question.id)
    else:
        await ctx.store.onboarding.delete_answer(ctx.member.id, question.id)


def tag_source(question: Question) -> str:
    """The `member_tags.source` of tags this question gave, so a new answer replaces only them."""
    return f"onboarding:{qualified_key(question)}"


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
