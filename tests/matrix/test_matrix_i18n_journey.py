"""A member who chose Spanish, all the way through on a real Synapse (#17): the language
question, onboarding, `!peers`, a chat reminder DM and the chat's recap — in Spanish, with
Spanish dates in her zone, and the adapter's own words (the `.ics` caption pinned in the room,
the yes/no hint) in the reader's language too.

The bot's core runs on a `FakeClock` with the real scheduler (as the console journey,
tests/test_i18n_console_journey.py): the chat's hours pass in a moment, while every message
still travels through the homeserver to real member clients.

Encryption is set OFF for this test, explicitly: it is about languages, and plain rooms keep
it short (no key exchange per member and room). Encrypted DMs and rooms, with the same texts,
are covered by tests/matrix/test_matrix_encryption.py. The last test turns it ON: the "please
resend" note exists only for a message the bot could not decrypt, and it is written in the
community's language because everyone in the room reads it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.matrix.translate import community_ref
from communitybot.clock import FakeClock
from communitybot.registry import JOB_KINDS
from communitybot.scheduler import Scheduler
from tests.matrix.conftest import World
from tests.matrix.members import Member, Seen
from tests.matrix.test_matrix_chats import Recorder, recorder
from tests.matrix.test_matrix_encryption import _bot_device, _encrypted_world

__all__ = ["recorder"]  # the fixture: wait until the core has handled a room message

LANGUAGE_QUESTION = "¿En qué idioma quieres que te escriba?"


async def _answer(member: Member, bot_id: str, answer: str, expect: str) -> Seen:
    """Type `answer` in the DM room; the bot's next DM containing `expect`."""
    mark = member.mark()
    await member.say(await member.wait_direct_room(), answer)
    return await member.wait_dm(expect, after=mark, sender=bot_id)


async def _command(member: Member, room: str, bot_id: str, text: str, expect: str) -> Seen:
    """Type a command in `room`; the bot's next answer containing `expect` (DM or room)."""
    mark = member.mark()
    await member.say(room, text)
    return await member.wait_for(lambda s: s.sender == bot_id and expect in s.body, after=mark)


async def test_a_spanish_speaking_member_from_welcome_to_recap_on_matrix(
    world: World, recorder: Recorder
) -> None:
    world.encryption = False  # see the module docstring
    mod = await world.member("mod")
    world.general = await mod.create_room(f"Charlas {world.n}")
    clock = FakeClock()  # Monday 4 January 2027, 12:00 UTC
    bot = await world.start_bot(clock=clock)
    bot_id = world.bot_id
    await world.bot_in(world.general)
    await mod.set_power_level(world.general, bot_id, 50)  # it may pin the chat's calendar
    general = world.general
    scheduler = Scheduler(bot.bot, JOB_KINDS, sleeper=clock)
    async with scheduler.running():
        await _command(
            mod,
            general,
            bot_id,
            f"!setup language=es languages=es,en welcome_channel={general}",
            "es",
        )
        mark = mod.mark()
        await _command(
            mod,
            general,
            bot_id,
            '!chat create engchat "Retroalimentación que funciona" '
            f'{general} "weekly tuesday" 19:00 Europe/Madrid',
            "engchat",
        )
        caption = await mod.wait_for(
            lambda s: s.room_id == general and s.content.get("msgtype") == "m.file", after=mark
        )
        # The adapter's own caption, in the community's language, with a Spanish date.
        assert "Retroalimentación que funciona" in caption.body
        assert "próxima charla el martes 5 de enero de 2027, 18:00 UTC." in caption.body
        assert "engchat.ics" in caption.body
        await _command(
            mod,
            general,
            bot_id,
            "!chat questions engchat Q1 @10 ¿Qué retroalimentación funciona?",
            "Q1",
        )

        bea = await world.member("bea")  # the other maths teacher, in English
        await bea.join(general)
        await bea.wait_dm(LANGUAGE_QUESTION, sender=bot_id)
        await _answer(bea, bot_id, "2", "Question 1 of")
        await _answer(bea, bot_id, "1", "Question 2 of")
        await _answer(bea, bot_id, "2, 3", "Question 3 of")
        for _ in range(6):
            mark = bea.mark()
            await bea.say(await bea.wait_direct_room(), "skip")
            await bea.wait_for(
                lambda s: s.sender == bot_id and s.room_id in bea.direct_rooms, after=mark
            )

        ana = await world.member("ana")
        await ana.join(general)
        first = await ana.wait_dm(LANGUAGE_QUESTION, sender=bot_id)
        assert f"**{LANGUAGE_QUESTION}**" in first.body
        assert "<strong>" in first.content["formatted_body"]
        await _answer(ana, bot_id, "Español", "**Pregunta 1 de 8:**")
        await _answer(ana, bot_id, "1", "Pregunta 2 de 8")
        await _answer(ana, bot_id, "2, 3", "Pregunta 3 de 8")
        await _answer(ana, bot_id, "2", "Pregunta 4 de 8")
        await _answer(ana, bot_id, "1, 2", "Pregunta 5 de 8")
        mentor = await _answer(ana, bot_id, "Madrid", "Pregunta 6 de 8")
        assert "(yes/no)" not in mentor.body  # never the English hint to a Spanish member
        await _answer(ana, bot_id, "sí", "Pregunta 7 de 8")
        await _answer(ana, bot_id, "no", "Pregunta 8 de 8")
        done = await _answer(ana, bot_id, "Enseño matemáticas en Sevilla.", "🎉 ¡Listo, gracias")
        assert "Esto es lo que anoté:" in done.body

        peers = await _command(ana, general, bot_id, "!peers", "bea")
        assert "bea" in peers.body
        subscribed = await _command(
            ana, general, bot_id, "!chat subscribe engchat 1h", "Recibirás un recordatorio"
        )
        assert "1 hora antes de cada charla **#engchat**." in subscribed.body
        assert "La próxima: martes 5 de enero, 19:00 (Europe/Madrid)." in subscribed.body

        mark = ana.mark()
        clock.advance(
            seconds=(datetime(2027, 1, 5, 17, 0, tzinfo=UTC) - clock.now()).total_seconds()
        )
        await scheduler.settle()
        reminder = await ana.wait_dm("#engchat", after=mark, sender=bot_id)
        assert "martes 5 de enero, 19:00" in reminder.body  # her zone, her language

        clock.advance(hours=1)  # 19:00 in Madrid: the chat starts
        await scheduler.settle()
        clock.advance(minutes=10)  # Q1
        await scheduler.settle()
        await ana.wait_for(lambda s: s.room_id == general and "Q1" in s.body, after=mark)
        said = await ana.say(general, "A1 tickets de salida en cada clase")
        await bea.say(
            general,
            "A1 ¡igual!",
            **{"m.relates_to": {"m.in_reply_to": {"event_id": said}}},
        )
        await recorder.wait_message(lambda m: "igual" in m.text)
        mark = ana.mark()
        clock.advance(minutes=50)
        await scheduler.settle()
        recap = await ana.wait_for(
            lambda s: s.room_id == general and "mensajes" in s.body, after=mark
        )
        assert "2 mensajes" in recap.body and "2 participantes" in recap.body
        assert recap.body.startswith("📋 **Resumen de #engchat: Retroalimentación que funciona**")
        assert "• Q1 ¿Qué retroalimentación funciona?: 2" in recap.body
        assert f"• {bea.user_id[1:].split(':')[0]} ↔ {ana.user_id[1:].split(':')[0]}" in recap.body
        assert "La transcripción: `!chat transcript engchat`." in recap.body


async def test_the_resend_note_in_a_served_room_is_in_the_community_language(
    world: World,
) -> None:
    """The adapter's own note, in an encrypted room everyone reads: the community's language
    (here encryption is ON: the note exists only when a message could not be decrypted)."""
    world.key_wait = 1.0
    await _encrypted_world(world)
    bot = await world.start_bot()
    bot_id = world.bot_id
    assert world.store is not None
    community, _ = await world.store.communities.ensure(
        community_ref(world.general), datetime.now(UTC)
    )
    await world.store.communities.update_settings(community.id, language="es")
    bob = await world.member("bob", encrypted=True)
    await bob.join(world.general)
    await bob.wait_dm("bienvenida", sender=bot_id)  # the welcome, in Spanish too
    bob.client.blacklist_device(_bot_device(bob, bot_id))

    mark = bob.mark()
    await bob.say(world.general, "!peers")
    note = await bob.wait_for(
        lambda s: s.sender == bot_id and s.room_id == world.general, after=mark
    )
    assert note.encrypted
    assert note.body.startswith("🔒 No pude descifrar un mensaje enviado aquí a las ")
    assert note.body.endswith(
        " UTC: sus claves nunca me llegaron. Si era para mí, envíalo de nuevo, por favor."
    )
    assert bot.platform.crypto is not None
