"""Parse a typed command line (`/tags add maths, science`, `!peers edtech`) against the catalogue.

Shared by the text adapters (console and Matrix) so both speak exactly the same grammar:
- the longest catalogue path matching the first words wins (`onboarding questions add`);
- then options, positional in catalogue order or named as `name=value`;
- quotes group words: `/tags create "special education" subject`, `title="Feedback that works"`
  (straight or curly double quotes; a single quote only around a whole word, so "it's" is text);
- an option marked `rest` takes the text up to the next `name=value` word naming an option of the
  command (`/mentor offer 2 maths, assessment note=Happy to help`), commas and all; given by
  name (`note=…`) it does the same, so a note needs no quotes;
- a boolean option may be given by its name alone (`/rounds run dry_run`).

A misspelt option name must never become text (`/chat edit bb titel=Hello` would retitle the chat
to "titel=Hello"), so a word shaped `identifier=value` that names no option is an error with a
"did you mean" — unless it is quoted, or sits inside a rest option's text with ordinary words
after it and resembles no option name (`/ask how do I explain x=3 to my class`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from communitybot.commands import CATALOGUE, Command, Option, find_command
from communitybot.events import UserRef
from communitybot.i18n import tr
from communitybot.numbers import MAX_ID, MIN_INT, is_ascii_number, parse_int, range_text
from communitybot.text import quote

_TRUE = {"on", "yes", "true", "1", "y"}
_FALSE = {"off", "no", "false", "0", "n"}
_PAIRS = {'"': '"', "“": "”", "„": "“”", "”": "”"}
"""Double quotes and what closes each: straight, English curly, German and Swedish."""
_OPEN_QUOTES = "".join(_PAIRS)
_NAMED = re.compile(r"([A-Za-z_]+)=")
_CLOSE_ENOUGH = 0.75
"""How alike a word inside free text must be to an option name to be read as a misspelt one."""


class CommandParseError(ValueError):
    """A friendly, user-facing explanation of what is wrong with the line."""


@dataclass(frozen=True)
class ParsedCommand:
    command: Command
    options: dict[str, Any]


@dataclass(frozen=True)
class _Token:
    """One word (or quoted group) of the line, with where it sits in the raw text."""

    text: str
    """The word with its quotes removed."""
    start: int
    end: int
    quoted: bool
    """It began with a quote: taken literally, never as an option name or flag."""
    raw: str = ""
    """The word as typed, quotes and all."""
    name: str | None = None
    """For an unquoted `name=value` word: the name as typed."""

    @property
    def value(self) -> str:
        return self.text[len(self.name) + 1 :] if self.name is not None else self.text

    @property
    def value_quoted(self) -> bool:
        return self.name is not None and self.raw[len(self.name) + 1 : len(self.name) + 2] in (
            tuple(_OPEN_QUOTES + "'")
        )

    @property
    def value_start(self) -> int:
        return self.start + len(self.name) + 1 if self.name is not None else self.start


def _closing(text: str, at: int) -> int:
    """Index of the quote closing the one at `at`, or -1 when it is not a grouping quote."""
    if text[at] == "'":
        if at > 0 and not (text[at - 1].isspace() or text[at - 1] == "="):
            return -1  # an apostrophe inside a word: "it's"
        close = at + 1
        while (close := text.find("'", close)) != -1:
            if close + 1 == len(text) or text[close + 1].isspace():
                return close
            close += 1
        return -1
    closers = _PAIRS[text[at]]
    return next((i for i in range(at + 1, len(text)) if text[i] in closers), -1)


def _tokenise(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        start, parts = index, []
        quoted = False
        while index < len(text) and not text[index].isspace():
            char = text[index]
            close = _closing(text, index) if char in _OPEN_QUOTES + "'" else -1
            if close == -1:
                parts.append(char)
                index += 1
                continue
            quoted = quoted or index == start
            parts.append(text[index + 1 : close])
            index = close + 1
        raw = text[start:index]
        named = None if quoted else _NAMED.match(raw)
        tokens.append(
            _Token("".join(parts), start, index, quoted, raw, named[1] if named else None)
        )
    return tokens


def _unquoted(raw: str) -> str:
    """A rest option's raw text, without quotes around the whole of it."""
    raw = raw.strip()
    pairs = {**_PAIRS, "'": "'"}
    if len(raw) >= 2 and raw[0] in pairs and raw[-1] in pairs[raw[0]]:
        inner = raw[1:-1]
        if raw[0] not in inner and not any(q in inner for q in pairs[raw[0]]):
            return inner
    return raw


def _free_text(option: Option) -> bool:
    """A string option whose value may have spaces (not a choice, channel, number…)."""
    return option.type == "string" and not option.choices


def _shown(value: Any) -> str:
    """An option value already read, as an error message echoes it."""
    return quote(str(value.user_id if isinstance(value, UserRef) else value), 30)


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


def convert_option(option: Option, raw: str, make_user: Callable[[str], UserRef]) -> Any:
    """Check and convert one raw value to the option's type; raise CommandParseError if wrong."""
    raw = raw.strip()
    if option.max_length is not None and len(raw) > option.max_length:
        raise CommandParseError(
            tr(
                "`{name}` is too long ({length} characters, at most {limit}).",
                name=option.name,
                length=len(raw),
                limit=option.max_length,
            )
        )
    if option.choices:
        for choice in option.choices:
            if raw.casefold() == choice.casefold():
                return choice
        raise CommandParseError(
            tr(
                "`{name}` must be one of: {choices} (got “{value}”).",
                name=option.name,
                choices=", ".join(option.choices),
                value=quote(raw, 40),
            )
        )
    if option.type == "integer":
        return _integer(option, raw)
    if option.type == "boolean":
        if raw.casefold() in _TRUE:
            return True
        if raw.casefold() in _FALSE:
            return False
        raise CommandParseError(tr("`{name}` must be on or off.", name=option.name))
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
        if option.min_value is not None or option.max_value is not None:
            text = tr(
                "`{name}` must be a whole number {range}, written with the digits 0-9 "
                "(got “{value}”).",
                name=option.name,
                range=declared,
                value=quote(raw, 40),
            )
        else:
            text = tr(
                "`{name}` must be a whole number, written with the digits 0-9 (got “{value}”).",
                name=option.name,
                value=quote(raw, 40),
            )
        raise CommandParseError(text)
    if parse_int(raw) is None and raw.strip()[:1] != "-":
        raise CommandParseError(
            tr("`{name}` is far too large: nothing is numbered that high.", name=option.name)
        )
    raise CommandParseError(tr("`{name}` must be {range}.", name=option.name, range=declared))


class _Line:
    """One command line being read: its tokens, and the options found so far."""

    def __init__(
        self, command: Command, text: str, prefix: str, make_user: Callable[[str], UserRef]
    ) -> None:
        self.command = command
        self.text = text
        self.prefix = prefix
        self.make_user = make_user
        self.tokens = _tokenise(text)
        self.by_name = {o.name: o for o in command.options}
        self.options: dict[str, Any] = {}
        self.positional = list(command.options)
        self.named: list[Option] = []
        """Options given as `name=value`, in the order typed."""

    # Errors ------------------------------------------------------------------------------
    def fail(self, text: str, *, example: bool = False) -> CommandParseError:
        lines = [text, usage(self.command, self.prefix)]
        if example and self.command.examples:
            example_line = f"`{self.prefix}{self.command.examples[0]}`"
            lines.append(tr("Example: {example}", example=example_line))
        return CommandParseError("\n".join(lines))

    def unknown_option(self, token: _Token) -> CommandParseError:
        assert token.name is not None
        names = [o.name for o in self.command.options]
        close = difflib.get_close_matches(token.name.casefold(), names, n=1, cutoff=0.6)
        word = f"“{quote(token.text, 40)}”"
        if close:
            hint = tr("Did you mean `{name}`?", name=close[0])
        elif names:
            hint = tr("Its options are {names}.", names=", ".join(f"`{n}`" for n in names))
        else:
            hint = tr("It takes no options.")
        no_option = tr(
            "`{command}` has no option `{option}` (in {word}).",
            command=f"{self.prefix}{self.command.name}",
            option=quote(token.name, 30),
            word=word,
        )
        unchanged = tr(
            "Nothing was changed. If {word} is meant as text, put it in quotes.", word=word
        )
        return self.fail(f"{no_option} {hint} {unchanged}")

    # Reading -----------------------------------------------------------------------------
    def option_named(self, token: _Token) -> Option | None:
        return self.by_name.get(token.name.casefold()) if token.name is not None else None

    def resembles_option(self, token: _Token) -> bool:
        names = list(self.by_name)
        return token.name is not None and bool(
            difflib.get_close_matches(token.name.casefold(), names, n=1, cutoff=_CLOSE_ENOUGH)
        )

    def rest_end(self, first: int) -> int:
        """The index just after a rest option's text that starts at token `first`.

        The text ends at the first word naming an option of the command. A word shaped like
        `name=value` naming none is an error when it resembles an option name, or when only such
        words follow it (a misspelt trailing option); in the middle of ordinary words it is text.
        """
        for index in range(first, len(self.tokens)):
            token = self.tokens[index]
            if token.name is None:
                continue
            if self.option_named(token) is not None:
                return index
            trailing = all(t.name is not None for t in self.tokens[index:])
            if trailing or self.resembles_option(token):
                raise self.unknown_option(token)
        return len(self.tokens)

    def convert(self, option: Option, raw: str) -> Any:
        return convert_option(option, raw, self.make_user)

    def give(self, option: Option, value: Any) -> None:
        if option.name in self.options:
            raise self.fail(tr("`{name}` is given twice.", name=option.name))
        self.options[option.name] = value
        if option in self.positional:
            self.positional.remove(option)

    def take_rest(self, option: Option, first: int, start: int) -> int:
        """Give a rest option the text from `start` (inside token `first`); next token index."""
        end = self.rest_end(first + 1)
        stop = self.tokens[end - 1].end if end > first else start
        self.give(option, self.convert(option, _unquoted(self.text[start:stop])))
        return end

    def after_named(self, index: int) -> None:
        """Refuse a positional value that a `name=value` before it makes ambiguous.

        Right after an unquoted free-text value (`title=New title`) the word was most likely
        meant to be part of it; and a word that would land in an option declared before the
        named one (`/chat edit bb time=18:30 Europe/Berlin` would make the title
        "Europe/Berlin") is never what was meant. Free text for a rest option may follow
        (`/mentor request maths window=3 better feedback`).
        """
        if not self.named or (self.positional and self.positional[0].rest):
            return
        token = self.tokens[index]
        previous = self.tokens[index - 1]
        named = self.option_named(previous)
        words = [previous.value]
        for following in self.tokens[index:]:
            if following.name is not None:
                break
            words.append(following.text)
        joined = " ".join(words)
        fits = named is not None and (named.max_length or len(joined)) >= len(joined)
        if named is not None and _free_text(named) and not previous.value_quoted and fits:
            raise self.fail(
                tr(
                    "“{word}” follows `{name}={value}`: a value with spaces goes in quotes, "
                    'e.g. `{name}="{joined}"`. Give any other option by name too.',
                    word=quote(token.text, 40),
                    name=named.name,
                    value=quote(previous.value, 40),
                    joined=quote(joined, 80),
                )
            )
        order = list(self.command.options)
        if self.positional and order.index(self.positional[0]) < max(
            order.index(o) for o in self.named
        ):
            names = ", ".join(f"`{o.name}=…`" for o in self.positional)
            raise self.fail(
                tr(
                    "“{word}” would be read as `{name}`, which comes before the options given by "
                    "name. Give it by name, too: {names}.",
                    word=quote(token.text, 40),
                    name=self.positional[0].name,
                    names=names,
                )
            )

    def phrase_hint(self, option: Option, index: int) -> None:
        """An unquoted several-word value (`weekly tuesday`) split over the following options."""
        token = self.tokens[index]
        if token.quoted:
            return
        length = dict(option.phrases).get(token.text.casefold(), 1)
        following = self.tokens[index + 1 : index + length]
        if length < 2 or not following or any(t.name or t.quoted for t in following):
            return
        phrase = " ".join(t.text for t in [token, *following])
        raise self.fail(
            tr(
                "The {name} “{phrase}” is several words: put it in quotes, "
                'e.g. `"{phrase}"`, so “{word}” is not read as the next option.',
                name=option.name,
                phrase=quote(phrase, 60),
                word=quote(following[0].text, 30),
            )
        )

    def positional_value(self, option: Option, token: _Token) -> Any:
        """Convert a positional value; on failure, say which option it was read as."""
        try:
            return self.convert(option, token.text)
        except CommandParseError as error:
            lines = [
                tr(
                    "I read “{value}” as `{name}` ({description}): {error}",
                    value=quote(token.text, 40),
                    name=option.name,
                    description=tr(option.description),
                    error=error,
                )
            ]
            phrased = [
                (o, t)
                for o in self.command.options
                for t in self.tokens
                if o is not option and not t.quoted and t.text.casefold() in dict(o.phrases)
            ]
            if phrased:
                other, start = phrased[0]
                length = dict(other.phrases)[start.text.casefold()]
                at = self.tokens.index(start)
                phrase = " ".join(t.text for t in self.tokens[at : at + length])
                lines.append(
                    tr(
                        "If “{phrase}” is the {name}, put it in quotes: "
                        '`"{phrase}"` (and any other value with spaces, too).',
                        phrase=quote(phrase, 60),
                        name=other.name,
                    )
                )
            read = [f"`{name}`=“{_shown(value)}”" for name, value in self.options.items()]
            if read:
                lines.append(tr("Before it I read: {values}.", values=", ".join(read)))
            raise self.fail("\n".join(lines), example=True) from None

    def read(self) -> dict[str, Any]:
        index = 0
        while index < len(self.tokens):
            token = self.tokens[index]
            if token.name is not None:
                option = self.option_named(token)
                if option is None:
                    raise self.unknown_option(token)
                self.named.append(option)
                if option.rest:
                    index = self.take_rest(option, index, token.value_start)
                    continue
                self.give(option, self.convert(option, token.value))
                index += 1
                continue
            flag = None if token.quoted else self.by_name.get(token.text.casefold())
            if flag is not None and flag.type == "boolean" and flag.name not in self.options:
                self.give(flag, True)
                index += 1
                continue
            self.after_named(index)
            if not self.positional:
                extra = self.text[token.start :].strip()
                raise self.fail(
                    tr(
                        "Too many values for `{command}`: “{extra}” is left over. Put a value "
                        "with spaces in quotes.",
                        command=f"{self.prefix}{self.command.name}",
                        extra=quote(extra, 60),
                    )
                )
            option = self.positional[0]
            if option.rest:
                index = self.take_rest(option, index, token.start)
                continue
            self.phrase_hint(option, index)
            self.give(option, self.positional_value(option, token))
            index += 1
        missing = [
            o.name for o in self.command.options if o.required and o.name not in self.options
        ]
        if missing:
            names = ", ".join(f"`{m}`" for m in missing)
            raise self.fail(tr("Missing {names}.", names=names), example=True)
        return self.options


def parse_command_line(
    line: str, prefix: str, make_user: Callable[[str], UserRef]
) -> ParsedCommand:
    """Parse `line` (which starts with `prefix`) into a catalogue command and typed options."""
    body = line[len(prefix) :] if line.startswith(prefix) else line
    words = body.split()
    if not words:
        raise CommandParseError(tr("Type `{prefix}help` to see the commands.", prefix=prefix))
    command = _match_path(words)
    if command is None:
        known = sorted({c.path[0] for c in CATALOGUE})
        first = words[0].casefold()
        subs = [c.name for c in CATALOGUE if c.path[0] == first]
        if subs:
            raise CommandParseError(
                tr(
                    "`{command}` needs a subcommand: {subcommands}",
                    command=f"{prefix}{quote(first, 30)}",
                    subcommands=", ".join(f"`{prefix}{s}`" for s in subs),
                )
            )
        raise CommandParseError(
            tr(
                "I don't know `{command}`. Commands: {commands}. Type `{prefix}help` for details.",
                command=f"{prefix}{quote(words[0], 30)}",
                commands=", ".join(known),
                prefix=prefix,
            )
        )
    after_path = _rest_text(body, len(command.path))
    return ParsedCommand(command, _Line(command, after_path, prefix, make_user).read())


def named_only(command: Command, option: Option) -> bool:
    """Whether, typed, `option` can only be given as `name=value`: it comes after a rest option,
    whose text runs up to the next `name=value` word (`/mentor offer 2 maths note=Hi`)."""
    first_rest = next((i for i, o in enumerate(command.options) if o.rest), None)
    return first_rest is not None and command.options.index(option) > first_rest


def usage(command: Command, prefix: str) -> str:
    """`Usage: /tags link <tag> [channel] [role]`, with choices where they exist, and
    `[note=…]` for an option that can only be given by name."""
    parts = []
    for option in command.options:
        label = "|".join(option.choices) if option.choices else option.name
        if named_only(command, option):
            label = f"{option.name}=…"
        parts.append(f"<{label}>" if option.required else f"[{label}]")
    line = f"`{prefix}{command.name}{' ' if parts else ''}{' '.join(parts)}`"
    return tr("Usage: {line}", line=line)
