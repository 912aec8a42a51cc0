"""Typed answers to the two confirmations that change a person's data: `/forgetme` and a link
request. A member who reads the question in Spanish answers "sí", in French "oui".

Why a fixed table here rather than translated words in the catalogue: these answers delete data
or join accounts, so the words that trigger them are chosen with care, reviewed in code and never
changed by a catalogue edit. Only the English words and those of the language the member is
answered in count: an English reader typing "si" (or a Spanish reader typing "oui") is asked
again, nothing happens. The whole answer must be one of the words (after `normalized`), never a
sentence that merely contains one.
"""

from __future__ import annotations

from typing import Literal

from communitybot.i18n import current_language

Meaning = Literal["yes", "this", "all", "no"]

_ENGLISH: dict[Meaning, frozenset[str]] = {
    "yes": frozenset({"yes", "y"}),
    "this": frozenset({"this", "this account"}),
    "all": frozenset({"all", "all accounts", "everything"}),
    "no": frozenset({"no", "n", "cancel"}),
}
_TRANSLATED: dict[str, dict[Meaning, frozenset[str]]] = {
    "es": {
        "yes": frozenset({"sí", "si"}),
        "this": frozenset({"esta", "esta cuenta", "solo esta", "solo esta cuenta"}),
        "all": frozenset({"todas", "todas las cuentas", "todo"}),
        "no": frozenset({"no", "cancelar"}),
    },
    "fr": {
        "yes": frozenset({"oui"}),
        "this": frozenset({"ce compte", "seulement ce compte", "celui-ci"}),
        "all": frozenset({"tous", "tous les comptes", "tout"}),
        "no": frozenset({"non", "annuler"}),
    },
}


def normalized(text: str) -> str:
    """A typed answer as compared: spaces collapsed, case folded, "¡Sí!" read as "sí" (a
    question mark stays: "sí?" is a doubt, not an answer)."""
    return " ".join(text.split()).casefold().rstrip(".!").lstrip("¡")


def words(meaning: Meaning, language: str | None = None) -> frozenset[str]:
    """The answers that mean `meaning` for a reader of `language` (the current one by default):
    the English words, plus that language's own."""
    code = language or current_language()
    return _ENGLISH[meaning] | _TRANSLATED.get(code, {}).get(meaning, frozenset())


def deleting_in_any_language() -> frozenset[str]:
    """Every typed answer that makes `/forgetme` delete ("this" account or "all" linked
    accounts), in English and every translated language: the bot takes all the person's lanes
    for these before knowing which language the member reads (`bot._spans`). Taking them for a
    word that then deletes nothing only costs a wait; missing one would let the deletion race
    the person's other communities."""
    meanings: tuple[Meaning, ...] = ("yes", "this", "all")
    found = {word for meaning in meanings for word in _ENGLISH[meaning]}
    for table in _TRANSLATED.values():
        found |= {word for meaning in meanings for word in table.get(meaning, frozenset())}
    return frozenset(found)
