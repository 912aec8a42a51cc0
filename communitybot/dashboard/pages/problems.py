"""The problems-of-practice page: open asks oldest first (paginated), and how long resolved
ones took (the median over 12 months, and per month)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from communitybot.dashboard import ask_stats
from communitybot.dashboard.charts import bar_chart
from communitybot.dashboard.paged import paged
from communitybot.dashboard.pages import Page, PageRequest
from communitybot.i18n import DEFAULT_LANGUAGE, N_, current_language, ntr, tr
from communitybot.i18n.dates import number, one_decimal


def _days(value: float) -> str:
    """ "1 day", "2.5 days" (a median may fall between two whole days)."""
    shown = f"{value:g}" if current_language() == DEFAULT_LANGUAGE else one_decimal(value)
    if shown.endswith(("0", ".0", ",0")) and value.is_integer():
        shown = number(int(value))
    return ntr("{days} day", "{days} days", 1 if value == 1 else 2, days=shown)


async def view(request: PageRequest) -> dict[str, Any]:
    db, community_id, now = request.store.db, request.community.id, request.now
    total = await ask_stats.open_count(db, community_id)
    paging = paged(request.query, total)
    asks = await ask_stats.open_asks(db, community_id, now, paging.size, paging.offset)
    found = await ask_stats.resolution(db, community_id, now)
    chart = bar_chart(
        tr(
            "Median days to resolve a problem of practice in {community}, per month",
            community=request.label,
        ),
        tr(
            "Per month of resolution, the median days from ask to resolution: {months}.",
            months=", ".join(
                tr(
                    "{month} {days} ({resolved} resolved)",
                    month=m.label,
                    days=_days(m.median_days),
                    resolved=m.resolved,
                )
                for m in found.months
                if m.resolved
            ),
        )
        if found.resolved
        else tr("No problem of practice was resolved in the last 12 months."),
        [
            (m.label, round(m.median_days * 10), f"{_days(m.median_days)} ({m.resolved})")
            for m in found.months
        ],
    )
    return {
        "asks": asks,
        "open_total": total,
        "pager": paging,
        "resolution": found,
        "chart": chart,
        "days": _days,
    }


async def table(request: PageRequest) -> Sequence[Sequence[object]]:
    db, community_id = request.store.db, request.community.id
    found = await ask_stats.resolution(db, community_id, request.now)
    return ask_stats.csv_rows(found, await ask_stats.open_count(db, community_id))


PAGE = Page("problems", N_("Problems of practice"), "problems.html", view, table)
