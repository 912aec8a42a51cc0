"""The language each member was last answered in, for the bot's own words before a handler.

A rate-limit refusal, "the database is busy" or an apology after a failure are said before (or
instead of) reading the member's row, sometimes because the database cannot be read at all. The
language the last handler worked out for that member is the best answer then; a new member's
client locale the next best (`communitybot.i18n.choice`), then English. Bounded: the least
recently seen members are forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from communitybot.events import Event
from communitybot.i18n.choice import event_locale
from communitybot.i18n.languages import DEFAULT_LANGUAGE

MAX_REMEMBERED = 100_000


def _key(event: Event) -> Hashable:
    return (event.community, event.user.user_id)


class RecentLanguages:
    def __init__(self, limit: int = MAX_REMEMBERED) -> None:
        self._seen: OrderedDict[Hashable, str] = OrderedDict()
        self._limit = limit

    def remember(self, event: Event, code: str) -> None:
        key = _key(event)
        self._seen[key] = code
        self._seen.move_to_end(key)
        if len(self._seen) > self._limit:
            self._seen.popitem(last=False)

    def of(self, event: Event) -> str:
        """The language to answer `event`'s member in without reading the database."""
        return self._seen.get(_key(event)) or event_locale(event) or DEFAULT_LANGUAGE
