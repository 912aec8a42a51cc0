"""Every text a member reads went through the translation function: tags, network tags, peers,
introductions, problems of practice, and the moderators' setup, stats and limits.

Each scenario runs through the real bot with the community speaking a pseudo-language that
brackets every translated text (`tests.pseudo_locale.assert_translated`), bad inputs included;
then a few tests read the real Spanish and French a member sees, and check who gets which
language: a channel post and a moderator-log note in the community's, a reply in the member's
own, a reminder and an introduction in the recipient's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from communitybot.asks import feature as asks
from communitybot.scheduler import Scheduler
from tests.conftest import COMMUNITY, Harness, running_scheduler
from tests.pseudo_locale import assert_translated, pseudo_translated
from tests.test_network_peers import a, b, network_of, person
from tests.test_networks import Site

__all__ = ["a", "b"]  # the communities, as fixtures

DAY = 86400
TAG_WORDS = frozenset(
    {
        "maths",
        "mathematics",
        "science",
        "sciences",
        "sciense",
        "subject",
        "poetry",
        "robotics",
        "robotix",
        "robots",
        "stem",
        "special",
        "education",
        "club",
        "helpers",
        "mods",
        "nocat",
        "zzzqqq",
        "welcome",
        "modlog",
        "intros",
        "klingon",
    }
)


@pytest.mark.sqlite_only
async def test_tags_texts_are_translated(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    many = ", ".join(f"t{i}" for i in range(26))
    await assert_translated(
        harness,
        monkeypatch,
        [
            "mod: /tags list",
            "ana: /tags list",
            "mod: /setup modlog_channel=modlog",
            "mod: /tags create maths subject",
            "mod: /tags create science",
            "mod: /tags create #Special_Education!",
            "mod: /tags create ???",
            "mod: /tags create maths",
            "mod: /tags create " + "p" * 40,
            "mod: /tags alias maths mathematics",
            "mod: /tags alias maths mathematics",
            "mod: /tags alias maths science",
            "mod: /tags alias maths " + "m" * 40,
            "mod: /tags create mathematics",
            "mod: /tags rename science sciences",
            "mod: /tags rename sciences sciences",
            "mod: /tags rename nope other",
            "mod: /tags link maths channel=club",
            "mod: /tags link maths",
            "mod: /tags link maths role=helpers",
            "mod: /tags link maths channel=none",
            "mod: /tags link maths channel=club clear=channel",
            "mod: /setup moderator_role=helpers",
            "mod: /setup moderator_role=mods",
            "mod: /tags link sciences role=mods",
            "ana: /tags add " + many,
            "ana: /tags add maths, sciense",
            "ana: /tags add maths",
            "ana: /tags add zzzqqq, ***",
            "ana: /tags add sciences",
            "ana: /tags list",
            "ana: /tags list subject",
            "ana: /tags list nocat",
            "ana: /tags remove maths, poetry",
            "ana: /tags remove maths",
            "mod: /tags merge sciences sciences",
            "mod: /tags merge sciences maths",
            "mod: /tags delete maths",
            "mod: /tags delete special-education",
        ],
        allowed=TAG_WORDS | {"ppp", "mmm"},
    )


@pytest.mark.sqlite_only
async def test_network_tags_texts_are_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/setup modlog_channel=modlog")
    await assert_translated(harness, monkeypatch, ["mod: /network tags list"])
    await harness.command("mod", "/network create Makers")
    await harness.command("mod", "/tags create robots")
    await harness.command("mod", "/tags alias robots bots")
    await assert_translated(
        harness,
        monkeypatch,
        [
            "mod: /network tags list",
            "mod: /network tags add robotics",
            "mod: /network tags add robotics",
            "mod: /network tags add " + "p" * 40,
            "mod: /network tags alias robotics robots",
            "mod: /network tags alias robotics robots",
            "mod: /network tags rename robotix stem",
            "mod: /network tags rename robotics robotics",
            "mod: /network tags rename robotics stem",
            "mod: /network tags category stem subject",
            "mod: /network tags category stem subject",
            "mod: /network tags list",
            "mod: /network tags list nocat",
            "mod: /network tags merge stem stem",
            "mod: /tags create poetry",
            "mod: /tags alias poetry verse",
            "mod: /network tags promote poetry",
            "mod: /network tags promote poetry",
            "mod: /network tags merge poetry stem",
            "mod: /tags rename stem other",
            "mod: /tags delete stem",
            "ana: /network tags add things",
            "mod: /network tags remove stem",
        ],
        allowed=TAG_WORDS | {"ppp", "verse", "bots", "things", "Makers", "fake", "community"},
    )


@pytest.mark.sqlite_only
async def test_peers_and_asks_texts_are_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = ", ".join(f"t{i}" for i in range(26))
    await assert_translated(
        harness,
        monkeypatch,
        [
            "mod: /tags create robotics",
            "ana: /peers",
            "ana: /tags add robotics",
            "bo: /tags add robotics",
            "ana: /peers",
            "ana: /peers robotix",
            "ana: /peers zzzqqq",
            "ana: /peers " + many,
            "ana: /peers robotics scope=network",
            "ana: /introduce 5",
            "ana: /ask How do I help quiet students?",
            "mod: /setup welcome_channel=welcome",
            "ana: /ask Something scope=network",
            "ana: /asks",
            "ana: /ask How do I help quiet students?",
            "bo: /follow 1",
            "bo: /follow 1",
            "ana: /follow 1",
            "bo: /follow 99",
            "bo: /resolve 1 It worked",
            "ana: /asks",
            "ana: /resolve 1 Pairs and a timer worked",
            "ana: /resolve 1 again",
            "bo: /follow 1",
            "ana: /asks",
        ],
        allowed=TAG_WORDS
        | {"How", "help", "quiet", "students", "Something", "Pairs", "and", "timer", "worked"}
        | {"ene"},  # the date, in Spanish (`i18n.dates`)
    )


@pytest.mark.sqlite_only
async def test_setup_stats_and_limits_texts_are_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await assert_translated(
        harness,
        monkeypatch,
        [
            "mod: /limits",  # the first moderator command: the set-up hint comes with it
            "mod: /setup",
            "mod: /setup language=klingon",
            "mod: /setup languages=es,xx",
            "mod: /setup moderator_role=" + "r" * 150,
            "mod: /setup modlog_channel=modlog",
            "mod: /setup welcome_channel=welcome introductions_channel=intros",
            "mod: /setup introductions_channel=none",
            "mod: /setup language=es languages=es,fr",
            "mod: /limits 30 10",
            "mod: /limits posts_per_hour=0",
        ],
        allowed=TAG_WORDS | {"xx", "nnn", "rrr"},
    )


@pytest.mark.sqlite_only
async def test_stats_lines_of_these_features_are_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`/stats` gathers every feature's lines; these are the lines of tags, asks and setup
    (the other features' lines are checked with those features)."""
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/tags create maths")
    await harness.command("ana", "/tags add maths")
    community, _ = await harness.store.communities.ensure(COMMUNITY, harness.clock.now())
    await harness.store.communities.update_settings(community.id, language="es")
    with pseudo_translated(monkeypatch, "es"):
        text = await harness.reply_text("mod", "/stats")
    lines = text.splitlines()
    assert lines[:2] == ["⟦**Community statistics**⟧", "⟦• Members: 2⟧"]
    assert "⟦• Top tags: maths (1)⟧" in lines
    assert "⟦• Open problems of practice: 0⟧" in lines
    (unset,) = [line for line in lines if "setup welcome_channel" in line]
    assert unset.startswith("⟦• Not set yet: ⟦⟦⟦the welcome channel") and unset.endswith("⟧")


# Real Spanish and French ------------------------------------------------------------------------
async def _speaks(harness: Harness, name: str, language: str) -> None:
    await harness.join(name)
    await harness.command(name, f"/profile edit language {language}")
    harness.platform.take()


async def test_peers_in_spanish(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/tags create robotics")
    await _speaks(harness, "ana", "es")
    await harness.join("bo")
    await harness.command("bo", "/tags add robotics")
    empty = await harness.reply_text("ana", "/peers")
    assert "Todavía no tienes etiquetas de interés" in empty and "`/tags add maths" in empty
    await harness.command("ana", "/tags add robotics")
    found = await harness.reply_text("ana", "/peers")
    assert "Miembros que comparten **robotics**:" in found
    assert "1. Bo (" in found and ") — comparte robotics" in found
    lost = await harness.reply_text("ana", "/peers robotix")
    assert "No conozco la etiqueta «robotix». ¿Quisiste decir `robotics`?" in lost


async def test_an_unknown_tag_in_french_keeps_the_known_ones(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    for line in ("/tags create science", "/tags create maths"):
        await harness.command("mod", line)
    await _speaks(harness, "chloe", "fr")
    text = await harness.reply_text("chloe", "/tags add maths, sciense")
    assert "J’ai ajouté **maths** à votre profil." in text
    assert "Je ne connais pas l’étiquette « sciense ». Vouliez-vous dire `science` ?" in text
    assert await harness.tag_names("chloe") == {"maths"}
    too_long = await harness.reply_text("mod", "/tags create " + "x" * 40)
    assert "can be at most 32 characters" in too_long  # the moderator chose no language
    many = await harness.reply_text("chloe", "/tags add " + ", ".join(f"t{i}" for i in range(30)))
    assert many == (
        "Cela fait 30 étiquettes d’un coup ; envoyez-en au plus 25. Rien n’a été modifié."
    )
    await harness.command("mod", "/profile edit language fr")
    merged = await harness.reply_text("mod", "/tags merge science maths")
    assert merged.startswith(  # French counts 0 in the singular
        "J’ai fusionné **science** dans **maths** : 0 membre a reçu **maths**, et « science »"
    )
    deleted = await harness.reply_text("mod", "/tags delete maths")
    assert (
        deleted == "J’ai supprimé l’étiquette **maths** (elle figurait sur le profil de 1 membre)."
    )


@pytest.fixture
async def scheduler(harness: Harness) -> AsyncIterator[Scheduler]:
    async with running_scheduler(harness, asks.FEATURE.jobs) as running:
        yield running


async def test_an_ask_posts_in_the_community_language_and_reminds_in_the_askers(
    harness: Harness, scheduler: Scheduler
) -> None:
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/setup welcome_channel=welcome language=fr")
    await _speaks(harness, "ana", "es")
    await _speaks(harness, "bo", "en")
    await harness.command("ana", "/ask How do I help quiet students? days=2")
    sent = harness.platform.take()
    (posted,) = [s.text for s in sent if s.where == "#welcome"]
    assert posted.startswith("🧩 **Problème de pratique n° 1** de Ana :")  # everyone reads it
    assert "`/follow 1` pour savoir comment cela se passe." in posted
    (answer,) = [s.text for s in sent if s.where == "reply:ana"]
    assert answer.startswith("Publicado como **n.º 1** en #welcome. En 2 días te preguntaré")
    await harness.command("bo", "/follow 1")
    harness.clock.advance(seconds=2.1 * DAY)
    await scheduler.settle()
    (reminder,) = [s.text for s in harness.platform.take() if s.where == "dm:ana"]
    assert reminder.startswith("👋 ¿Cómo te fue con tu problema de práctica n.º 1?")
    assert reminder.endswith("`/resolve 1 <what happened>`. 1 miembro lo sigue.")
    await harness.command("ana", "/resolve 1 Pairs and a timer worked")
    (told,) = [s.text for s in harness.platform.take() if s.where == "dm:bo"]
    assert told.startswith("✅ Ana shared how problem of practice #1 went.")  # bo chose English


async def test_moderator_log_notes_use_the_community_language(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/setup modlog_channel=modlog language=fr")
    await harness.command("mod", "/profile edit language es")
    harness.platform.take()
    await harness.command("mod", "/limits 30 10")
    sent = harness.platform.take()
    (note,) = [s.text for s in sent if s.where == "#modlog"]
    assert note == (
        "⚙️ Mod a modifié les limites par membre : commandes 20 par minute → 30 par minute ; "
        "publications 5 par heure → 10 par heure"
    )
    (answer,) = [s.text for s in sent if s.where == "reply:mod"]
    assert answer.startswith("Guardado: comandos 20 por minuto → 30 por minuto;")
    refused = await harness.reply_text("mod", "/setup languages=es,xx")
    assert refused.endswith("No se cambió nada.") and "xx" in refused


async def test_an_introduction_reaches_the_other_member_in_their_language(a: Site, b: Site) -> None:
    await network_of(a, b)
    await person(a, "alice", "robotics")
    await person(b, "bob", "robotics", scope="network")
    await b.command("bob", "/profile edit language fr")
    b.harness.platform.take()
    listed = await a.reply("alice", "/peers robotics scope=network")
    number = listed.split("`/introduce ")[1].split("`")[0]
    done = await a.reply("alice", f"/introduce {number}")
    assert done.startswith("Done: “Bob”")
    (theirs,) = [s.text for s in a.sent if s.where == "dm:bob"]
    assert "a trouvé" in theirs and "dans le réseau « Makers » et m’a demandé" in theirs
    assert "Vous vous intéressez tous les deux à **robotics**." in theirs
    (mine,) = [s.text for s in a.sent if s.where == "dm:alice"]
    assert "asked me to introduce them. You both care about **robotics**." in mine
