"""Numbers members type: ASCII digits only, and always within a range.

`str.isdigit()` is true for "²" and "₃", which `int()` then refuses, and `int()` itself accepts
"٣" and "1_000"; a number with twenty digits overflows SQLite's 64-bit integers. Every number the
bot reads from a member (an option, a typed menu answer, an id inside a button) goes through
`parse_int`, so the rules are the same everywhere and the store never sees an unbounded value.
"""

from __future__ import annotations

import re

from communitybot.i18n import ptr, tr

MAX_ID = 2**63 - 1
"""The largest integer SQLite stores; ids and numbers beyond it exist nowhere."""
MIN_INT = -(2**63)

_DIGITS = re.compile(r"[+-]?[0-9]{1,19}")
"""ASCII digits only, with an optional sign; 19 digits is already past MAX_ID."""


def parse_int(text: object, low: int = MIN_INT, high: int = MAX_ID) -> int | None:
    """The whole number `text` spells in ASCII digits, if it lies in [low, high]; else None.

    Never raises: "²", "٣", "1_000", "", " 3 " (stripped: 3) and 10**30 all have a clear answer.
    """
    if not isinstance(text, str | int) or isinstance(text, bool):
        return None
    if isinstance(text, int):
        value = text
    else:
        stripped = text.strip()
        if not _DIGITS.fullmatch(stripped):
            return None
        value = int(stripped)
    return value if low <= value <= high else None


def is_ascii_number(text: str) -> bool:
    """True when `text` (stripped) is a run of ASCII digits 0-9, whatever its size."""
    return bool(re.fullmatch(r"[0-9]+", text.strip()))


def parse_id(text: object) -> int | None:
    """A positive id from text such as a button's `…:<id>`; None if it cannot be a stored id."""
    return parse_int(text, 1, MAX_ID)


def range_text(low: int | None, high: int | None) -> str:
    """ "between 1 and 5", "at least 1", "at most 60" — how a range is said in an error."""
    if low is not None and high is not None:
        return ptr("number range", "between {low} and {high}", low=low, high=high)
    if low is not None:
        return ptr("number range", "at least {low}", low=low)
    if high is not None:
        return ptr("number range", "at most {high}", high=high)
    return tr("a whole number")
