"""The answer to a language the bot does not speak: what it speaks, and the nearest one."""

from __future__ import annotations

from communitybot.i18n.languages import SUPPORTED, UnknownLanguage, supported_list
from communitybot.i18n.translate import tr
from communitybot.text import quote


def unknown_language_text(error: UnknownLanguage) -> str:
    """ "I don't speak “xx” yet. Did you mean es (Español)? I speak: …" (nothing changed)."""
    said = tr("I don't speak “{language}” yet.", language=quote(error.raw, 30))
    if error.suggestion:
        said += " " + tr(
            "Did you mean {code} ({name})?",
            code=error.suggestion,
            name=SUPPORTED[error.suggestion],
        )
    return said + " " + tr("I speak: {languages}.", languages=supported_list())
