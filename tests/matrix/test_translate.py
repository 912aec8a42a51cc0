"""The Matrix translation rules on raw event JSON, without a server."""

from __future__ import annotations

from adapters.matrix.translate import (
    after_own_join,
    community_ref,
    file_content,
    ignore_reason,
    member_event,
    notice_content,
    parse_user,
    replied_event_id,
    room_reference,
    to_event,
)
from communitybot.command_parser import CommandParseError
from communitybot.events import (
    ChannelMessage,
    CommandInvoked,
    ConversationRef,
    MemberJoined,
    MessageReceived,
    UserRef,
)
from communitybot.replies import Attachment, Choice, Message, Prompt

BOT = "@bot:example.org"
ROOM = "!opaqueRoomIdWithoutServer"  # room version 12: no `:server` part
SPACE = community_ref("!space")


def _message(body: str, sender: str = "@alice:example.org", **content: object) -> dict:
    return {
        "type": "m.room.message",
        "sender": sender,
        "content": {"msgtype": "m.text", "body": body, **content},
    }


def _member(user: str, membership: str, previous: str | None = None) -> dict:
    event: dict = {
        "type": "m.room.member",
        "sender": user,
        "state_key": user,
        "content": {"membership": membership, "displayname": "Alice"},
    }
    if previous:
        event["unsigned"] = {"prev_content": {"membership": previous}}
    return event


def test_own_events_notices_and_edits_are_ignored() -> None:
    assert ignore_reason(_message("!peers", sender=BOT), BOT) == "own event"
    assert ignore_reason(_message("!peers", msgtype="m.notice"), BOT) is not None
    edit = _message("* !peers", **{"m.relates_to": {"rel_type": "m.replace", "event_id": "$x"}})
    assert ignore_reason(edit, BOT) == "edit"
    assert ignore_reason(_message("!peers"), BOT) is None


def test_a_command_parses_anywhere_and_plain_text_is_an_answer_or_a_channel_message() -> None:
    public = to_event(
        _message("!tags add maths, science"), community=SPACE, room_id=ROOM, in_dm=False, prefix="!"
    )
    assert isinstance(public, CommandInvoked)
    assert public.path == ("tags", "add")
    assert public.conversation.conversation_id == ROOM and public.conversation.kind == "channel"
    chatter = to_event(
        {**_message("hello all"), "event_id": "$hello"},
        community=SPACE,
        room_id=ROOM,
        in_dm=False,
        prefix="!",
    )
    assert chatter == ChannelMessage(
        SPACE,
        UserRef("matrix", "@alice:example.org"),
        ConversationRef("matrix", "channel", ROOM),
        "hello all",
        "$hello",
    )
    answer = to_event(_message("2"), community=SPACE, room_id=ROOM, in_dm=True, prefix="!")
    assert isinstance(answer, MessageReceived) and answer.text == "2"
    assert answer.conversation.kind == "dm"
    wrong = to_event(_message("!nosuch"), community=SPACE, room_id=ROOM, in_dm=True, prefix="!")
    assert isinstance(wrong, CommandParseError)
    excited = to_event(_message("! wow"), community=SPACE, room_id=ROOM, in_dm=True, prefix="!")
    assert isinstance(excited, MessageReceived)


def test_a_reply_fallback_is_not_part_of_the_command() -> None:
    event = _message(
        "> <@bob:example.org> look\n\n!peers",
        **{"m.relates_to": {"m.in_reply_to": {"event_id": "$y"}}},
    )
    parsed = to_event(event, community=SPACE, room_id=ROOM, in_dm=False, prefix="!")
    assert isinstance(parsed, CommandInvoked) and parsed.path == ("peers",)


def test_joins_are_real_joins_and_history_before_the_bot_is_dropped() -> None:
    joined = member_event(_member("@alice:example.org", "join"), SPACE)
    assert isinstance(joined, MemberJoined) and joined.user.display_name == "Alice"
    renamed = member_event(_member("@alice:example.org", "join", previous="join"), SPACE)
    assert renamed is None
    old = _message("!peers")
    bot_join = _member(BOT, "join")
    new = _message("!tags list")
    assert after_own_join([old, bot_join, new], BOT) == [new]
    assert after_own_join([old, new], BOT) == [old, new]


def test_users_and_rooms_are_read_from_ids_aliases_and_links() -> None:
    assert parse_user("@bob:example.org").user_id == "@bob:example.org"
    assert parse_user("https://matrix.to/#/@bob:example.org").user_id == "@bob:example.org"
    assert room_reference("!abc") == "!abc"
    assert room_reference("maths:example.org") == "#maths:example.org"  # parser strips `#`
    assert room_reference("https://matrix.to/#/%23maths:example.org") == "#maths:example.org"
    assert room_reference("Maths") == "Maths"


def test_a_reply_is_a_notice_with_html_and_no_pings() -> None:
    content = notice_content(Message("**Hi** <b>x</b>\n• one\n• `two`\n> quoted @room"))
    assert content["msgtype"] == "m.notice"
    assert content["body"].startswith("**Hi**")
    html = content["formatted_body"]
    assert "<strong>Hi</strong>" in html and "&lt;b&gt;" in html
    assert "<ul><li>one</li><li><code>two</code></li></ul>" in html
    assert "<blockquote>" in html
    assert content["m.mentions"] == {}
    prompt = Prompt("onboarding:x", "yesno", (Choice("yes", "yes"), Choice("no", "no")))
    assert notice_content(Message("Mentor?", prompt))["body"] == "Mentor? (yes/no)"


def test_a_reply_in_a_room_names_who_it_answers_and_whom_it_mentions() -> None:
    event = _message("> <@bob:example.org> what worked?\n\nA1 exit tickets, thanks @carol")
    event["event_id"] = "$answer"
    event["content"] |= {
        "m.relates_to": {"m.in_reply_to": {"event_id": "$question"}},
        "m.mentions": {
            "user_ids": ["@bob:example.org", "@carol:example.org", "@alice:example.org"]
        },
    }
    assert replied_event_id(event) == "$question"
    assert replied_event_id(_message("plain")) is None
    message = to_event(
        event,
        community=SPACE,
        room_id=ROOM,
        in_dm=False,
        prefix="!",
    )
    assert isinstance(message, ChannelMessage)
    assert message.text == "A1 exit tickets, thanks @carol"  # the quoted fallback is dropped
    assert message.message_id == "$answer" and message.parent_channel_id is None
    assert message.reply_to_user_id is None  # the runner looks up who sent "$question"
    # The sender mentioning themselves is no exchange.
    assert message.mentioned_user_ids == ("@bob:example.org", "@carol:example.org")


def test_only_a_deliberate_room_ping_notifies_the_room() -> None:
    pinged = notice_content(Message("The #maths chat starts now", ping_role="room"))
    assert pinged["body"] == "@room The #maths chat starts now"
    assert pinged["formatted_body"].startswith("@room The")
    assert pinged["m.mentions"] == {"room": True}
    assert notice_content(Message("Chat time", ping_role="940000000000000002"))["m.mentions"] == {}


def test_an_encrypted_file_is_described_by_file_and_a_plain_one_by_url() -> None:
    attachment = Attachment("mydata.json", b"{}", "application/json")
    plain = file_content(attachment, "mxc://hs/plain")
    assert plain["url"] == "mxc://hs/plain" and "file" not in plain
    keys = {"v": "v2", "key": {"k": "secret"}, "iv": "iv", "hashes": {"sha256": "h"}}
    encrypted = file_content(attachment, "mxc://hs/noise", keys)
    assert "url" not in encrypted  # clients would fetch the ciphertext as if it were the file
    assert encrypted["file"] == {**keys, "url": "mxc://hs/noise"}
    assert encrypted["info"] == {"mimetype": "application/json", "size": 2}
