"""The onboarding funnel page: joined → started → finished → first tag → first pairing.

The most chosen tags are the Tags page's (`pages/tags.py`, counted once a minute): counting
every tagging here too cost the funnel 365 ms at 100,000 members (`benchmarks/dashboard.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from communitybot.dashboard.charts import bar_chart
from communitybot.dashboard.funnel import csv_rows, funnel
from communitybot.dashboard.pages import Page, PageRequest
from communitybot.i18n import N_, tr


async def view(request: PageRequest) -> dict[str, Any]:
    stages = await funnel(request.store.db, request.community.id)
    chart = bar_chart(
        tr("Onboarding funnel of {community}", community=request.label),
        tr(
            "Of the members here now: {stages}.",
            stages=", ".join(f"{s.label.lower()} {s.members} ({s.percent})" for s in stages),
        ),
        [(s.label, s.members, f"{s.members} ({s.percent})") for s in stages],
    )
    return {"stages": stages, "chart": chart}


async def table(request: PageRequest) -> Sequence[Sequence[object]]:
    return csv_rows(await funnel(request.store.db, request.community.id))


PAGE = Page("funnel", N_("Onboarding funnel"), "funnel.html", view, table)
