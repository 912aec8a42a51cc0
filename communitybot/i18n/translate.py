"""The one translation function every user-facing text goes through.

Texts are written in English in the code, as gettext message ids, and formatted with named
placeholders: `tr("I don't know the tag “{name}”.", name=...)`. The language is the one the
current handler speaks (`use_language`, set by the bot from the member's choice, their client's
locale or the community's default: `communitybot.i18n.choice`); a job that writes to several
members sets it per recipient.

Why a context variable rather than a parameter: the texts are built deep inside helpers that
know nothing of who reads them, and threading a language through every one of them would touch
every signature for no gain; asyncio copies context variables into each task, so concurrent
handlers never see each other's language.

A translation is only ever a better English: if it is missing, the English text is used; if a
translator broke a placeholder (`{nmae}`), that one message falls back to English and the
problem is logged once, instead of the reply failing.

The functions and their extraction keywords (`babel.cfg`, `make i18n-extract`):
`tr(msg)`, `ntr(singular, plural, n)` (plural forms; `{n}` is always available),
`ptr(context, msg)` (the same English word meaning two things), `nptr(context, s, p, n)`,
and `N_(msg)` which only marks a constant for extraction (translate it with `tr` at use).
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from loguru import logger

from communitybot.i18n.languages import DEFAULT_LANGUAGE, SUPPORTED

DOMAIN = "communitybot"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_language: ContextVar[str] = ContextVar("communitybot_language", default=DEFAULT_LANGUAGE)
_warned: set[tuple[str, str]] = set()


def current_language() -> str:
    """The language texts are being written in right now."""
    return _language.get()


@contextmanager
def use_language(code: str | None) -> Iterator[str]:
    """Write texts in `code` inside the block (English for None or an unknown code)."""
    chosen = code if code in SUPPORTED else DEFAULT_LANGUAGE
    token = _language.set(chosen)
    try:
        yield chosen
    finally:
        _language.reset(token)


@cache
def catalogue(code: str) -> gettext.NullTranslations:
    """The compiled catalogue of `code` (read once per process); English has none."""
    if code == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[code], fallback=True)


def _render(translated: str, english: str, params: dict[str, object]) -> str:
    try:
        return translated.format(**params)
    except (KeyError, IndexError, ValueError, AttributeError) as error:
        if translated is english:
            raise  # a bug in the code's own English text, not a translator's slip
        language = current_language()
        if (language, english) not in _warned:
            _warned.add((language, english))
            logger.warning(
                "the {} translation of {!r} has a broken placeholder ({}): English used",
                language,
                english[:80],
                type(error).__name__,
            )
        return english.format(**params)


def tr(message: str, /, **params: object) -> str:
    """`message` in the current language, its `{placeholders}` filled from `params`."""
    return _render(catalogue(current_language()).gettext(message), message, params)


def ntr(singular: str, plural: str, n: int, /, **params: object) -> str:
    """The plural form of the current language for `n` (French says "1 membre", "0 membre")."""
    english = singular if n == 1 else plural
    translated = catalogue(current_language()).ngettext(singular, plural, n)
    if translated in (singular, plural):
        translated = english
    return _render(translated, english, {"n": n, **params})


def ptr(context: str, message: str, /, **params: object) -> str:
    """`message` where the same English means different things (`context` tells which)."""
    translated = catalogue(current_language()).pgettext(context, message)
    return _render(translated, message, params)


def nptr(context: str, singular: str, plural: str, n: int, /, **params: object) -> str:
    english = singular if n == 1 else plural
    translated = catalogue(current_language()).npgettext(context, singular, plural, n)
    if translated in (singular, plural):
        translated = english
    return _render(translated, english, {"n": n, **params})


def N_(message: str) -> str:
    """Mark a module-level text for the catalogue without translating it (no language is
    known at import time); pass it through `tr` where it is used."""
    return message


def in_language(code: str | None, message: str, /, **params: object) -> str:
    """`message` in `code`, whatever the current language (a channel's or another member's)."""
    with use_language(code):
        return tr(message, **params)
