"""The two date forms chats show that `communitybot.i18n.dates` has no function for.

"14 March 2027" (a planned date, a stored start) and "Tuesday 09 March" (a skipped chat's
day): the same mechanism as `i18n.dates`, a pattern translators may reorder (context "date
pattern"), Babel supplying the names; English stays the bot's established form.
"""

from __future__ import annotations

from datetime import date, datetime, time

from communitybot.i18n import ptr
from communitybot.i18n.dates import _format


def _moment(day: date) -> datetime:
    return day if isinstance(day, datetime) else datetime.combine(day, time())


def day_month_year(day: date) -> str:
    """ "14 March 2027"."""
    return _format(_moment(day), ptr("date pattern", "dd MMMM y"))


def weekday_day_month(day: date) -> str:
    """ "Tuesday 09 March"."""
    return _format(_moment(day), ptr("date pattern", "EEEE dd MMMM"))
