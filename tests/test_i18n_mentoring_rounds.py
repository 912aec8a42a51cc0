"""Mentoring and peer rounds speak each reader's language (issue #17).

The pseudo-language scenarios (`tests.pseudo_locale`) drive every mentoring and rounds command,
their bad inputs and their jobs (matching, check-ins, flags, round introductions, follow-ups,
re-confirmation) and fail on any English left outside a translation. The real-language tests
check what matters most to people: when the two sides of a pairing chose different languages,
each reads their introduction, check-in and notices in their own.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from communitybot.mentoring.feature import FEATURE as mentoring
from communitybot.rounds.feature import FEATURE as rounds
from communitybot.scheduler import Scheduler
from tests import test_network_mentoring as network
from tests.conftest import COMMUNITY, Harness, running_scheduler
from tests.fakes import Sent
from tests.pseudo_locale import assert_translated, pseudo_translated, untranslated
from tests.test_network_mentoring import SPACE, World, rounds_member

DAY = 24 * 3600
world = network.world
"""Two affiliates on two platforms in one network (the network mentoring tests' fixture)."""
NAMES = frozenset({"Ann", "Bob", "Cat", "Dan", "Mod", "ann", "bob", "cat", "dan", "mod"})


async def _community(harness: Harness, *names: str, modlog: bool = True) -> int:
    """Members with tags (maths for all, art for cat and dan), a moderator "mod" and a
    moderator-log channel; output cleared. The community's id."""
    harness.platform.moderators.add("mod")
    for name in ("mod", *names):
        await harness.join(name)
    await harness.give_tags("mod", "maths", "art", "science")
    for name in names:
        await harness.give_tags(name, "maths", *(("art",) if name in ("cat", "dan") else ()))
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    channels = {"welcome_channel": "welcome", "introductions_channel": "intros"}
    if modlog:
        channels["modlog_channel"] = "modlog"
    await harness.store.communities.update_settings(community.id, **channels)
    harness.platform.take()
    return community.id


def _english(sent: Iterable[Sent], allowed: frozenset[str] = frozenset()) -> list[str]:
    """Sent texts (and button labels) with English outside the pseudo-language's brackets."""
    found = []
    for s in sent:
        texts = [s.text]
        if s.message.prompt is not None:
            texts += [choice.label for choice in s.message.prompt.choices]
        for text in texts:
            words = untranslated(text, NAMES | allowed)
            if words:
                found.append(f"{s.where}: {words[:8]} in {text[:160]!r}")
    return found


async def _advance(harness: Harness, scheduler: Scheduler, days: float) -> list[Sent]:
    harness.clock.advance(seconds=days * DAY)
    await scheduler.settle()
    return harness.platform.take()


# The pseudo-language: every text translated ----------------------------------------------------


@pytest.mark.sqlite_only
async def test_mentoring_commands_and_their_errors_are_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _community(harness, "ann", "bob", "cat", "dan")
    await assert_translated(
        harness,
        monkeypatch,
        [
            "ann: /mentoring settings auto_match=on",
            "mod: /mentoring settings",
            "mod: /mentoring settings checkin_days=21",
            "mod: /mentoring match",
            "mod: /mentoring pairs",
            "ann: /mentor status",
            "ann: /mentor pause",
            "ann: /mentor offer 9 maths",
            "ann: /mentor offer 2 maths Happy to help",
            "ann: /mentor offer 2 nosuchtag",
            "ann: /mentor offer 2 maths note=Happy to help",
            "ann: /mentor pause",
            "ann: /mentor resume",
            "bob: /mentor offer 1 art",
            "cat: /mentor request maths window=99",
            "cat: /mentor request maths window=3",
            "cat: /mentor request maths goals=Assessment ideas",
            "dan: /mentor request science",
            "cat: /mentor status",
            "dan: /mentor status",
            "cat: /mentor checkin met",
            "mod: /mentoring match dry_run=on",
            "mod: /mentoring match",
            "mod: /mentoring pairs",
            "ann: /mentor status",
            "cat: /mentor status",
            "cat: /mentor checkin met",
            "cat: /mentor request maths",
            "cat: /mentor rematch",
            "cat: /mentor status",
            "mod: /mentoring settings auto_match=on allow_no_shared_tags=on",
            "dan: /mentor status",
            "dan: /mentor end",
            "dan: /mentor rematch",
            "bob: /mentor end",
            "ann: /mentor end",
            "-bob",
        ],
        allowed=frozenset({"Happy", "help", "Assessment", "ideas", "maths", "art", "science"}),
    )


@pytest.mark.sqlite_only
async def test_mentoring_jobs_and_notices_are_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Automatic matching, the introduction, check-ins and their answers, the flag for the
    moderators and a partner leaving, all in the pseudo-language."""
    await _community(harness, "ann", "cat", "dan")
    await assert_translated(
        harness,
        monkeypatch,
        [
            "mod: /mentoring settings auto_match=on",
            "ann: /mentor offer 2 maths note=Happy to help",
            "cat: /mentor request maths goals=Fractions",
            "dan: /mentor request maths",
        ],
        allowed=frozenset({"Happy", "help", "Fractions", "maths"}),
    )
    with pseudo_translated(monkeypatch, "es"):
        async with running_scheduler(harness, mentoring.jobs) as scheduler:
            asked = await _advance(harness, scheduler, 14.01)
            assert {s.where for s in asked} == {"dm:ann", "dm:cat", "dm:dan"}
            assert not _english(asked)
            await harness.command("cat", "/mentor checkin not-yet")
            await harness.command("dan", "/mentor checkin met")
            await harness.command("ann", "/mentor checkin met cat")
            assert not _english(harness.platform.take())
            flagged = []
            for _ in range(3):  # Ann never answers about Dan: flagged for the moderators
                flagged += await _advance(harness, scheduler, 14.01)
            assert any(s.where == "#modlog" for s in flagged)
            assert not _english(flagged)
            await harness.command("ann", "/mentor checkin met dan")  # no longer flagged
            await harness.leave("cat")
            assert not _english(harness.platform.take())


@pytest.mark.sqlite_only
async def test_rounds_commands_and_their_errors_are_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _community(harness, "ann", "bob", "cat")
    await assert_translated(
        harness,
        monkeypatch,
        [
            "ann: /rounds setup weekly",
            "ann: /rounds status",
            "ann: /rounds pause",
            "ann: /rounds met yes",
            "ann: /rounds leave",
            "ann: /rounds join",
            "ann: /rounds join",
            "ann: /rounds pause 99",
            "ann: /rounds pause ٣",
            "ann: /rounds pause 2",
            "ann: /rounds status",
            "ann: /rounds resume",
            "ann: /rounds resume",
            "ann: /rounds pause all",
            "ann: /rounds status",
            "ann: /rounds join",
            "bob: /rounds join",
            "mod: /rounds run",
            "cat: /rounds join",
            "mod: /rounds off",
            "mod: /rounds setup weekly weekday=sometimes",
            "mod: /rounds setup weekly weekday=someday",
            "mod: /rounds setup weekly time=25:99",
            "mod: /rounds setup weekly",
            "mod: /rounds setup biweekly weekday=thu time=18:30 no_repeat=0",
            "mod: /rounds run dry_run=on",
            "mod: /rounds run",
            "mod: /rounds run",
            "ann: /rounds status",
            "mod: /rounds off",
            "-bob",
        ],
        allowed=frozenset({"sometimes", "someday", "maths", "art", "UTC"}),
    )


@pytest.mark.sqlite_only
async def test_round_jobs_are_translated(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """A scheduled round's introductions, the follow-ups and their answers, the question to a
    silent member, and the moderators' notes."""
    await _community(harness, "ann", "bob", "cat", "dan")
    await assert_translated(
        harness,
        monkeypatch,
        [
            "mod: /rounds setup weekly",
            "ann: /rounds join",
            "bob: /rounds join",
            "cat: /rounds join",
            "dan: /rounds join",
        ],
        allowed=frozenset({"UTC"}),
    )
    with pseudo_translated(monkeypatch, "es"):
        async with running_scheduler(harness, rounds.jobs) as scheduler:
            sent: list[Sent] = []
            for _ in range(4):  # rounds, follow-ups nobody answers, then on hold
                sent += await _advance(harness, scheduler, 7)
            assert any(s.where.startswith("group:") for s in sent)
            assert any(s.message.prompt is not None for s in sent)
            assert any(s.where == "#modlog" for s in sent)
            assert not _english(sent)
            for name in ("ann", "bob"):
                await harness.command(name, "/rounds met skip")
                await harness.command(name, "/rounds status")
            await harness.command("cat", "/rounds join")
            await harness.leave("dan")
            assert not _english(harness.platform.take())


# Real languages: each side of a pair reads their own ---------------------------------------------


async def _languages(harness: Harness, **chosen: str) -> None:
    for name, code in chosen.items():
        await harness.command(name, f"/profile edit language {code}")
    harness.platform.take()


def _to(sent: list[Sent], where: str) -> str:
    texts = [s.text for s in sent if s.where == where]
    assert texts, f"nothing sent to {where}: {[s.where for s in sent]}"
    return "\n".join(texts)


async def test_a_spanish_mentor_and_a_french_mentee_each_read_their_own_language(
    harness: Harness,
) -> None:
    await _community(harness, "ann", "cat")
    await _languages(harness, ann="es", cat="fr")
    await harness.command("ann", "/mentor offer 2 maths")
    offered = harness.platform.texts("reply:ann")[0]
    assert "¡Gracias! Ofreces ser mentor de hasta 2 personas en **maths**." in offered
    await harness.command("cat", "/mentor request maths")
    assert (
        "C’est noté : vous cherchez un mentor pour **maths**."
        in (harness.platform.texts("reply:cat")[0])
    )
    await harness.command("mod", "/mentoring match")
    sent = harness.platform.take()
    # No shared conversation can be in two languages: one introduction each, in their own.
    assert not [s for s in sent if s.where.startswith("group:")]
    to_ann, to_cat = _to(sent, "dm:ann"), _to(sent, "dm:cat")
    assert "te presento a" in to_ann and "¡" in to_ann and "Comparten **maths**." in to_ann
    assert "Dentro de 14 días les preguntaré" in to_ann
    assert "voici" in to_cat and "Vous partagez **maths**." in to_cat
    assert "Dans 14 jours, je demanderai à chacun de vous" in to_cat
    # The moderators' log is the community's (English here), whoever ran the round.
    assert "ran a mentoring round: 1 new pair(s) introduced" in _to(sent, "#modlog")

    async with running_scheduler(harness, mentoring.jobs) as scheduler:
        asked = await _advance(harness, scheduler, 14.01)
    ann_asked = next(s for s in asked if s.where == "dm:ann")
    cat_asked = next(s for s in asked if s.where == "dm:cat")
    assert "Un breve seguimiento de tu mentoría con" in ann_asked.text
    assert "Un petit point sur votre mentorat avec" in cat_asked.text
    assert ann_asked.message.prompt is not None and cat_asked.message.prompt is not None
    assert [c.label for c in ann_asked.message.prompt.choices] == [
        "Ya nos hemos visto",
        "Todavía no",
        "Terminar la mentoría",
    ]
    assert [c.label for c in cat_asked.message.prompt.choices][2] == "Mettre fin au binôme"
    assert [c.value for c in cat_asked.message.prompt.choices] == ["met", "not_yet", "end"]

    # Ann (Spanish) ends it: her confirmation in Spanish, Cat's notice in French.
    await harness.command("ann", "/mentor end")
    sent = harness.platform.take()
    assert "La mentoría ha terminado. Gracias por participar." in _to(sent, "reply:ann")
    assert "a mis fin à votre binôme de mentorat" in _to(sent, "dm:cat")


async def test_two_members_reading_the_same_language_share_one_introduction(
    harness: Harness,
) -> None:
    await _community(harness, "ann", "cat")
    await _languages(harness, ann="fr", cat="fr")
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("cat", "/mentor request maths")
    await harness.command("mod", "/mentoring match")
    (group,) = [s for s in harness.platform.take() if s.where.startswith("group:")]
    assert "est le nouveau mentor de" in group.text


async def test_a_peer_round_introduces_each_member_in_their_own_language(
    harness: Harness,
) -> None:
    await _community(harness, "ann", "cat")
    await _languages(harness, ann="es", cat="fr")
    await harness.command("ann", "/rounds join")
    assert "¡Ya estás dentro!" in harness.platform.texts("reply:ann")[0]
    await harness.command("mod", "/rounds setup weekly weekday=thu time=18:30")
    harness.platform.take()
    assert "la próxima es el jueves" in await harness.reply_text("ann", "/rounds status")
    await harness.command("cat", "/rounds join")
    assert "C’est fait !" in harness.platform.texts("reply:cat")[0]
    await harness.command("mod", "/rounds run")
    sent = harness.platform.take()
    assert not [s for s in sent if s.where.startswith("group:")]
    assert "**Ronda entre pares**" in _to(sent, "dm:ann")
    assert "Comparten **maths**." in _to(sent, "dm:ann")
    assert "**Tour entre pairs**" in _to(sent, "dm:cat")
    assert "Vous partagez **maths**." in _to(sent, "dm:cat")
    assert "Peer round " in _to(sent, "#modlog")  # the community's language

    async with running_scheduler(harness, rounds.jobs) as scheduler:
        asked = await _advance(harness, scheduler, 5)
    ann_asked = next(s for s in asked if s.where == "dm:ann")
    cat_asked = next(s for s in asked if s.where == "dm:cat")
    assert "👋 ¿Te reuniste con" in ann_asked.text
    assert "👋 Avez-vous rencontré" in cat_asked.text
    assert cat_asked.message.prompt is not None
    assert [c.label for c in cat_asked.message.prompt.choices] == [
        "Oui, nous nous sommes rencontrés",
        "Pas encore",
        "Nous n’avons pas pu",
    ]
    await harness.command("cat", "/rounds met yes")
    assert "Formidable" in harness.platform.texts("reply:cat")[0]


async def test_a_french_community_logs_in_french_and_bad_input_is_refused_in_spanish(
    harness: Harness,
) -> None:
    community_id = await _community(harness, "ann")
    await harness.store.communities.update_settings(community_id, language="fr")
    await _languages(harness, ann="es")
    await harness.command("ann", "/rounds pause 99")
    assert "Di cuántas rondas saltar, de 1 a 12" in harness.platform.texts("reply:ann")[0]
    await harness.command("ann", "/mentor offer 9 maths")
    assert "un número de 1 a 5" in harness.platform.texts("reply:ann")[0]
    await harness.command("mod", "/rounds setup weekly weekday=thu time=18:30")
    sent = harness.platform.take()
    assert "a configuré les tours entre pairs" in _to(sent, "#modlog")
    await _languages(harness, mod="es")
    stats = await harness.reply_text("mod", "/stats")
    assert "• Mentoría: 0 quieren un mentor, 0 quieren ser mentores" in stats
    assert "• Parejas de mentoría: 0 activas (0 señaladas), 0 solicitud(es) en espera" in stats
    assert "• Rondas entre pares: " in stats and ", la próxima el jue 7 ene;" in stats


async def test_across_a_network_each_side_is_introduced_in_their_own_language(
    world: World,
) -> None:
    await world.command(COMMUNITY, "cat", "/profile edit language es")
    await world.command(SPACE, "olga", "/profile edit language fr")
    await world.person(COMMUNITY, "cat", "/mentor request robotics")
    await world.person(SPACE, "olga", "/mentor offer 1 robotics")
    text = await world.reply(COMMUNITY, "ann", "/network mentors match")
    assert "Network mentoring round: 1 new pair(s) introduced" in text  # Ann chose no language
    mine, there = await world.deliver()
    here = world.sent + mine
    to_cat = _to(here, "dm:cat")
    assert "emparejados a través de la red" in to_cat and "Comparten **robotics**." in to_cat
    to_olga = _to(there, "dm:@olga:other.example")
    assert "apparié à travers le réseau" in to_olga and "Vous partagez **robotics**." in to_olga


async def test_a_network_peer_round_greets_each_member_in_their_own_language(
    world: World,
) -> None:
    await world.command(COMMUNITY, "cat", "/profile edit language es")
    await world.command(SPACE, "olga", "/profile edit language fr")
    for where, name in ((COMMUNITY, "cat"), (SPACE, "olga")):
        await rounds_member(world, where, name)
    assert "Nobody to pair" not in await world.reply(COMMUNITY, "ann", "/network rounds run")
    mine, there = await world.deliver()
    to_cat = _to(world.sent + mine, "dm:cat")
    assert "**Ronda entre pares en la red**" in to_cat and "Comparten **robotics**." in to_cat
    to_olga = _to(there, "dm:@olga:other.example")
    assert "**Tour entre pairs dans le réseau**" in to_olga and "voici" in to_olga


@pytest.mark.sqlite_only
async def test_network_mentoring_and_rounds_commands_are_translated(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stewards' network commands (and a member refused them) in the pseudo-language."""
    store = world.harness.store
    for where in (COMMUNITY, SPACE):
        community = await store.communities.get(where)
        assert community is not None
        await store.communities.update_settings(community.id, language="es")
    await world.person(COMMUNITY, "cat", "/mentor request robotics")
    await world.person(SPACE, "olga", "/mentor offer 1 robotics")
    for where, name in ((COMMUNITY, "dan"), (SPACE, "oscar")):
        await rounds_member(world, where, name)
    lines = [
        ("cat", "/network mentors match"),
        ("ann", "/network mentors settings"),
        ("ann", "/network mentors settings auto_match=off"),
        ("ann", "/network mentors settings weekday=monday"),
        ("ann", "/network mentors settings auto_match=off weekday=monday"),
        ("ann", "/network mentors prefer-outside"),
        ("ann", "/network mentors prefer-outside off"),
        ("ann", "/network mentors match dry_run"),
        ("ann", "/network mentors match"),
        ("ann", "/network mentors match"),
        ("ann", "/network rounds status"),
        ("ann", "/network rounds pause"),
        ("ann", "/network rounds resume"),
        ("ann", "/network rounds run dry_run"),
        ("ann", "/network rounds run"),
        ("ann", "/network rounds run"),
        ("ann", "/network rounds status"),
    ]
    allowed = frozenset({"fake", "community", "other", "space", "robotics", "Olga", "Oscar"})
    found = []
    with pseudo_translated(monkeypatch, "es"):
        for name, line in lines:
            await world.reply(COMMUNITY, name, line)
            mine, there = await world.deliver()
            found += _english([*world.sent, *mine, *there], allowed)
    assert not found, "\n".join(found)
