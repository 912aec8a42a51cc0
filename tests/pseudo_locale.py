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
from tests.conftest import COMMUNITY, Harness

OPEN, CLOSE = "⟦", "⟧"
_NAMES = re.compile(r"\*\*[^*]*\*\*|`[^`]*`|“[^”]*”|«[^»]*»|<[^>]*>|https?://\S+")
_WORD = re.compile(r"[^\W\d_]{3,}")


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


async def _run(harness: Harness, line: str) -> None:
    if line.startswith("+"):
        await harness.join(line[1:])
    elif line.startswith("-"):
        await harness.leave(line[1:])
    elif ": " in line:
        name, command = line.split(": ", 1)
        await harness.command(name, command)
    elif "#" in line.split(">", 1)[0]:
        head, text = line.split(">", 1)
        name, channel = head.split("#", 1)
        await harness.post(name, channel, text.strip())
    else:
        name, text = line.split("> ", 1)
        await harness.say(name, text)


async def assert_translated(
    harness: Harness,
    monkeypatch: pytest.MonkeyPatch,
    lines: list[str],
    allowed: frozenset[str] = frozenset(),
) -> None:
    """Run the scenario `lines` with the community (and so every member who chose no language)
    speaking the pseudo-language; fail listing every sent text with English outside brackets.

    Lines: `+ana` (ana joins), `-ana` (leaves), `ana: /command …`, `ana> text` (a private
    message), `ana#chan> text` (a channel message); `mod` is a moderator. `allowed`: words the
    scenario itself typed that may come back (names, values), besides the member names.
    """
    harness.platform.moderators.add("mod")
    community, _ = await harness.store.communities.ensure(COMMUNITY, harness.clock.now())
    await harness.store.communities.update_settings(community.id, language="es")
    names = {line.lstrip("+-").split(":")[0].split(">")[0].split("#")[0] for line in lines}
    ok = (
        allowed | {name.capitalize() for name in names} | names | {"Español", "English", "Français"}
    )
    found: list[str] = []
    with pseudo_translated(monkeypatch, "es"):
        for line in lines:
            harness.platform.take()
            await _run(harness, line)
            for sent in harness.platform.take():
                words = untranslated(sent.text, frozenset(ok))
                if words:
                    found.append(f"{line!r} → {sent.where}: {words[:8]} in {sent.text[:200]!r}")
    assert not found, "untranslated texts:\n" + "\n".join(found)
