"""The peer-rounds page: who takes part, and per round its groups, members and met-rate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from communitybot.dashboard import round_figures as figures
from communitybot.dashboard.line_chart import line_chart
from communitybot.dashboard.paged import paged
from communitybot.dashboard.pages import Page, PageRequest
from communitybot.i18n import N_, tr

CSV_ROUNDS = 100_000


async def view(request: PageRequest) -> dict[str, Any]:
    db, cid = request.store.db, request.community.id
    counts = await request.store.rounds.counts(cid)
    pager = paged(request.query, await figures.count_rounds(db, cid))
    recent = [
        r for r in reversed(await figures.rounds(db, cid, 0, figures.CHART_ROUNDS)) if r.groups
    ]
    chart = line_chart(
        tr("Peer rounds of {community}: groups that met", community=request.label),
        tr(
            "Share of each round's groups where someone said they met, oldest round first:"
            " {rounds}.",
            rounds=", ".join(f"{r.key} {r.met_percent}" for r in recent) or tr("no round yet"),
        ),
        [r.key for r in recent],
        [(tr("Groups that met"), [round((r.met_rate or 0.0) * 100, 1) for r in recent])],
        top_value=100,
        unit="%",
        label_every=max(1, len(recent) // 4),
    )
    return {
        "counts": counts,
        "rounds": await figures.rounds(db, cid, pager.offset),
        "pager": pager,
        "chart": chart,
        "charted": len(recent),
    }


async def table(request: PageRequest) -> Sequence[Sequence[object]]:
    rows: list[list[object]] = [
        [
            "round",
            "trigger",
            "started",
            "groups",
            "members",
            "groups_met",
            "groups_answered",
            "met_rate",
        ]
    ]
    for r in await figures.rounds(request.store.db, request.community.id, 0, CSV_ROUNDS):
        rate = r.met_rate
        rows.append(
            [
                r.key,
                r.trigger,
                r.started.isoformat(),
                r.groups,
                r.members,
                r.met,
                r.answered,
                "" if rate is None else f"{rate:.4f}",
            ]
        )
    return rows


PAGE = Page("rounds", N_("Peer rounds"), "rounds.html", view, table)
