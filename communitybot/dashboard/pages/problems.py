"""The problems-of-practice page: open asks oldest first (paginated), and how long resolved
ones took (the median over 12 months, and per month)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from communitybot.dashboard import ask_stats
from communitybot.dashboard.charts import bar_chart
from communitybot.dashboard.paged import paged
from communitybot.dashboard.pages import Page, PageRequest


def _days(value: float) -> str:
    return f"{value:g} day" + ("" if value == 1 else "s")


async def view(request: PageRequest) -> dict[str, Any]:
    db, community_id, now = request.store.db, request.community.id, request.now
    total = await ask_stats.open_count(db, community_id)
    paging = paged(request.query, total)
    asks = await ask_stats.open_asks(db, community_id, now, paging.size, paging.offset)
    found = await ask_stats.resolution(db, community_id, now)
    chart = bar_chart(
        f"Median days to resolve a problem of practice in {request.label}, per month",
        "Per month of resolution, the median days from ask to resolution: "
        + ", ".join(
            f"{m.label} {_days(m.median_days)} ({m.resolved} resolved)"
            for m in found.months
            if m.resolved
        )
        + "."
        if found.resolved
        else "No problem of practice was resolved in the last 12 months.",
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


PAGE = Page("problems", "Problems of practice", "problems.html", view, table)
