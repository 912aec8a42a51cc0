"""A member who chose Spanish, all the way through in the console: the language question,
onboarding, `/peers`, a chat reminder and the chat's recap — in Spanish, with Spanish dates.

In-process, with the real Bot and scheduler and the console's printed lines; the chat's time
comes from a fake clock, not a wait (as tests/test_console_chat_run.py).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from adapters.console.platform import ConsolePlatform
from adapters.console.runner import ConsoleSession
from communitybot.bot import Bot
from communitybot.clock import FakeClock
from communitybot.events import CommunityRef
from communitybot.peers.index import PeerIndex
from communitybot.registry import JOB_KINDS
from communitybot.scheduler import Scheduler
from communitybot.store.store import Store
from tests.test_console_chat_run import lines_at

SETUP = """\
:mod mo
:join mo
/setup language=es languages=es,en welcome_channel=general
/chat create engchat "Retroalimentación que funciona" chats "weekly tuesday" 19:00 Europe/Madrid
/chat questions engchat Q1 @10 ¿Qué retroalimentación funciona?
:join bea
2
1
2, 3
skip
skip
skip
skip
skip
skip
"""

JOURNEY = """\
:join ana
Español
1
2, 3
2
1, 2
Madrid
sí
no
Enseño matemáticas en Sevilla.
sí
/peers
/chat subscribe engchat 1h
"""


async def test_a_spanish_speaking_member_from_welcome_to_recap(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bot.db")
    out = io.StringIO()
    platform = ConsolePlatform(out, tmp_path / "files")
    clock = FakeClock()
    bot = Bot(store, platform, clock, PeerIndex(), prefix="/")
    session = ConsoleSession(bot, platform, CommunityRef("console", "local"))
    scheduler = Scheduler(bot, JOB_KINDS, sleeper=clock)
    try:
        async with scheduler.running():
            for line in (SETUP + JOURNEY).splitlines():
                assert await session.handle(line)
            dm = "\n".join(lines_at(out, "dm:ana"))
            assert "**¿En qué idioma quieres que te escriba?**" in dm
            assert "**Pregunta 1 de 8:**" in dm
            assert "🎉 ¡Listo, gracias, ana!" in dm
            replies = "\n".join(lines_at(out, "reply:ana"))
            assert "bea" in replies  # /peers found the other maths teacher
            assert "Recibirás un recordatorio 1 hora antes de cada charla **#engchat**." in replies
            assert "La próxima: martes 5 de enero, 19:00 (Europe/Madrid)." in replies

            out.truncate(0)
            out.seek(0)
            clock.advance(
                seconds=(datetime(2027, 1, 5, 17, 0, tzinfo=UTC) - clock.now()).total_seconds()
            )
            await scheduler.settle()
            reminder = "\n".join(lines_at(out, "dm:ana"))
            assert "martes 5 de enero, 19:00" in reminder  # her zone, her language
            assert "#engchat" in reminder

            clock.advance(hours=1)  # 19:00 in Madrid: the chat starts
            await scheduler.settle()
            clock.advance(minutes=10)  # Q1
            await scheduler.settle()
            await session.handle("ana#chats> A1 tickets de salida en cada clase")
            await session.handle("bea#chats> ^ana A1 ¡igual!")
            clock.advance(minutes=50)
            await scheduler.settle()
            recap = "\n".join(lines_at(out, "#chats"))
            assert "2 mensajes" in recap and "2 participantes" in recap
            assert "empieza ahora (60 minutos)" in recap and "retraso" not in recap
            assert "❓ **Q1** ¿Qué retroalimentación funciona?" in recap
            assert "• bea ↔ ana" in recap
    finally:
        await store.close()
