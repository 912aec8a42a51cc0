"""The typed-command grammar shared by the console and Matrix adapters."""

from __future__ import annotations

import pytest

from communitybot.command_parser import CommandParseError, parse_command_line
from communitybot.events import UserRef


def make_user(raw: str) -> UserRef:
    return UserRef("console", raw, raw)


def parse(line: str, prefix: str = "/") -> tuple[tuple[str, ...], dict[str, object]]:
    parsed = parse_command_line(line, prefix, make_user)
    return parsed.command.path, parsed.options


def test_longest_path_and_rest_option() -> None:
    path, options = parse("/onboarding questions add subjects multi tags What do you teach?")
    assert path == ("onboarding", "questions", "add")
    assert options == {
        "key": "subjects",
        "kind": "multi",
        "target": "tags",
        "prompt": "What do you teach?",
    }


def test_rest_option_keeps_commas() -> None:
    assert parse("!tags add maths, special education", "!")[1] == {
        "tags": "maths, special education"
    }


def test_quotes_group_words_and_named_options() -> None:
    _, options = parse('/tags create "special education" category=subject')
    assert options == {"name": "special education", "category": "subject"}


def test_choices_are_case_insensitive_and_checked() -> None:
    assert parse("/privacy discoverable OFF")[1] == {"value": "off"}
    with pytest.raises(CommandParseError, match="must be one of: on, off"):
        parse("/privacy discoverable maybe")


def test_user_and_integer_options_are_typed() -> None:
    assert parse("/profile show bob")[1] == {"member": make_user("bob")}
    assert parse("/onboarding questions move role 2")[1] == {"key": "role", "position": 2}
    with pytest.raises(CommandParseError, match="whole number"):
        parse("/onboarding questions move role two")
    with pytest.raises(CommandParseError, match="between 1 and 50"):
        parse("/onboarding questions move role 99")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/tags", "needs a subcommand"),
        ("/frobnicate", "I don't know `/frobnicate`"),
        ("/tags link", "Missing `tag`"),
        ("/mydata extra", "Too many values"),
        ("/", "help"),
    ],
)
def test_friendly_errors(line: str, message: str) -> None:
    with pytest.raises(CommandParseError, match=message):
        parse(line)


def test_over_long_value_is_refused() -> None:
    with pytest.raises(CommandParseError, match="too long"):
        parse("/tags add " + "x" * 600)


def test_unknown_command_text_is_neutralised() -> None:
    with pytest.raises(CommandParseError) as error:
        parse("/@everyone")
    assert "@everyone" not in str(error.value)


def test_named_options_end_a_rest_option() -> None:
    path, options = parse('/mentor request maths goals="get better at feedback" window=3')
    assert path == ("mentor", "request")
    assert options == {"tags": "maths", "goals": "get better at feedback", "window": "3"}
    # A rest option given by name takes the words up to the next option, quotes not needed.
    _, options = parse("/mentor offer 2 maths, assessment note=Happy to help, anytime")
    assert options == {"capacity": 2, "tags": "maths, assessment", "note": "Happy to help, anytime"}
    _, options = parse("/mentor request maths window=3 get better at feedback")
    assert options == {"tags": "maths", "window": "3", "goals": "get better at feedback"}
    # An "=" inside the text itself stays in the text.
    _, options = parse("/ask how do I explain x=3 to my class days=3")
    assert options == {"problem": "how do I explain x=3 to my class", "days": 3}
    _, options = parse("/ask see https://x.org/?a=b and 2+2=4")
    assert options["problem"] == "see https://x.org/?a=b and 2+2=4"


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ("/chat edit bb titel=Hello", "Did you mean `title`?"),
        ("/setup intro_channel=intros", "Did you mean `introductions_channel`?"),
        ("/mentor offer 2 maths notes=Happy to help", "Did you mean `note`?"),
        ("/mentor request maths ratios colour=blue", "Its options are `tags`, `goals`, `window`"),
        ("/ask x=3 is hard", "Its options are `problem`, `days`, `channel`"),
        ("/mydata format=json", "It takes no options"),
    ],
)
def test_an_unknown_option_name_is_an_error_never_text(line: str, hint: str) -> None:
    with pytest.raises(CommandParseError) as error:
        parse(line)
    assert hint in str(error.value) and "Nothing was changed" in str(error.value)


def test_a_quoted_word_with_an_equals_sign_is_text() -> None:
    assert parse('/chat edit bb "titel=Hello"')[1] == {"hashtag": "bb", "title": "titel=Hello"}
    assert parse('/ask "x=3 is hard"')[1] == {"problem": "x=3 is hard"}


def test_a_value_with_spaces_after_name_must_be_quoted() -> None:
    with pytest.raises(CommandParseError, match='`title="New title here"`'):
        parse("/chat edit bb title=New title here")
    with pytest.raises(CommandParseError, match='`schedule="weekly tuesday"`'):
        parse("/chat edit bb schedule=weekly tuesday")
    assert parse('/chat edit bb title="New title" time=18:30')[1] == {
        "hashtag": "bb",
        "title": "New title",
        "time": "18:30",
    }


def test_an_option_given_twice_is_an_error() -> None:
    with pytest.raises(CommandParseError, match="`time` is given twice"):
        parse("/chat edit bb time=18:00 time=19:00")


def test_curly_quotes_and_apostrophes() -> None:
    assert parse("/tags create “special education” subject")[1] == {
        "name": "special education",
        "category": "subject",
    }
    assert parse("/tags create 'special education' subject")[1] == {
        "name": "special education",
        "category": "subject",
    }
    assert parse("/chat edit bb title='New title'")[1] == {"hashtag": "bb", "title": "New title"}
    assert parse("/ask 'x=3 is hard'")[1] == {"problem": "x=3 is hard"}
    assert parse("/resolve 3 it's done, didn't work")[1] == {
        "number": 3,
        "outcome": "it's done, didn't work",
    }


def test_an_unquoted_schedule_is_pointed_out_not_read_as_the_time() -> None:
    line = '/chat create engchat "English chat" general weekly tuesday 19:00 UTC'
    with pytest.raises(CommandParseError) as error:
        parse(line)
    text = str(error.value)
    assert "put it in quotes" in text and '`"weekly tuesday"`' in text
    assert "too long" not in text
    with pytest.raises(CommandParseError, match='`"every 2 weeks thursday"`'):
        parse("/chat create engchat Chat general every 2 weeks thursday 19:00 UTC")


def test_a_positional_value_that_fails_says_what_it_was_read_as() -> None:
    # The title was not quoted: "chat" became the channel, "general" the schedule…
    line = "/chat create engchat English chat general weekly tuesday 19:00 UTC"
    with pytest.raises(CommandParseError) as error:
        parse(line)
    text = str(error.value)
    assert "I read “weekly” as `time` (Local start time, HH:MM (24-hour))" in text
    assert '`"weekly tuesday"`' in text and "Example: `/chat create " in text
    with pytest.raises(CommandParseError, match="I read “two” as `position`"):
        parse("/onboarding questions move role two")


def test_a_boolean_option_given_by_its_name_is_on() -> None:
    assert parse("/rounds run dry_run")[1] == {"dry_run": True}
    assert parse("/mentoring match dry_run=off")[1] == {"dry_run": False}
    with pytest.raises(CommandParseError, match="must be on or off"):
        parse("/mentoring match maybe")


def test_a_positional_value_may_not_land_before_a_named_option() -> None:
    # "Europe/Berlin" would otherwise become the title.
    with pytest.raises(CommandParseError, match="would be read as `title`"):
        parse("/chat edit bb time=18:30 Europe/Berlin")
    # Positional values that follow the named one in catalogue order are fine.
    assert parse("/rounds setup frequency=weekly monday 09:00")[1] == {
        "frequency": "weekly",
        "weekday": "monday",
        "time": "09:00",
    }
