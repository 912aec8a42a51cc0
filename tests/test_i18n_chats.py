"""Topic chats speak their reader's language: commands and errors, the run, recaps, reminders.

The pseudo-language scenarios (`tests.pseudo_locale`) drive every `/chat` command, its bad
inputs, and the scheduled work (a reminder DM, the welcome, the questions, a host's pause, the
recap, the transcript file) on the fake clock (Monday 4 January 2027, 12:00 UTC; #engchat is on
Tuesdays 19:00 London = UTC in January). Then real Spanish and French: a subscriber who chose
Spanish gets the reminder in Spanish, in their own zone, while an English one's stays English;
a French community's chat is welcomed, asked and recapped in French; a network chat's legs
(`tests.test_network_chats`' three affiliates) each speak their own community's language.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from communitybot.chats.interested import INTERESTED
from communitybot.registry import JOB_KINDS
from communitybot.scheduler import Scheduler
from tests.conftest import COMMUNITY, Harness, running_scheduler
from tests.pseudo_locale import assert_translated, pseudo_translated, untranslated
from tests.test_network_chats import (
    SECOND,
    SPACE,
    Net,
    _created,
    net,  # noqa: F401 - a fixture
)

CREATE = '/chat create engchat "Feedback that works" chats "weekly tuesday" 19:00 Europe/London'
SCRIPT = "/chat questions engchat Q1 @10 What feedback works? | Q2 @30 How do you follow up?"
START = datetime(2027, 1, 5, 19, tzinfo=UTC)  # also the network chat's (19:00 UTC)
THREAD = "#chats/thread"
TYPED = frozenset(
    {"engchat", "Feedback", "that", "works", "feedback", "What", "How", "you", "follow"}
)
"""Words the scenarios type that come back (a title, questions a host wrote)."""


@pytest.fixture
async def scheduler(harness: Harness) -> AsyncIterator[Scheduler]:
    async with running_scheduler(harness, JOB_KINDS) as running:
        yield running


async def advance_to(harness: Harness, scheduler: Scheduler, moment: datetime) -> None:
    harness.clock.advance(seconds=(moment - harness.clock.now()).total_seconds())
    await scheduler.settle()


async def set_timezone(harness: Harness, name: str, zone: str) -> None:
    member = await harness.member(name)
    async with harness.store.db.transaction():
        await harness.store.members.update(member.id, timezone=zone)


async def community_speaks(harness: Harness, code: str) -> None:
    community, _ = await harness.store.communities.ensure(COMMUNITY, harness.clock.now())
    await harness.store.communities.update_settings(community.id, language=code)


@pytest.mark.sqlite_only
async def test_chat_commands_and_their_errors_are_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.platform.moderators.add("mod")
    for name in ("mod", "ana"):
        await harness.join(name)
    # A set-up community: the first moderator command's "set up your channels" hint is done.
    await harness.command(
        "mod", "/setup welcome_channel=welcome introductions_channel=intros modlog_channel=modlog"
    )
    await assert_translated(
        harness,
        monkeypatch,
        [
            'mod: /chat create "#x" "Title" chats "weekly tuesday" 19:00 Europe/London',
            'mod: /chat create engchat "T" chats "weekly tuesday" 25:00 Europe/London',
            'mod: /chat create engchat "T" chats "weekly funday" 19:00 Europe/London',
            'mod: /chat create engchat "T" chats "every 20 weeks tue" 19:00 Europe/London',
            'mod: /chat create engchat "T" chats "monthly 9th tue" 19:00 Europe/London',
            'mod: /chat create engchat "T" chats "once 2020-01-01" 19:00 Europe/London',
            'mod: /chat create engchat "T" chats "once 2040-01-01" 19:00 Europe/London',
            'mod: /chat create engchat "T" chats "once someday" 19:00 Europe/London',
            "mod: " + CREATE + " scope=network",
            "mod: " + CREATE,
            "mod: " + CREATE,
            'mod: /chat create spring "T" chats "weekly sunday" 01:30 Europe/London',
            "ana: /chat list",
            "ana: /chat next",
            "ana: /chat subscribe engchat",
            "ana: /chat subscribe engchat soon",
            "ana: /chat subscribe engchat 0m",
            "ana: /chat subscribe engchat 30d",
            "ana: /chat subscribe engchat 1m 2m 3m 4m 5m",
            "ana: /chat subscribe nochat",
            "ana: /chat subscribe #!",
            "ana: /chat calendar engchat",
            "ana: /chat unsubscribe engchat",
            "ana: /chat unsubscribe engchat",
            "ana: " + SCRIPT,
            "mod: /chat questions engchat",
            "mod: " + SCRIPT,
            "mod: /chat questions engchat",
            "mod: /chat questions engchat Q2 first | Q1 second",
            "mod: /chat questions engchat Q1 @90 Too late",
            "mod: /chat questions engchat clear",
            "mod: /chat questions engchat clear",
            "mod: /chat edit engchat",
            "ana: /chat edit engchat title=Mine",
            "mod: /chat edit engchat time=18:30 duration=90 description=About",
            "mod: /chat edit engchat title=Feedback",
            "mod: /chat edit engchat hosts=@nobody",
            "mod: /chat edit engchat hosts=@ana",
            "ana: /chat edit engchat title=Mine",
            "ana: /chat edit engchat duration=30",
            "mod: /chat skip-next engchat",
            "mod: /chat pause engchat",
            "ana: /chat end engchat",
            "ana: /chat transcript engchat",
            "ana: /chat transcript engchat 2027-99-01",
            "mod: /chat room engchat chats",
            "ana: /chat norelay on",
            "ana: /chat norelay off",
            'mod: /chat create second "T" chats "weekly monday" 18:00 UTC hosts=@ana',
            "-ana",
            "mod: /chat cancel engchat",
            "mod: /chat cancel engchat",
        ],
        allowed=TYPED | {"Mine", "About", "Title", "nochat", "spring", "Too", "late"},
    )


@pytest.mark.sqlite_only
async def test_a_run_its_reminders_and_its_recap_are_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, scheduler: Scheduler
) -> None:
    """The scheduled work speaks the community's (a channel) or the member's (a DM) language."""
    harness.platform.moderators.add("mo")
    for name in ("mo", "alice", "bob"):
        await harness.join(name)
    await harness.command("mo", "/setup welcome_channel=welcome introductions_channel=intros")
    await community_speaks(harness, "es")
    harness.platform.take()  # the welcomes and the set-up are other features' texts
    found: list[str] = []

    def check() -> None:
        for sent in harness.platform.take():
            words = untranslated(sent.text, TYPED | {"Alice", "Bob", "Leeds"})
            if words:
                found.append(f"{sent.where}: {words[:8]} in {sent.text[:200]!r}")

    with pseudo_translated(monkeypatch, "es"):
        await harness.command("mo", f"{CREATE} hosts=alice ping=chats-regulars")
        await harness.command("alice", SCRIPT)
        await harness.command("bob", "/chat subscribe engchat")
        check()
        await advance_to(harness, scheduler, datetime(2027, 1, 4, 19, tzinfo=UTC))
        reminders = [s for s in harness.platform.sent if s.where == "dm:bob"]
        assert reminders, "the day-before reminder went out"
        check()
        await advance_to(harness, scheduler, datetime(2027, 1, 5, 18, 45, tzinfo=UTC))
        check()
        await advance_to(harness, scheduler, START)
        await harness.post("bob", "chats/thread", "Hello from Leeds!")
        await advance_to(harness, scheduler, START.replace(minute=10))
        await harness.post("bob", "chats/thread", "A1 exit tickets", mentions=("alice",))
        await harness.post("alice", "chats/thread", "A1 rubrics", reply_to="bob")
        await harness.command("alice", "/chat pause engchat")
        await harness.command("alice", "/chat pause engchat")
        harness.clock.advance(minutes=3)
        await harness.command("alice", "/chat resume engchat")
        await harness.command("alice", "/chat resume engchat")
        await harness.command("alice", "/chat next-question engchat")
        await harness.command("alice", "/chat next-question engchat")
        assert any(s.where == THREAD for s in harness.platform.sent), "the questions were posted"
        check()
        await harness.command("alice", "/chat end engchat")
        recap = [s.text for s in harness.platform.sent if s.where == THREAD]
        assert recap and "📋" in recap[-1]
        check()
        file = await harness.reply_file("bob", "/chat transcript engchat")
        check()
        # The members' own messages (lines starting with their bold name) stay as written.
        framing = [line for line in file.content.decode().splitlines() if line[:2] != "**"]
        dates = {"martes", "enero"}  # the pseudo-language formats dates as Spanish
        words = untranslated("\n".join(framing), TYPED | dates | {"Europe", "London"})
        assert not words, f"the transcript file has English: {words[:8]}"
        calendar = await harness.reply_file("bob", "/chat calendar engchat")
        description = calendar.content.decode().split("DESCRIPTION:", 1)[1].split("\r\n")[0]
        assert description.startswith("⟦"), "the .ics description is translated"
    assert not found, "untranslated texts:\n" + "\n".join(found)


@pytest.mark.sqlite_only
async def test_a_subscriber_who_chose_spanish_gets_the_reminder_in_spanish_in_their_zone(
    harness: Harness, scheduler: Scheduler
) -> None:
    harness.platform.moderators.add("mo")
    for name in ("mo", "ana", "bob"):
        await harness.join(name)
    await harness.command("mo", CREATE)
    await harness.command("ana", "/profile edit language es")
    await set_timezone(harness, "ana", "America/Mexico_City")
    subscribed = await harness.reply_text("ana", "/chat subscribe engchat")
    assert "Recibirás un recordatorio 24 horas y 15 minutos antes" in subscribed
    assert "martes 5 de enero, 13:00 (America/Mexico_City)" in subscribed
    await harness.command("bob", "/chat subscribe engchat")
    harness.platform.take()

    await advance_to(harness, scheduler, datetime(2027, 1, 4, 19, tzinfo=UTC))
    (spanish,) = harness.platform.texts("dm:ana")
    assert "**#engchat: Feedback that works** empieza en 24 horas" in spanish
    assert "martes 5 de enero, 13:00 (America/Mexico_City)" in spanish
    assert "`/chat unsubscribe engchat` detiene estos recordatorios." in spanish
    await advance_to(harness, scheduler, datetime(2027, 1, 4, 19, 1, tzinfo=UTC))
    await advance_to(harness, scheduler, datetime(2027, 1, 5, 18, 45, tzinfo=UTC))
    texts = {s.where: s.text for s in harness.platform.take()}
    assert "empieza en 15 minutos" in texts["dm:ana"]
    assert "starts in 15 minutes: Tuesday 05 January, 19:00 (Europe/London)" in texts["dm:bob"]
    assert "(That is the chat's time zone" in texts["dm:bob"]


@pytest.mark.sqlite_only
async def test_a_french_community_s_chat_is_welcomed_asked_and_recapped_in_french(
    harness: Harness, scheduler: Scheduler
) -> None:
    harness.platform.moderators.add("mo")
    for name in ("mo", "alice", "bob"):
        await harness.join(name)
    await harness.command("mo", "/setup welcome_channel=welcome introductions_channel=intros")
    await community_speaks(harness, "fr")
    await harness.command("alice", "/profile edit language en")
    created = await harness.reply_text("mo", f"{CREATE} hosts=alice")
    assert "Discussion **#engchat : Feedback that works** créée dans #chats" in created
    assert "chaque semaine, le mardi à 19:00 (Europe/London)" in created
    assert "Première discussion : mardi 5 janvier 2027" in created
    (entry,) = harness.platform.calendar.values()  # the community's calendar, in French
    assert entry.description == "Chaque semaine, le mardi à 19:00 (Europe/London), 60 minutes."
    assert entry.ics is not None and "DESCRIPTION:chaque semaine\\, le mardi" in (
        entry.ics.content.decode()
    )
    loaded = await harness.reply_text("alice", SCRIPT)  # alice reads English herself
    assert "Loaded 2 questions for the next #engchat" in loaded
    harness.platform.take()

    await advance_to(harness, scheduler, START)
    (welcome,) = harness.platform.texts("#chats")
    assert "**#engchat : Feedback that works** commence maintenant (60 minutes)" in welcome
    assert "2 questions arriveront sous la forme **Q1**, **Q2**" in welcome
    await harness.post("bob", "chats/thread", "A1 les billets de sortie")
    await advance_to(harness, scheduler, START.replace(minute=10))
    (question,) = harness.platform.texts(THREAD)
    assert "❓ **Q1** What feedback works?" in question, "the host's question as written"
    assert "Commencez votre réponse par **A1**, par ex. `A1 …`" in question
    await harness.post("bob", "chats/thread", "A1 les billets de sortie")
    await harness.command("alice", "/chat end engchat")
    sent = {s.where: s.text for s in harness.platform.take()}
    assert sent["reply:alice"] == "Ended #engchat now: the recap is posted in the chat."
    recap = sent[THREAD]
    assert "📋 **Récapitulatif de #engchat : Feedback that works**" in recap
    assert "Merci d'avoir participé ! 2 messages de 1 participant." in recap
    assert "**Messages par question**" in recap

    transcript = (await harness.reply_file("alice", "/chat transcript engchat")).content.decode()
    assert "mardi 5 janvier 2027 à 19:00–19:" in transcript
    assert "2 messages de 1 participant" in transcript and "## Questions" in transcript


@pytest.mark.sqlite_only
async def test_each_leg_of_a_network_chat_speaks_its_affiliate_s_language(
    net: Net,  # noqa: F811 - the imported fixture
) -> None:
    """The owner's leg in English, a Spanish affiliate's in Spanish, a French one's in French:
    the welcome, each question's framing and the recap (the host's question as written)."""
    await _created(net)
    store = net.harness.store
    for where, code in ((SECOND, "es"), (SPACE, "fr")):
        community = await store.communities.get(where)
        assert community is not None
        await store.communities.update_settings(community.id, language=code)
    expected = {
        "#chats": ("starts now", "Start your answer with **A1**", "recap (network chat)"),
        "#lobby": ("empieza ahora", "Empieza tu respuesta con **A1**", "(charla de red)"),
        "#netroom": (
            "commence maintenant",
            "Commencez votre réponse par **A1**",
            "(discussion de réseau)",
        ),
    }
    mine, theirs = await net.advance_to(START)
    welcomes = {s.where: s.text for s in mine + theirs if "🗣️" in s.text}
    mine, theirs = await net.advance_to(START.replace(minute=10))
    questions = {s.where: s.text for s in mine + theirs if "**Q1** What connects us?" in s.text}
    await net.post(SECOND, "bea", "A1 la curiosidad", "m1")
    mine, theirs = await net.advance_to(START.replace(hour=20))
    recaps = {s.where: s.text for s in mine + theirs if "📋" in s.text}
    for room, (welcome, question, recap) in expected.items():
        assert welcome in welcomes[room], welcomes[room]
        assert question in questions[f"{room}/thread"], questions
        assert recap in recaps[f"{room}/thread"], recaps
    assert "1 mensaje de 1 participante en toda la red" in recaps["#lobby/thread"]


@pytest.mark.sqlite_only
async def test_the_interested_offer_is_in_the_member_s_language(harness: Harness) -> None:
    harness.platform.moderators.add("mo")
    for name in ("mo", "ana"):
        await harness.join(name)
    await harness.command("mo", CREATE)
    await harness.command("ana", "/profile edit language es")
    series = await harness.store.chats.find(1, "engchat")
    assert series is not None
    harness.platform.take()

    await harness.pick("ana", f"{INTERESTED}{series.id}")
    (offer,) = harness.platform.take()
    assert offer.where == "dm:ana"
    assert "Marcaste **#engchat: Feedback that works** como interesante" in offer.text
    assert "(próxima: martes 5 de enero, 19:00 (Europe/London))" in offer.text
    assert "un recordatorio 24 horas y 15 minutos antes de cada charla" in offer.text
    prompt = offer.message.prompt
    assert prompt is not None
    assert [c.label for c in prompt.choices] == ["Suscribirme", "No, gracias"]
    await harness.pick("ana", prompt.custom_id, "no")
    (declined,) = harness.platform.take()
    assert declined.text.startswith("Sin recordatorios, entonces.")
