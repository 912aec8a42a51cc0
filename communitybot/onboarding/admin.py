"""`onboarding questions list|add|edit|move|remove`: moderators shape the welcome questions.

Every check happens before anything is written, so a bad input changes nothing. Choices are not
given to `add` (its options are fixed by the catalogue): a choice question is created empty and
gets its options with `edit <key> choices a, b, c`; until then the flow simply does not ask it.
Choices of a question whose answers become tags are created as tags right away, so they show up
in `tags list` and can be linked to channels before anyone answers.

The same grammar serves two lists (`QuestionList`): a community's own questions, edited by its
moderators (`onboarding questions …`), and its network's, edited by the network's stewards
(`network questions …`, `communitybot.onboarding.network_admin`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from communitybot.context import CommandHandler, Context
from communitybot.feature import handles
from communitybot.i18n import N_, ntr, tr
from communitybot.models import Question
from communitybot.numbers import is_ascii_number, parse_int
from communitybot.onboarding.questions import DEFAULT_TEXT_LIMIT, is_askable, shown
from communitybot.onboarding.state import fills_same_field
from communitybot.replies import Action, reply
from communitybot.text import MAX_TAG_LENGTH, normalize_tag, quote

MAX_QUESTIONS = 50
MAX_CHOICES = 25
MAX_CHOICE_LENGTH = 80
MAX_PROMPT_LENGTH = 300
TEXT_LIMIT_RANGE = (1, 2000)
KEY_MAX_LENGTH = 32

TARGET_KINDS: dict[str, tuple[str, ...]] = {
    "none": ("single", "multi", "text", "yesno", "timezone"),
    "role": ("single", "text"),
    "tags": ("single", "multi"),
    "timezone": ("timezone",),
    "wants_mentor": ("yesno",),
    "offers_mentor": ("yesno",),
    "intro": ("text",),
}
"""Which kinds of question can feed each target (the answer must fit the profile field)."""


class AdminInputError(ValueError):
    """A friendly explanation of a bad moderator input."""


class QuestionList:
    """One list of questions the commands edit: here, the community's own (moderators)."""

    command = "onboarding questions"
    owner = N_("A community can have at most {limit} questions.")
    """The refusal of one question too many, naming whose list it is."""
    empty = N_("There are no onboarding questions. Add one with `{command}`.")

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._store = ctx.store.onboarding

    def title(self) -> str:
        return tr("Onboarding questions")

    async def all(self) -> list[Question]:
        return await self._store.list_questions(self.ctx.community.id)

    async def get(self, key: str) -> Question | None:
        return await self._store.get_question(self.ctx.community.id, key)

    async def add(self, key: str, kind: str, target: str, prompt: str, **extra: Any) -> Question:
        return await self._store.add_question(
            self.ctx.community.id, key, kind, target, prompt, **extra
        )

    async def update(self, question: Question, **values: Any) -> Question:
        return await self._store.update_question(question.id, **values)

    async def move(self, key: str, position: int) -> int:
        return await self._store.move_question(self.ctx.community.id, key, position)

    async def remove(self, key: str) -> int:
        return await self._store.remove_question(self.ctx.community.id, key)

    async def tag_communities(self) -> list[int]:
        """Where a tag question's choices are created as tags."""
        return [self.ctx.community.id]

    async def notes(self, questions: list[Question]) -> tuple[list[str], dict[int, str]]:
        """Lines before the list, and a note per question id (why it is not asked here)."""
        asked = await self.ctx.store.onboarding.network.for_community(self.ctx.community.id)
        if not asked.questions:
            return [], {}
        count = len([q for q in asked.questions if is_askable(q)])
        name = quote(asked.network_name, 80)
        head = [
            ntr(
                "🌐 Members are first asked the {n} question of the network “{name}” "
                "(`{command}`), once per person.",
                "🌐 Members are first asked the {n} questions of the network “{name}” "
                "(`{command}`), once per person.",
                count,
                name=name,
                command=f"{self.ctx.prefix}network questions list",
            )
        ]
        notes: dict[int, str] = {}
        for question in questions:
            same = fills_same_field(question, asked.questions)
            if same is not None and is_askable(question):
                notes[question.id] = "   " + tr(
                    "⏭️ Not asked here: the network's question `{key}` fills the same field.",
                    key=same.key,
                )
        return head, notes


def _key(raw: Any) -> str:
    key = normalize_tag(str(raw or ""))
    if not key:
        raise AdminInputError(tr("A question key needs letters or digits, e.g. `subjects`."))
    if len(key) > KEY_MAX_LENGTH:
        raise AdminInputError(
            tr("A question key can be at most {limit} characters.", limit=KEY_MAX_LENGTH)
        )
    return key


async def _find(questions: QuestionList, raw: Any) -> Question:
    key = _key(raw)
    question = await questions.get(key)
    if question is None:
        keys = [q.key for q in await questions.all()]
        known = ", ".join(f"`{k}`" for k in keys) or tr("none yet")
        raise AdminInputError(
            tr("There is no question `{key}`. Questions: {known}.", key=quote(key, 40), known=known)
        )
    return question


def _prompt_text(raw: Any) -> str:
    text = " ".join(str(raw or "").split())
    if not text:
        raise AdminInputError(tr("The question text can't be empty."))
    if len(text) > MAX_PROMPT_LENGTH:
        raise AdminInputError(
            tr(
                "The question is {length} characters long; the limit is {limit}.",
                length=len(text),
                limit=MAX_PROMPT_LENGTH,
            )
        )
    return text


def _category(raw: Any) -> str:
    category = normalize_tag(str(raw or ""))
    if not category or len(category) > MAX_TAG_LENGTH:
        raise AdminInputError(
            tr(
                "A category needs 1–{limit} letters or digits, e.g. `subject` or `topic`.",
                limit=MAX_TAG_LENGTH,
            )
        )
    return category


def _choices(question: Question, raw: Any) -> tuple[str, ...]:
    if question.kind not in ("single", "multi"):
        raise AdminInputError(
            tr(
                "`{key}` is a {kind} question, so it has no choices.",
                key=question.key,
                kind=question.kind,
            )
        )
    choices = tuple(" ".join(part.split()) for part in str(raw or "").split(","))
    choices = tuple(c for c in choices if c)
    if not choices:
        raise AdminInputError(
            tr("Give at least one choice, separated by commas: `edit KEY choices a, b, c`.")
        )
    if len(choices) > MAX_CHOICES:
        raise AdminInputError(
            tr(
                "That's {count} choices; at most {limit} fit.",
                count=len(choices),
                limit=MAX_CHOICES,
            )
        )
    seen: set[str] = set()
    for choice in choices:
        if len(choice) > MAX_CHOICE_LENGTH:
            raise AdminInputError(
                tr(
                    "“{choice}” is {length} characters; a choice can have at most {limit}.",
                    choice=quote(choice, 40),
                    length=len(choice),
                    limit=MAX_CHOICE_LENGTH,
                )
            )
        if is_ascii_number(choice):
            raise AdminInputError(
                tr(
                    "“{choice}” is just a number, but members answer by number; try something "
                    "like “Grade {number}”.",
                    choice=quote(choice, 40),
                    number=quote(choice, 10),
                )
            )
        same = normalize_tag(choice) or choice.casefold()
        if same in seen:
            raise AdminInputError(tr("“{choice}” appears twice.", choice=quote(choice, 40)))
        seen.add(same)
        if question.target == "tags" and not 0 < len(normalize_tag(choice)) <= MAX_TAG_LENGTH:
            raise AdminInputError(
                tr(
                    "“{choice}” doesn't make a tag name (1–{limit} letters or digits after "
                    "normalising).",
                    choice=quote(choice, 40),
                    limit=MAX_TAG_LENGTH,
                )
            )
    return choices


def _max_length(question: Question, raw: Any) -> int:
    if question.kind != "text":
        raise AdminInputError(
            tr(
                "Only text questions have a length limit; `{key}` is {kind}.",
                key=question.key,
                kind=question.kind,
            )
        )
    low, high = TEXT_LIMIT_RANGE
    value = parse_int(raw if isinstance(raw, int) else str(raw))
    if value is None:
        raise AdminInputError(
            tr("The length limit must be a whole number from {low} to {high}.", low=low, high=high)
        )
    if not low <= value <= high:
        raise AdminInputError(
            tr("The length limit must be from {low} to {high} characters.", low=low, high=high)
        )
    return value


async def ensure_choice_tags(questions: QuestionList, question: Question) -> None:
    if question.target != "tags":
        return
    ctx = questions.ctx
    now = ctx.clock.now()
    for community_id in await questions.tag_communities():
        for choice in question.choices:
            await ctx.store.tags.ensure_tag(
                community_id, normalize_tag(choice), question.tag_category or "topic", now
            )


def _describe(question: Question) -> list[str]:
    head = tr(
        "{position}. `{key}` · {kind} → {target}",
        position=question.position,
        key=question.key,
        kind=question.kind,
        target=question.target,
    )
    if question.target == "tags":
        head += " " + tr("(category `{category}`)", category=question.tag_category or "topic")
    if question.kind == "text":
        head += " " + tr(
            "(max {limit} characters)", limit=question.max_length or DEFAULT_TEXT_LIMIT
        )
    lines = [head, f"   {quote(shown(question.prompt), MAX_PROMPT_LENGTH)}"]
    if question.choices:
        lines.append(
            "   "
            + tr(
                "Choices: {choices}",
                choices=", ".join(quote(shown(c), MAX_CHOICE_LENGTH) for c in question.choices),
            )
        )
    elif not is_askable(question):
        lines.append("   " + tr("⚠️ No choices yet, so members aren't asked this question."))
    return lines


async def list_questions_in(questions: QuestionList, options: dict[str, Any]) -> list[Action]:
    ctx = questions.ctx
    listed = await questions.all()
    head, notes = await questions.notes(listed)
    if not listed:
        return reply(
            "\n".join(
                [
                    *head,
                    tr(questions.empty, command=f"{ctx.prefix}{questions.command} add"),
                ]
            )
        )
    lines = [*head, f"**{questions.title()}** ({len(listed)})"]
    for question in listed:
        lines += _describe(question)
        if question.id in notes:
            lines.append(notes[question.id])
    return reply("\n".join(lines))


async def add_question_to(questions: QuestionList, options: dict[str, Any]) -> list[Action]:
    ctx = questions.ctx
    key = _key(options.get("key"))
    kind, target = str(options.get("kind", "")), str(options.get("target", ""))
    if target not in TARGET_KINDS or kind not in TARGET_KINDS["none"]:
        raise AdminInputError(
            tr(
                "Unknown kind or target; see `{command}`.",
                command=f"{ctx.prefix}help {questions.command} add",
            )
        )
    if kind not in TARGET_KINDS[target]:
        kinds = TARGET_KINDS[target]
        allowed = (
            tr("{first} or {second}", first=kinds[0], second=kinds[1])
            if len(kinds) == 2
            else " / ".join(kinds)
        )
        raise AdminInputError(
            tr(
                "Answers for `{target}` need a {allowed} question, not {kind}.",
                target=target,
                allowed=allowed,
                kind=kind,
            )
        )
    prompt = _prompt_text(options.get("prompt"))
    listed = await questions.all()
    if any(q.key == key for q in listed):
        raise AdminInputError(tr("There is already a question `{key}`; pick another key.", key=key))
    if len(listed) >= MAX_QUESTIONS:
        raise AdminInputError(tr(questions.owner, limit=MAX_QUESTIONS))
    question = await questions.add(
        key,
        kind,
        target,
        prompt,
        max_length=DEFAULT_TEXT_LIMIT if kind == "text" else None,
        tag_category="topic" if target == "tags" else None,
    )
    lines = [tr("✅ Added question {number}:", number=question.position), *_describe(question)]
    if kind in ("single", "multi"):
        lines.append(
            tr(
                "Give it choices with `{command}`.",
                command=f"{ctx.prefix}{questions.command} edit {key} choices First, Second, Third",
            )
        )
    return reply("\n".join(lines))


async def edit_question_in(questions: QuestionList, options: dict[str, Any]) -> list[Action]:
    question = await _find(questions, options.get("key"))
    field, raw = str(options.get("field", "")), options.get("value")
    match field:
        case "prompt":
            updated = await questions.update(question, prompt=_prompt_text(raw))
        case "choices":
            updated = await questions.update(question, choices=_choices(question, raw))
            await ensure_choice_tags(questions, updated)
        case "max_length":
            updated = await questions.update(question, max_length=_max_length(question, raw))
        case "category":
            if question.target != "tags":
                raise AdminInputError(
                    tr("Only questions whose answers become tags have a category.")
                )
            updated = await questions.update(question, tag_category=_category(raw))
            await ensure_choice_tags(questions, updated)
        case _:
            raise AdminInputError(tr("You can edit prompt, choices, max_length or category."))
    return reply("\n".join([tr("✅ Updated `{key}`:", key=updated.key), *_describe(updated)]))


async def move_question_in(questions: QuestionList, options: dict[str, Any]) -> list[Action]:
    question = await _find(questions, options.get("key"))
    try:
        position = int(options.get("position", 0))
    except (TypeError, ValueError):
        raise AdminInputError(tr("The position must be a whole number, 1 for first.")) from None
    if position < 1:
        raise AdminInputError(tr("The position must be 1 or more (1 = first)."))
    final = await questions.move(question.key, position)
    order = await questions.all()
    listing = ", ".join(f"{q.position}. `{q.key}`" for q in order)
    return reply(
        tr(
            "✅ Moved `{key}` to position {position}. Order now: {order}",
            key=question.key,
            position=final,
            order=listing,
        )
    )


async def remove_question_from(questions: QuestionList, options: dict[str, Any]) -> list[Action]:
    question = await _find(questions, options.get("key"))
    answers = await questions.remove(question.key)
    return reply(
        ntr(
            "🗑️ Removed `{key}` and {n} answer to it. Profile fields and tags members got "
            "from it stay.",
            "🗑️ Removed `{key}` and {n} answers to it. Profile fields and tags members got "
            "from it stay.",
            answers,
            key=question.key,
        )
    )


QuestionAction = Callable[[QuestionList, dict[str, Any]], Awaitable[list[Action]]]


def _community(action: QuestionAction) -> CommandHandler:
    """The action on this community's own questions."""

    async def handler(ctx: Context, options: dict[str, Any]) -> list[Action]:
        return await action(QuestionList(ctx), options)

    return handler


def _command(action: CommandHandler) -> CommandHandler:
    """Turn an AdminInputError raised anywhere in `action` into a friendly reply."""

    async def handler(ctx: Context, options: dict[str, Any]) -> list[Action]:
        try:
            return await action(ctx, options)
        except AdminInputError as error:
            return reply(f"⚠️ {error}")

    handler.__doc__ = action.__doc__
    return handler


list_questions = handles("onboarding", "questions", "list")(_command(_community(list_questions_in)))
add_question = handles("onboarding", "questions", "add")(_command(_community(add_question_to)))
edit_question = handles("onboarding", "questions", "edit")(_command(_community(edit_question_in)))
move_question = handles("onboarding", "questions", "move")(_command(_community(move_question_in)))
remove_question = handles("onboarding", "questions", "remove")(
    _command(_community(remove_question_from))
)
