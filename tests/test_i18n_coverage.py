"""Every text a member reads went through the translation function.

Each scenario below runs through the real bot with the member's language set to a
pseudo-language that brackets every translated text (`tests.pseudo_locale`); any English word
left outside brackets in anything the bot sent — a reply, a DM, a channel post — is a text
written without `tr`. A feature that is translated adds its scenarios here, including its bad
inputs (errors are texts too).

Scenario lines: `+ana` (ana joins), `ana: /command …`, `ana> text` (a private message),
`ana#chan> text` (a channel message); `mod` is a moderator.
"""

from __future__ import annotations

import pytest

from tests.conftest import COMMUNITY, Harness
from tests.pseudo_locale import pseudo_translated, untranslated

SCENARIOS: dict[str, list[str]] = {
    "profile": [
        "ana: /profile show",
        "ana: /profile edit role " + "x" * 100,
        "ana: /profile edit intro " + "y" * 400,
        "ana: /profile edit wants_mentor maybe",
        "ana: /profile edit language klingon",
        "ana: /profile edit language esp",
        "ana: /profile edit role tutor",
        "ana: /profile show nobody-here",
    ],
}

ALLOWED = frozenset({"Ana", "Mod", "English", "Espa", "Fran", "ais", "tutor", "klingon", "esp"})
"""Names and values the scenarios themselves type (they come back quoted or as names)."""


async def _run(harness: Harness, line: str) -> None:
    if line.startswith("+"):
        await harness.join(line[1:])
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


@pytest.mark.sqlite_only
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
async def test_everything_the_bot_says_is_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, scenario: str
) -> None:
    harness.platform.moderators.add("mod")
    community, _ = await harness.store.communities.ensure(COMMUNITY, harness.clock.now())
    await harness.store.communities.update_settings(community.id, language="es")
    found: list[str] = []
    with pseudo_translated(monkeypatch, "es"):
        for line in SCENARIOS[scenario]:
            harness.platform.take()
            await _run(harness, line)
            for sent in harness.platform.take():
                words = untranslated(sent.text, ALLOWED)
                if words:
                    found.append(f"{line!r} → {sent.where}: {words[:8]} in {sent.text[:160]!r}")
    assert not found, "untranslated texts:\n" + "\n".join(found)
