"""Discoverability, the data export and forgetting, as a member experiences them."""

from __future__ import annotations

import json
from typing import Any

from communitybot.events import ChoicePicked, CommandInvoked, CommunityRef, ConversationRef
from tests.conftest import COMMUNITY, Harness, user

OTHER_COMMUNITY = CommunityRef("fake", "community-2")


async def _say(harness: Harness, name: str, text: str) -> str:
    harness.platform.take()
    await harness.say(name, text)
    (reply,) = harness.platform.texts(f"reply:{name}")
    return reply


async def _press(harness: Harness, name: str, value: str) -> str:
    harness.platform.take()
    await harness.bot.dispatch(
        ChoicePicked(
            COMMUNITY, user(name), ConversationRef("fake", "dm", name), "forgetme", (value,)
        )
    )
    (reply,) = harness.platform.texts(f"reply:{name}")
    return reply


async def _export(harness: Harness, name: str) -> dict[str, Any]:
    harness.platform.take()
    await harness.command(name, "/mydata")
    (sent,) = [s for s in harness.platform.take() if s.where == f"reply:{name}"]
    assert sent.ephemeral
    assert sent.message.attachment is not None, sent.text
    data: dict[str, Any] = json.loads(sent.message.attachment.content)
    return data


# /privacy -------------------------------------------------------------------------------------
async def test_privacy_show_and_toggle(harness: Harness) -> None:
    await harness.join("alice")
    assert "Discoverable: on" in await harness.reply_text("alice", "/privacy show")
    text = await harness.reply_text("alice", "/privacy discoverable off")
    assert "hidden" in text
    member = await harness.find_member("alice")
    assert member is not None and member.discoverable is False
    assert "Discoverable: off" in await harness.reply_text("alice", "/privacy show")
    await harness.command("alice", "/privacy discoverable on")
    member = await harness.find_member("alice")
    assert member is not None and member.discoverable is True


async def test_bad_discoverable_value_changes_nothing(harness: Harness) -> None:
    await harness.join("alice")
    await harness.bot.dispatch(
        CommandInvoked(
            COMMUNITY,
            user("alice"),
            ConversationRef("fake", "channel", "general"),
            ("privacy", "discoverable"),
            {"value": "maybe"},
        )
    )
    (text,) = harness.platform.texts("reply:alice")
    assert "on or off" in text
    member = await harness.find_member("alice")
    assert member is not None and member.discoverable is True


# /mydata --------------------------------------------------------------------------------------
async def test_mydata_exports_own_data_from_every_community_and_nothing_else(
    harness: Harness,
) -> None:
    await harness.join("alice")
    await harness.join("bob")
    await harness.command("alice", "/profile edit role classroom teacher")
    await harness.command("alice", "/profile edit timezone Europe/Berlin")
    await harness.command("bob", "/profile edit role bobs-secret-role")
    await harness.give_tags("alice", "maths")
    # Alice is also in a second community.
    await harness.bot.dispatch(
        CommandInvoked(
            OTHER_COMMUNITY,
            user("alice"),
            ConversationRef("fake", "channel", "lobby"),
            ("privacy", "discoverable"),
            {"value": "off"},
        )
    )

    data = await _export(harness, "alice")
    assert data["user_id"] == "alice"
    spaces = [m["community"]["space_id"] for m in data["memberships"]]
    assert spaces == ["community-1", "community-2"]
    first, second = data["memberships"]
    assert first["profile"]["role"] == "classroom teacher"
    assert first["profile"]["timezone"] == "Europe/Berlin"
    assert first["profile"]["discoverable"] is True
    assert second["profile"]["discoverable"] is False
    assert "onboarding" in first and "pending_confirmation" in first
    dumped = json.dumps(data)
    assert "bobs-secret-role" not in dumped and '"bob"' not in dumped


async def test_mydata_includes_onboarding_answers(harness: Harness) -> None:
    await harness.join("alice")
    await harness.say("alice", "1")  # answers the first welcome question
    onboarding = (await _export(harness, "alice"))["memberships"][0]["onboarding"]
    assert onboarding["status"] == "active"
    assert len(onboarding["answers"]) == 1 and onboarding["answers"][0]["skipped"] is False


async def test_mydata_lists_tags(harness: Harness) -> None:
    await harness.join("alice")
    await harness.give_tags("alice", "maths")
    data = await _export(harness, "alice")
    assert [t["name"] for t in data["memberships"][0]["tags"]] == ["maths"]


async def test_mydata_is_faithful_even_for_tricky_text(harness: Harness) -> None:
    await harness.join("alice")
    intro = 'Hi @everyone! I write ```code``` and "quotes" \\o/ ünïcode'
    await harness.command("alice", f"/profile edit intro {intro}")
    harness.platform.take()
    await harness.command("alice", "/mydata")
    (sent,) = harness.platform.take()
    assert "@everyone" not in sent.text  # the message text pings nobody …
    file = sent.message.attachment
    assert file is not None and file.media_type == "application/json"
    assert file.filename == "mydata-2027-01-04.json"
    data = json.loads(file.content)
    assert data["memberships"][0]["profile"]["intro"] == intro  # … and the file is exact,
    assert "Hi @everyone! I write ```code``` and" in file.content.decode()  # as typed
    assert data["exported_at"].startswith("2027-01-04")


async def test_mydata_says_briefly_what_is_attached(harness: Harness) -> None:
    await harness.join("alice")
    text = await harness.reply_text("alice", "/mydata")
    assert "Your data from this community is attached as JSON" in text
    assert "/forgetme" in text and len(text) < 400


async def test_mydata_shows_pending_forgetme(harness: Harness) -> None:
    await harness.join("alice")
    await harness.command("alice", "/forgetme")
    data = await _export(harness, "alice")
    assert data["memberships"][0]["pending_confirmation"]["kind"] == "forgetme"


# /forgetme ------------------------------------------------------------------------------------
async def _alice_with_data(harness: Harness) -> None:
    await harness.join("alice")
    await harness.command("alice", "/profile edit role coach")
    await harness.command("alice", "/profile edit intro I coach new teachers.")
    await harness.give_tags("alice", "mentoring")


async def test_forgetme_asks_first_with_yes_no_buttons(harness: Harness) -> None:
    await _alice_with_data(harness)
    harness.platform.take()
    await harness.command("alice", "/forgetme")
    (sent,) = harness.platform.take()
    assert "Delete everything?" in sent.text and "10 minutes" in sent.text
    assert sent.message.prompt is not None
    assert sent.message.prompt.custom_id == "forgetme" and sent.message.prompt.kind == "yesno"
    member = await harness.find_member("alice")
    assert member is not None and member.role == "coach"  # nothing deleted yet


async def test_forgetme_confirmed_by_button_deletes_everything(harness: Harness) -> None:
    await _alice_with_data(harness)
    await harness.join("bob")
    await harness.command("bob", "/profile edit role tutor")
    await harness.command("alice", "/forgetme")
    assert "everything is deleted" in await _press(harness, "alice", "yes")
    assert await harness.find_member("alice") is None
    bob = await harness.find_member("bob")
    assert bob is not None and bob.role == "tutor"  # others are untouched
    tag_rows = await harness.store.db.fetch_all("SELECT * FROM member_tags")
    assert tag_rows == []

    text = await harness.reply_text("alice", "/mydata")  # asking recreates nothing
    assert "I store nothing about you" in text
    assert await harness.find_member("alice") is None


async def test_forgetme_confirmed_by_typing_yes(harness: Harness) -> None:
    await _alice_with_data(harness)
    await harness.command("alice", "/forgetme")
    assert "everything is deleted" in await _say(harness, "alice", "Yes")
    assert await harness.find_member("alice") is None


async def test_forgetme_deletes_in_every_community(harness: Harness) -> None:
    await _alice_with_data(harness)
    await harness.bot.dispatch(
        CommandInvoked(
            OTHER_COMMUNITY,
            user("alice"),
            ConversationRef("fake", "channel", "lobby"),
            ("profile", "edit"),
            {"field": "role", "value": "librarian"},
        )
    )
    text = await harness.reply_text("alice", "/forgetme")
    assert "all 2 communities" in text
    await _say(harness, "alice", "yes")
    assert await harness.store.members.all_for_user(user("alice")) == []


async def test_forgetme_cancelled_keeps_everything(harness: Harness) -> None:
    await _alice_with_data(harness)
    await harness.command("alice", "/forgetme")
    assert "nothing was deleted" in await _press(harness, "alice", "no")
    member = await harness.find_member("alice")
    assert member is not None and member.role == "coach"
    # The request is gone: a later "yes" deletes nothing.
    await _say(harness, "alice", "yes")
    assert await harness.find_member("alice") is not None


async def test_forgetme_cancelled_by_typing_no(harness: Harness) -> None:
    await _alice_with_data(harness)
    await harness.command("alice", "/forgetme")
    assert "nothing was deleted" in await _say(harness, "alice", "no")
    member = await harness.find_member("alice")
    assert member is not None and member.intro == "I coach new teachers."


async def test_forgetme_expires_after_ten_minutes(harness: Harness) -> None:
    await _alice_with_data(harness)
    await harness.command("alice", "/forgetme")
    harness.clock.advance(minutes=11)
    text = await _say(harness, "alice", "yes")
    assert "expired" in text and "nothing was deleted" in text
    member = await harness.find_member("alice")
    assert member is not None and member.role == "coach"


async def test_forgetme_button_after_expiry_deletes_nothing(harness: Harness) -> None:
    await _alice_with_data(harness)
    await harness.command("alice", "/forgetme")
    harness.clock.advance(minutes=11)
    assert "nothing was deleted" in await _press(harness, "alice", "yes")
    assert "nothing was deleted" in await _press(harness, "alice", "yes")
    assert await harness.find_member("alice") is not None


async def test_other_text_while_pending_is_not_taken_as_yes(harness: Harness) -> None:
    await _alice_with_data(harness)
    await harness.command("alice", "/forgetme")
    text = await _say(harness, "alice", "hmm, what happens to my posts?")
    assert "yes" in text and "Nothing has been deleted" in text
    assert await harness.find_member("alice") is not None


async def test_yes_without_pending_request_is_not_ours(harness: Harness) -> None:
    await _alice_with_data(harness)
    harness.platform.take()
    await harness.say("alice", "yes")
    assert not any("deleted" in t for t in harness.platform.texts())
    assert await harness.find_member("alice") is not None


async def test_hidden_member_disappears_from_peers(harness: Harness) -> None:
    await harness.join("alice")
    await harness.join("bob")
    await harness.command("alice", "/tags add maths")
    await harness.command("bob", "/tags add maths")
    assert "Bob" in await harness.reply_text("alice", "/peers maths")
    await harness.command("bob", "/privacy discoverable off")
    assert "Bob" not in await harness.reply_text("alice", "/peers maths")
    await harness.command("bob", "/privacy discoverable on")
    assert "Bob" in await harness.reply_text("alice", "/peers maths")


async def test_mydata_after_forgetme_stores_nothing_and_says_so(harness: Harness) -> None:
    await harness.join("alice")
    await harness.command("alice", "/profile edit role teacher")
    await harness.command("alice", "/forgetme")
    await harness.say("alice", "yes")
    assert await harness.find_member("alice") is None
    text = await harness.reply_text("alice", "/mydata")
    assert "I store nothing about you" in text
    assert await harness.find_member("alice") is None  # no fresh, discoverable profile
    harness.platform.take()
    await harness.command("bob", "/peers")  # nobody finds a recreated Alice
    assert "Alice" not in " ".join(harness.platform.texts())
