"""The members page: joins and leaves per week (per day for a young community) over the last
26 weeks, the members present at each period's end, and present members now."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from communitybot.dashboard.growth import Growth, csv_rows, growth
from communitybot.dashboard.line_chart import line_chart
from communitybot.dashboard.pages import Page, PageRequest
from communitybot.i18n import N_, ntr, tr


def _texts(found: Growth, label: str) -> dict[str, str]:
    """The page's sentences about periods: whole sentences per unit (a day, a week), since a
    translator's "semana" and "día" do not take the same words around them."""
    most_joined = max((p.joined for p in found.periods), default=0)
    most_left = max((p.left for p in found.periods), default=0)
    first = found.periods[0].present if found.periods else 0
    n = len(found.periods)
    values = {
        "community": label,
        "joined": found.joined,
        "left": found.left,
        "most_joined": most_joined,
        "most_left": most_left,
        "first": first,
        "present": found.present,
    }
    if found.daily:
        return {
            "flows_title": tr("Joins and leaves per day in {community}", **values),
            "flows_desc": ntr(
                "Over the last {n} day: {joined} joined and {left} left (most in one day:"
                " {most_joined} joined, {most_left} left).",
                "Over the last {n} days: {joined} joined and {left} left (most in one day:"
                " {most_joined} joined, {most_left} left).",
                n,
                **values,
            ),
            "present_desc": ntr(
                "Members present at the end of each day of the last {n} day: from {first}"
                " to {present} now.",
                "Members present at the end of each day of the last {n} days: from {first}"
                " to {present} now.",
                n,
                **values,
            ),
            "summary": ntr(
                "Over the last {n} day, {joined} joined and {left} left.",
                "Over the last {n} days, {joined} joined and {left} left.",
                n,
                **values,
            ),
            "caption": tr("Joins and leaves per day, newest first"),
            "period_from": tr("Day from"),
        }
    return {
        "flows_title": tr("Joins and leaves per week in {community}", **values),
        "flows_desc": ntr(
            "Over the last {n} week: {joined} joined and {left} left (most in one week:"
            " {most_joined} joined, {most_left} left).",
            "Over the last {n} weeks: {joined} joined and {left} left (most in one week:"
            " {most_joined} joined, {most_left} left).",
            n,
            **values,
        ),
        "present_desc": ntr(
            "Members present at the end of each week of the last {n} week: from {first}"
            " to {present} now.",
            "Members present at the end of each week of the last {n} weeks: from {first}"
            " to {present} now.",
            n,
            **values,
        ),
        "summary": ntr(
            "Over the last {n} week, {joined} joined and {left} left.",
            "Over the last {n} weeks, {joined} joined and {left} left.",
            n,
            **values,
        ),
        "caption": tr("Joins and leaves per week, newest first"),
        "period_from": tr("Week from"),
    }


async def view(request: PageRequest) -> dict[str, Any]:
    found = await growth(request.store.db, request.community.id, request.now)
    labels = [p.label(found.daily) for p in found.periods]
    texts = _texts(found, request.label)
    flows = line_chart(
        texts["flows_title"],
        texts["flows_desc"],
        labels,
        [
            (tr("Joined"), [p.joined for p in found.periods]),
            (tr("Left"), [p.left for p in found.periods]),
        ],
    )
    present = line_chart(
        tr("Members present in {community}", community=request.label),
        texts["present_desc"],
        labels,
        [(tr("Present"), [p.present for p in found.periods])],
    )
    return {
        "growth": found,
        "labels": labels,
        "texts": texts,
        "rows": list(zip(labels, found.periods, strict=True))[::-1],
        "flows": flows,
        "present_chart": present,
    }


async def table(request: PageRequest) -> Sequence[Sequence[object]]:
    return csv_rows(await growth(request.store.db, request.community.id, request.now))


PAGE = Page("members", N_("Members over time"), "members.html", view, table)
