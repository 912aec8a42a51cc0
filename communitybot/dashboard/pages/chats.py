"""The chats page: each series' subscribers; each occurrence's participants, messages and
answered questions, attendance over the last occurrences, network runs per affiliate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from communitybot.dashboard import chat_figures as figures
from communitybot.dashboard.line_chart import line_chart
from communitybot.dashboard.paged import paged
from communitybot.dashboard.pages import Page, PageRequest
from communitybot.i18n import N_, tr

CSV_ROWS = 100_000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str) -> str:
    """Text a spreadsheet shows as text: a leading formula sign gets a quote before it."""
    return "'" + text if text.startswith(FORMULA_START) else text


async def view(request: PageRequest) -> dict[str, Any]:
    db, cid = request.store.db, request.community.id
    series_pager = paged(request.query, await figures.count_series(db, cid), "series")
    runs_pager = paged(request.query, await figures.count_runs(db, cid))
    runs = await figures.runs(db, cid, runs_pager.offset)
    recent = list(reversed(await figures.runs(db, cid, 0, figures.CHART_RUNS)))
    chart = line_chart(
        tr("Chat attendance in {community}", community=request.label),
        tr(
            "Participants of the last chats, oldest first: {chats}.",
            chats=", ".join(
                f"#{r.hashtag} {r.started.date().isoformat()} {r.participants}" for r in recent
            )
            or tr("no chat yet"),
        ),
        [r.started.date().isoformat() for r in recent],
        [(tr("Participants"), [r.participants for r in recent])],
        label_every=max(1, len(recent) // 4),
    )
    return {
        "series": await figures.series(db, cid, series_pager.offset),
        "series_pager": series_pager,
        "runs": runs,
        "pager": runs_pager,
        "legs": await figures.legs(db, [r.id for r in runs if r.network]),
        "chart": chart,
        "charted": len(recent),
    }


async def table(request: PageRequest) -> Sequence[Sequence[object]]:
    """Series rows (subscribers), run rows and, for network runs, one row per affiliate."""
    db, cid = request.store.db, request.community.id
    rows: list[list[object]] = [
        [
            "row",
            "hashtag",
            "started",
            "network",
            "affiliate_community_id",
            "subscribers",
            "participants",
            "messages",
            "answers",
            "questions_asked",
            "questions_answered",
        ]
    ]
    for s in await figures.series(db, cid, 0, CSV_ROWS):
        rows.append(
            [
                "series",
                csv_text(s.hashtag),
                "",
                int(s.network),
                "",
                s.subscribers,
                "",
                "",
                "",
                "",
                "",
            ]
        )
    runs = await figures.runs(db, cid, 0, CSV_ROWS)
    legs = await figures.legs(db, [r.id for r in runs if r.network])
    for r in runs:
        started = r.started.isoformat()
        rows.append(
            [
                "run",
                csv_text(r.hashtag),
                started,
                int(r.network),
                "",
                "",
                r.participants,
                r.messages,
                r.answers,
                r.asked,
                r.answered,
            ]
        )
        for leg in legs.get(r.id, []):
            rows.append(
                [
                    "leg",
                    csv_text(r.hashtag),
                    started,
                    1,
                    leg.community_id,
                    "",
                    leg.participants,
                    leg.messages,
                    "",
                    "",
                    "",
                ]
            )
    return rows


PAGE = Page("chats", N_("Chats"), "chats.html", view, table)
