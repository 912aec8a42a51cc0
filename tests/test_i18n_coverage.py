"""Every text a member reads went through the translation function: the profile commands.

Each feature's translated texts are checked the same way in its own `tests/test_i18n_*.py`:
a scenario through the real bot, with the community speaking a pseudo-language that brackets
every translated text (`tests.pseudo_locale.assert_translated`), bad inputs included (errors are
texts too); any English word left outside brackets in anything sent fails the test.
"""

from __future__ import annotations

import pytest

from tests.conftest import Harness
from tests.pseudo_locale import assert_translated


@pytest.mark.sqlite_only
async def test_profile_texts_are_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await assert_translated(
        harness,
        monkeypatch,
        [
            "ana: /profile show",
            "ana: /profile edit role " + "x" * 100,
            "ana: /profile edit intro " + "y" * 400,
            "ana: /profile edit wants_mentor maybe",
            "ana: /profile edit language klingon",
            "ana: /profile edit language esp",
            "ana: /profile edit role tutor",
            "ana: /profile show nobody-here",
        ],
        allowed=frozenset({"tutor", "klingon", "esp", "nobody", "here"}),
    )
