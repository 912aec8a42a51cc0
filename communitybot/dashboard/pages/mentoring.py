"""The mentoring page: active and flagged pairs, check-in outcomes, waiting requests and why."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from communitybot.dashboard import mentoring_figures as figures
from communitybot.dashboard.charts import bar_chart
from communitybot.dashboard.paged import paged
from communitybot.dashboard.pages import Page, PageRequest
from communitybot.i18n import N_, ntr, tr


async def view(request: PageRequest) -> dict[str, Any]:
    db, cid = request.store.db, request.community.id
    waiting = await figures.waiting(db, cid)
    totals = await figures.totals(db, cid, waiting)
    outcomes = await figures.checkin_outcomes(db, cid, request.now)
    reasons = waiting.counts()
    pairs_pager = paged(request.query, totals.active_pairs)
    flagged_pager = paged(request.query, totals.flagged_pairs, "flagged")
    waiting_pager = paged(request.query, totals.waiting_requests, "waiting")
    chart = bar_chart(
        ntr(
            "Mentoring check-ins of the last {n} week in {community}",
            "Mentoring check-ins of the last {n} weeks in {community}",
            figures.CHECKIN_WEEKS,
            community=request.label,
        ),
        tr(
            "Check-in questions asked, by answer: {answers}.",
            answers=", ".join(f"{o.label.lower()} {o.count}" for o in outcomes),
        ),
        [(o.label, o.count, str(o.count)) for o in outcomes],
    )
    return {
        "totals": totals,
        "outcomes": outcomes,
        "reasons": reasons,
        "weeks": figures.CHECKIN_WEEKS,
        "chart": chart,
        "pairs": await figures.active_pairs(db, cid, pairs_pager.offset),
        "pairs_pager": pairs_pager,
        "flagged": await figures.flagged_pairs(db, cid, flagged_pager.offset),
        "flagged_pager": flagged_pager,
        "waiting": await figures.waiting_requests(db, waiting, waiting_pager.offset),
        "waiting_pager": waiting_pager,
    }


async def table(request: PageRequest) -> Sequence[Sequence[object]]:
    """Every number of the page (no names: nothing a spreadsheet could run)."""
    db, cid = request.store.db, request.community.id
    waiting = await figures.waiting(db, cid)
    totals = await figures.totals(db, cid, waiting)
    rows: list[list[object]] = [
        ["section", "figure", "count"],
        ["pairs", "active", totals.active_pairs],
        ["pairs", "flagged", totals.flagged_pairs],
        ["requests", "waiting", totals.waiting_requests],
    ]
    rows += [["waiting_reason", r.key, r.count] for r in waiting.counts()]
    rows += [
        [f"checkins_last_{figures.CHECKIN_WEEKS}_weeks", o.key, o.count]
        for o in await figures.checkin_outcomes(db, cid, request.now)
    ]
    return rows


PAGE = Page("mentoring", N_("Mentoring"), "mentoring.html", view, table)
