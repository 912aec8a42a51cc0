"""The stewards' network page (`/n/<network id>/`): the affiliates side by side, and who met
whom across affiliate lines — the share of mentor pairings, peer-round meetings and
network-chat exchanges that cross them, per month, and affiliate by affiliate.

The values for `templates/network.html` and the same numbers as one CSV (long format: a
section, the subject, the measure, the value), read on the read connection
(`network_figures`). The affiliates' table is paginated (`?page=N`, `PAGE_SIZE` a page); the
CSV holds every affiliate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from communitybot.dashboard.charts import BarChart, bar_chart
from communitybot.dashboard.heat_grid import heat_grid
from communitybot.dashboard.line_chart import LineChart, line_chart
from communitybot.dashboard.network_figures import (
    AffiliateRow,
    MonthShare,
    affiliate_rows,
    monthly_shares,
    pairings,
    percent,
)
from communitybot.events import CommunityRef
from communitybot.i18n import N_, ntr, tr
from communitybot.store.networks import Network
from communitybot.store.store import Store

PAGE_SIZE = 20
"""Affiliates per page (the matrix's rows too)."""
MEASURES = (
    ("members", N_("Members")),
    ("onboarded", N_("Finished onboarding")),
    ("active_pairs", N_("Active mentor pairs")),
    ("meetings", N_("Peer-round meetings")),
    ("chat_participants", N_("Chat participants")),
    ("open_asks", N_("Open asks")),
)
"""The affiliate table's columns: (CSV name, heading)."""


@dataclass(frozen=True)
class Affiliate:
    id: int
    label: str
    platform: str


def affiliate_label(ref: CommunityRef) -> str:
    """An affiliate as the pages name it (its name, else its platform and space)."""
    return ref.name or f"{ref.platform} {ref.space_id}"


def page_number(query: Mapping[str, str], pages: int) -> int:
    """`?page=N`, 1-based, clamped to the pages there are (a bad value is page 1)."""
    try:
        asked = int(query.get("page", "1"))
    except ValueError:
        asked = 1
    return min(max(asked, 1), max(pages, 1))


def share_text(part: int, whole: int) -> str:
    share = percent(part, whole)
    return "–" if share is None else f"{share:g}%"


async def _affiliates(store: Store, network: Network) -> list[Affiliate]:
    return [
        Affiliate(community_id, affiliate_label(ref), ref.platform)
        for community_id, ref in await store.networks.affiliate_refs(network.id)
    ]


async def view(
    store: Store, network: Network, query: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    everyone = await _affiliates(store, network)
    pages = max((len(everyone) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = page_number(query, pages)
    shown = everyone[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    meeting_counts = await store.rounds.network_meetings(network.id)
    pair_counts = await pairings(store.db, network.id)
    rows = await affiliate_rows(
        store, network.id, [a.id for a in shown], meeting_counts, pair_counts
    )
    months = await monthly_shares(store.db, network.id, now, meeting_counts, pair_counts)
    crossing = pair_counts.between
    pairs, active, pairs_crossing = pair_counts.total, pair_counts.active, pair_counts.crossing
    meetings, meetings_crossing = meeting_counts.totals
    shared_asks = await store.asks.open_shared_count(network.id)
    shown_ids = {a.id for a in shown}
    partners = [
        a for a in everyone if any(crossing.get((row, a.id), 0) for row in shown_ids if row != a.id)
    ]
    matrix = [
        (a, [crossing.get((a.id, p.id), 0) if a.id != p.id else None for p in partners])
        for a in shown
    ]
    return {
        "network": network,
        "page": page,
        "pages": pages,
        "affiliate_count": len(everyone),
        "affiliates": list(zip(shown, rows, strict=True)),
        "measures": [(name, tr(heading)) for name, heading in MEASURES],
        "members_chart": _members_chart(network, shown, rows),
        "meeting_chart": _meeting_chart(network, shown, rows),
        "totals": {
            "pairs": pairs,
            "active": active,
            "pairs_crossing": pairs_crossing,
            "pairs_share": share_text(pairs_crossing, pairs),
            "meetings": meetings,
            "meetings_crossing": meetings_crossing,
            "meetings_share": share_text(meetings_crossing, meetings),
            "shared_asks": shared_asks,
        },
        "months": [(m, _shares(m)) for m in months],
        "trend_chart": _trend_chart(network, months),
        "partners": partners,
        "matrix": matrix,
        "matrix_chart": heat_grid(
            tr("Mentor pairings between affiliates of {network}", network=network.name),
            "; ".join(
                tr("{affiliate} with {partner}: {n}", affiliate=a.label, partner=p.label, n=n)
                for a, counts in matrix
                for p, n in zip(partners, counts, strict=True)
                if n
            )
            + ".",
            [a.label for a in shown],
            [p.label for p in partners],
            [counts for _, counts in matrix],
        ),
    }


def _members_chart(
    network: Network, shown: Sequence[Affiliate], rows: Sequence[AffiliateRow]
) -> BarChart:
    both = list(zip(shown, rows, strict=True))
    return bar_chart(
        tr("Members per affiliate of {network}", network=network.name),
        "; ".join(
            ntr(
                "{affiliate}: {n} member, {onboarded} finished onboarding",
                "{affiliate}: {n} members, {onboarded} finished onboarding",
                r.members,
                affiliate=a.label,
                onboarded=r.onboarded,
            )
            for a, r in both
        )
        or tr("No affiliates."),
        [(a.label, r.members, str(r.members)) for a, r in both],
    )


def _meeting_chart(
    network: Network, shown: Sequence[Affiliate], rows: Sequence[AffiliateRow]
) -> BarChart:
    """Active mentor pairs and peer-round meetings together: how much meeting goes on."""
    both = list(zip(shown, rows, strict=True))
    return bar_chart(
        tr(
            "Active mentor pairs plus peer-round meetings per affiliate of {network}",
            network=network.name,
        ),
        "; ".join(
            tr(
                "{affiliate}: {pairs} active mentor pairs, {meetings} peer-round meetings",
                affiliate=a.label,
                pairs=r.active_pairs,
                meetings=r.meetings,
            )
            for a, r in both
        )
        or tr("No affiliates."),
        [(a.label, r.active_pairs + r.meetings, str(r.active_pairs + r.meetings)) for a, r in both],
    )


def _shares(month: MonthShare) -> dict[str, str]:
    return {
        "pairings": share_text(month.pairings_crossing, month.pairings),
        "meetings": share_text(month.meetings_crossing, month.meetings),
        "exchanges": share_text(month.exchanges_crossing, month.exchanges),
    }


def _trend_chart(network: Network, months: Sequence[MonthShare]) -> LineChart:
    def described(name: str, pick: Any) -> str:
        told = [
            tr(
                "{month} {share} of {whole}",
                month=m.month,
                share=share_text(part, whole),
                whole=whole,
            )
            for m in months
            for part, whole in [pick(m)]
            if whole
        ]
        return tr(
            "{measure}: {months}",
            measure=name,
            months=", ".join(told) if told else tr("none in these months"),
        )

    picks = (
        (tr("Mentor pairings"), lambda m: (m.pairings_crossing, m.pairings)),
        (tr("Peer-round meetings"), lambda m: (m.meetings_crossing, m.meetings)),
        (tr("Network-chat exchanges"), lambda m: (m.exchanges_crossing, m.exchanges)),
    )
    return line_chart(
        tr("Share across affiliate lines per month, {network}", network=network.name),
        "; ".join(described(name, pick) for name, pick in picks) + ".",
        [m.month[2:].replace("-", "/") for m in months],
        [(name, [percent(*pick(m)) for m in months]) for name, pick in picks],
        top_value=100,
        unit="%",
        label_every=3,
    )


def _cell(value: object) -> object:
    """A CSV cell: text a spreadsheet would run as a formula is quoted as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


async def table(store: Store, network: Network, now: datetime) -> list[list[object]]:
    everyone = await _affiliates(store, network)
    meeting_counts = await store.rounds.network_meetings(network.id)
    pair_counts = await pairings(store.db, network.id)
    rows = await affiliate_rows(
        store, network.id, [a.id for a in everyone], meeting_counts, pair_counts
    )
    out: list[list[object]] = [["section", "id", "subject", "measure", "value"]]
    for affiliate, row in zip(everyone, rows, strict=True):
        for name, _ in MEASURES:
            out.append(["affiliate", affiliate.id, affiliate.label, name, getattr(row, name)])
    for month in await monthly_shares(store.db, network.id, now, meeting_counts, pair_counts):
        for measure in (
            "pairings",
            "pairings_crossing",
            "meetings",
            "meetings_crossing",
            "exchanges",
            "exchanges_crossing",
        ):
            out.append(["month", "", month.month, measure, getattr(month, measure)])
    labels = {a.id: a.label for a in everyone}
    for (one, other), n in sorted(pair_counts.between.items()):
        if one < other:
            out.append(
                [
                    "cross_pairings",
                    f"{one}-{other}",
                    f"{labels.get(one)} × {labels.get(other)}",
                    "mentor_pairings",
                    n,
                ]
            )
    return [[_cell(value) for value in row] for row in out]
