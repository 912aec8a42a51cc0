"""The languages the bot speaks, and how a typed code or a client's locale maps onto them.

A language is its two-letter code ("es"); Discord sends locales such as "es-ES", "es-419" or
"fr", and members type "es", "Spanish", "español" or "es_MX". Everything lands on one of
`SUPPORTED` or is refused with the list (and a "did you mean" when it is close).
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

DEFAULT_LANGUAGE = "en"

SUPPORTED: dict[str, str] = {"en": "English", "es": "Español", "fr": "Français"}
"""Code → the language's own name (what a member who reads it recognises)."""

_NAMES: dict[str, str] = {
    "english": "en",
    "ingles": "en",
    "anglais": "en",
    "spanish": "es",
    "espanol": "es",
    "castellano": "es",
    "espagnol": "es",
    "french": "fr",
    "frances": "fr",
    "francais": "fr",
}
"""Names members type, folded (no accents, lower case)."""


class UnknownLanguage(ValueError):
    """A code or name the bot does not speak; `suggestion` is the closest one it does."""

    def __init__(self, raw: str, suggestion: str | None) -> None:
        super().__init__(raw)
        self.raw = raw
        self.suggestion = suggestion


@dataclass(frozen=True)
class LanguageChoice:
    code: str

    @property
    def name(self) -> str:
        return SUPPORTED[self.code]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def from_locale(locale: str | None) -> str | None:
    """The supported language of a client locale ("es-419" → "es"), or None."""
    if not locale:
        return None
    base = locale.replace("_", "-").split("-", 1)[0].casefold()
    return base if base in SUPPORTED else None


def parse_language(raw: str) -> str:
    """The code for what a member typed ("ES", "es-MX", "Español", "french"), or
    `UnknownLanguage` with the closest supported code when one is near."""
    folded = _fold(raw)
    code = from_locale(folded) or _NAMES.get(folded)
    if code is not None:
        return code
    known = [*SUPPORTED, *_NAMES]
    close = difflib.get_close_matches(folded, known, n=1, cutoff=0.6)
    suggestion = (close[0] if close[0] in SUPPORTED else _NAMES[close[0]]) if close else None
    raise UnknownLanguage(raw, suggestion)


def supported_list() -> str:
    """ "en (English), es (Español), fr (Français)": the list an error shows."""
    return ", ".join(f"{code} ({name})" for code, name in SUPPORTED.items())


def parse_language_list(raw: str) -> tuple[str, ...]:
    """Codes from "en, es fr" in the order typed, without repeats (`UnknownLanguage` on the
    first one the bot does not speak)."""
    codes: list[str] = []
    for part in raw.replace(",", " ").split():
        code = parse_language(part)
        if code not in codes:
            codes.append(code)
    return tuple(codes)
