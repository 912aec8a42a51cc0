"""The tags page: members per tag (paginated), taggings of the last 4 weeks against the 4
before, and the tags with no channel linked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from communitybot.dashboard import tag_stats
from communitybot.dashboard.charts import bar_chart
from communitybot.dashboard.paged import paged
from communitybot.dashboard.pages import Page, PageRequest
from communitybot.i18n import N_, tr

UNLINKED_SHOWN = 20
"""Unlinked tags listed on the page (all of them are in the CSV)."""


async def view(request: PageRequest) -> dict[str, Any]:
    found = await tag_stats.tag_table(request.store.db, request.community.id, request.now)
    paging = paged(request.query, len(found.rows))
    unlinked = found.unlinked
    growth = bar_chart(
        tr("New taggings in {community}", community=request.label),
        tr(
            "Members chose tags {recent} times in the last 4 weeks and {before}"
            " times in the 4 weeks before ({change}).",
            recent=found.recent,
            before=found.before,
            change=found.change,
        ),
        [
            (tr("4 weeks before"), found.before, str(found.before)),
            (tr("Last 4 weeks"), found.recent, str(found.recent)),
        ],
    )
    return {
        "totals": found,
        "tag_count": len(found.rows),
        "unlinked_count": len(unlinked),
        "rows": found.rows[paging.offset : paging.offset + paging.size],
        "pager": paging,
        "unlinked": unlinked[:UNLINKED_SHOWN],
        "growth_chart": growth,
    }


async def table(request: PageRequest) -> Sequence[Sequence[object]]:
    found = await tag_stats.tag_table(request.store.db, request.community.id, request.now)
    return tag_stats.csv_rows(found.rows)


PAGE = Page("tags", N_("Tags"), "tags.html", view, table)
