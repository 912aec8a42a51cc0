"""The console grammar and output format, as pure functions (no process, no store)."""

from __future__ import annotations

import pytest

from adapters.console.translate import (
    NO_USER_TEXT,
    Directive,
    Feedback,
    labelled,
    output_lines,
    render,
    reply_where,
    translate_line,
)
from communitybot.events import (
    ChannelMessage,
    CommandInvoked,
    CommunityRef,
    ConversationRef,
    MemberJoined,
    MessageReceived,
    UserRef,
)
from communitybot.replies import Choice, Message, Prompt

HERE = CommunityRef("console", "local")


@pytest.mark.parametrize("line", ["", "   ", "# a comment", "  # indented comment\n"])
def test_blank_lines_and_comments_are_ignored(line: str) -> None:
    assert translate_line(line, HERE, "alice") is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (":join alice", Directive("join", "alice")),
        (":as bob\n", Directive("as", "bob")),
        (":MOD carol", Directive("mod", "carol")),
        (":leave dave", Directive("leave", "dave")),
        (":quit", Directive("quit")),
        (":help", Directive("help")),
        (":community school-a", Directive("community", "school-a")),
        (":Community  Lycée_2.b ", Directive("community", "Lycée_2.b")),
        (":community", Directive("community")),
    ],
)
def test_directives(line: str, expected: Directive) -> None:
    assert translate_line(line, HERE, None) == expected


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (":join", "Usage: `:join NAME`"),
        (":as two words", "one word"),
        (":dance", "I don't know `:dance`"),
        (":quit now", "takes nothing"),
        (":community school a", "A community name is one word"),
        (":community a/b", "A community name is one word"),
        (f":community {'x' * 65}", "at most 64 characters"),
        (":communities", "I don't know `:communities`"),
    ],
)
def test_directive_mistakes_get_console_feedback(line: str, says: str) -> None:
    result = translate_line(line, HERE, None)
    assert isinstance(result, Feedback)
    assert result.where == "console"
    assert says in result.text


def test_a_slash_line_is_a_command_of_the_current_user_in_the_general_channel() -> None:
    result = translate_line("/tags add maths, special education", HERE, "alice")
    assert result == CommandInvoked(
        HERE,
        UserRef("console", "alice", "alice"),
        ConversationRef("console", "channel", "general"),
        ("tags", "add"),
        {"tags": "maths, special education"},
    )


def test_user_options_become_console_users() -> None:
    result = translate_line("/profile show bob", HERE, "alice")
    assert isinstance(result, CommandInvoked)
    assert result.options == {"member": UserRef("console", "bob", "bob")}


def test_a_bad_command_is_answered_privately_to_whoever_typed_it() -> None:
    result = translate_line("/privacy discoverable maybe", HERE, "alice")
    assert isinstance(result, Feedback)
    assert result.where == "reply:alice"
    assert "on, off" in result.text


def test_any_other_line_is_a_private_message_to_the_bot() -> None:
    result = translate_line("  Europe/Paris  ", HERE, "alice")
    assert result == MessageReceived(
        HERE, UserRef("console", "alice"), ConversationRef("console", "dm", "alice"), "Europe/Paris"
    )


@pytest.mark.parametrize("line", ["hello", "/help"])
def test_before_anyone_is_typing_the_console_explains_how_to_start(line: str) -> None:
    assert translate_line(line, HERE, None) == Feedback("console", NO_USER_TEXT)


def test_reply_destinations() -> None:
    alice = UserRef("console", "alice")
    command = CommandInvoked(HERE, alice, ConversationRef("console", "channel", "general"), ("x",))
    message = MessageReceived(HERE, alice, ConversationRef("console", "dm", "alice"), "hi")
    assert reply_where(command, ephemeral=True) == "reply:alice"
    assert reply_where(command, ephemeral=False) == "#general"
    assert reply_where(message, ephemeral=True) == "dm:alice"
    assert reply_where(message, ephemeral=False) == "dm:alice"
    assert reply_where(MemberJoined(HERE, alice), ephemeral=True) == "dm:alice"


def test_every_line_of_a_message_is_prefixed() -> None:
    assert output_lines("dm:alice", "Hello!\n\n1. Maths\n2. Science") == [
        "[dm:alice] Hello!",
        "[dm:alice]",
        "[dm:alice] 1. Maths",
        "[dm:alice] 2. Science",
    ]
    assert output_lines("#general", "") == ["[#general]"]


def test_a_label_names_the_community_and_a_dm_says_where_it_came_from() -> None:
    assert labelled("#general", "school-a") == "school-a #general"
    assert labelled("reply:alice", "school-a") == "school-a reply:alice"
    assert labelled("group:alice,bob", "school-a") == "school-a group:alice,bob"
    assert labelled("dm:alice", "school-a") == "dm:alice from school-a"


def test_lines_act_in_the_community_they_are_translated_for() -> None:
    there = CommunityRef("console", "school-a")
    for line in ("/help", "#general> hi", "bob#general> hi", "hello"):
        translated = translate_line(line, there, "alice")
        assert getattr(translated, "community", None) == there, line


def test_yes_no_prompts_get_a_hint_unless_the_text_already_offers_it() -> None:
    yesno = Prompt("onboarding:mentor", "yesno")
    assert render(Message("Would you like a mentor?", yesno)) == (
        "Would you like a mentor? (yes/no)"
    )
    assert render(Message("Would you like a mentor? Reply yes or no.", yesno)).endswith("no.")
    numbered = Message("Pick one:\n1. Maths", Prompt("p", "single", (Choice("maths", "Maths"),)))
    assert render(numbered) == "Pick one:\n1. Maths"


def test_a_channel_line_is_a_channel_message_of_the_current_user_or_the_named_one() -> None:
    mine = translate_line("#engchat> A1 exit tickets, like @bob and @carol.", HERE, "alice")
    assert isinstance(mine, ChannelMessage)
    assert mine.user == UserRef("console", "alice", "alice")
    assert mine.conversation == ConversationRef("console", "channel", "engchat")
    assert mine.text == "A1 exit tickets, like @bob and @carol."
    assert mine.mentioned_user_ids == ("bob", "carol")
    assert mine.reply_to_user_id is None
    theirs = translate_line("bob#engchat> ^alice A1 agreed", HERE, "alice")
    assert isinstance(theirs, ChannelMessage)
    assert theirs.user.user_id == "bob" and theirs.reply_to_user_id == "alice"
    assert theirs.text == "A1 agreed"
    assert theirs.message_id != mine.message_id


def test_channel_line_mistakes_get_console_feedback() -> None:
    assert translate_line("#engchat> A1 hi", HERE, None) == Feedback("console", NO_USER_TEXT)
    empty = translate_line("#engchat>   ", HERE, "alice")
    assert isinstance(empty, Feedback) and "Type a message after `#engchat>`" in empty.text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (":join alice            # alice joins", Directive("join", "alice")),
        (":mod bob # make bob a moderator", Directive("mod", "bob")),
        (":as bob\t#\ttabs count as spaces", Directive("as", "bob")),
        (":quit #", Directive("quit")),
    ],
)
def test_a_trailing_comment_after_space_hash_space_is_ignored(
    line: str, expected: Directive
) -> None:
    assert translate_line(line, HERE, None) == expected


def test_a_trailing_comment_is_cut_from_commands_and_private_messages() -> None:
    command = translate_line("/tags add edtech, assessment   # her interests", HERE, "alice")
    assert isinstance(command, CommandInvoked)
    assert command.options == {"tags": "edtech, assessment"}
    answer = translate_line("1                      # she answers", HERE, "alice")
    assert isinstance(answer, MessageReceived) and answer.text == "1"


def test_a_hash_directly_followed_by_a_word_is_a_tag_not_a_comment() -> None:
    command = translate_line("/tags add #maths #edtech", HERE, "alice")
    assert isinstance(command, CommandInvoked)
    assert command.options == {"tags": "#maths #edtech"}
    both = translate_line("/tags add #maths # and a note", HERE, "alice")
    assert isinstance(both, CommandInvoked) and both.options == {"tags": "#maths"}
    channel = translate_line("#engchat> A1 we use #exit-tickets # mine", HERE, "alice")
    assert isinstance(channel, ChannelMessage) and channel.text == "A1 we use #exit-tickets"


def test_a_hash_inside_double_quotes_is_text() -> None:
    command = translate_line('/tags create "grade # 5" level', HERE, "alice")
    assert isinstance(command, CommandInvoked)
    assert command.options["name"] == "grade # 5"


def test_a_byte_order_mark_at_the_start_of_a_line_is_dropped() -> None:
    assert translate_line("\ufeff:join alice\n", HERE, None) == Directive("join", "alice")
    assert translate_line("\ufeff# a scenario saved with a BOM", HERE, None) is None
