"""`/help` and the command grammar's errors in the member's language (#17).

`help` renders the catalogue's descriptions through the catalogues; the grammar's errors are
written where the line is parsed, under the language the core answers that member in
(`Bot.language_of`), so a typo on the console or Matrix is explained in Spanish to a member
who chose Spanish. Command and option names stay English: they are what the parser reads.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters.console.platform import ConsolePlatform
from adapters.console.runner import ConsoleSession
from communitybot.bot import Bot
from communitybot.clock import FakeClock
from communitybot.command_parser import CommandParseError, parse_command_line
from communitybot.commands import CATALOGUE
from communitybot.events import CommunityRef
from communitybot.i18n import use_language
from communitybot.peers.index import PeerIndex
from communitybot.store.store import Store
from tests.conftest import Harness, user
from tests.pseudo_locale import assert_translated, pseudo_translated, untranslated

BAD_LINES = [
    "/",
    "/tags",
    "/nosuch thing",
    "/tags add",
    "/tags add maths extra=1",
    "/tags rename a b c",
    "/tags create name=x name=y",
    "/peers maths scope=nowhere",
    "/tags list " + "x" * 40,
    '/chat create engchat title=New title chats "weekly tuesday" 19:00 Europe/London',
    "/chat create engchat Feedback chats weekly tuesday 19:00 Europe/London",
    "/chat create engchat time=19:00 Europe/London",
    "/rounds run dry_run=maybe",
    "/introduce 123456789012345678901234567890",
]
"""One line per kind of mistake the grammar explains."""


@pytest.mark.sqlite_only
async def test_help_for_every_command_is_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = ["ana: /help", "mod: /help", "ana: /help nosuch", "ana: /help chat"]
    lines += [f"mod: /help {command.name}" for command in CATALOGUE]
    await assert_translated(harness, monkeypatch, lines, frozenset({"nosuch"}))


def test_every_grammar_error_is_translated(monkeypatch: pytest.MonkeyPatch) -> None:
    found = []
    with pseudo_translated(monkeypatch, "es"), use_language("es"):
        for line in BAD_LINES:
            with pytest.raises(CommandParseError) as error:
                parse_command_line(line, "/", user)
            words = untranslated(str(error.value), frozenset({"nosuch", "thing", "nowhere"}))
            if words:
                found.append(f"{line!r}: {words} in {str(error.value)!r}")
    assert not found, "untranslated grammar errors:\n" + "\n".join(found)


def test_grammar_errors_in_spanish_and_french_keep_the_names_typed() -> None:
    with use_language("es"), pytest.raises(CommandParseError) as spanish:
        parse_command_line("/tags add", "/", user)
    assert str(spanish.value).splitlines() == [
        "Falta `tags`.",
        "Uso: `/tags add <tags>`",
        "Ejemplo: `/tags add maths, special education`",
    ]
    with use_language("fr"), pytest.raises(CommandParseError) as french:
        parse_command_line("/peers maths scope=nowhere", "/", user)
    assert str(french.value).startswith(
        "`scope` doit être l’une de ces valeurs : community, network (reçu « nowhere »)."
    )


async def test_help_in_the_language_the_member_chose(harness: Harness) -> None:
    await harness.reply_text("ana", "/profile edit language fr")
    text = await harness.reply_text("ana", "/help peers")
    assert text.splitlines()[:2] == [
        "• `/peers` — Trouver des membres qui partagent vos intérêts",
        "  Utilisation : `/peers [tags] [scope=…]`",
    ]
    assert "  `tags` — Chercher ces étiquettes plutôt que les vôtres (facultative; " in text
    assert "(facultative; " in text and "Exemples :" in text
    await harness.reply_text("ana", "/profile edit language es")
    text = await harness.reply_text("ana", "/help")
    assert text.startswith("**Lo que puedo hacer**\n• `/help` — Muestra lo que puede hacer el bot")


async def test_a_console_typo_is_explained_in_the_members_language(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bot.db")
    out = io.StringIO()
    platform = ConsolePlatform(out, tmp_path / "files")
    bot = Bot(store, platform, FakeClock(), PeerIndex(), prefix="/")
    session = ConsoleSession(bot, platform, CommunityRef("console", "local"))
    try:
        for line in [":join ana", "/profile edit language es", "/tags", ":join bo", ":lang fr"]:
            assert await session.handle(line)
        out.truncate(0)
        await session.handle("/tags add")  # bo: no language of their own, a French client
        await session.handle(":as ana")
        await session.handle("/tags")  # ana chose Spanish
        await session.handle(":join cy")
        await session.handle("/nosuch")  # cy: neither: the community's default, English
        printed = out.getvalue()
        assert "[reply:bo] Il manque `tags`." in printed
        assert "[reply:ana] `/tags` necesita un subcomando: `/tags add`" in printed
        assert "[reply:cy] I don't know `/nosuch`." in printed
    finally:
        await store.close()
