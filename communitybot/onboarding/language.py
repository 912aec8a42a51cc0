"""The onboarding question about the member's language, asked first where the community offers
several (`setup languages=es,en`).

It is not one of the stored questions: its answer is the member's own language
(`members.language`, the same field as `profile edit language`, shared by the person's other
memberships), so "already answered" simply means "has a language of their own" — a member who
chose one before is never asked, and nothing else needs remembering. The options are the offered
languages by their own names ("Español"), answered by number, name or code; `skip` keeps the
language the question was written in (the member's app's or the community's) as their choice,
so the question is not asked again. A member's client locale preselects nothing.
"""

from __future__ import annotations

from communitybot import person_sync
from communitybot.context import Context
from communitybot.i18n import SUPPORTED, UnknownLanguage, current_language, parse_language, tr
from communitybot.numbers import is_ascii_number, parse_int
from communitybot.onboarding.questions import CUSTOM_ID_PREFIX, AnswerError
from communitybot.replies import Choice, Message, Prompt
from communitybot.text import quote

LANGUAGE_KEY = "__language"
LANGUAGE_ID = f"{CUSTOM_ID_PREFIX}{LANGUAGE_KEY}"
"""The prompt's custom id (a question key never starts with `_`, so it names no question)."""


def offered(ctx: Context) -> tuple[str, ...]:
    """The languages this community offers that the bot speaks, in the moderators' order."""
    return tuple(code for code in ctx.community.languages if code in SUPPORTED)


def needs_asking(ctx: Context) -> bool:
    """Whether to ask first: several languages offered, and the member chose none yet."""
    return len(offered(ctx)) >= 2 and ctx.member.language is None


def question(ctx: Context, lead: str = "") -> Message:
    """The language question: numbered options for text platforms and a single-choice prompt."""
    codes = offered(ctx)
    lines = [lead] if lead else []
    lines.append(tr("**Which language should I write to you in?**"))
    lines += [f"{index}. {SUPPORTED[code]}" for index, code in enumerate(codes, start=1)]
    lines.append(f"_{tr('Reply with a number or a name.')}_ (`skip` · `stop`)")
    prompt = Prompt(
        custom_id=LANGUAGE_ID,
        kind="single",
        choices=tuple(Choice(value=code, label=SUPPORTED[code]) for code in codes),
    )
    return Message("\n".join(lines), prompt)


def parse(ctx: Context, raw: str) -> str:
    """The offered language a member typed or picked: its number, its name in any language the
    bot knows ("Spanish", "español") or its code; else a friendly `AnswerError`."""
    codes = offered(ctx)
    text = raw.strip().strip(".!")
    code: str | None = None
    if is_ascii_number(text):
        number = parse_int(text, 1, len(codes))
        code = None if number is None else codes[number - 1]
    else:
        try:
            code = parse_language(text) if text else None
        except UnknownLanguage:
            code = None
    if code is None or code not in codes:
        names = ", ".join(f"{index}. {SUPPORTED[c]}" for index, c in enumerate(codes, start=1))
        raise AnswerError(
            tr(
                "I can't write to you in “{answer}” here. Please reply with one of: {languages}.",
                answer=quote(text, 40),
                languages=names,
            )
        )
    return code


def skipped(ctx: Context) -> str:
    """`skip`: the language the question was asked in, when offered; else the first offered."""
    codes = offered(ctx)
    return current_language() if current_language() in codes else codes[0]


async def choose(ctx: Context, code: str) -> str:
    """Store the member's language (in their other memberships too, as `profile edit` does);
    returns the sentence that confirms it, in that language's own words."""
    await ctx.store.members.update(ctx.member.id, language=code)
    await ctx.reload_member()
    await person_sync.copy_fields(ctx, {"language": code})
    return tr("From now on I'll write to you in {name}.", name=SUPPORTED[code])
