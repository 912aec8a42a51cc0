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


def test_named_options_after_a_rest_option_are_still_options() -> None:
    path, options = parse('/mentor request maths "get better at feedback" window=3')
    assert path == ("mentor", "request")
    assert options == {"tags": "maths", "goals": "get better at feedback", "window": "3"}
    # An "=" inside the text itself, or a word that names no option, stays in the text.
    _, options = parse("/mentor request maths find x=3 with my class")
    assert options["goals"] == "find x=3 with my class"
    _, options = parse("/mentor request maths ratios colour=blue")
    assert options["goals"] == "ratios colour=blue"


def test_a_boolean_option_given_by_its_name_is_on() -> None:
    assert parse("/rounds run dry_run")[1] == {"dry_run": True}
    assert parse("/mentoring match dry_run=off")[1] == {"dry_run": False}
    with pytest.raises(CommandParseError, match="must be on or off"):
        parse("/mentoring match maybe")
