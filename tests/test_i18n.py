"""Speaking the member's language: the catalogues are complete and compiled, the translation
function never breaks a reply, and each member gets the language the rules give them."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from loguru import logger

from communitybot.events import CommandInvoked, ConversationRef
from communitybot.i18n import (
    SUPPORTED,
    UnknownLanguage,
    ntr,
    parse_language,
    tr,
    translate,
    use_language,
)
from communitybot.i18n.choice import member_language
from communitybot.i18n.dates import full_datetime, number
from communitybot.models import Community, Member
from tests.conftest import COMMUNITY, Harness, user

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "communitybot" / "locale"
SHIPPED = [code for code in SUPPORTED if code != "en"]
KEYWORDS = {"tr": None, "ntr": (1, 2), "ptr": ((1, "c"), 2), "nptr": ((1, "c"), 2, 3), "N_": None}
_PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)\}(?!\})")


def _catalogue(code: str):  # type: ignore[no-untyped-def]
    with (LOCALES / code / "LC_MESSAGES" / "communitybot.po").open("rb") as file:
        return read_po(file, locale=code)


TEMPLATES = ("**/dashboard/templates/**.html", "**/dashboard/templates/**.svg")
"""The dashboard's Jinja templates call `tr`/`ntr`/`ptr` too (babel.cfg's jinja2 sections)."""


def _extracted() -> set[tuple[str | None, str]]:
    """(context, msgid) of every text the code and the dashboard's templates pass to the
    translation functions now."""
    found: set[tuple[str | None, str]] = set()
    for folder in ("communitybot", "adapters"):
        for _file, _line, message, _comments, context in extract_from_dir(
            ROOT / folder,
            method_map=[("**.py", "python"), *((t, "jinja2") for t in TEMPLATES)],
            options_map={t: {"silent": "false"} for t in TEMPLATES},
            keywords=KEYWORDS,
        ):
            found.add((context, message[0] if isinstance(message, tuple) else message))
    return found


def test_the_dashboard_templates_are_extracted() -> None:
    """Template texts reach the catalogue: a heading, a plural, a message with markup."""
    extracted = {message for _, message in _extracted()}
    assert {
        "Onboarding funnel",
        "Page {number} of {pages} ({n} row)",
        "Members who choose these tags are not pointed to a channel. Link one with "
        "<code>tags link</code>.",
    } <= extracted


def test_the_catalogues_hold_every_text_of_the_code() -> None:
    """A text added with `tr` but not extracted (`make i18n-update`) fails here."""
    for code in SHIPPED:
        known = {
            (m.context, m.id[0] if isinstance(m.id, tuple) else m.id)
            for m in _catalogue(code)
            if m.id
        }
        missing = _extracted() - known
        assert not missing, f"{code}: run `make i18n-update` and translate: {sorted(missing)[:5]}"


@pytest.mark.parametrize("code", SHIPPED)
def test_every_shipped_language_translates_every_message(code: str) -> None:
    """No message of a shipped language is missing, fuzzy, or loses a placeholder."""
    problems: list[str] = []
    for message in _catalogue(code):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if "fuzzy" in message.flags or not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        wanted = set(_PLACEHOLDER.findall(ids[-1])) - {"n"}
        for string in strings:
            if not wanted <= set(_PLACEHOLDER.findall(string)):
                problems.append(f"placeholder lost: {ids[0]!r} → {string!r}")
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("code", SHIPPED)
def test_the_compiled_catalogue_matches_its_source(code: str) -> None:
    """The shipped .mo says what the .po says (`make i18n-compile` was run)."""
    compiled = gettext.GNUTranslations(
        (LOCALES / code / "LC_MESSAGES" / "communitybot.mo").open("rb")
    )
    for message in _catalogue(code):
        if not message.id or "fuzzy" in message.flags:
            continue
        if isinstance(message.id, tuple):
            got = (
                compiled.npgettext(message.context, *message.id, 2)
                if message.context
                else compiled.ngettext(*message.id, 2)
            )
            assert got in message.string, message.id
        elif message.context:
            assert compiled.pgettext(message.context, message.id) == message.string
        else:
            assert compiled.gettext(message.id) == message.string, message.id


def test_french_plural_forms_count_zero_and_one_as_singular() -> None:
    with use_language("fr"):
        one = ntr("Saved your intro ({n} character).", "Saved your intro ({n} characters).", 1)
        zero = ntr("Saved your intro ({n} character).", "Saved your intro ({n} characters).", 0)
        many = ntr("Saved your intro ({n} character).", "Saved your intro ({n} characters).", 5)
    assert one == "Présentation enregistrée (1 caractère)."
    assert zero == "Présentation enregistrée (0 caractère)."
    assert many == "Présentation enregistrée (5 caractères)."
    with use_language("en"):
        assert "(0 characters)" in ntr(
            "Saved your intro ({n} character).", "Saved your intro ({n} characters).", 0
        )


def test_a_broken_placeholder_falls_back_to_english_and_is_logged_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Broken(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return "Tu función ahora es «{rol}»."

    monkeypatch.setattr(translate, "catalogue", lambda code: Broken())
    logged: list[str] = []
    sink = logger.add(logged.append, level="WARNING", format="{message}")
    try:
        with use_language("es"):
            first = tr("Your role is now “{role}”.", role="tutor")
            second = tr("Your role is now “{role}”.", role="tutor")
    finally:
        logger.remove(sink)
    assert first == second == "Your role is now “tutor”."
    assert sum("broken placeholder" in line for line in logged) == 1


def test_an_unknown_language_code_uses_english() -> None:
    with use_language("xx"):
        assert tr("Your role is now “{role}”.", role="x") == "Your role is now “x”."


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("es", "es"),
        ("ES", "es"),
        ("es-419", "es"),
        ("es_MX", "es"),
        ("Español", "es"),
        ("spanish", "es"),
        ("fr-CA", "fr"),
        ("Français", "fr"),
        ("english", "en"),
    ],
)
def test_language_codes_and_names_are_read(typed: str, code: str) -> None:
    assert parse_language(typed) == code


def test_an_unknown_language_suggests_the_nearest() -> None:
    with pytest.raises(UnknownLanguage) as caught:
        parse_language("espanol!")
    assert caught.value.suggestion == "es"
    with pytest.raises(UnknownLanguage) as nothing_near:
        parse_language("de")
    assert nothing_near.value.suggestion is None


def test_dates_and_numbers_in_each_language() -> None:
    from datetime import datetime

    moment = datetime(2027, 3, 9, 19, 0)
    expected = {
        "en": ("Tuesday 09 March 2027, 19:00", "12,345"),
        "es": ("martes 9 de marzo de 2027, 19:00", "12.345"),
        "fr": ("mardi 9 mars 2027 à 19:00", "12\u202f345"),
    }
    for code, (when, digits) in expected.items():
        with use_language(code):
            assert full_datetime(moment) == when
            assert number(12345) == digits


def test_who_gets_which_language() -> None:
    community = Community(1, COMMUNITY, language="fr")
    chose = Member(1, 1, user("ana"), language="es")
    none = Member(2, 1, user("bo"))
    spanish_client = CommandInvoked(
        COMMUNITY, user("bo"), ConversationRef("fake", "channel", "g"), ("help",), locale="es-419"
    )
    assert member_language(chose, community, spanish_client.locale) == "es"  # own choice first
    assert member_language(none, community, spanish_client.locale) == "es"  # then the client
    assert member_language(none, community, None) == "fr"  # then the community
    assert member_language(none, Community(1, COMMUNITY), None) == "en"  # then English


# Through the bot --------------------------------------------------------------------------------
async def test_a_member_chooses_spanish_and_is_answered_in_it(harness: Harness) -> None:
    text = await harness.reply_text("ana", "/profile edit language español")
    assert text == "A partir de ahora te escribiré en Español."
    assert (await harness.member("ana")).language == "es"
    profile = await harness.reply_text("ana", "/profile show")
    assert "(tu perfil)" in profile and "• Idioma: Español" in profile


async def test_an_unknown_language_says_what_the_bot_speaks_and_changes_nothing(
    harness: Harness,
) -> None:
    text = await harness.reply_text("ana", "/profile edit language espagnol-x")
    assert "I don't speak “espagnol-x” yet." in text
    assert "en (English), es (Español), fr (Français)" in text
    assert (await harness.member("ana")).language is None


async def test_the_client_locale_answers_when_the_member_chose_none(harness: Harness) -> None:
    await harness.join("bo")
    harness.platform.take()
    event = CommandInvoked(
        COMMUNITY,
        user("bo"),
        ConversationRef("fake", "channel", "general"),
        ("profile", "show"),
        locale="fr",
    )
    await harness.bot.dispatch(event)
    (text,) = harness.platform.texts("reply:bo")
    assert "(votre profil)" in text and "• Langue : non choisie (actuellement Français)" in text


async def test_moderators_set_the_community_language_and_offered_languages(
    harness: Harness,
) -> None:
    harness.platform.moderators.add("mod")
    text = await harness.reply_text("mod", "/setup language=fr languages=fr,en,fr")
    assert "Français (fr)" in text and "Français (fr), English (en)" in text
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    assert (community.language, community.languages) == ("fr", ("fr", "en"))
    await harness.join("cy")
    profile = await harness.reply_text("cy", "/profile show")
    assert "(votre profil)" in profile  # no choice, no client locale: the community's
    refused = await harness.reply_text("mod", "/setup language=klingon")  # now in French
    assert "Je parle : en (English), es (Español), fr (Français)." in refused
    cleared = await harness.reply_text("mod", "/setup language=none")
    assert "→ non défini" in cleared  # the community speaks French now


async def test_delivery_problems_reach_the_moderators_in_the_communitys_language(
    harness: Harness,
) -> None:
    """A DM the platform refused is reported in the moderator log in the community's language
    (the log keeps English); the member who asked is told in theirs."""
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/setup language=fr modlog_channel=mods welcome_channel=w")
    harness.platform.closed_dms.add("zoe")
    harness.platform.take()
    await harness.join("zoe")  # the welcome DM cannot be delivered
    (note,) = harness.platform.texts("#mods")
    assert note.startswith("⚠️ Impossible de joindre Zoe en privé")
