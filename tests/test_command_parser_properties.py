"""Property tests over the typed-command grammar, for every command in the catalogue.

- any text after a command's name either parses or raises CommandParseError, nothing else;
- a line built from valid options (positional in order, then `name=value`) parses back to them;
- a `name=value` word naming no option of the command is always an error, never text.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from communitybot.command_parser import CommandParseError, named_only, parse_command_line
from communitybot.commands import CATALOGUE, Command, Option
from communitybot.events import UserRef

SETTINGS = settings(max_examples=200, deadline=None)
WORD = st.text("abcdefghijklmnopqrstuvwxyzÄéß0123456789-,.?!:/+@#", min_size=1, max_size=8)
NAME = st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=10)


def make_user(raw: str) -> UserRef:
    return UserRef("console", raw, raw)


def parse(line: str) -> dict[str, Any]:
    return parse_command_line(line, "/", make_user).options


@SETTINGS
@given(
    st.sampled_from(CATALOGUE),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80),
)
def test_any_text_parses_or_raises_a_friendly_error(command: Command, tail: str) -> None:
    try:
        parse(f"/{command.name} {tail}")
    except CommandParseError as error:
        assert str(error)


def _text(option: Option) -> st.SearchStrategy[str]:
    limit = option.max_length or 200
    words = st.lists(WORD, min_size=1, max_size=6).map(" ".join)
    return words.map(lambda text: text[:limit].strip()).filter(bool)


@st.composite
def _value(draw: st.DrawFn, option: Option) -> tuple[Any, str]:
    """(the value the parser should produce, how it is typed)."""
    if option.choices:
        choice = draw(st.sampled_from(option.choices))
        return choice, draw(st.sampled_from([choice, choice.upper()]))
    if option.type == "integer":
        low = option.min_value if option.min_value is not None else -1000
        high = option.max_value if option.max_value is not None else 1000
        number = draw(st.integers(low, high))
        return number, str(number)
    if option.type == "boolean":
        flag = draw(st.booleans())
        return flag, "on" if flag else "off"
    if option.type == "user":
        name = draw(NAME)
        return make_user(name), name
    if option.type in ("channel", "role"):
        name = draw(NAME)
        return name, draw(st.sampled_from([name, "#" + name]))
    text = draw(_text(option))
    return text, f'"{text}"'


@st.composite
def _line(draw: st.DrawFn) -> tuple[Command, str, dict[str, Any]]:
    """A command, a valid line for it, and the options that line means."""
    command = draw(st.sampled_from(CATALOGUE))
    chosen = [o for o in command.options if o.required or draw(st.booleans())]
    words, expected = [command.name], {}
    positional = draw(st.booleans())
    for option in command.options:
        if option not in chosen:
            positional = False  # a gap: the rest must be named
            continue
        value, typed = draw(_value(option))
        expected[option.name] = value
        if option.type == "boolean":
            positional = False
            if value and draw(st.booleans()):
                words.append(option.name)
            else:
                words.append(f"{option.name}={typed}")
            continue
        if positional and not named_only(command, option) and draw(st.booleans()):
            words.append(typed)
            continue
        positional = False
        words.append(f"{option.name}={typed}")
    return command, "/" + " ".join(words), expected


@SETTINGS
@given(_line())
def test_a_line_built_from_valid_options_parses_back_to_them(
    case: tuple[Command, str, dict[str, Any]],
) -> None:
    command, line, expected = case
    parsed = parse_command_line(line, "/", make_user)
    assert parsed.command == command
    assert parsed.options == expected


@SETTINGS
@given(
    _line(), st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12), WORD, st.booleans()
)
def test_an_unknown_option_name_is_always_an_error(
    case: tuple[Command, str, dict[str, Any]], name: str, value: str, first: bool
) -> None:
    command, line, _ = case
    if name.casefold() in {o.name for o in command.options}:
        return
    word = f"{name}={value}"
    after_path = line[len(command.name) + 2 :]
    line = f"/{command.name} {word} {after_path}" if first else f"{line} {word}"
    try:
        parse(line)
    except CommandParseError as error:
        assert "has no option" in str(error), str(error)
    else:
        raise AssertionError(f"{line!r} was accepted")
