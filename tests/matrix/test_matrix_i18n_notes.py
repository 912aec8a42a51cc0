"""The Matrix adapter's own words (#17), without a homeserver: every note, hint, caption and
refusal it writes itself goes through the translation function (pseudo-language check: no
English outside ⟦…⟧), in the language of whoever reads it — and reads as real Spanish and
French."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from nio import MatrixRoom

from adapters.matrix.calendar import MatrixCalendar, caption
from adapters.matrix.crypto import RESEND_NOTE
from adapters.matrix.invites import InvitePolicy
from adapters.matrix.platform import ENCRYPTED_NOTE, MatrixPlatform
from adapters.matrix.relay_content import CopyLook, copy_contents, reply_line
from adapters.matrix.rooms import resolve_room_options
from adapters.matrix.translate import (
    community_ref,
    dm_conversation,
    file_refused_content,
    plain_text,
    user_ref,
)
from communitybot.events import CommandInvoked, CommunityRef, ConversationRef, UserRef
from communitybot.i18n import tr, use_language
from communitybot.ports import MissingPermission
from communitybot.replies import Attachment, Choice, Message, Prompt
from tests.matrix.test_matrix_calendar import entry
from tests.pseudo_locale import pseudo_translated, untranslated

ROOM = "!chats:example.org"
YES_NO = Prompt("onboarding:x", "yesno", (Choice("yes", "yes"), Choice("no", "no")))


@pytest.fixture
def pseudo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Spanish speaks the pseudo-language; texts are made inside `use_language("es")`."""
    with pseudo_translated(monkeypatch, "es"), use_language("es"):
        yield


def english_left(text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    return untranslated(text, allowed)


class Client:
    """The few `AsyncClient` parts the adapter reads here: its rooms and an alias lookup."""

    def __init__(self, rooms: dict[str, MatrixRoom] | None = None) -> None:
        self.rooms = rooms or {}
        self.user_id = "@bot:example.org"

    async def room_resolve_alias(self, alias: str) -> Any:
        return SimpleNamespace(room_id=None)


def powerful_room(users_default: int) -> MatrixRoom:
    room = MatrixRoom(ROOM, "@bot:example.org")
    room.power_levels.defaults.users_default = users_default
    room.power_levels.defaults.state_default = 50
    return room


# -- pseudo-language: nothing the adapter writes is left in English ------------------------


def test_the_pinned_calendar_caption_is_translated(pseudo: None) -> None:
    text = caption(entry(ROOM, "2027-01-05T18:00:00+00:00", "2027-01-05T19:00:00+00:00"))
    assert english_left(text) == [], text


def test_the_yes_no_hint_and_the_refused_file_are_translated(pseudo: None) -> None:
    hint = plain_text(Message("⟦Mentor?⟧", YES_NO, language="es"))
    assert hint.endswith("(⟦yes⟧/⟦no⟧)") and english_left(hint) == []
    for reason in (
        tr("the homeserver refuses files this big"),
        tr("the homeserver would not store it"),
    ):
        body = file_refused_content(Attachment("notes.pdf", b"x" * 3000, "application/pdf"), reason)
        assert english_left(body["body"], frozenset({"notes", "pdf"})) == [], body["body"]


def test_relay_reply_lines_and_a_nameless_author_are_translated(pseudo: None) -> None:
    assert english_left(reply_line("")) == []
    assert english_left(reply_line("see you"), frozenset({"see", "you"})) == []
    look = CopyLook("", "", reply_line(""))
    assert english_left(copy_contents(look, "hola")[0]["body"], frozenset({"hola"})) == []


def test_the_notes_and_the_dm_offer_are_translated(pseudo: None) -> None:
    for text in (
        tr(RESEND_NOTE, time="18:05"),
        tr(ENCRYPTED_NOTE),
    ):
        assert english_left(text) == [], text


async def test_refusal_reasons_are_translated(pseudo: None) -> None:
    platform = SimpleNamespace(client=Client({ROOM: powerful_room(50)}), moderator_level=50)
    reason = await MatrixPlatform.role_refusal(platform, community_ref("!s:x"), ROOM)  # type: ignore[arg-type]
    assert reason is not None and english_left(reason) == [], reason

    calendar = MatrixCalendar(Client({ROOM: powerful_room(0)}), None, "@bot:x", None)  # type: ignore[arg-type]
    calendar.client.rooms[ROOM].power_levels.defaults.state_default = 100
    with pytest.raises(MissingPermission) as refused:
        calendar._check_power(ROOM)
    assert english_left(str(refused.value), frozenset({"chats", "example", "org"})) == []


async def test_an_unknown_room_in_a_command_is_explained_translated(pseudo: None) -> None:
    event = CommandInvoked(
        community_ref("!space:x"),
        user_ref("@ana:x"),
        ConversationRef("matrix", "channel", ROOM),
        ("chat", "create"),
        {"hashtag": "engchat", "channel": "#nowhere:example.org"},
    )
    said = await resolve_room_options(Client(), event)  # type: ignore[arg-type]
    assert isinstance(said, str)
    assert english_left(said, frozenset({"name", "server"})) == [], said


# -- the reader's language, in real Spanish and French ---------------------------------------


def test_the_caption_is_in_the_community_language() -> None:
    chat = entry(ROOM, "2027-01-05T18:00:00+00:00", "2027-01-05T19:00:00+00:00")
    with use_language("es"):
        assert caption(chat) == (
            "📅 #engchat: Feedback that works: próxima charla el martes 5 de enero de 2027, "
            "18:00 UTC. Abre engchat.ics para añadir todas las charlas a tu calendario."
        )
    with use_language("fr"):
        assert "prochaine discussion le mardi 5 janvier 2027" in caption(chat)
    assert "next chat Tuesday 05 January 2027, 18:00 UTC." in caption(chat)  # English unchanged


def test_the_yes_no_hint_follows_the_message_language() -> None:
    assert plain_text(Message("¿Mentor?", YES_NO, language="es")) == "¿Mentor? (sí/no)"
    assert plain_text(Message("Mentor ?", YES_NO, language="fr")) == "Mentor ? (oui/non)"
    assert plain_text(Message("Mentor?", YES_NO, language="en")) == "Mentor? (yes/no)"
    assert plain_text(Message("¿Sí o no?", YES_NO, language="es")) == "¿Sí o no?"


class Sent:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def send_direct(self, community: CommunityRef, user: UserRef, message: Message) -> Any:
        self.messages.append(message)
        return dm_conversation("!dm:x")

    async def send_message(self, room_id: str, message: Message) -> str:
        self.messages.append(message)
        return "$event"


async def test_the_plain_dm_offer_is_in_the_inviters_language() -> None:
    sent = Sent()

    async def spanish(community: CommunityRef, user: UserRef) -> str:
        return "es"

    policy = InvitePolicy(None, None, sent, None, [], "!", language_of=spanish)  # type: ignore[arg-type]
    await policy._offer_plain_dm("@ana:x", "!space:x")
    assert sent.messages[0].text == (
        "¡Hola! No puedo leer salas con cifrado de extremo a extremo, así que abrí esta sala sin "
        "cifrar para nosotros. Escribe `!help` aquí para ver lo que puedo hacer."
    )


async def test_the_encryption_note_under_help_is_in_the_replys_language() -> None:
    sent = Sent()
    platform = SimpleNamespace(
        crypto=None,
        _encrypted_in=lambda space_id: True,
        send_direct=sent.send_direct,
        send_message=sent.send_message,
    )
    event = CommandInvoked(
        community_ref("!space:x"), user_ref("@ana:x"), dm_conversation("!dm:x"), ("help",), {}
    )
    reply = Message("Ayuda", language="fr")
    await MatrixPlatform.reply(platform, event, reply, ephemeral=True)  # type: ignore[arg-type]
    assert sent.messages[0].text.startswith("Ayuda\n\n⚠️ Certains salons de cette communauté")
