"""Onboarding in the member's language: the welcome, the default questions and their choices,
answers typed or picked in Spanish, the language question, the intro post in the community's
language, the moderators' question lists, and every text of it through the translation function.
"""

from __future__ import annotations

import pytest

from communitybot.events import (
    CommandInvoked,
    CommunityRef,
    ConversationRef,
    MessageReceived,
    UserRef,
)
from communitybot.i18n import tr, use_language
from communitybot.introductions import Namer, Party, introduce
from communitybot.models import Member
from communitybot.onboarding.language import LANGUAGE_ID
from communitybot.replies import SendDirect, SendToGroup
from tests.conftest import COMMUNITY, Harness, user
from tests.fakes import FakePlatform
from tests.pseudo_locale import assert_translated

INTRO = "Hola, enseño matemáticas en Sevilla."


def last(harness: Harness, where: str) -> str:
    """The last text sent to `where` since the last look (everything sent is taken)."""
    texts = harness.platform.texts(where)
    assert texts, f"nothing was sent to {where}"
    return texts[-1]


async def answer(harness: Harness, name: str, text: str) -> str:
    """A private answer, and the bot's reply to it."""
    harness.platform.take()
    await harness.say(name, text)
    return last(harness, f"reply:{name}")


async def settings(harness: Harness, **values: object) -> None:
    """Community settings straight in the store (`setup` itself is tested in test_i18n), once
    the bot has seen the community (and seeded its default questions)."""
    await harness.command("someone", "/help")
    harness.platform.take()
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    await harness.store.communities.update_settings(community.id, **values)


async def offer_languages(harness: Harness, *codes: str) -> None:
    harness.platform.moderators.add("mod")
    await harness.command("mod", f"/setup languages={','.join(codes)}")
    harness.platform.take()


# The language question and a whole onboarding in Spanish ---------------------------------------
async def test_a_member_picks_spanish_first_and_goes_through_onboarding_in_it(
    harness: Harness,
) -> None:
    await offer_languages(harness, "en", "es")
    await settings(harness, introductions_channel="introductions")
    await harness.join("ana")
    (sent,) = harness.platform.take()
    assert "👋 Welcome to the community, Ana!" in sent.text  # the community's language so far
    assert "**Which language should I write to you in?**\n1. English\n2. Español" in sent.text
    prompt = sent.message.prompt
    assert prompt is not None and prompt.custom_id == LANGUAGE_ID
    assert [(c.value, c.label) for c in prompt.choices] == [("en", "English"), ("es", "Español")]

    await harness.say("ana", "2")
    assert (await harness.member("ana")).language == "es"
    (sent,) = harness.platform.take()
    assert sent.text.startswith("A partir de ahora te escribiré en Español.")
    assert "**Pregunta 1 de 8:** ¿Qué describe mejor tu función?" in sent.text
    assert (
        "1. Docente de aula" in sent.text and "_Responde con un número o un nombre._" in sent.text
    )
    role = sent.message.prompt
    assert role is not None
    assert (
        role.choices[0].value,
        role.choices[0].label,
    ) == ("Classroom teacher", "Docente de aula")

    text = await answer(harness, "ana", "docente de aula")  # the translated label, any case
    assert "**Pregunta 2 de 8:** ¿Qué materias enseñas o te interesan?" in text
    await harness.say("ana", "Matemáticas, ciencias")
    await harness.say("ana", "3")  # Secundaria inicial = Middle school
    harness.platform.take()
    await harness.pick("ana", "onboarding:topics", "EdTech")  # a button sends the stable value
    assert "¿En qué zona horaria estás?" in last(harness, "reply:ana")
    assert "1. Sí\n2. No" in await answer(harness, "ana", "Madrid")
    await harness.say("ana", "sí")
    await harness.say("ana", "no")
    assert "¿Quieres que publique tu presentación en" in await answer(harness, "ana", INTRO)
    await harness.say("ana", "Sí")
    sent_now = harness.platform.take()

    ana = await harness.member("ana")
    assert (ana.role, ana.timezone, ana.intro) == ("Classroom teacher", "Europe/Madrid", INTRO)
    assert (ana.wants_mentor, ana.offers_mentor) == (True, False)
    assert await harness.tag_names("ana") == {"maths", "science", "middle-school", "edtech"}
    (post,) = [s.text for s in sent_now if s.where == "#introductions"]
    assert post.startswith("👋 Please welcome ")  # everyone reads it: the community's English
    assert "**Role:** Classroom teacher" in post and f"> {INTRO}" in post
    (summary,) = [s.text for s in sent_now if s.where == "reply:ana"]
    assert summary.startswith("📣 Publiqué tu presentación en")
    assert "🎉 ¡Listo, gracias, Ana!" in summary and "Esto es lo que anoté:" in summary
    assert "• **role**: Docente de aula" in summary
    assert "• **subjects**: Matemáticas, Ciencias" in summary
    assert "• **wants-mentor**: sí" in summary
    assert "Puedes cambiar lo que quieras más tarde con `/profile edit`" in summary


async def test_the_intro_post_speaks_the_communitys_language_not_the_members(
    harness: Harness,
) -> None:
    await settings(harness, introductions_channel="introductions", language="fr")
    await harness.command("ana", "/profile edit language es")
    harness.platform.take()
    await harness.join("ana")  # a language of her own: no language question
    assert "**Pregunta 1 de 8:**" in last(harness, "dm:ana")
    for text in ("1", "skip", "skip", "skip", "skip", "skip", "skip", INTRO, "sí"):
        await harness.say("ana", text)
    sent = harness.platform.take()
    (post,) = [s.text for s in sent if s.where == "#introductions"]
    assert post.startswith("👋 Souhaitons la bienvenue à ")
    assert "**Rôle :** Enseignant·e en classe" in post
    assert "🎉 ¡Listo, gracias, Ana!" in [s.text for s in sent if s.where == "reply:ana"][-1]


async def test_the_language_question_takes_names_and_codes_refuses_others_and_skip_keeps(
    harness: Harness,
) -> None:
    await offer_languages(harness, "fr", "en")
    await harness.join("bo")
    harness.platform.take()
    text = await answer(harness, "bo", "klingon")
    assert text.startswith("⚠️ I can't write to you in “klingon” here.")
    assert "Please reply with one of: 1. Français, 2. English." in text
    text = await answer(harness, "bo", "español")  # spoken by the bot, but not offered here
    assert "I can't write to you in “español” here." in text
    assert "there's nothing to go back to" in await answer(harness, "bo", "back")
    assert (await harness.member("bo")).language is None
    text = await answer(harness, "bo", "French")
    assert (await harness.member("bo")).language == "fr"
    assert "**Question 1 sur 8 :** Qu’est-ce qui décrit le mieux votre rôle ?" in text

    await harness.join("cy")
    text = await answer(harness, "cy", "skip")  # keeps the language the question came in
    assert (await harness.member("cy")).language == "en"
    assert "**Question 1 of 8:** What best describes your role?" in text

    await harness.join("di")
    harness.platform.take()
    await harness.pick("di", LANGUAGE_ID, "fr")
    assert (await harness.member("di")).language == "fr"
    assert "Qu’est-ce qui décrit le mieux votre rôle ?" in last(harness, "reply:di")
    await harness.command("di", "/onboard")  # she has a language: not asked again
    assert "**Question 1 sur 8 :**" in last(harness, "dm:di")


async def test_one_language_offered_asks_nothing_about_language(harness: Harness) -> None:
    await offer_languages(harness, "es")
    await harness.join("ana")
    text = last(harness, "dm:ana")
    assert "Which language" not in text and "**Question 1 of 8:**" in text


async def test_the_clients_locale_speaks_when_the_member_chose_nothing(harness: Harness) -> None:
    event = CommandInvoked(
        COMMUNITY,
        user("ana"),
        ConversationRef("fake", "dm", "ana"),
        ("onboard",),
        locale="es-419",
    )
    await harness.bot.dispatch(event)
    text = last(harness, "reply:ana")
    assert "👋 ¡Te damos la bienvenida a la comunidad, Ana!" in text
    assert "Tengo 8 preguntas breves" in text
    await harness.bot.dispatch(
        MessageReceived(
            COMMUNITY, user("ana"), ConversationRef("fake", "dm", "ana"), "99", locale="es"
        )
    )
    assert "No encontré “99” entre las opciones." in last(harness, "reply:ana")
    assert (await harness.member("ana")).language is None  # a locale is not a choice


async def test_a_question_a_moderator_edited_is_shown_as_written(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/onboarding questions edit role prompt Your job, please?")
    await harness.command("ana", "/profile edit language es")
    await harness.join("ana")
    text = last(harness, "dm:ana")
    assert "**Pregunta 1 de 8:** Your job, please?" in text
    assert "1. Docente de aula" in text  # its choices are still the default ones


async def test_yes_and_no_in_french_and_spanish_are_understood_in_any_language(
    harness: Harness,
) -> None:
    await harness.join("ed")
    for text in ("skip", "skip", "skip", "skip", "skip", "oui"):
        await harness.say("ed", text)
    assert "**Question 8 of 8:**" in await answer(harness, "ed", "Non")
    ed = await harness.member("ed")
    assert (ed.wants_mentor, ed.offers_mentor) == (True, False)


async def test_french_plural_forms_in_onboarding(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/profile edit language fr")
    await harness.command("mod", "/onboarding questions add pets text none Des animaux ?")
    text = await harness.reply_text("mod", "/onboarding questions remove pets")
    assert "🗑️ `pets` supprimée, avec 0 réponse." in text  # French: 0 is singular
    await harness.join("fa")
    await harness.say("fa", "1")
    text = await harness.reply_text("mod", "/onboarding questions remove role")
    assert "🗑️ `role` supprimée, avec 1 réponse." in text
    await harness.command("gu", "/profile edit language fr")
    harness.platform.take()
    await harness.join("gu")
    assert "J’ai 7 petites questions" in last(harness, "dm:gu")


async def test_time_zone_errors_in_spanish(harness: Harness) -> None:
    await harness.command("ana", "/profile edit language es")
    await harness.join("ana")
    for text in ("1", "skip", "skip", "skip"):
        await harness.say("ana", text)
    text = await answer(harness, "ana", "Londre")
    assert "No conozco la zona horaria “Londre”. ¿Quisiste decir `Europe/London` o " in text
    text = await answer(harness, "ana", "UTC+5:30")
    assert "Solo puedo guardar desfases de horas enteras, no UTC+5:30." in text
    text = await answer(harness, "ana", "CST")
    assert "Entendí CST como la hora central de EE. UU. (`America/Chicago`)" in text
    assert "¿Quisiste decir `Asia/Shanghai` o `America/Havana`? Escríbelo así." in text


# Every text through the translation function -----------------------------------------------------
_WORDS = frozenset({"Hello", "teach", "history", "whatever", "nonsense", "Mars", "Base", "tz"})
"""Answers the scenarios type, and the time zone they pick (a zone's name is never translated)."""
_ZONE = frozenset({"Europe", "London"})


@pytest.mark.sqlite_only
async def test_onboarding_from_join_to_the_end_is_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await settings(harness, introductions_channel="introductions")
    await assert_translated(
        harness,
        monkeypatch,
        [
            "+ana",
            "ana> 1",
            "ana> maths, science",
            "ana> 2",
            "ana> edtech",
            "ana> Europe/London",
            "ana> yes",
            "ana> no",
            "ana> Hello I teach history",
            "ana> whatever",
            "ana> yes",
            "-ana",
            "+ana",
            "ana: /onboard",
        ],
        allowed=_WORDS | _ZONE,
    )


@pytest.mark.sqlite_only
async def test_the_language_question_is_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await settings(harness, languages="es,en")
    await assert_translated(
        harness,
        monkeypatch,
        ["+bo", "bo> klingon", "bo> back", "bo> 7", "bo> skip", "bo> back", "bo> stop"],
        allowed=frozenset({"klingon"}),
    )


@pytest.mark.sqlite_only
async def test_skip_back_stop_and_bad_answers_are_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await settings(harness)
    await assert_translated(
        harness,
        monkeypatch,
        [
            "+cy",
            "cy> back",
            "cy> 99",
            "cy> ٣",
            "cy> 1, 2",
            "cy> 1",
            "cy> nonsense, maths",
            "cy> back",
            "cy> skip",
            "cy> skip",
            "cy> skip",
            "cy> skip",
            "cy> Mars/Base",
            "cy> UTC+99",
            "cy> UTC+5:30",
            "cy> UTC+2",
            "cy> maybe",
            "cy> oui",
            "cy> non",
            "cy> " + "x" * 5000,
            "cy> ",
            "cy> stop",
            "cy: /onboard",
            "cy> skip",
            "cy> tz",
        ],
        allowed=_WORDS | {"maybe", "hello"},
    )


@pytest.mark.sqlite_only
async def test_stale_answers_and_finished_flows_are_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await settings(harness)
    await harness.join("di")
    for answer in ("1", "skip", "skip", "skip", "skip", "skip", "skip", "skip"):
        await harness.say("di", answer)
    await harness.join("ed")
    await harness.say("ed", "1")
    with_pseudo = ["ed> back", "ed> skip"]
    await assert_translated(harness, monkeypatch, with_pseudo)

    from tests.pseudo_locale import pseudo_translated, untranslated

    with pseudo_translated(monkeypatch, "es"):
        for name, custom_id, values in (
            ("ed", "onboarding:role", ("Other",)),  # an older question: saved, asked again
            ("ed", "onboarding:gone", ("x",)),
            ("ed", "onboarding:subjects", ("Maths", "Nonsense")),
            ("di", "onboarding:role", ("Other",)),  # finished
            ("fy", "onboarding:role", ("Other",)),  # never started
        ):
            harness.platform.take()
            await harness.pick(name, custom_id, *values)
            for sent in harness.platform.take():
                assert not untranslated(
                    sent.text, frozenset({"Di", "Ed", "Fy", "Nonsense", "Other"})
                ), sent.text


@pytest.mark.sqlite_only
async def test_moderators_question_commands_are_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # both channels set: no one-time set-up hint (another feature's) on the first command
    await settings(harness, welcome_channel="welcome", introductions_channel="introductions")
    await assert_translated(
        harness,
        monkeypatch,
        [
            "mod: /onboarding questions list",
            "mod: /onboarding questions add clubs multi tags Which clubs do you run?",
            "mod: /onboarding questions add clubs text none Again?",
            "mod: /onboarding questions add job text timezone Your job?",
            "mod: /onboarding questions add ### text none Hm?",
            "mod: /onboarding questions edit clubs choices Chess, Robotics club, Choir",
            "mod: /onboarding questions edit clubs choices Chess, chess",
            "mod: /onboarding questions edit clubs choices 1, 2",
            "mod: /onboarding questions edit clubs choices ,",
            "mod: /onboarding questions edit clubs choices "
            + ", ".join(f"c{i}" for i in range(30)),
            "mod: /onboarding questions edit clubs choices Chess, " + "y" * 81,
            "mod: /onboarding questions edit clubs choices Chess, " + "z" * 50,
            "mod: /onboarding questions edit intro choices a, b",
            "mod: /onboarding questions edit intro max_length 9999",
            "mod: /onboarding questions edit intro max_length lots",
            "mod: /onboarding questions edit intro max_length 800",
            "mod: /onboarding questions edit role max_length 10",
            "mod: /onboarding questions edit role category people",
            "mod: /onboarding questions edit clubs category hobby",
            "mod: /onboarding questions edit clubs category ###",
            "mod: /onboarding questions edit role prompt Who are you?",
            "mod: /onboarding questions edit nope prompt Who?",
            "mod: /onboarding questions move clubs 1",
            "mod: /onboarding questions remove clubs",
            "mod: /onboarding questions remove nope",
            "mod: /onboarding questions list",
        ],
        allowed=frozenset(
            {"clubs", "Chess", "Robotics", "club", "Choir", "chess", "job", "people", "hobby"}
            | {"nope", "story", "Again", "Who", "are", "you", "Your", "Which", "do", "run"}
        ),
    )


@pytest.mark.sqlite_only
async def test_network_questions_and_a_network_welcome_are_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/network questions list")
    not_in_one = last(harness, "reply:mod")
    assert "This community is not in a network" in not_in_one
    await harness.command("mod", "/network create Teachers")
    await assert_translated(
        harness,
        monkeypatch,
        [
            "mod: /network questions list",
            "mod: /network questions defaults",
            "mod: /network questions defaults",
            "mod: /network questions list",
            "mod: /onboarding questions list",
            "mod: /network questions add years text none How long?",
            "mod: /network questions remove years",
            "ana: /network questions add more text none Why?",
            "ana: /network questions list",
            "+bo",
            "bo> 1",
            "bo> skip",
            "bo> skip",
            "bo> skip",
            "bo> skip",
            "bo> skip",
            "bo> skip",
        ],
        allowed=frozenset({"Teachers", "years", "How", "long", "more", "Why"}),
    )


async def test_a_member_cannot_change_the_questions_in_any_language(harness: Harness) -> None:
    await harness.command("ana", "/profile edit language es")
    for line in (
        "/onboarding questions add x text none Hi?",
        "/onboarding questions edit role prompt Hi?",
        "/onboarding questions move intro 1",
        "/onboarding questions remove role",
        "/network questions add x text none Hi?",
    ):
        harness.platform.take()
        await harness.command("ana", line)
    questions = await harness.store.onboarding.list_questions(
        (await harness.member("ana")).community_id
    )
    assert [q.key for q in questions][:2] == ["role", "subjects"]
    assert questions[0].prompt == "What best describes your role?"
    assert "x" not in {q.key for q in questions}
    text = await harness.reply_text("ana", "/network questions list")
    assert text.startswith("Esta comunidad no está en ninguna red")


async def test_a_spanish_moderator_reads_the_question_list_translated(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/profile edit language es")
    text = await harness.reply_text("mod", "/onboarding questions list")
    assert "**Preguntas de bienvenida** (8)" in text
    assert "1. `role` · single → role\n   ¿Qué describe mejor tu función?" in text
    assert "   Opciones: Docente de aula, Formador/a de docentes" in text
    assert "(máx. 500 caracteres)" in text
    text = await harness.reply_text("mod", "/onboarding questions edit role choices 1, 2")
    assert text == (
        "⚠️ “1” es solo un número, pero los miembros responden con números; "
        "prueba algo como “Grado 1”."
    )


async def test_stats_and_the_profile_speak_the_readers_language(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/profile edit language fr")
    await harness.join("ana")
    await harness.say("ana", "1")  # Classroom teacher, then in progress
    harness.platform.take()
    await harness.command("mod", "/stats")
    stats = last(harness, "reply:mod")
    assert "• Accueil : 0 terminé, 1 en cours, 0 qui décide de publier sa présentation" in stats
    await harness.command("ana", "/profile edit language es")
    own = await harness.reply_text("ana", "/profile show")
    assert "• Función: Docente de aula" in own  # her role is stored as "Classroom teacher"
    assert (await harness.member("ana")).role == "Classroom teacher"


def test_an_introduction_across_the_network_is_written_in_each_readers_language() -> None:
    """A DM in its member's own language; a group in its community's; else the caller's."""
    here, there = CommunityRef("fake", "c-1"), CommunityRef("matrix", "!s:example.org")
    ana = Member(1, 1, UserRef("fake", "ana", "Ana"), "Ana", language="es")
    bo = Member(2, 2, UserRef("matrix", "@bo:example.org", "Bo"), "Bo")
    cy = Member(3, 2, UserRef("matrix", "@cy:example.org", "Cy"), "Cy")
    parties = [
        Party(ana, here, "“Here” (fake)", language="en"),
        Party(bo, there, "“There” (matrix)", language="fr"),
        Party(cy, there, "“There” (matrix)", language="fr"),
    ]

    def compose(name: Namer) -> str:
        return tr("👋 Please welcome {name}!", name=name(parties[0]))

    with use_language("en"):
        actions = introduce(FakePlatform(), "fake", "Hello", parties, compose)
    direct, group = actions
    assert isinstance(direct, SendDirect) and isinstance(group, SendToGroup)
    assert direct.message.text.startswith("👋 ¡Demos la bienvenida a ")  # Ana chose Spanish
    assert "**En la red:** “Bo” está en “There” (matrix) en Matrix: búscalo como" in (
        direct.message.text
    )
    assert group.message.text.startswith("👋 Souhaitons la bienvenue à “Ana” !")
    assert "**Dans le réseau :** “Ana” est dans “Here” (fake) sur fake" in group.message.text
