"""A member who chose Spanish, all the way through on Discord (#17): the language question,
onboarding with buttons and selects, `/peers`, `/chat subscribe`, the chat reminder, the chat's
thread and its recap — in Spanish, with Spanish dates — while the English-speaking member beside
her keeps English. Then whose language wins: the member's own choice, else the client's locale.

The real discord.py client against the loopback double; the chat's time comes from the bot's
FakeClock (Monday 4 January 2027, 12:00 UTC) and a scheduler sleeping on it, as in
tests/test_i18n_console_journey.py. #engchat is on Tuesdays, 19:00 in Madrid (18:00 UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.discord import DiscordBot
from communitybot.clock import FakeClock
from communitybot.events import ChannelMessage
from communitybot.registry import JOB_KINDS
from communitybot.scheduler import Scheduler
from tests.discord.gateway_double import WELCOME_CHANNEL, DiscordDouble
from tests.discord.helpers import (
    ALICE,
    BOB,
    MOD,
    answer,
    components_of,
    pick,
    slash,
    sub,
    whole_help,
)
from tests.discord.test_discord_threads import recording

ANA = ALICE
"""The Spanish-speaking member (the helpers' first member id, under her name here)."""
BEA = "960000000000000009"
"""A member who joins during the test (the fixture's Bob was there before the bot started)."""


def _text(name: str, value: str) -> dict[str, Any]:
    return {"type": 3, "name": name, "value": value}


def _channel(name: str, value: str) -> dict[str, Any]:
    return {"type": 7, "name": name, "value": value}


async def _command(
    double: DiscordDouble, user: str, data: dict[str, Any], locale: str = "en-GB"
) -> str:
    """The text of the bot's answer to a slash command sent from a client in `locale`."""
    body = await answer(double, await double.interact(user, 2, data, locale=locale))
    return str(body["data"]["content"])


async def _press(double: DiscordDouble, user: str, data: dict[str, Any]) -> dict[str, Any]:
    """A button or select in the member's DM, from a British client (`interact`'s default
    locale): the language the member chose must win over it."""
    dm = str(double.dm_channel_of(user))
    body = await answer(double, await double.interact(user, 3, data, in_guild=False, channel_id=dm))
    assert body["type"] == 4, body
    return dict(body["data"])


def _button(custom_id: str) -> dict[str, Any]:
    return {"custom_id": custom_id, "component_type": 2}


async def _set_up_the_community(double: DiscordDouble) -> None:
    """Spanish for channels and members who chose none, Spanish and English offered, and a
    weekly chat in the welcome channel with one question at minute 10."""
    setup = slash(
        "setup",
        _text("language", "es"),
        _text("languages", "es,en"),
        _channel("welcome_channel", WELCOME_CHANNEL),
    )
    assert "Español (es), English (en)" in await _command(double, MOD, setup)
    create = slash(
        "chat",
        sub(
            "create",
            _text("hashtag", "engchat"),
            _text("title", "Retroalimentación que funciona"),
            _channel("channel", WELCOME_CHANNEL),
            _text("schedule", "weekly tuesday"),
            _text("time", "19:00"),
            _text("timezone", "Europe/Madrid"),
        ),
    )
    # The moderator chose no language and their client is British: English for them.
    assert "Created **#engchat" in await _command(double, MOD, create)
    questions = slash(
        "chat",
        sub(
            "questions",
            _text("hashtag", "engchat"),
            _text("script", "Q1 @10 ¿Qué retroalimentación funciona?"),
        ),
    )
    assert "Loaded 1 question" in await _command(double, MOD, questions)


async def _welcomed(double: DiscordDouble, user: str, name: str) -> dict[str, Any]:
    """The member joins; their first DM (the language question) once it was delivered."""
    await double.add_member(user, name)
    await double.wait_until(lambda: double.dm_channel_of(user) is not None)
    dm = str(double.dm_channel_of(user))
    await double.wait_until(lambda: len(double.delivered(dm)) >= 1)
    [first] = double.delivered(dm)
    return dict(first.body)


async def _bea_onboards_in_english(double: DiscordDouble) -> None:
    """A second maths teacher, who picks English: someone for Ana's `/peers` to find."""
    first = await _welcomed(double, BEA, "bea")
    assert "**¿En qué idioma quieres que te escriba?**" in first["content"]
    role = await _press(double, BEA, _button("onboarding:__language|en"))
    assert "From now on I'll write to you in English." in role["content"]
    assert "**Question 1 of 8:**" in role["content"]
    await _press(double, BEA, pick("role", "Classroom teacher"))
    grades = await _press(double, BEA, pick("subjects", "Maths"))
    assert "age groups" in grades["content"]


async def test_a_spanish_speaking_member_from_welcome_to_recap_on_discord(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    await _set_up_the_community(double)
    await _bea_onboards_in_english(double)

    # Ana's first DM: the language question in the community's language, one button a language.
    first = await _welcomed(double, ANA, "ana")
    assert "👋 ¡Te damos la bienvenida a la comunidad, Ana!" in first["content"]
    assert "**¿En qué idioma quieres que te escriba?**" in first["content"]
    buttons = components_of(first)
    assert [(b["label"], b["custom_id"]) for b in buttons] == [
        ("Español", "onboarding:__language|es"),
        ("English", "onboarding:__language|en"),
    ]

    role = await _press(double, ANA, _button("onboarding:__language|es"))
    assert "A partir de ahora te escribiré en Español." in role["content"]
    assert "**Pregunta 1 de 8:** ¿Qué describe mejor tu función?" in role["content"]
    [select] = components_of(role)
    assert select["placeholder"] == "Elige…"
    teacher = next(o for o in select["options"] if o["value"] == "Classroom teacher")
    assert teacher["label"] == "Docente de aula"  # shown in Spanish, sent in English

    subjects = await _press(double, ANA, pick("role", "Classroom teacher"))
    assert "**Pregunta 2 de 8:**" in subjects["content"]
    [select] = components_of(subjects)
    labels = {o["value"]: o["label"] for o in select["options"]}
    assert labels["Maths"] == "Matemáticas" and labels["Science"] == "Ciencias"
    grades = await _press(double, ANA, pick("subjects", "Maths", "Science"))
    assert "**Pregunta 3 de 8:** ¿Con qué edades o niveles educativos trabajas?" in str(
        grades["content"]
    )

    dm = str(double.dm_channel_of(ANA))
    await double.say_in_dm(ANA, "stop")
    await double.wait_until(lambda: len(double.delivered(dm)) >= 2)
    stopped = double.delivered(dm)[-1].body["content"]
    assert "⏸️ De acuerdo, paré las preguntas de bienvenida." in stopped

    peers = await _command(double, ANA, slash("peers"), locale="es-ES")
    assert peers.startswith("Miembros que comparten **maths**, **science**:")
    assert f"1. <@{BEA}> (zona horaria desconocida) — comparte maths" in peers
    subscribe = slash(
        "chat", sub("subscribe", _text("hashtag", "engchat"), _text("lead_times", "1h"))
    )
    subscribed = await _command(double, ANA, subscribe, locale="es-ES")
    assert "Recibirás un recordatorio 1 hora antes de cada charla **#engchat**." in subscribed
    assert "La próxima: martes 5 de enero, 19:00 (Europe/Madrid)." in subscribed

    clock = bot.bot.clock
    assert isinstance(clock, FakeClock)
    scheduler = Scheduler(bot.bot, JOB_KINDS, sleeper=clock)
    async with scheduler.running():
        await scheduler.settle()
        before = len(double.delivered(dm))
        clock.advance(
            seconds=(datetime(2027, 1, 5, 17, 0, tzinfo=UTC) - clock.now()).total_seconds()
        )
        await scheduler.settle()
        await double.wait_until(lambda: len(double.delivered(dm)) > before)
        [reminder] = double.delivered(dm)[before:]
        assert reminder.body["content"].startswith(
            "⏰ **#engchat: Retroalimentación que funciona** empieza en 1 hora: "
            "martes 5 de enero, 19:00 (Europe/Madrid)"
        )
        assert "`/chat unsubscribe engchat`" in reminder.body["content"]
        # …and the moment as a Discord timestamp, shown in her own client's clock and language
        assert reminder.body["content"].endswith("\n🕒 <t:1799172000:F> (<t:1799172000:R>)")

        clock.advance(hours=1)  # 19:00 in Madrid: the chat starts, in its own thread
        await scheduler.settle()
        await double.wait_until(lambda: len(double.created_threads) == 1)
        [thread] = double.created_threads
        assert double.threads[thread]["parent_id"] == WELCOME_CHANNEL
        assert double.threads[thread]["name"] == "#engchat: Retroalimentación que funciona"
        [welcome] = double.delivered(WELCOME_CHANNEL)
        opening = str(welcome.body["content"])
        assert "**#engchat: Retroalimentación que funciona** empieza ahora (60 minutos)." in opening
        assert "¡Bienvenidos y bienvenidas!" in opening

        clock.advance(minutes=10)  # Q1
        await scheduler.settle()
        await double.wait_until(lambda: len(double.delivered(thread)) >= 1)
        [question] = double.delivered(thread)
        assert question.body["content"].startswith("❓ **Q1** ¿Qué retroalimentación funciona?")
        assert "Empieza tu respuesta con **A1**" in question.body["content"]
        with recording(bot) as recorder:
            await double.say_in_channel(ANA, thread, "A1 tickets de salida en cada clase")
            await recorder.wait(ChannelMessage, 1)  # handled before the clock moves on

        clock.advance(minutes=50)  # 20:00: the end, and the recap
        await scheduler.settle()
        await double.wait_until(lambda: len(double.delivered(thread)) >= 2)
        recap = double.delivered(thread)[-1].body["content"]
        assert recap.startswith("📋 **Resumen de #engchat: Retroalimentación que funciona**")
        assert "¡Gracias por participar! 1 mensaje de 1 participante." in recap
        assert "• Q1 ¿Qué retroalimentación funciona?: 1" in recap


async def test_the_members_own_choice_first_then_the_clients_locale(
    double: DiscordDouble, bot: DiscordBot
) -> None:
    """No language of her own: Alice's client decides (a Latin American Spanish client gets
    Spanish). Bob chose French: French from every client, a Spanish one too."""
    await double.add_member(ALICE, "alice")
    latin_american = await whole_help(double, ALICE, "es-419")
    assert latin_american.startswith("**Lo que puedo hacer**")
    assert "• `/peers` — Encuentra miembros con tus mismos intereses" in latin_american
    assert "Escribe `/help <comando>` para ver sus opciones y ejemplos." in latin_american
    american = await whole_help(double, ALICE, "en-US")
    assert american.startswith("**What I can do**")
    assert "Type `/help <command>` for its options and examples." in american
    assert "Escribe" not in american

    choose = slash("profile", sub("edit", _text("field", "language"), _text("value", "fr")))
    assert await _command(double, BOB, choose, locale="es-ES") == (
        "Désormais, je vous écrirai en Français."
    )
    french = await whole_help(double, BOB, "es-ES")
    assert french.startswith("**Ce que je sais faire**")
    assert "Tapez `/help <commande>` pour ses options et des exemples." in french
    assert "Escribe" not in french
