"""The members page: joins and leaves per week (per day for a young community) over the last
26 weeks, the members present at each period's end, and present members now."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from communitybot.dashboard.growth import csv_rows, growth
from communitybot.dashboard.line_chart import line_chart
from communitybot.dashboard.pages import Page, PageRequest


async def view(request: PageRequest) -> dict[str, Any]:
    found = await growth(request.store.db, request.community.id, request.now)
    labels = [p.label(found.daily) for p in found.periods]
    span = f"the last {len(found.periods)} {found.unit}s"
    flows = line_chart(
        f"Joins and leaves per {found.unit} in {request.label}",
        f"Over {span}: {found.joined} joined and {found.left} left"
        f" (most in one {found.unit}: {max((p.joined for p in found.periods), default=0)}"
        f" joined, {max((p.left for p in found.periods), default=0)} left).",
        labels,
        [("Joined", [p.joined for p in found.periods]), ("Left", [p.left for p in found.periods])],
    )
    first = found.periods[0].present if found.periods else 0
    present = line_chart(
        f"Members present in {request.label}",
        f"Members present at the end of each {found.unit} of {span}: from {first}"
        f" to {found.present} now.",
        labels,
        [("Present", [p.present for p in found.periods])],
    )
    return {
        "growth": found,
        "labels": labels,
        "rows": list(zip(labels, found.periods, strict=True))[::-1],
        "flows": flows,
        "present_chart": present,
    }


async def table(request: PageRequest) -> Sequence[Sequence[object]]:
    return csv_rows(await growth(request.store.db, request.community.id, request.now))


PAGE = Page("members", "Members over time", "members.html", view, table)
