"""Pure Discord translation: interaction data → core events, prompts → components."""

from __future__ import annotations

import discord

from adapters.discord.commands import command_payloads
from adapters.discord.runner import DiscordConfig, intents
from adapters.discord.translate import (
    NO_PINGS,
    UPLOAD_LIMIT,
    answer_modal,
    button_id,
    channel_message,
    choice_picked,
    command_invoked,
    community_ref,
    contents_of,
    conversation,
    file_of,
    modal_max_length,
    opens_modal,
    user_ref,
    view_for,
)
from communitybot.events import UserRef
from communitybot.replies import Attachment, Choice, Message, Prompt
from communitybot.settings import DiscordSettings

COMMUNITY = community_ref(1)
ALICE = user_ref(2, "Alice")
HERE = conversation(3, is_dm=False)


def test_subcommand_groups_and_typed_options_become_a_catalogue_path() -> None:
    data = {
        "name": "onboarding",
        "options": [
            {
                "type": 2,
                "name": "questions",
                "options": [
                    {
                        "type": 1,
                        "name": "move",
                        "options": [
                            {"type": 3, "name": "key", "value": "role"},
                            {"type": 4, "name": "position", "value": 2},
                        ],
                    }
                ],
            }
        ],
    }
    event = command_invoked(data, COMMUNITY, ALICE, HERE)
    assert event.path == ("onboarding", "questions", "move")
    assert event.options == {"key": "role", "position": 2}


def test_a_user_option_is_resolved_to_a_user_ref() -> None:
    data = {
        "name": "profile",
        "options": [
            {"type": 1, "name": "show", "options": [{"type": 6, "name": "member", "value": "9"}]}
        ],
        "resolved": {"users": {"9": {"id": "9", "username": "bob", "global_name": "Bob"}}},
    }
    event = command_invoked(data, COMMUNITY, ALICE, HERE)
    assert event.options["member"] == UserRef("discord", "9", "Bob")


async def test_few_choices_are_buttons_many_or_multi_are_a_select_text_opens_a_modal() -> None:
    two = Prompt("onboarding:x", "single", (Choice("A", "A"), Choice("B", "B")))
    buttons = view_for(two)
    assert buttons is not None and buttons.is_finished()  # not kept in discord.py's view store
    assert [c["custom_id"] for row in buttons.to_components() for c in row["components"]] == [
        "onboarding:x|A",
        "onboarding:x|B",
    ]
    multi = Prompt("onboarding:y", "multi", (Choice("A", "A"), Choice("B", "B")), max_values=2)
    [row] = view_for(multi).to_components()  # type: ignore[union-attr]
    assert row["components"][0]["type"] == 3 and row["components"][0]["max_values"] == 2
    [text_row] = view_for(Prompt("onboarding:intro", "text")).to_components()  # type: ignore[union-attr]
    assert text_row["components"][0]["custom_id"] == "onboarding:intro|__modal__"


def test_long_values_fall_back_to_their_number_and_buttons_translate_back() -> None:
    long_value = "x" * 120
    assert button_id("onboarding:role", long_value, 3) == "onboarding:role|3"
    picked = choice_picked(
        {"custom_id": "onboarding:role|3", "component_type": 2}, COMMUNITY, ALICE, HERE
    )
    assert picked is not None and (picked.custom_id, picked.values) == ("onboarding:role", ("3",))
    assert choice_picked({"custom_id": "forgetme|Yes"}, COMMUNITY, ALICE, HERE).values == ("Yes",)  # type: ignore[union-attr]


def test_messages_never_ping_and_moderator_groups_need_manage_server() -> None:
    assert NO_PINGS.to_dict()["parse"] == []
    by_name = {c["name"]: c for c in command_payloads()}
    assert by_name["stats"]["default_member_permissions"] == str(1 << 5)
    assert by_name["onboarding"]["default_member_permissions"] == str(1 << 5)
    assert by_name["peers"]["default_member_permissions"] is None
    tags_option, scope_option = by_name["peers"]["options"]
    assert tags_option["name"] == "tags"
    assert tags_option["autocomplete"] is True and tags_option["type"] == 3
    assert [c["value"] for c in scope_option["choices"]] == ["community", "network"]


def test_a_channel_message_names_its_thread_and_keeps_mentions_of_others_once() -> None:
    message = channel_message(
        guild_id=1,
        author=ALICE,
        channel_id=5,
        parent_id=3,
        text="A2 agree with <@7>",
        message_id=9,
        reply_to_user_id=7,
        mentioned_user_ids=[7, 2, 7, 8],
    )
    assert message.conversation.kind == "thread" and message.parent_channel_id == "3"
    assert message.reply_to_user_id == "7"
    assert message.mentioned_user_ids == ("7", "8")  # the author (2) and repeats left out
    plain = channel_message(
        guild_id=1, author=ALICE, channel_id=3, parent_id=None, text="", message_id=10
    )
    assert plain.conversation.kind == "channel" and plain.parent_channel_id is None


def test_message_content_is_asked_for_only_when_configured() -> None:
    assert intents().guild_messages and not intents().message_content
    assert intents(message_content=True).message_content
    settings = DiscordSettings(token="a-token")
    assert DiscordConfig.from_settings(settings).message_content is False


def test_a_long_text_with_a_too_big_file_is_split_whole_and_ends_with_the_note() -> None:
    huge = Attachment("big.md", b"x" * (UPLOAD_LIMIT + 1), "text/markdown")
    message = Message(" ".join(["y" * 9] * 300), attachment=huge)
    parts = contents_of(message)
    assert len(parts) == 2 and all(len(part) <= 2000 for part in parts)
    assert " ".join(parts).count("y" * 9) == 300, "nothing of the text is lost"
    assert parts[-1].endswith("10.0 MB upload limit here.")
    assert file_of(message) is None
    assert contents_of(message, upload_limit=UPLOAD_LIMIT * 2)[-1].endswith("y" * 9)
    assert file_of(message, UPLOAD_LIMIT * 2) is not None, "a boosted server takes it"
    small = Message("z", attachment=Attachment("a.ics", b"BEGIN", "text/calendar"))
    upload = file_of(small)
    assert upload is not None and upload.filename == "a.ics" and upload.fp.read() == b"BEGIN"
    assert contents_of(small) == ["z"]


def test_long_select_options_keep_their_words_within_discord_s_fields() -> None:
    long = "An option whose wording goes on " + "and on " * 30 + "until the end"
    prompt = Prompt(
        "onboarding:subject",
        "single",
        tuple(Choice(f"{long} {n}", f"{long} {n}") for n in range(1, 26)),
    )
    view = view_for(prompt)
    assert view is not None
    [select] = view.children
    assert isinstance(select, discord.ui.Select)
    options = select.options
    assert len(options) == 25
    for n, option in enumerate(options, start=1):
        assert len(option.label) <= 100 and option.label.endswith("…")
        assert option.description is not None and len(option.description) <= 100
        assert option.value == str(n), "the option's number: the core accepts it"
    assert options[0].label.startswith("An option whose wording goes on and on")


def test_the_answer_form_is_a_label_allowing_the_question_s_own_limit() -> None:
    prompt = Prompt("onboarding:bio", "text", max_length=500)
    view = view_for(prompt)
    assert view is not None
    [button] = view.children
    assert isinstance(button, discord.ui.Button) and button.custom_id is not None
    data = {"custom_id": button.custom_id}
    assert opens_modal(data) and modal_max_length(data) == 500
    [component] = answer_modal("onboarding:bio", "Your answer", 500).to_components()
    assert component["type"] == 18 and component["label"] == "Your answer"
    assert component["component"]["max_length"] == 500
    assert component["component"].get("label") is None
    legacy = {"custom_id": "onboarding:bio|__modal__"}  # a button sent before this change
    assert opens_modal(legacy) and modal_max_length(legacy) is None
