"""Parse a typed command line (`/tags add maths, science`, `!peers edtech`) against the catalogue.

Shared by the text adapters (console and Matrix) so both speak exactly the same grammar:
- the longest catalogue path matching the first words wins (`onboarding questions add`);
- then options, positional in catalogue order or named as `name=value`;
- an option marked `rest` takes the remainder of the line verbatim (commas and all), except
  trailing `name=value` words naming another option of the command (`goals… window=3`);
- a boolean option may be given by its name alone (`/rounds run dry_run`);
- quotes group words: `/tags create "special education" subject`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from communitybot.commands import CATALOGUE, Command, Option, find_command
from communitybot.events import UserRef
from communitybot.numbers import MAX_ID, MIN_INT, is_ascii_number, parse_int, range_text
from communitybot.text import quote

_TRUE = {"on", "yes", "true", "1", "y"}
_FALSE = {"off", "no", "false", "0", "n"}


class CommandParseError(ValueError):
    """A friendly, user-facing explanation of what is wrong with the line."""


@dataclass(frozen=True)
class ParsedCommand:
    command: Command
    options: dict[str, Any]


def _tokens(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # unbalanced quote: fall back to plain words rather than fail
        return text.split()


def _match_path(words: list[str]) -> Command | None:
    lowered = [w.casefold() for w in words]
    for length in (3, 2, 1):
        if len(lowered) >= length and (cmd := find_command(tuple(lowered[:length]))):
            return cmd
    return None


def _rest_text(body: str, skip_words: int) -> str:
    """The raw text after the first `skip_words` whitespace-separated words."""
    rest = body.lstrip()
    for _ in range(skip_words):
        parts = rest.split(None, 1)
        rest = parts[1] if len(parts) > 1 else ""
    return rest.strip()


_TRAILING_NAMED = re.compile(r'\s+([A-Za-z_]+)=("[^"]*"|\S+)\s*$')


def _split_rest(
    raw: str, command: Command, given: dict[str, Any], make_user: Callable[[str], UserRef]
) -> tuple[str, dict[str, Any]]:
    """A rest option's text, and the `name=value` options typed after it (last words only)."""
    named: dict[str, Any] = {}
    text = " " + raw
    while match := _TRAILING_NAMED.search(text):
        option = next(
            (o for o in command.options if o.name == match[1].casefold() and not o.rest), None
        )
        if option is None or option.name in given or option.name in named:
            break
        named[option.name] = convert_option(option, match[2].strip('"'), make_user)
        text = text[: match.start()]
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"' and '"' not in text[1:-1]:
        text = text[1:-1]
    return text, named


def convert_option(option: Option, raw: str, make_user: Callable[[str], UserRef]) -> Any:
    """Check and convert one raw value to the option's type; raise CommandParseError if wrong."""
    raw = raw.strip()
    if option.max_length is not None and len(raw) > option.max_length:
        raise CommandParseError(
            f"`{option.name}` is too long ({len(raw)} characters, at most {option.max_length})."
        )
    if option.choices:
        for choice in option.choices:
            if raw.casefold() == choice.casefold():
                return choice
        raise CommandParseError(
            f"`{option.name}` must be one of: {', '.join(option.choices)} (got “{quote(raw, 40)}”)."
        )
    if option.type == "integer":
        return _integer(option, raw)
    if option.type == "boolean":
        if raw.casefold() in _TRUE:
            return True
        if raw.casefold() in _FALSE:
            return False
        raise CommandParseError(f"`{option.name}` must be on or off.")
    if option.type == "user":
        return make_user(raw)
    if option.type in ("channel", "role"):
        return raw.lstrip("#")
    return raw


def _integer(option: Option, raw: str) -> int:
    """An integer option: ASCII digits, within the option's range (SQLite's when it has none)."""
    low = MIN_INT if option.min_value is None else option.min_value
    high = MAX_ID if option.max_value is None else option.max_value
    value = parse_int(raw, low, high)
    if value is not None:
        return value
    declared = range_text(option.min_value, option.max_value)
    if not is_ascii_number(raw.lstrip("+-")):
        bounded = option.min_value is not None or option.max_value is not None
        shown = f" {declared}" if bounded else ""
        raise CommandParseError(
            f"`{option.name}` must be a whole number{shown}, written with the digits 0-9 "
            f"(got “{quote(raw, 40)}”)."
        )
    if parse_int(raw) is None and raw.strip()[:1] != "-":
        raise CommandParseError(f"`{option.name}` is far too large: nothing is numbered that high.")
    raise CommandParseError(f"`{option.name}` must be {declared}.")


def parse_command_line(
    line: str, prefix: str, make_user: Callable[[str], UserRef]
) -> ParsedCommand:
    """Parse `line` (which starts with `prefix`) into a catalogue command and typed options."""
    body = line[len(prefix) :] if line.startswith(prefix) else line
    words = body.split()
    if not words:
        raise CommandParseError(f"Type `{prefix}help` to see the commands.")
    command = _match_path(words)
    if command is None:
        known = sorted({c.path[0] for c in CATALOGUE})
        first = words[0].casefold()
        subs = [c.name for c in CATALOGUE if c.path[0] == first]
        if subs:
            raise CommandParseError(
                f"`{prefix}{quote(first, 30)}` needs a subcommand: "
                + ", ".join(f"`{prefix}{s}`" for s in subs)
            )
        raise CommandParseError(
            f"I don't know `{prefix}{quote(words[0], 30)}`. Commands: "
            + ", ".join(known)
            + f". Type `{prefix}help` for details."
        )
    after_path = _rest_text(body, len(command.path))
    options: dict[str, Any] = {}
    positional = list(command.options)
    tokens = _tokens(after_path)
    consumed_words = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        name, sep, value = token.partition("=")
        named = next((o for o in command.options if sep and o.name == name.casefold()), None)
        flag = next(
            (
                o
                for o in command.options
                if not sep and o.type == "boolean" and o.name == token.casefold()
            ),
            None,
        )
        if flag is not None:
            options[flag.name] = True
            if flag in positional:
                positional.remove(flag)
            index += 1
            consumed_words += 1
            continue
        if named is not None:
            options[named.name] = convert_option(named, value, make_user)
            if named in positional:
                positional.remove(named)
            index += 1
            consumed_words += 1
            continue
        if not positional:
            raise CommandParseError(
                f"Too many values for `{prefix}{command.name}`. {usage(command, prefix)}"
            )
        option = positional.pop(0)
        if option.rest:
            raw, trailing = _split_rest(
                _rest_text(after_path, consumed_words), command, options, make_user
            )
            options[option.name] = convert_option(option, raw, make_user)
            options.update(trailing)
            break
        options[option.name] = convert_option(option, token, make_user)
        index += 1
        consumed_words += len(token.split()) or 1
    missing = [o.name for o in command.options if o.required and o.name not in options]
    if missing:
        raise CommandParseError(
            f"Missing {', '.join(f'`{m}`' for m in missing)}. {usage(command, prefix)}"
        )
    return ParsedCommand(command, options)


def usage(command: Command, prefix: str) -> str:
    """`Usage: /tags link <tag> [channel] [role]`, with choices where they exist."""
    parts = []
    for option in command.options:
        label = "|".join(option.choices) if option.choices else option.name
        parts.append(f"<{label}>" if option.required else f"[{label}]")
    return f"Usage: `{prefix}{command.name}{' ' if parts else ''}{' '.join(parts)}`"
