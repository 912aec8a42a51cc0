"""The slash commands in every language: discord.py's translator over the core's catalogues.

The command JSON (`adapters.discord.commands`) is built with `locale_str` wherever a text is
translated; at sync this module resolves it twice over: the English text Discord shows by
default, and for each of `LOCALES` the words of the same gettext catalogues every reply uses
(`communitybot.i18n.translate.catalogue`), as `name_localizations` and
`description_localizations`. What a member picks arrives under the English names whatever their
client shows, so the core never sees a translated name.

Names are translated only where a natural word exists (`command_words`), and a translated name
Discord would refuse (not lowercase, a space, over 32 characters, the same as a sibling's) is
left out, with a warning, rather than failing the whole sync: the English name still works.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import discord
from discord.app_commands import (
    TranslationContext,
    TranslationContextLocation,
    Translator,
    locale_str,
)
from loguru import logger

from communitybot.i18n import ptr, use_language
from communitybot.i18n.languages import DEFAULT_LANGUAGE, from_locale
from communitybot.i18n.translate import catalogue

LOCALES = (
    discord.Locale.spain_spanish,
    discord.Locale.latin_american_spanish,
    discord.Locale.french,
)
"""The Discord locales the commands are translated for (Spanish is one catalogue for both)."""

MAX_NAME = 32
MAX_DESCRIPTION = 100
MAX_CHOICE = 100
"""Discord's limits on a name, a description and a choice's name, in every language."""

_warned: set[tuple[str, str]] = set()


def command_words() -> dict[str, str]:
    """English command and option name → its word in the current language, where a natural
    word exists (the rest keep their English names everywhere)."""
    # Translators: the name of a Discord slash command or of one of its options. Lowercase,
    # no spaces (use - or _), at most 32 characters, unique among its siblings; keep the
    # English word when your language has no natural one.
    return {
        "help": ptr("command name", "help"),
        "tags": ptr("command name", "tags"),
        "tag": ptr("command name", "tag"),
        "network": ptr("command name", "network"),
        "peers": ptr("command name", "peers"),
        "introduce": ptr("command name", "introduce"),
        "profile": ptr("command name", "profile"),
        "privacy": ptr("command name", "privacy"),
        "link": ptr("command name", "link"),
        "unlink": ptr("command name", "unlink"),
        "setup": ptr("command name", "setup"),
        "onboarding": ptr("command name", "onboarding"),
        "stats": ptr("command name", "stats"),
        "limits": ptr("command name", "limits"),
        "mentoring": ptr("command name", "mentoring"),
        "ask": ptr("command name", "ask"),
        "asks": ptr("command name", "asks"),
        "follow": ptr("command name", "follow"),
        "resolve": ptr("command name", "resolve"),
        "rounds": ptr("command name", "rounds"),
        "dashboard": ptr("command name", "dashboard"),
        "add": ptr("command name", "add"),
        "remove": ptr("command name", "remove"),
        "list": ptr("command name", "list"),
        "create": ptr("command name", "create"),
        "edit": ptr("command name", "edit"),
        "delete": ptr("command name", "delete"),
        "rename": ptr("command name", "rename"),
        "merge": ptr("command name", "merge"),
        "show": ptr("command name", "show"),
        "join": ptr("command name", "join"),
        "leave": ptr("command name", "leave"),
        "cancel": ptr("command name", "cancel"),
        "pause": ptr("command name", "pause"),
        "resume": ptr("command name", "resume"),
        "next": ptr("command name", "next"),
        "settings": ptr("command name", "settings"),
        "status": ptr("command name", "status"),
        "invite": ptr("command name", "invite"),
        "offer": ptr("command name", "offer"),
        "request": ptr("command name", "request"),
        "end": ptr("command name", "end"),
        "questions": ptr("command name", "questions"),
        "run": ptr("command name", "run"),
        "subscribe": ptr("command name", "subscribe"),
        "unsubscribe": ptr("command name", "unsubscribe"),
        "calendar": ptr("command name", "calendar"),
        "category": ptr("command name", "category"),
        "move": ptr("command name", "move"),
        "transcript": ptr("command name", "transcript"),
        "name": ptr("command name", "name"),
        "new_name": ptr("command name", "new_name"),
        "channel": ptr("command name", "channel"),
        "role": ptr("command name", "role"),
        "member": ptr("command name", "member"),
        "time": ptr("command name", "time"),
        "timezone": ptr("command name", "timezone"),
        "date": ptr("command name", "date"),
        "days": ptr("command name", "days"),
        "weekday": ptr("command name", "weekday"),
        "frequency": ptr("command name", "frequency"),
        "description": ptr("command name", "description"),
        "title": ptr("command name", "title"),
        "note": ptr("command name", "note"),
        "number": ptr("command name", "number"),
        "language": ptr("command name", "language"),
        "languages": ptr("command name", "languages"),
        "answer": ptr("command name", "answer"),
        "command": ptr("command name", "command"),
        "goals": ptr("command name", "goals"),
        "scope": ptr("command name", "scope"),
        "duration": ptr("command name", "duration"),
        "code": ptr("command name", "code"),
        "feedback": ptr("command name", "feedback"),
        "value": ptr("command name", "value"),
        "field": ptr("command name", "field"),
        "kind": ptr("command name", "kind"),
        "prompt": ptr("command name", "prompt"),
        "schedule": ptr("command name", "schedule"),
        "target": ptr("command name", "target"),
        "problem": ptr("command name", "problem"),
        "capacity": ptr("command name", "capacity"),
        "position": ptr("command name", "position"),
        "state": ptr("command name", "state"),
        "outcome": ptr("command name", "outcome"),
        "key": ptr("command name", "key"),
    }


@cache
def _words(code: str) -> dict[str, str]:
    with use_language(code):
        return command_words()


def valid_name(name: str) -> bool:
    """Discord's rule for a command or option name, in any language (lowercase letters,
    digits, `-` and `_`; 1 to 32 characters)."""
    return (
        0 < len(name) <= MAX_NAME
        and name == name.lower()
        and all(char in "-_" or char.isalnum() for char in name)
    )


class CatalogueTranslator(Translator):
    """discord.py's `Translator` answering from the core's gettext catalogues.

    A `locale_str` says what it is in its extras: `kind="name"` (a command, group or option
    name: `command_words`), `kind="choice"` (a choice's name: the catalogue's word for the
    value), `msgid=` (the catalogue's message when the English shown is already filled in)
    with `group=` (the group's name to fill in). None: no translation, Discord shows English.
    """

    async def translate(
        self, string: locale_str, locale: discord.Locale, context: TranslationContext[Any, Any]
    ) -> str | None:
        code = from_locale(locale.value)
        if code is None or code == DEFAULT_LANGUAGE:
            return None
        extras = string.extras
        if extras.get("kind") == "name":
            word = _words(code).get(string.message)
            return word if word and word != string.message else None
        msgid = str(extras.get("msgid", string.message))
        translated = catalogue(code).gettext(msgid)
        if translated == msgid:
            return None
        if "group" in extras:
            group = str(extras["group"])
            try:
                return translated.format(name=_words(code).get(group, group).title())
            except (KeyError, IndexError, ValueError):
                return None
        return translated


def _text(value: locale_str, key: str) -> str:
    english = value.message
    return english[:MAX_DESCRIPTION] if key == "description" else english


def _fits(key: str, kind: str, text: str) -> str | None:
    """The translated text as Discord takes it, or None when it must be left out."""
    if key == "description":
        return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"
    if kind == "choice":
        return text if len(text) <= MAX_CHOICE else None
    return text if valid_name(text) else None


def _location(key: str, kind: str, depth: int) -> TranslationContextLocation:
    if kind == "choice":
        return TranslationContextLocation.choice_name
    if key == "description":
        return TranslationContextLocation.command_description
    return (
        TranslationContextLocation.command_name
        if depth == 0
        else TranslationContextLocation.parameter_name
    )


async def _localized(node: dict[str, Any], translator: Translator, depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        if isinstance(value, locale_str):
            out[key] = _text(value, key)
            kind = str(value.extras.get("kind", ""))
            # The JSON is built by hand, so there is no discord.py command object to pass along.
            context = TranslationContext(_location(key, kind, depth), None)  # type: ignore[call-overload]
            found: dict[str, str] = {}
            for locale in LOCALES:
                translated = await translator.translate(value, locale, context)
                fitted = _fits(key, kind, translated) if translated else None
                if fitted is not None:
                    found[locale.value] = fitted
                elif translated:
                    _warn(locale.value, translated)
            if found:
                out[f"{key}_localizations"] = found
        elif key in ("options", "choices"):
            out[key] = [await _localized(child, translator, depth + 1) for child in value]
            if key == "options":
                _unique_names(out[key])
        else:
            out[key] = value
    return out


def _warn(locale: str, text: str) -> None:
    if (locale, text) not in _warned:
        _warned.add((locale, text))
        logger.warning("{} command text {!r} breaks Discord's rules: English used", locale, text)


def _unique_names(siblings: list[dict[str, Any]]) -> None:
    """Drop translated names that two siblings would share in one language (Discord refuses
    the whole sync otherwise); those siblings keep their (unique) English names there."""
    for locale in LOCALES:
        while True:
            seen: dict[str, list[dict[str, Any]]] = {}
            for sibling in siblings:
                name = sibling.get("name_localizations", {}).get(locale.value, sibling["name"])
                seen.setdefault(name, []).append(sibling)
            clashing = [s for group in seen.values() if len(group) > 1 for s in group]
            translated = [s for s in clashing if locale.value in s.get("name_localizations", {})]
            if not translated:
                break
            for sibling in translated:
                _warn(locale.value, sibling["name_localizations"].pop(locale.value))
                if not sibling["name_localizations"]:
                    del sibling["name_localizations"]


async def localized(tree: list[dict[str, Any]], translator: Translator) -> list[dict[str, Any]]:
    """The command JSON with every language's names and descriptions (see the module)."""
    commands = [await _localized(command, translator, 0) for command in tree]
    _unique_names(commands)
    return commands


def english(tree: Any, key: str = "") -> Any:
    """The command JSON as English only (the texts Discord shows by default)."""
    if isinstance(tree, locale_str):
        return _text(tree, key)
    if isinstance(tree, dict):
        return {k: english(v, k) for k, v in tree.items()}
    if isinstance(tree, list):
        return [english(item) for item in tree]
    return tree
