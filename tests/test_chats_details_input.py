"""The chat-detail grammar alone: host mentions per platform, pings, descriptions, durations."""

from __future__ import annotations

import pytest

from communitybot.chats.input import (
    ChatInputError,
    host_names,
    parse_description,
    parse_duration,
    parse_ping,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<@123> <@!456>", ["123", "456"]),  # Discord: mentions picked in a text option
        ("<@123><@456>", ["123", "456"]),
        (
            "@ann:example.org, https://matrix.to/#/@bob:example.org",
            ["@ann:example.org", "@bob:example.org"],
        ),
        ("ann bob ann", ["ann", "bob"]),
        ("Ann Lee, Bob", ["Ann Lee", "Bob"]),  # commas let display names have spaces
    ],
)
def test_host_mentions_are_read_on_every_platform(raw: str, expected: list[str]) -> None:
    assert host_names(raw) == expected


def test_hosts_must_be_named_and_few() -> None:
    with pytest.raises(ChatInputError, match="at least one host"):
        host_names(" , ")
    with pytest.raises(ChatInputError, match="at most 5 hosts"):
        host_names("a b c d e f")


def test_discord_pings_a_role_but_never_everyone() -> None:
    assert parse_ping("987", "discord", "111") == "987"
    assert parse_ping("<@&987>", "discord", "111") == "987"
    assert parse_ping("none", "discord", "111") is None
    with pytest.raises(ChatInputError, match="won't ping"):
        parse_ping("111", "discord", "111")  # the server id is its @everyone role
    with pytest.raises(ChatInputError, match="pick a role"):
        parse_ping("room", "discord", "111")


def test_matrix_pings_the_room_only() -> None:
    assert parse_ping("room", "matrix", "!space") == "room"
    assert parse_ping("@room", "matrix", "!space") == "room"
    assert parse_ping("off", "matrix", "!space") is None
    with pytest.raises(ChatInputError, match="can be `room`"):
        parse_ping("!abc:example.org", "matrix", "!space")


def test_descriptions_and_durations() -> None:
    assert parse_description("  Bring one example  ") == "Bring one example"
    assert parse_description("none") == ""
    assert len(parse_description("x" * 500)) == 500
    with pytest.raises(ChatInputError, match="501 characters"):
        parse_description("x" * 501)
    assert parse_duration(15) == 15 and parse_duration("480") == 480
    for bad in (14, 481, -60):
        with pytest.raises(ChatInputError, match="from 15 minutes to 8 hours"):
            parse_duration(bad)
    with pytest.raises(ChatInputError, match="not a number of minutes"):
        parse_duration("an hour")
