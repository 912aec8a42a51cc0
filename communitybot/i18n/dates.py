"""Dates, times and numbers as the reader of the current language writes them.

The patterns are part of the catalogue (context "date pattern"), so a translator adding a
language writes its date order too ("martes 09 de marzo de 2027, 19:00"); Babel supplies the
month and day names. English keeps the bot's established form ("Tuesday 09 March 2027, 19:00",
24-hour clock, day before month: the network is international). A translated pattern Babel
cannot read falls back to the locale's own medium format, and the problem is logged once.

Every function takes a datetime already in the reader's time zone: which zone is the caller's
decision (a member's own, a chat's), never guessed here.
"""

from __future__ import annotations

from datetime import date, datetime, time

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.numbers import format_decimal
from loguru import logger

from communitybot.i18n.translate import current_language, ptr

BABEL_LOCALES = {"en": "en_GB", "es": "es", "fr": "fr"}
"""The Babel locale behind each language (month and day names, digit grouping)."""

_warned: set[tuple[str, str]] = set()


def _locale() -> Locale:
    code = current_language()
    try:
        return Locale.parse(BABEL_LOCALES.get(code, code))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en_GB")


def _moment(day: date) -> datetime:
    return day if isinstance(day, datetime) else datetime.combine(day, time())


def _format(moment: datetime, pattern: str) -> str:
    """`moment` in the (translated) `pattern`; the locale's own medium format if Babel cannot
    read a translator's pattern."""
    locale = _locale()
    try:
        return format_datetime(moment, pattern, locale=locale)
    except Exception as error:
        key = (str(locale), pattern)
        if key not in _warned:
            _warned.add(key)
            logger.warning("date pattern {!r} for {} is broken ({})", pattern, locale, error)
        return format_datetime(moment, "medium", locale=locale)


def full_datetime(moment: datetime) -> str:
    """ "Tuesday 09 March 2027, 19:00": a chat's or a round's next date."""
    return _format(moment, ptr("date pattern", "EEEE dd MMMM y, HH:mm"))


def full_date(moment: datetime) -> str:
    """ "Tuesday 09 March 2027"."""
    return _format(moment, ptr("date pattern", "EEEE dd MMMM y"))


def day_time(moment: datetime) -> str:
    """ "Tuesday 09 March, 19:00": a reminder for the coming days (the year goes without saying)."""
    return _format(moment, ptr("date pattern", "EEEE dd MMMM, HH:mm"))


def day_month_year(moment: date) -> str:
    """ "14 March 2027": a planned date, a stored start."""
    return _format(_moment(moment), ptr("date pattern", "dd MMMM y"))


def weekday_day_month(moment: date) -> str:
    """ "Tuesday 09 March": a skipped chat's day."""
    return _format(_moment(moment), ptr("date pattern", "EEEE dd MMMM"))


def short_day(moment: datetime) -> str:
    """ "Tue 09 Mar": a list entry."""
    return _format(moment, ptr("date pattern", "EEE dd MMM"))


def day_month(moment: datetime) -> str:
    """ "09 Mar"."""
    return _format(moment, ptr("date pattern", "dd MMM"))


def short_date(moment: datetime) -> str:
    """ "09 Mar 2027": a period in a table or on a chart's axis."""
    return _format(moment, ptr("date pattern", "dd MMM y"))


def time_of_day(moment: datetime) -> str:
    """ "19:00"."""
    return _format(moment, ptr("date pattern", "HH:mm"))


def number(value: int | float) -> str:
    """1234 as the reader groups digits: "1,234", "1.234", "1 234"."""
    return format_decimal(value, locale=_locale())


def one_decimal(value: float) -> str:
    """14.2 with its decimal sign: "14.2", "14,2" (sizes, averages)."""
    return format_decimal(value, format="0.0", locale=_locale())
