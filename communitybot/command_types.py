"""The shapes of the command catalogue: options and commands (see `communitybot.commands`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OptionType = Literal["string", "integer", "boolean", "user", "channel", "role"]
Autocomplete = Literal["tags", "chats"]


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
    """In text commands, this (last) option takes the rest of the line."""


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]
    description: str
    options: tuple[Option, ...] = ()
    moderator_only: bool = False
    ephemeral: bool = True
    """Personal results are only shown to the invoker."""

    @property
    def name(self) -> str:
        return " ".join(self.path)
