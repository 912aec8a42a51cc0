"""Discord in the member's language (#17): the slash commands' own words in Spanish and French
(within Discord's limits in every language), and the interaction's locale answering a member
who chose no language."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.command_locales import CatalogueTranslator
from adapters.discord.commands import catalogue_hash, command_payloads, localized_payloads
from communitybot.i18n import translate
from tests.discord.gateway_double import APP_ID, DiscordDouble
from tests.discord.helpers import ALICE, answer, connected, slash, sub, whole_help

NAME = re.compile(r"^[-_\w]{1,32}$")
"""Discord's name rule for the scripts the bot speaks (`\\w` without digits' oddities is
enough for Latin letters with accents); lowercase is checked apart."""
LANGUAGES = ("es-ES", "es-419", "fr")


def _levels(commands: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Every list of siblings: the top-level commands, each command's and group's options."""
    levels = [commands]
    for command in commands:
        options = command.get("options") or []
        if options:
            levels += _levels(options)
    return levels


def _in(node: dict[str, Any], key: str, language: str) -> str:
    return str(node.get(f"{key}_localizations", {}).get(language, node[key]))


async def test_the_synced_commands_carry_spanish_and_french_within_discords_limits(
    double: DiscordDouble, tmp_path: Path
) -> None:
    async with connected(double, tmp_path / "bot.db") as bot:
        assert bot.synced_commands
        [sync] = double.rest("PUT", f"/applications/{APP_ID}/commands")
    commands: list[dict[str, Any]] = sync.body
    by_name = {c["name"]: c for c in commands}
    assert by_name["help"]["name_localizations"] == {
        "es-ES": "ayuda",
        "es-419": "ayuda",
        "fr": "aide",
    }
    assert by_name["peers"]["description_localizations"]["es-ES"] == (
        "Encuentra miembros con tus mismos intereses"
    )
    assert by_name["peers"]["description_localizations"]["fr"] == (
        "Trouver des membres qui partagent vos intérêts"
    )
    scope = next(o for o in by_name["peers"]["options"] if o["name"] == "scope")
    network = next(c for c in scope["choices"] if c["value"] == "network")
    assert network["name_localizations"] == {"es-ES": "red", "es-419": "red", "fr": "réseau"}
    # What a member picks still arrives under the English names and values the core reads.
    assert [c["value"] for c in scope["choices"]] == ["community", "network"]

    for language in ("en", *LANGUAGES):
        for siblings in _levels(commands):
            names = [_in(node, "name", language) for node in siblings]
            assert len(names) == len(set(names)), (language, names)
            for node, name in zip(siblings, names, strict=True):
                if "value" in node:  # a choice: its name is free text up to 100
                    assert 0 < len(name) <= 100, (language, name)
                    continue
                assert NAME.match(name) and name == name.lower(), (language, name)
                description = _in(node, "description", language)
                assert 0 < len(description) <= 100, (language, description)
                for choice in node.get("choices") or []:
                    assert 0 < len(_in(choice, "name", language)) <= 100
    # Every description is translated, in each language (names only where a word exists);
    # the chat schedule's grammar is typed in English in every language.
    for siblings in _levels(commands):
        for node in siblings:
            if "description" in node and node["name"] != "schedule":
                assert set(node["description_localizations"]) == set(LANGUAGES), node["name"]


async def test_a_changed_translation_changes_the_hash_so_the_commands_sync_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = catalogue_hash(await localized_payloads(CatalogueTranslator()))
    real = translate.catalogue

    class Retouched:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def gettext(self, message: str) -> str:
            found = str(self.inner.gettext(message))
            return found.replace("miembros", "docentes")

    monkeypatch.setattr(
        "adapters.discord.command_locales.catalogue",
        lambda code: Retouched(real(code)) if code == "es" else real(code),
    )
    after = catalogue_hash(await localized_payloads(CatalogueTranslator()))
    assert after != before
    # English alone is what it always was (the hash of older releases' bodies is unchanged).
    assert catalogue_hash(command_payloads()) != after


async def test_a_broken_translated_name_is_left_out_and_the_sync_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        "adapters.discord.command_locales._words",
        lambda code: {"help": "Ayuda Rápida", "tags": "perfil", "profile": "perfil"},
    )
    commands = await localized_payloads(CatalogueTranslator())
    by_name = {c["name"]: c for c in commands}
    assert "name_localizations" not in by_name["help"]  # a capital and a space: refused
    # Two siblings with one word: neither gets it, both keep their English names.
    assert "name_localizations" not in by_name["tags"]
    assert "name_localizations" not in by_name["profile"]


async def test_a_spanish_client_gets_spanish_help_and_profile(
    double: DiscordDouble, tmp_path: Path
) -> None:
    async with connected(double, tmp_path / "bot.db"):
        await double.add_member(ALICE, "alice")
        text = await whole_help(double, ALICE, "es-ES")
        assert "**Lo que puedo hacer**" in text
        assert "• `/peers` — Encuentra miembros con tus mismos intereses" in text
        details = await double.interact(
            ALICE,
            2,
            slash("help", {"type": 3, "name": "command", "value": "tags add"}),
            locale="es-419",
        )
        text = (await answer(double, details))["data"]["content"]
        assert "Uso: `/tags add <tags>`" in text
        assert "Ejemplos:" in text
        shown = await double.interact(ALICE, 2, slash("profile", sub("show")), locale="es-ES")
        profile = (await answer(double, shown))["data"]["content"]
        assert "Etiquetas" in profile
        assert "**Ce que je sais faire**" in await whole_help(double, ALICE, "fr")
        assert "**What I can do**" in await whole_help(double, ALICE, "en-US")


async def test_the_answer_form_speaks_the_clients_language(
    double: DiscordDouble, tmp_path: Path
) -> None:
    async with connected(double, tmp_path / "bot.db"):
        await double.add_member(ALICE, "alice")
        await double.wait_for("POST", "/channels/")
        clicked = await double.interact(
            ALICE,
            3,
            {"custom_id": "onboarding:timezone|__modal__", "component_type": 2},
            in_guild=False,
            channel_id=str(double.dm_channel_of(ALICE)),
            locale="es-419",
        )
        modal = await answer(double, clicked)
        assert modal["type"] == 9 and modal["data"]["title"] == "Tu respuesta"
        [label] = modal["data"]["components"]
        assert label["label"] == "Tu respuesta"


def test_buttons_speak_the_language_the_message_was_written_in() -> None:
    """A check-in DM written for a Spanish member by a scheduled job (delivered later, outside
    any handler) gets Spanish buttons: the message carries its language."""
    from adapters.discord.platform import message_sends
    from communitybot.i18n import use_language
    from communitybot.replies import Message, Prompt

    with use_language("es"):
        question = Message("¿Os habéis reunido?", prompt=Prompt("mentor:checkin:1", "yesno"))
    (send,) = message_sends(question)  # delivered with no language set: English by default
    labels = [item.label for item in send["view"].children]
    assert labels == ["Sí", "No"]
    (english,) = message_sends(Message("Did you meet?", prompt=Prompt("x", "yesno")))
    assert [item.label for item in english["view"].children] == ["Yes", "No"]


def test_a_reminder_shows_its_moment_as_a_discord_timestamp_too() -> None:
    """Each client renders `<t:…>` in its own clock and language, beside the written date."""
    from datetime import UTC, datetime

    from adapters.discord.platform import message_sends
    from communitybot.replies import Message, unix_times

    start = datetime(2027, 1, 5, 18, 0, tzinfo=UTC)
    reminder = Message(
        "⏰ #engchat empieza en 1 hora: martes 5 de enero, 19:00 (Europe/Madrid)",
        moments=unix_times((start,)),
    )
    (send,) = message_sends(reminder)
    assert send["content"].endswith("\n🕒 <t:1799172000:F> (<t:1799172000:R>)")
    assert send["allowed_mentions"].everyone is False
