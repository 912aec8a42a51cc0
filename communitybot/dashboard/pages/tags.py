"""The tags page: members per tag (paginated), taggings of the last 4 weeks against the 4
before, and the tags with no channel linked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from communitybot.dashboard import tag_stats
from communitybot.dashboard.charts import bar_chart
from communitybot.dashboard.pages import Page, PageRequest
from communitybot.dashboard.paging import pager

UNLINKED_SHOWN = 20
"""Unlinked tags listed on the page (all of them are in the CSV)."""


async def view(request: PageRequest) -> dict[str, Any]:
    db, community_id, now = request.store.db, request.community.id, request.now
    totals = await tag_stats.totals(db, community_id, now)
    paging = pager(request.query, totals.tags)
    rows = await tag_stats.top_tags(db, community_id, now, paging.size, paging.offset)
    unlinked = await tag_stats.unlinked_tags(db, community_id, now, UNLINKED_SHOWN)
    growth = bar_chart(
        f"New taggings in {request.label}",
        f"Members chose tags {totals.recent} times in the last 4 weeks and {totals.before}"
        f" times in the 4 weeks before ({totals.change}).",
        [
            ("4 weeks before", totals.before, str(totals.before)),
            ("Last 4 weeks", totals.recent, str(totals.recent)),
        ],
    )
    return {
        "totals": totals,
        "rows": rows,
        "pager": paging,
        "unlinked": unlinked,
        "growth_chart": growth,
    }


async def table(request: PageRequest) -> Sequence[Sequence[object]]:
    rows = await tag_stats.top_tags(request.store.db, request.community.id, request.now, None)
    return tag_stats.csv_rows(rows)


PAGE = Page("tags", "Tags", "tags.html", view, table)
