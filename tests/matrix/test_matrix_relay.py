"""Network-chat relays on Matrix (issue #15), with the real bot, real member clients and a real
Synapse: what a copy looks like, replies, idempotency, edits, redactions, long texts, refusals,
and what members' edits, redactions, replies and files look like to the core."""

from __future__ import annotations

from typing import Any

import pytest
from nio import RoomGetEventResponse

from adapters.matrix.changes import edited, media_url, redacted
from adapters.matrix.errors import RATE_LIMIT_RETRIES
from adapters.matrix.relay_content import CopyLook, copy_contents
from adapters.matrix.translate import CONTENT_BUDGET, community_ref, content_size
from communitybot.delivery import deliver_action
from communitybot.events import relay_key
from communitybot.ports import MissingPermission
from communitybot.replies import Relayed, RelayPost
from tests.matrix.conftest import World
from tests.matrix.members import Member, Seen
from tests.matrix.test_matrix_chats import Recorder, recorder  # noqa: F401 (recorder: a fixture)
from tests.matrix.test_rate_limit import ROOM, Start, serve  # noqa: F401 (serve: a fixture)

WAIT = 20.0
ZWSP = "\u200b"


async def _chat_room(world: World) -> Member:
    """A served room the moderator created (and reads), the bot in it."""
    mod = await world.member("mod")
    world.general = await mod.create_room(f"Network chat {world.n}")
    await world.start_bot()
    await world.bot_in(world.general)
    return mod


def _relayed(key: str, text: str, **extra: Any) -> Relayed:
    return Relayed(key, "Bob", "Discord · Riverside", text, **extra)


async def _relay(world: World, *messages: Relayed, room: str | None = None) -> None:
    assert world.bot is not None
    await world.bot.platform.relay(
        community_ref(world.general), room or world.general, list(messages)
    )


async def _copy_event(world: World, key: str) -> str:
    assert world.bot is not None
    copy = await world.bot.platform.relays.copies.find(world.general, key)
    assert copy is not None, f"no copy of {key}"
    return copy.first_event


async def _from_bot(member: Member, world: World, text: str, mark: int) -> Seen:
    return await member.wait_for(
        lambda s: s.sender == world.bot_id and s.room_id == world.general and text in s.body,
        after=mark,
    )


# -- pure rules ------------------------------------------------------------------------------


def test_a_copy_names_author_and_origin_escapes_html_and_pings_nobody() -> None:
    look = CopyLook("Bob <3", "Discord", "", ("https://cdn.example/a.png", "javascript:x"))
    [content] = copy_contents(look, "hi @room & <a href='https://matrix.to/#/@x:y'>x</a>\nbye")
    assert content["msgtype"] == "m.text" and content["m.mentions"] == {}
    assert content["body"].startswith(f"Bob <3 · Discord: hi @{ZWSP}room & <a href=")
    assert content["body"].endswith("bye\nhttps://cdn.example/a.png\njavascript:x")
    html = content["formatted_body"]
    assert html.startswith("<strong>Bob &lt;3 · Discord</strong>: hi @")
    assert "<a href='https://matrix.to" not in html and "&lt;a href=" in html
    assert "<br>bye<br>" in html
    assert '<a href="https://cdn.example/a.png">' in html
    assert '<a href="javascript' not in html


def test_edits_redactions_and_media_urls_are_read_from_the_right_fields() -> None:
    edit = {
        "type": "m.room.message",
        "content": {
            "msgtype": "m.text",
            "body": "* new",
            "m.new_content": {"msgtype": "m.text", "body": "new "},
            "m.relates_to": {"rel_type": "m.replace", "event_id": "$old"},
        },
    }
    assert edited(edit) == ("$old", "new")
    assert redacted({"type": "m.room.redaction", "content": {"redacts": "$x"}}) == "$x"
    assert redacted({"type": "m.room.redaction", "redacts": "$y", "content": {}}) == "$y"
    assert redacted({"type": "m.room.message", "content": {"redacts": "$x"}}) is None
    assert (
        media_url("https://hs.example/", "mxc://hs.example/abc", "my cat.png")
        == "https://hs.example/_matrix/media/v3/download/hs.example/abc/my%20cat.png"
    )
    assert media_url("https://hs.example", "https://evil.example/x") is None


# -- outbound --------------------------------------------------------------------------------


async def test_a_relayed_message_shows_who_and_where_pings_nobody_and_posts_once(
    world: World,
) -> None:
    mod = await _chat_room(world)
    mark = mod.mark()
    first = _relayed(
        "discord:1",
        "Hello @room, ask <b>@alice:localhost</b>\nsecond line",
        attachment_urls=("https://cdn.example/plan.pdf",),
    )
    await _relay(world, first)
    seen = await _from_bot(mod, world, "Hello", mark)
    content = seen.content
    assert content["msgtype"] == "m.text" and content["m.mentions"] == {}
    assert content["body"] == (
        f"Bob · Discord · Riverside: Hello @{ZWSP}room, ask <b>@alice:localhost</b>\n"
        "second line\nhttps://cdn.example/plan.pdf"
    )
    assert content["format"] == "org.matrix.custom.html"
    assert content["formatted_body"] == (
        f"<strong>Bob · Discord · Riverside</strong>: Hello @{ZWSP}room, ask "
        "&lt;b&gt;@alice:localhost&lt;/b&gt;<br>second line"
        '<br><a href="https://cdn.example/plan.pdf">https://cdn.example/plan.pdf</a>'
    )
    assert "m.relates_to" not in content

    await _relay(world, first)  # a repeat (outbox retry, restart) posts nothing
    await _relay(world, _relayed("discord:2", "next one"))
    await _from_bot(mod, world, "next one", mark)
    copies = [s for s in mod.since(mark, sender=world.bot_id) if "Hello" in s.body]
    assert len(copies) == 1


async def test_replies_thread_to_the_copy_or_the_original_else_quote_a_line(
    world: World,
) -> None:
    mod = await _chat_room(world)
    asked = await mod.say(world.general, "What do you use for fractions?")
    mark = mod.mark()
    await _relay(world, _relayed("discord:10", "Fraction strips"))
    await _relay(
        world,
        _relayed(
            "discord:11", "answering the Matrix member", reply_to_key=relay_key("matrix", asked)
        ),
        _relayed("discord:12", "answering Bob's copy", reply_to_key="discord:10"),
        _relayed(
            "discord:13",
            "answering something not here",
            reply_to_key="discord:999",
            reply_excerpt="Carol: what about @room?",
        ),
    )
    to_original = await _from_bot(mod, world, "answering the Matrix member", mark)
    to_copy = await _from_bot(mod, world, "answering Bob's copy", mark)
    quoted = await _from_bot(mod, world, "answering something not here", mark)
    assert to_original.content["m.relates_to"] == {"m.in_reply_to": {"event_id": asked}}
    copy = await _copy_event(world, "discord:10")
    assert to_copy.content["m.relates_to"] == {"m.in_reply_to": {"event_id": copy}}
    assert "m.relates_to" not in quoted.content
    assert quoted.body.startswith(f"> ↪ replying to Carol: what about @{ZWSP}room?\nBob · ")
    assert quoted.content["formatted_body"].startswith(
        f"<blockquote>↪ replying to Carol: what about @{ZWSP}room?</blockquote><strong>Bob"
    )
    assert quoted.content["m.mentions"] == {}


async def test_an_edit_replaces_the_copy_and_a_deletion_redacts_it(world: World) -> None:
    mod = await _chat_room(world)
    mark = mod.mark()
    community = community_ref(world.general)
    await _relay(world, _relayed("discord:20", "first version"))
    await _from_bot(mod, world, "first version", mark)
    copy = await _copy_event(world, "discord:20")
    assert world.bot is not None
    platform = world.bot.platform

    await platform.relay_edit(community, world.general, "discord:20", "second version")
    edit = await _from_bot(mod, world, "second version", mark)
    assert edit.content["m.relates_to"] == {"rel_type": "m.replace", "event_id": copy}
    assert edit.body == "* Bob · Discord · Riverside: second version"
    new = edit.content["m.new_content"]
    assert new["body"] == "Bob · Discord · Riverside: second version"
    assert new["formatted_body"] == "<strong>Bob · Discord · Riverside</strong>: second version"
    assert edit.content["m.mentions"] == {} and new["m.mentions"] == {}
    await platform.relay_edit(community, world.general, "discord:20", "first version")
    back = await mod.wait_for(
        lambda s: s.content.get("m.new_content", {}).get("body", "").endswith("first version"),
        after=mark,
    )
    assert back.content["m.relates_to"]["event_id"] == copy  # an edit back is an edit too

    await platform.relay_delete(community, world.general, "discord:20")
    response = await mod.client.room_get_event(world.general, copy)
    assert isinstance(response, RoomGetEventResponse)
    assert response.event.source.get("content") == {}  # redacted: its text is gone
    assert "redacted_because" in response.event.source.get("unsigned", {})
    assert await platform.relays.copies.find(world.general, "discord:20") is None
    # Nothing left to edit or delete: both are no-ops, not errors.
    await platform.relay_edit(community, world.general, "discord:20", "third version")
    await platform.relay_delete(community, world.general, "discord:20")
    await platform.relay_edit(community, world.general, "discord:404", "never copied")


async def test_a_70k_character_relay_arrives_split_complete_and_once(world: World) -> None:
    mod = await _chat_room(world)
    mark = mod.mark()
    lines = [f"{n:05} our **plan** for week {n}: read, discuss & <share> 🍎" for n in range(1300)]
    text = "\n".join([*lines, "END-MARK"])
    assert len(text) > 70_000
    long = _relayed("discord:30", text)
    await _relay(world, long)
    await _from_bot(mod, world, "END-MARK", mark)
    parts = mod.since(mark, sender=world.bot_id, room_id=world.general)
    header = "Bob · Discord · Riverside: "
    assert len(parts) >= 5
    assert all(p.body.startswith(header) and p.content["m.mentions"] == {} for p in parts)
    assert all(content_size(p.content) <= CONTENT_BUDGET for p in parts)
    joined = "\n".join(p.body[len(header) :] for p in parts)
    assert "".join(joined.split()) == "".join(text.split())  # only whitespace at the cuts
    assert world.bot is not None
    copy = await world.bot.platform.relays.copies.find(world.general, "discord:30")
    assert copy is not None and len(copy.parts) == len(parts)

    await _relay(world, long, _relayed("discord:31", "after the long one"))
    await _from_bot(mod, world, "after the long one", mark)
    assert len(mod.since(mark, sender=world.bot_id)) == len(parts) + 1

    # Edited down to a short text: the first part says it, the spare parts are redacted.
    platform = world.bot.platform
    await platform.relay_edit(community_ref(world.general), world.general, "discord:30", "short")
    await _from_bot(mod, world, "* Bob · Discord · Riverside: short", mark)
    shorter = await platform.relays.copies.find(world.general, "discord:30")
    assert shorter is not None and [p.event_id for p in shorter.parts] == [copy.first_event]
    for spare in copy.parts[1:]:
        response = await mod.client.room_get_event(world.general, spare.event_id)
        assert isinstance(response, RoomGetEventResponse)
        assert response.event.source.get("content") == {}


async def test_a_room_the_bot_may_not_post_in_is_missing_permission(world: World) -> None:
    mod = await _chat_room(world)
    elsewhere = await mod.create_room(f"Not the bot's {world.n}")
    with pytest.raises(MissingPermission):
        await _relay(world, _relayed("discord:40", "hello?"), room=elsewhere)
    # Muted in a room it is in: the homeserver's M_FORBIDDEN is the same refusal.
    current = await mod.client.room_get_state_event(world.general, "m.room.power_levels")
    content = dict(current.content)
    content["events_default"] = 50
    await mod.client.room_put_state(world.general, "m.room.power_levels", content)
    with pytest.raises(MissingPermission):
        await _relay(world, _relayed("discord:41", "am I muted?"))
    assert world.bot is not None
    assert await world.bot.platform.relays.copies.find(world.general, "discord:41") is None


async def test_a_relay_still_rate_limited_is_kept_for_the_outbox_and_posted_once_later(
    serve: Start,  # noqa: F811
) -> None:
    server, bot = await serve(RATE_LIMIT_RETRIES + 1)  # more 429s than nio waits out
    post = RelayPost(community_ref(ROOM), ROOM, (_relayed("discord:60", "patience"),))
    problems: list[str] = []
    assert await deliver_action(bot.platform, None, post, None, problems) == "failed"
    assert problems, "not given up as refused: the outbox plans a retry"
    assert await bot.platform.relays.copies.find(ROOM, "discord:60") is None

    assert await deliver_action(bot.platform, None, post, None, []) == "delivered"
    assert await deliver_action(bot.platform, None, post, None, []) == "delivered"
    copy = await bot.platform.relays.copies.find(ROOM, "discord:60")
    assert copy is not None and copy.first_event == f"$sent{RATE_LIMIT_RETRIES + 2}"
    assert len(server.sends) == RATE_LIMIT_RETRIES + 2  # the third delivery posted nothing
    assert len({txn for _, txn in server.sends}) == 1  # one transaction id throughout


# -- inbound ---------------------------------------------------------------------------------


async def test_members_edits_redactions_replies_and_files_reach_the_core_as_such(
    world: World,
    recorder: Recorder,  # noqa: F811 - the imported fixture
) -> None:
    mod = await _chat_room(world)
    alice = await world.member("alice")
    await alice.join(world.general)
    await alice.wait_dm("What best describes your role?", sender=world.bot_id)
    await alice.client.set_avatar("mxc://localhost/alicepicture")

    hello = await alice.say(world.general, "Hello network")
    await alice.say(
        world.general,
        "* Hello network, edited",
        **{
            "m.new_content": {"msgtype": "m.text", "body": "Hello network, edited"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": hello},
        },
    )
    change = await recorder.wait_message(lambda m: m.change == "edited")
    assert change.message_id == hello and change.text == "Hello network, edited"
    assert change.user.user_id == alice.user_id

    await _relay(world, _relayed("discord:50", "from Discord"))
    copy = await _copy_event(world, "discord:50")
    to_copy = await alice.say(world.general, "> <Bob> from Discord\n\nreply to Bob", **_reply(copy))
    to_alice = await mod.say(world.general, "reply to Alice", **_reply(hello))
    reply = await recorder.wait_message(lambda m: m.text == "reply to Bob")
    assert reply.message_id == to_copy and reply.reply_to_key == "discord:50"
    avatar = f"{world.synapse.url}/_matrix/media/v3/download/localhost/alicepicture"
    assert reply.avatar_url == avatar
    local = await recorder.wait_message(lambda m: m.text == "reply to Alice")
    assert local.message_id == to_alice and local.reply_to_key == relay_key("matrix", hello)

    await alice.say(
        world.general,
        "lesson.pdf",
        msgtype="m.file",
        url="mxc://localhost/lessonplan",
        info={"mimetype": "application/pdf", "size": 10},
    )
    filed = await recorder.wait_message(lambda m: bool(m.attachment_urls))
    assert filed.text == ""
    assert filed.attachment_urls == (
        f"{world.synapse.url}/_matrix/media/v3/download/localhost/lessonplan/lesson.pdf",
    )

    assert not isinstance(await mod.client.room_redact(world.general, hello), Exception)
    gone = await recorder.wait_message(lambda m: m.change == "deleted")
    assert gone.message_id == hello and gone.user.user_id == mod.user_id and gone.text == ""

    # Our copies, and what happens to them, never reach the core.
    assert world.bot is not None
    platform = world.bot.platform
    await platform.relay_edit(community_ref(world.general), world.general, "discord:50", "x")
    await mod.client.room_redact(world.general, copy)
    await alice.say(world.general, "last word")
    await recorder.wait_message(lambda m: m.text == "last word")
    assert all(m.user.user_id != world.bot_id for m in recorder.messages)
    assert all(m.message_id != copy for m in recorder.messages)
    assert [m.change for m in recorder.messages].count("deleted") == 1
    assert [m.change for m in recorder.messages].count("edited") == 1
    assert not any(m.text.startswith("*") for m in recorder.messages)


def _reply(event_id: str) -> dict[str, Any]:
    return {"m.relates_to": {"m.in_reply_to": {"event_id": event_id}}}
