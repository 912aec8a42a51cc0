"""Time zones: validate what members type against the IANA database, and compare offsets."""

from __future__ import annotations

import difflib
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from communitybot.text import quote

_ALIASES = {"utc": "UTC", "gmt": "UTC", "z": "UTC"}


class TimezoneError(ValueError):
    """Friendly explanation, with suggestions, of a time zone we could not recognise."""


@cache
def _zones() -> dict[str, str]:
    """casefolded name → canonical name, plus the city part ("london" → "Europe/London")."""
    names: dict[str, str] = {}
    cities: dict[str, list[str]] = {}
    for name in available_timezones():
        if name.startswith(("Etc/", "SystemV/")) or name in ("localtime", "Factory"):
            continue
        names[name.casefold()] = name
        city = name.rsplit("/", 1)[-1].replace("_", " ").casefold()
        cities.setdefault(city, []).append(name)
    for city, zones in cities.items():
        if len(zones) == 1 and city not in names:
            names[city] = zones[0]
    return names


def parse_timezone(raw: str) -> str:
    """The canonical IANA name for what the member typed ("europe/london", "London", "New York").

    Raises TimezoneError with up to three suggestions when it is not a known zone.
    """
    text = " ".join(raw.strip().split())
    if not text:
        raise TimezoneError("Please type a time zone, e.g. `Europe/London` or `America/Chicago`.")
    key = text.casefold()
    if key in _ALIASES:
        return _ALIASES[key]
    zones = _zones()
    for candidate in (key, key.replace(" ", "_"), key.replace("_", " ")):
        if candidate in zones:
            return zones[candidate]
    suggestions = difflib.get_close_matches(key.replace(" ", "_"), list(zones), n=3, cutoff=0.6)
    hint = (
        " Did you mean " + " or ".join(f"`{zones[s]}`" for s in dict.fromkeys(suggestions)) + "?"
        if suggestions
        else " Use a name like `Europe/Berlin`, `America/New_York` or `Asia/Kolkata`."
    )
    raise TimezoneError(f"I don't know the time zone “{quote(text, 60)}”.{hint}")


def is_valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def utc_offset_minutes(name: str | None, at: datetime) -> int | None:
    """The zone's offset from UTC at `at` (DST-aware), or None for an unknown/missing zone."""
    if not name or not is_valid_timezone(name):
        return None
    offset = at.astimezone(ZoneInfo(name)).utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


def format_offset(minutes: int | None) -> str:
    if minutes is None:
        return "time zone unknown"
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{mins:02d}" if mins else "")


def offset_distance(a: int | None, b: int | None) -> int:
    """Minutes between two offsets on the 24-hour circle; unknown zones sort last."""
    if a is None or b is None:
        return 24 * 60
    diff = abs(a - b) % (24 * 60)
    return min(diff, 24 * 60 - diff)
