"""User text the bot echoes can never ping anyone; tag names normalise predictably."""

from __future__ import annotations

import pytest

from communitybot.text import ZWSP, neutralize_mentions, normalize_tag, quote, split_list


@pytest.mark.parametrize(
    "raw",
    [
        "hi @everyone",
        "@here look",
        "ping @room now",
        "<@123456>",
        "<@&987>",
        "<@!42>",
        "@bob:example.org",
    ],
)
def test_mentions_are_neutralised(raw: str) -> None:
    safe = neutralize_mentions(raw)
    assert safe != raw
    assert "@everyone" not in safe and "@here" not in safe and "@room" not in safe
    assert "<@123456>" not in safe and "<@&987>" not in safe
    assert ZWSP in safe


def test_plain_text_is_untouched() -> None:
    assert neutralize_mentions("email me at a@b") == "email me at a@b"


def test_quote_bounds_and_flattens() -> None:
    out = quote("line one\nline two " + "x" * 5000, 50)
    assert "\n" not in out and len(out) == 50 and out.endswith("…")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("#Special Education", "special-education"),
        ("special_education", "special-education"),
        ("  special--education ", "special-education"),
        ("EdTech", "edtech"),
        ("#", ""),
        ("c++", "c++"),
    ],
)
def test_normalize_tag(raw: str, expected: str) -> None:
    assert normalize_tag(raw) == expected


def test_split_list_prefers_commas() -> None:
    assert split_list("special education, maths") == ["special education", "maths"]
    assert split_list("maths science") == ["maths", "science"]
