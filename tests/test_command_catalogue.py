"""The catalogue's examples are real: each one parses to its own command, as `help` shows it."""

from __future__ import annotations

import pytest

from communitybot.command_parser import parse_command_line
from communitybot.commands import CATALOGUE, Command
from communitybot.events import UserRef


def make_user(raw: str) -> UserRef:
    return UserRef("console", raw, raw)


@pytest.mark.parametrize("command", CATALOGUE, ids=lambda c: c.name)
def test_every_command_has_examples_that_parse_to_it(command: Command) -> None:
    assert command.examples, f"{command.name} has no examples"
    for example in command.examples:
        parsed = parse_command_line("/" + example, "/", make_user)
        assert parsed.command == command, example
        required = {o.name for o in command.options if o.required}
        assert required <= set(parsed.options), example
