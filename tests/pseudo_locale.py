"""A pseudo-language for finding texts that never went through the translation function.

Under `pseudo_translated()` every text `tr`/`ntr`/`ptr` translates comes out wrapped in
⟦…⟧ (after its placeholders are filled, so a parameter sits inside its sentence's brackets).
`untranslated(text)` then returns the words of a sent message that are outside any brackets
and outside what is a name, a command or a quoted user text — an English sentence there was
written without `tr`. Date patterns stay real patterns, so dates still format.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from communitybot.i18n import translate

OPEN, CLOSE = "⟦", "⟧"
_NAMES = re.compile(r"\*\*[^*]*\*\*|`[^`]*`|“[^”]*”|«[^»]*»|<[^>]*>|https?://\S+")
_WORD = re.compile(r"[A-Za-z]{3,}")


class PseudoTranslations(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return f"{OPEN}{message}{CLOSE}"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"{OPEN}{singular if n == 1 else plural}{CLOSE}"

    def pgettext(self, context: str, message: str) -> str:
        return message if context == "date pattern" else f"{OPEN}{message}{CLOSE}"

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return f"{OPEN}{singular if n == 1 else plural}{CLOSE}"


@contextmanager
def pseudo_translated(monkeypatch: pytest.MonkeyPatch, code: str = "es") -> Iterator[None]:
    """Language `code` speaks the pseudo-language for the block."""
    real = translate.catalogue

    def catalogue(language: str) -> gettext.NullTranslations:
        return PseudoTranslations() if language == code else real(language)

    monkeypatch.setattr(translate, "catalogue", catalogue)
    yield
    monkeypatch.setattr(translate, "catalogue", real)


def _outside_brackets(text: str) -> str:
    kept: list[str] = []
    depth = 0
    for char in text:
        if char == OPEN:
            depth += 1
        elif char == CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            kept.append(char)
    return "".join(kept)


def untranslated(text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """English-looking words of `text` that no translation covered (names and `allowed` aside)."""
    outside = _NAMES.sub(" ", _outside_brackets(text))
    return [word for word in _WORD.findall(outside) if word not in allowed]
