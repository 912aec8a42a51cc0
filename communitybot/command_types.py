"""The shapes of the command catalogue: options and commands (see `communitybot.commands`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OptionType = Literal["string", "integer", "boolean", "user", "channel", "role"]
Autocomplete = Literal["tags", "chats"]
Spans = Literal["community", "person", "network"]


@dataclass(frozen=True)
class Option:
    name: str
    description: str
    type: OptionType = "string"
    required: bool = True
    choices: tuple[str, ...] = ()
    autocomplete: Autocomplete | None = None
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    rest: bool = False
    """In text commands, this option takes the text up to the next `name=value` option."""
    phrases: tuple[tuple[str, int], ...] = ()
    """First words of values that are several words long, with their length in words
    (`("weekly", 2)`): typed unquoted, the parser says to put them in quotes instead of reading
    the next word as the next option."""


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]
    description: str
    options: tuple[Option, ...] = ()
    moderator_only: bool = False
    ephemeral: bool = True
    """Personal results are only shown to the invoker."""
    examples: tuple[str, ...] = ()
    """Real lines without the prefix (`tags add maths, science`), shown by `help <command>`;
    the tests parse every one, so they cannot go stale."""
    spans: Spans = "community"
    """Whose lanes the handler's unit of work holds (`communitybot.units`): its community's;
    `person`: every community of the acting platform user and of the accounts linked with it
    (`mydata`, `forgetme`); `network`: every affiliate of the community's network (a steward's
    change written into every affiliate, a network-wide match). In one process and across
    processes (PostgreSQL's per-community advisory locks) no other unit of those communities
    runs meanwhile, so a member's `tags add` never interleaves with a network merge."""
    read_only: bool = False
    """The handler never writes and only replies: an existing member's call is answered on the
    read connection, beside the write path (`communitybot.bot`), so it never waits behind a
    burst of joins. Its connection cannot write: a handler that tries is handled again on the
    write path (and logged as the bug it is)."""

    @property
    def name(self) -> str:
        return " ".join(self.path)
