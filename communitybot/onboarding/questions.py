"""One onboarding question as the member sees it, and their answer checked against it.

Pure functions, no store: the flow (`communitybot.onboarding.flow`) decides what to ask and what
to do with an answer; this module only renders a question (numbered options for text platforms
plus a `Prompt` so Discord can show buttons, selects or a modal) and turns what the member typed
or clicked into a value to store, or a friendly `AnswerError`.

Languages: a stored prompt or choice that is still one of the default English texts is shown in
the reader's language (`shown`); what is stored and compared stays the English option, so an
answer typed as "2", as the English label or as the translated one ("Docente de aula") means the
same, and yes/no questions also take the translated words ("sí", "oui").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import cast

from communitybot.i18n import N_, current_language, ntr, tr, translate
from communitybot.i18n.dates import number
from communitybot.models import Question
from communitybot.numbers import is_ascii_number, parse_int
from communitybot.onboarding.defaults import DEFAULT_TEXTS
from communitybot.replies import Choice, Message, Prompt, PromptKind
from communitybot.store.network_questions import NetworkQuestion
from communitybot.text import normalize_tag, quote
from communitybot.timezones import TimezoneError, read_timezone

CUSTOM_ID_PREFIX = "onboarding:"
YES_NO = (N_("Yes"), N_("No"))
_YES = {"yes", "y", "yeah", "yep", "sure", "ok", "true", "1"}
_NO = {"no", "n", "nope", "nah", "false", "2"}
YES_WORDS = frozenset({"sí", "si", "claro", "vale", "oui", "ouais", "bien sûr", "d'accord"})
NO_WORDS = frozenset({"non", "nop"})
"""Yes and no in the languages the bot speaks, accepted from every member (a member may answer
in their own language while the bot writes in the community's)."""
DEFAULT_TEXT_LIMIT = 500


class AnswerError(ValueError):
    """Why an answer was not accepted, in words the member can act on."""


@dataclass(frozen=True)
class ParsedAnswer:
    stored: str
    """What `onboarding_answers.value` holds (a JSON list for multi-choice questions)."""
    labels: tuple[str, ...] = ()
    """The chosen option labels (choice and yes/no questions)."""
    note: str | None = None
    """How the answer was read, when that needs saying (an offset typed as a time zone)."""


def shown(text: str) -> str:
    """A stored prompt or choice label as the reader sees it: a default text in their
    language, a community's own text as its moderators wrote it."""
    return tr(text) if text in DEFAULT_TEXTS or text in YES_NO else text


def is_yes(word: str) -> bool:
    """A typed yes, in English, another language the bot speaks, or the reader's "Yes" label."""
    return word in _YES or word in YES_WORDS or word == tr("Yes").casefold()


def is_no(word: str) -> bool:
    return word in _NO or word in NO_WORDS or word == tr("No").casefold()


def qualified_key(question: Question) -> str:
    """A question's key, as `network:<key>` for a network's: a network and an affiliate may
    use the same key (keys never hold a colon)."""
    return f"network:{question.key}" if isinstance(question, NetworkQuestion) else question.key


def custom_id(question: Question) -> str:
    return f"{CUSTOM_ID_PREFIX}{qualified_key(question)}"


def options_of(question: Question) -> tuple[str, ...]:
    """The options offered: a yes/no question always offers Yes and No."""
    return YES_NO if question.kind == "yesno" else question.choices


def is_askable(question: Question) -> bool:
    """A choice question nobody gave choices yet is not asked (moderators add them later)."""
    return question.kind not in ("single", "multi") or bool(question.choices)


def text_limit(question: Question) -> int:
    return question.max_length or DEFAULT_TEXT_LIMIT


def _how_to_answer(question: Question) -> str:
    match question.kind:
        case "multi":
            return tr("Reply with numbers or names, separated by commas.")
        case "single":
            return tr("Reply with a number or a name.")
        case "yesno":
            return tr("Reply yes or no.")
        case "timezone":
            return tr(
                "Reply with your time zone, e.g. `Europe/London`, `America/Chicago` or a city."
            )
        case _:
            return ntr(
                "Reply with your answer (at most {n} characters).",
                "Reply with your answer (at most {n} characters).",
                text_limit(question),
            )


def question_message(question: Question, number: int, total: int, lead: str = "") -> Message:
    """The question with its numbered options, how to answer, and the component prompt."""
    body, prompt = _question_body(question, number, total, current_language(), translate.catalogue)
    return Message(f"{lead}\n{body}" if lead else body, prompt)


@lru_cache(maxsize=1024)
def _question_body(
    question: Question, number: int, total: int, language: str, catalogues: object
) -> tuple[str, Prompt]:
    """Everything but the lead, the same for every member reading `language` (the current
    one): rendered once per question and language (a join burst asks question 1 of the same
    community thousands of times). `catalogues` (where translations come from) is part of the
    key only so that a test which swaps it for a pseudo-language never gets cached texts."""
    lines = [
        tr(
            "**Question {number} of {total}:** {prompt}",
            number=number,
            total=total,
            prompt=quote(shown(question.prompt), 300),
        )
    ]
    options = options_of(question)
    lines += [
        f"{index}. {quote(shown(option), 80)}" for index, option in enumerate(options, start=1)
    ]
    lines.append(f"_{_how_to_answer(question)}_ (`skip` · `back` · `stop`)")
    prompt = Prompt(
        custom_id=custom_id(question),
        kind=cast(PromptKind, question.kind),  # the schema's CHECK keeps it one of these
        choices=tuple(Choice(value=option, label=shown(option)) for option in options),
        max_length=text_limit(question) if question.kind == "text" else None,
        max_values=len(options) if question.kind == "multi" else 1,
    )
    return "\n".join(lines), prompt


def _match(piece: str, options: tuple[str, ...]) -> str | None:
    """An option by number, by name (case, `#`, hyphens ignored; its English name or the
    reader's translation) or by an unambiguous start."""
    text = piece.strip().strip("\"'“”").strip()
    if not text:
        return None
    if is_ascii_number(text):
        number = parse_int(text, 1, len(options))
        return None if number is None else options[number - 1]
    folded, normal = text.casefold(), normalize_tag(text)
    names = [
        (option, name) for option in options for name in dict.fromkeys((option, shown(option)))
    ]
    for option, name in names:
        if name.casefold() == folded or (normal and normalize_tag(name) == normal):
            return option
    if len(folded) >= 3:
        starts = {o for o, name in names if name.casefold().startswith(folded)}
        if len(starts) == 1:
            return starts.pop()
    return None


def _pieces(text: str, options: tuple[str, ...]) -> list[str]:
    """Split a typed multi-choice answer: commas if any, else the whole text, else words."""
    if "," in text or ";" in text:
        return [p for p in text.replace(";", ",").split(",") if p.strip()]
    if _match(text, options) is not None:
        return [text]
    return text.split()


def _unknown(pieces: list[str], question: Question) -> AnswerError:
    typed = ", ".join(f"“{quote(p.strip(), 40)}”" for p in pieces[:5])
    count = len(options_of(question))
    if question.kind == "multi":
        return AnswerError(
            tr(
                "I couldn't match {typed} to the options. Please reply with numbers (1–{n}) or "
                "option names, separated by commas.",
                typed=typed,
                n=count,
            )
        )
    return AnswerError(
        tr(
            "I couldn't match {typed} to the options. Please reply with a number (1–{n}) or an "
            "option name.",
            typed=typed,
            n=count,
        )
    )


def _choose(question: Question, pieces: list[str]) -> ParsedAnswer:
    options = options_of(question)
    chosen = [_match(p, options) for p in pieces]
    missing = [p for p, c in zip(pieces, chosen, strict=True) if c is None]
    if missing or not pieces:
        raise _unknown(missing or pieces or [""], question)
    labels = tuple(dict.fromkeys(c for c in chosen if c is not None))
    if question.kind == "multi":
        return ParsedAnswer(json.dumps(list(labels)), labels)
    if len(labels) > 1:
        raise AnswerError(tr("Please pick just one option for this question."))
    return ParsedAnswer(labels[0], labels)


def _yes_no(raw: str) -> ParsedAnswer:
    word = raw.strip().strip(".!").casefold()
    if is_yes(word):
        return ParsedAnswer("yes", ("Yes",))
    if is_no(word):
        return ParsedAnswer("no", ("No",))
    raise AnswerError(tr("Please reply yes or no (or `skip`)."))


def _free_text(question: Question, raw: str, at: datetime | None = None) -> ParsedAnswer:
    text = raw.strip()
    if question.kind == "timezone":
        try:
            zone = read_timezone(text, at)
            return ParsedAnswer(zone.name, note=zone.note)
        except TimezoneError as error:
            raise AnswerError(str(error)) from None
    if not text:
        raise AnswerError(tr("Please type your answer, or `skip` to leave it out."))
    limit = text_limit(question)
    if len(text) > limit:
        raise AnswerError(
            tr(
                "That's {length} characters, but this answer can be at most {limit}. "
                "Please shorten it and send it again.",
                length=number(len(text)),
                limit=number(limit),
            )
        )
    return ParsedAnswer(text)


def parse_typed(question: Question, text: str, at: datetime | None = None) -> ParsedAnswer:
    """An answer typed as a message (text platforms, or a modal's text)."""
    if not text.strip():
        raise AnswerError(tr("Please type your answer, or `skip` to leave this one out."))
    if question.kind == "yesno":
        return _yes_no(text)
    if question.kind in ("single", "multi"):
        return _choose(question, _pieces(text, options_of(question)))
    return _free_text(question, text, at)


def parse_picked(
    question: Question, values: tuple[str, ...], at: datetime | None = None
) -> ParsedAnswer:
    """An answer from a button, select menu or modal (values are option labels or the text)."""
    if question.kind == "yesno":
        return _yes_no(values[0] if values else "")
    if question.kind in ("single", "multi"):
        return _choose(question, list(values))
    return _free_text(question, values[0] if values else "", at)


def describe(question: Question, stored: str | None, skipped: bool) -> str:
    """A stored answer as a short phrase for the end-of-flow summary."""
    if skipped or stored is None:
        return tr("skipped")
    if question.kind == "multi":
        return ", ".join(quote(shown(label), 80) for label in json.loads(stored)) or tr("none")
    if question.kind == "yesno":
        return tr("yes") if stored == "yes" else tr("no") if stored == "no" else quote(stored, 120)
    if question.kind == "single":
        return quote(shown(stored), 120)
    return quote(stored, 120)


def stored_labels(question: Question, stored: str | None) -> tuple[str, ...]:
    """The option labels a stored choice answer holds (empty for other kinds)."""
    if stored is None:
        return ()
    if question.kind == "multi":
        return tuple(json.loads(stored))
    return (stored,) if question.kind == "single" else ()
