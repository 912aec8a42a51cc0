"""The dashboard's community pages: each a module that declares one `Page`.

A page is a view (the template's values, read on the read connection) and, usually, the same
numbers as a CSV table. The server (`communitybot.dashboard.server`) gives every page the same
two routes, `/c/<community id>/<name>` and `/c/<community id>/<name>.csv`, checks the
moderator's rights again before either, and lists the pages in the navigation in the order of
`COMMUNITY_PAGES`. Adding a page is a module here, a template, and one line in that tuple.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from communitybot.models import Community
from communitybot.store.store import Store


@dataclass(frozen=True)
class PageRequest:
    """What a page reads: the store (its read connection), the community, its label as the
    pages show it, the query string (pagination, filters) and the time."""

    store: Store
    community: Community
    label: str
    query: Mapping[str, str]
    now: datetime


View = Callable[[PageRequest], Awaitable[dict[str, Any]]]
"""The template's values (the page's `template` extends "community.html")."""
Table = Callable[[PageRequest], Awaitable[Sequence[Sequence[object]]]]
"""The page's numbers as CSV rows, the header row first."""


@dataclass(frozen=True)
class Page:
    name: str
    """Its path under /c/<community id>/ (and the CSV's file name)."""
    title: str
    """Its link in the navigation."""
    template: str
    view: View
    csv: Table | None = None


def community_pages() -> tuple[Page, ...]:
    """Every community page, in navigation order (imported here, not at import time of the
    package, so a page module may use the package's types)."""
    from communitybot.dashboard.pages import (
        chats,
        funnel,
        members,
        mentoring,
        problems,
        rounds,
        settings,
        tags,
    )

    return (
        funnel.PAGE,
        members.PAGE,
        tags.PAGE,
        mentoring.PAGE,
        rounds.PAGE,
        chats.PAGE,
        problems.PAGE,
        settings.PAGE,
    )
