"""Time zones: turn what members type into an IANA zone, and compare offsets.

Teachers type cities ("Mumbai", "San Francisco"), abbreviations ("PST", "BST") and offsets
("UTC+2"), not `Area/City` names. `read_timezone` is the one place that understands them all,
for onboarding, `/profile edit`, `/chat create|edit` and `/rounds setup`:

- an IANA name, any case, spaces or underscores ("america/new york");
- a city the zone database names (the last part of every zone: "London", "Sao Paulo"), or a
  common city it doesn't (`_CITIES`: Mumbai → Asia/Kolkata, Munich → Europe/Berlin);
- an abbreviation (`_ABBREVIATIONS`: PST → America/Los_Angeles); an ambiguous one (IST, CST)
  takes the meaning most common among teachers and says what to type for the others;
- a whole-hour offset ("UTC+2", "GMT-5", "+02:00") as the fixed zone `Etc/GMT-2` (the zone
  database's sign is inverted); the reply says a fixed offset ignores daylight saving and names
  the zones at that offset now. A half-hour offset ("UTC+05:30") has no fixed zone, so it is
  refused with those zones as suggestions (Asia/Kolkata).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from communitybot.i18n import N_, ptr, tr
from communitybot.text import quote

_ALIASES = {"utc": "UTC", "z": "UTC", "zulu": "UTC", "universal": "UTC"}

_CITIES = {
    # Common cities the zone database does not name (it names one city per zone).
    "mumbai": "Asia/Kolkata",
    "bombay": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "chennai": "Asia/Kolkata",
    "hyderabad": "Asia/Kolkata",
    "pune": "Asia/Kolkata",
    "calcutta": "Asia/Kolkata",
    "beijing": "Asia/Shanghai",
    "guangzhou": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai",
    "osaka": "Asia/Tokyo",
    "kyoto": "Asia/Tokyo",
    "abu dhabi": "Asia/Dubai",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "portland": "America/Los_Angeles",
    "san diego": "America/Los_Angeles",
    "las vegas": "America/Los_Angeles",
    "salt lake city": "America/Denver",
    "washington": "America/New_York",
    "washington dc": "America/New_York",
    "boston": "America/New_York",
    "philadelphia": "America/New_York",
    "miami": "America/New_York",
    "atlanta": "America/New_York",
    "baltimore": "America/New_York",
    "pittsburgh": "America/New_York",
    "dallas": "America/Chicago",
    "houston": "America/Chicago",
    "austin": "America/Chicago",
    "san antonio": "America/Chicago",
    "minneapolis": "America/Chicago",
    "new orleans": "America/Chicago",
    "st louis": "America/Chicago",
    "ottawa": "America/Toronto",
    "montreal": "America/Toronto",
    "quebec": "America/Toronto",
    "calgary": "America/Edmonton",
    "munich": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "cologne": "Europe/Berlin",
    "barcelona": "Europe/Madrid",
    "seville": "Europe/Madrid",
    "milan": "Europe/Rome",
    "florence": "Europe/Rome",
    "naples": "Europe/Rome",
    "geneva": "Europe/Zurich",
    "basel": "Europe/Zurich",
    "bern": "Europe/Zurich",
    "lyon": "Europe/Paris",
    "marseille": "Europe/Paris",
    "manchester": "Europe/London",
    "birmingham": "Europe/London",
    "edinburgh": "Europe/London",
    "glasgow": "Europe/London",
    "cardiff": "Europe/London",
    "rotterdam": "Europe/Amsterdam",
    "the hague": "Europe/Amsterdam",
    "porto": "Europe/Lisbon",
    "krakow": "Europe/Warsaw",
    "st petersburg": "Europe/Moscow",
    "saint petersburg": "Europe/Moscow",
    "rio": "America/Sao_Paulo",
    "rio de janeiro": "America/Sao_Paulo",
    "brasilia": "America/Sao_Paulo",
    "cape town": "Africa/Johannesburg",
    "pretoria": "Africa/Johannesburg",
    "durban": "Africa/Johannesburg",
    "canberra": "Australia/Sydney",
    "wellington": "Pacific/Auckland",
    "christchurch": "Pacific/Auckland",
    "tel aviv": "Asia/Jerusalem",
    "hanoi": "Asia/Bangkok",
    "ho chi minh city": "Asia/Ho_Chi_Minh",
    "saigon": "Asia/Ho_Chi_Minh",
    "abuja": "Africa/Lagos",
}

_ABBREVIATIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # abbreviation → (zone, what we read it as, other zones it may mean)
    "pst": ("America/Los_Angeles", N_("US Pacific time"), ()),
    "pdt": ("America/Los_Angeles", N_("US Pacific time"), ()),
    "pt": ("America/Los_Angeles", N_("US Pacific time"), ()),
    "mst": ("America/Denver", N_("US Mountain time"), ("America/Phoenix",)),
    "mdt": ("America/Denver", N_("US Mountain time"), ()),
    "mt": ("America/Denver", N_("US Mountain time"), ("America/Phoenix",)),
    "cst": ("America/Chicago", N_("US Central time"), ("Asia/Shanghai", "America/Havana")),
    "cdt": ("America/Chicago", N_("US Central time"), ()),
    "ct": ("America/Chicago", N_("US Central time"), ()),
    "est": ("America/New_York", N_("US Eastern time"), ()),
    "edt": ("America/New_York", N_("US Eastern time"), ()),
    "et": ("America/New_York", N_("US Eastern time"), ()),
    "akst": ("America/Anchorage", N_("Alaska time"), ()),
    "hst": ("Pacific/Honolulu", N_("Hawaii time"), ()),
    "ast": ("America/Halifax", N_("Atlantic time"), ("Asia/Riyadh",)),
    "nst": ("America/St_Johns", N_("Newfoundland time"), ()),
    "gmt": ("Europe/London", N_("UK time"), ("UTC",)),
    "bst": ("Europe/London", N_("UK time"), ("Asia/Dhaka",)),
    "wet": ("Europe/Lisbon", N_("Western European time"), ()),
    "cet": ("Europe/Paris", N_("Central European time"), ()),
    "cest": ("Europe/Paris", N_("Central European time"), ()),
    "eet": ("Europe/Athens", N_("Eastern European time"), ()),
    "eest": ("Europe/Athens", N_("Eastern European time"), ()),
    "msk": ("Europe/Moscow", N_("Moscow time"), ()),
    "ist": ("Asia/Kolkata", N_("India time"), ("Europe/Dublin", "Asia/Jerusalem")),
    "pkt": ("Asia/Karachi", N_("Pakistan time"), ()),
    "sgt": ("Asia/Singapore", N_("Singapore time"), ()),
    "hkt": ("Asia/Hong_Kong", N_("Hong Kong time"), ()),
    "jst": ("Asia/Tokyo", N_("Japan time"), ()),
    "kst": ("Asia/Seoul", N_("Korea time"), ()),
    "awst": ("Australia/Perth", N_("Western Australia time"), ()),
    "acst": ("Australia/Adelaide", N_("Central Australia time"), ("Australia/Darwin",)),
    "aest": ("Australia/Sydney", N_("Eastern Australia time"), ("Australia/Brisbane",)),
    "aedt": ("Australia/Sydney", N_("Eastern Australia time"), ()),
    "nzst": ("Pacific/Auckland", N_("New Zealand time"), ()),
    "nzdt": ("Pacific/Auckland", N_("New Zealand time"), ()),
    "sast": ("Africa/Johannesburg", N_("South Africa time"), ()),
    "wat": ("Africa/Lagos", N_("West Africa time"), ()),
    "eat": ("Africa/Nairobi", N_("East Africa time"), ()),
}

_OFFSET = re.compile(
    r"(?:utc|gmt)?\s*(?P<sign>[+-−])\s*(?P<hours>[0-9]{1,2})(?:(?::|\.|h)?(?P<minutes>[0-9]{2}))?"
)
_AREAS = ("Africa/", "America/", "Asia/", "Atlantic/", "Australia/", "Europe/", "Indian/")
_AREAS_PACIFIC = (*_AREAS, "Pacific/")
_OLD_NAMES = frozenset(
    # Old spellings the database keeps as links; never suggested (the current name is).
    [
        "Asia/Calcutta",
        "Asia/Saigon",
        "Asia/Katmandu",
        "Asia/Rangoon",
        "Asia/Dacca",
        "Asia/Thimbu",
        "Asia/Macao",
        "Asia/Ulan_Bator",
        "Asia/Chongqing",
        "Asia/Chungking",
        "Asia/Harbin",
        "Asia/Tel_Aviv",
        "Asia/Istanbul",
        "Asia/Ashkhabad",
        "Asia/Ujung_Pandang",
        "Europe/Kiev",
        "Europe/Belfast",
        "Europe/Tiraspol",
        "Atlantic/Faeroe",
        "America/Buenos_Aires",
        "America/Indianapolis",
        "America/Louisville",
        "America/Knox_IN",
        "America/Fort_Wayne",
        "America/Catamarca",
        "America/Cordoba",
        "America/Jujuy",
        "America/Mendoza",
        "America/Godthab",
        "America/Montreal",
        "America/Ensenada",
        "America/Shiprock",
        "Australia/Canberra",
        "Australia/ACT",
        "Australia/NSW",
        "Pacific/Samoa",
        "Pacific/Yap",
        "Pacific/Truk",
        "Pacific/Ponape",
        "Pacific/Enderbury",
        "Pacific/Johnston",
        "Africa/Asmera",
        "Africa/Timbuktu",
    ]
)


class TimezoneError(ValueError):
    """Friendly explanation, with suggestions, of a time zone we could not recognise."""


@dataclass(frozen=True)
class ZoneReading:
    """A recognised time zone, and a sentence to tell the member when we had to interpret."""

    name: str
    note: str | None = None


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
        current = [z for z in zones if z not in _OLD_NAMES] or zones
        if len(current) == 1 and city not in names:
            names[city] = current[0]
    for city, zone in _CITIES.items():
        names.setdefault(city, zone)
    return names


def _popular() -> list[str]:
    """The zones teachers most often mean, in a stable order (for 'zones at this offset')."""
    ordered = [zone for zone, _, _ in _ABBREVIATIONS.values()] + list(_CITIES.values())
    return [z for z in dict.fromkeys(ordered) if z.startswith(_AREAS_PACIFIC)]


def zones_at_offset(minutes: int, at: datetime, limit: int = 4) -> list[str]:
    """Well-known zones whose offset from UTC is `minutes` at `at` (popular ones first)."""
    found = [z for z in _popular() if utc_offset_minutes(z, at) == minutes]
    if len(found) < limit:
        rest = sorted(
            z
            for z in set(_zones().values())
            if z.startswith(_AREAS_PACIFIC)
            and z not in found
            and z not in _OLD_NAMES
            and utc_offset_minutes(z, at) == minutes
        )
        found += rest
    return found[:limit]


def _fixed_offset(text: str, at: datetime) -> ZoneReading | None:
    """ "UTC+2", "GMT-5", "+02:00", "UTC+05:30" as a fixed zone; None if it isn't an offset."""
    match = _OFFSET.fullmatch(text.casefold())
    if match is None:
        return None
    sign = -1 if match["sign"] in "-−" else 1
    hours, minutes = int(match["hours"]), int(match["minutes"] or 0)
    total = sign * (hours * 60 + minutes)
    if minutes >= 60 or not -12 * 60 <= total <= 14 * 60:
        raise TimezoneError(
            tr(
                "“{offset}” is not an offset from UTC: offsets run from UTC-12 to UTC+14.",
                offset=quote(text, 20),
            )
        )
    if total == 0:
        return ZoneReading("UTC")
    shown = format_offset(total)
    here = zones_at_offset(total, at)
    named = _either(here)
    if minutes:
        hint = (
            tr("Type the zone instead, e.g. {zones}.", zones=named)
            if here
            else tr("Type a zone name instead.")
        )
        raise TimezoneError(
            tr("I can only store whole-hour offsets, not {offset}.", offset=shown) + " " + hint
        )
    # The zone database's fixed zones have the POSIX sign: Etc/GMT-2 is two hours ahead of UTC.
    name = f"Etc/GMT{'-' if total > 0 else '+'}{hours}"
    note = tr(
        "I stored the fixed offset {offset}, which does not change for daylight saving.",
        offset=shown,
    )
    if here:
        note += " " + tr(
            "Zones at {offset} right now: {zones}; type one to follow it.",
            offset=shown,
            zones=named,
        )
    return ZoneReading(name, note)


def _either(zones: list[str] | tuple[str, ...]) -> str:
    """ "`Europe/Paris` or `Africa/Lagos`": zone names to pick from, in the reader's words."""
    return ptr("between alternatives", " or ").join(f"`{zone}`" for zone in zones)


def read_timezone(raw: str, at: datetime | None = None) -> ZoneReading:
    """The zone for what the member typed: an IANA name, a city, an abbreviation or an offset.

    `at` is the moment offsets are compared at (for "zones at UTC+2 now"). Raises TimezoneError
    with up to three suggestions when nothing fits.
    """
    text = " ".join(raw.strip().split())
    if not text:
        raise TimezoneError(
            tr("Please type a time zone, e.g. `Europe/London` or `America/Chicago`.")
        )
    key = text.casefold().replace(".", "")
    if key in _ALIASES:
        return ZoneReading(_ALIASES[key])
    if key in _ABBREVIATIONS:
        zone, meaning, others = _ABBREVIATIONS[key]
        note = tr(
            "I read {abbreviation} as {meaning} (`{zone}`), which follows daylight saving.",
            abbreviation=text.upper(),
            meaning=tr(meaning),
            zone=zone,
        )
        if others:
            note += " " + tr("Did you mean {zones}? Type that instead.", zones=_either(others))
        return ZoneReading(zone, note)
    fixed = _fixed_offset(text, at or datetime.now(UTC))
    if fixed is not None:
        return fixed
    zones = _zones()
    for candidate in (key, key.replace(" ", "_"), key.replace("_", " ")):
        if candidate in zones:
            return ZoneReading(zones[candidate])
    suggestions = difflib.get_close_matches(key.replace("_", " "), list(zones), n=3, cutoff=0.75)
    suggestions += difflib.get_close_matches(key.replace(" ", "_"), list(zones), n=3, cutoff=0.6)
    found = [z for z in dict.fromkeys(zones[s] for s in suggestions) if z not in _OLD_NAMES][:3]
    hint = (
        tr("Did you mean {zones}?", zones=_either(found))
        if found
        else tr("Type a city (`Chicago`), a zone (`Europe/Berlin`) or an offset (`UTC+2`).")
    )
    raise TimezoneError(
        tr("I don't know the time zone “{zone}”.", zone=quote(text, 60)) + " " + hint
    )


def parse_timezone(raw: str, at: datetime | None = None) -> str:
    """The canonical zone name for what the member typed (see `read_timezone`)."""
    return read_timezone(raw, at).name


def describe_zone(name: str) -> str:
    """How to show a stored zone: `Etc/GMT-2` is "UTC+2 (fixed)", others their own name."""
    match = re.fullmatch(r"Etc/GMT([+-])([0-9]{1,2})", name)
    if match is None:
        return name
    hours = int(match[2]) * (-1 if match[1] == "+" else 1)
    return tr("{offset} (fixed)", offset=format_offset(hours * 60))


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
        return tr("time zone unknown")
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{mins:02d}" if mins else "")


def offset_distance(a: int | None, b: int | None) -> int:
    """Minutes between two offsets on the 24-hour circle; unknown zones sort last."""
    if a is None or b is None:
        return 24 * 60
    diff = abs(a - b) % (24 * 60)
    return min(diff, 24 * 60 - diff)
