"""The stewards' network page over HTTP: who gets it (stewards only, checked at every request,
only the network their sign-in granted), its numbers on a seeded network of three affiliates,
pagination, the CSV, and escaping. A real server on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import re

import pytest

from communitybot.dashboard import network_page
from communitybot.dashboard.line_chart import line_chart
from communitybot.dashboard.network_figures import last_months
from tests.conftest import Harness
from tests.dashboard_world import link_for, running_dashboard
from tests.network_dashboard_world import NETWORK_NAME, seed_network
from tests.test_dashboard_http import client, sign_in


def rows_of(page: str, row_class: str) -> list[list[str]]:
    """The cells (header cell first, tags stripped) of the table rows with this class."""
    found = []
    for row in page.split(f'<tr class="{row_class}">')[1:]:
        row = row.split("</tr>", 1)[0]
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        found.append([re.sub(r"<[^>]+>", "", c).split()[0] if c.strip() else "" for c in cells])
    return found


async def test_a_steward_signs_in_and_sees_the_network_side_by_side(harness: Harness) -> None:
    world = await seed_network(harness)
    async with running_dashboard(harness) as dashboard, client() as http:
        landing = await sign_in(http, await link_for(harness, "mod"))
        first = await landing.text()
        assert f'href="/n/{world.network_id}/"' in first  # the network link in the layout
        async with http.get(f"{dashboard.base_url}/n/{world.network_id}/") as response:
            assert response.status == 200
            page = await response.text()
    # members, finished onboarding, active pairs, meetings, chat participants, open asks
    assert [r[1:] for r in rows_of(page, "affiliate")] == [
        ["5", "1", "2", "2", "1", "0"],  # North: mod bea ann bob cat
        ["2", "0", "2", "1", "0", "1"],  # South: dan eve
        ["1", "0", "1", "0", "1", "0"],  # the third: fay
    ]
    months = rows_of(page, "month")
    assert [m[0] for m in months] == last_months(harness.clock.now())
    assert months[-1][1:] == ["50%", "50%", "50%"]  # January 2027: 1 of 2 each
    assert months[-2][1:] == ["100%", "–", "–"]  # December: eve→fay crossed
    assert all(m[1:] == ["–", "–", "–"] for m in months[:-2])
    assert "3 mentor pairing(s) (3 active),\n2 across affiliates (66.7%)" in page
    # the matrix: North × South 1, South × the third 1, North × the third 0
    matrix = page.split("<caption>Mentor pairings ever made", 1)[1].split("</table>", 1)[0]
    body = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", matrix)
    assert [re.findall(r'class="num">(.*?)</td>', cells) for _, cells in body] == [
        ["—", "1", "0"],
        ["1", "—", "1"],
        ["0", "1", "—"],
    ]
    # charts: server-rendered SVG with accessible titles; a line per measure
    assert '<title id="network-trend-title">Share across affiliate lines' in page
    assert page.count("<polyline") >= 3
    assert '<title id="network-members-title">Members per affiliate' in page
    assert '<title id="network-matrix-title">Mentor pairings between affiliates' in page
    assert "North with South: 1; South with North: 1" in page  # the grid's description
    # names like scripts are text, never markup
    assert "<script>" not in page
    assert "Maths &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(3)&lt;/script&gt; West" in page


async def test_the_csv_holds_every_number(harness: Harness) -> None:
    world = await seed_network(harness)
    async with running_dashboard(harness) as dashboard, client() as http:
        await sign_in(http, await link_for(harness, "mod"))
        async with http.get(f"{dashboard.base_url}/n/{world.network_id}/network.csv") as download:
            assert download.status == 200
            assert download.headers["Content-Type"].startswith("text/csv")
            assert "attachment" in download.headers["Content-Disposition"]
            rows = list(csv.reader(io.StringIO(await download.text())))
    assert rows[0] == ["section", "id", "subject", "measure", "value"]
    values = {(r[0], r[2], r[3]): r[4] for r in rows[1:]}
    assert values[("affiliate", "North", "members")] == "5"
    assert values[("affiliate", "South", "open_asks")] == "1"
    assert values[("affiliate", "<script>alert(3)</script> West", "chat_participants")] == "1"
    assert values[("month", "2027-01", "pairings")] == "2"
    assert values[("month", "2027-01", "pairings_crossing")] == "1"
    assert values[("month", "2027-01", "exchanges_crossing")] == "1"
    assert values[("month", "2026-12", "pairings_crossing")] == "1"
    assert values[("cross_pairings", "North × South", "mentor_pairings")] == "1"
    assert ("cross_pairings", "South × North", "mentor_pairings") not in values
    assert len([r for r in rows if r[0] == "month"]) == 12 * 6


async def test_the_affiliates_are_paginated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(network_page, "PAGE_SIZE", 2)
    world = await seed_network(harness)
    async with running_dashboard(harness) as dashboard, client() as http:
        await sign_in(http, await link_for(harness, "mod"))
        base = f"{dashboard.base_url}/n/{world.network_id}/"
        async with http.get(base) as first:
            page = await first.text()
        assert [r[0] for r in rows_of(page, "affiliate")] == ["North", "South"]
        assert "(page 1 of 2)" in page and 'rel="next"' in page and 'rel="prev"' not in page
        async with http.get(base, params={"page": "2"}) as second:
            page = await second.text()
        assert len(rows_of(page, "affiliate")) == 1
        assert 'rel="prev"' in page and 'rel="next"' not in page
        async with http.get(base, params={"page": "junk"}) as junk:
            assert junk.status == 200
            assert "(page 1 of 2)" in await junk.text()


@pytest.mark.parametrize("path", ["/n/{id}/", "/n/{id}/network.csv"])
async def test_network_routes_want_a_session(harness: Harness, path: str) -> None:
    world = await seed_network(harness)
    async with (
        running_dashboard(harness) as dashboard,
        client() as http,
        http.get(dashboard.base_url + path.format(id=world.network_id)) as page,
    ):
        assert page.status == 401


@pytest.mark.parametrize("path", ["/n/{id}/", "/n/{id}/network.csv"])
async def test_a_moderator_who_is_no_steward_gets_no_network_page(
    harness: Harness, path: str
) -> None:
    world = await seed_network(harness)
    async with running_dashboard(harness) as dashboard, client() as http:
        landing = await sign_in(http, await link_for(harness, "bea"))
        assert landing.status == 200
        assert "/n/" not in await landing.text()
        async with http.get(dashboard.base_url + path.format(id=world.network_id)) as page:
            assert page.status == 403
            assert "did not open this network" in await page.text()


@pytest.mark.parametrize("path", ["/n/{id}/", "/n/{id}/network.csv"])
async def test_a_session_for_one_network_is_refused_on_another(harness: Harness, path: str) -> None:
    world = await seed_network(harness)
    # mod becomes a steward of the other network too, but never signed in through it
    mod = await harness.member("mod")
    await harness.store.networks.add_steward(world.other_network_id, mod.id, harness.clock.now())
    async with running_dashboard(harness) as dashboard, client() as http:
        await sign_in(http, await link_for(harness, "mod"))
        async with http.get(dashboard.base_url + path.format(id=world.other_network_id)) as page:
            assert page.status == 403
        async with http.get(dashboard.base_url + "/n/999/") as unknown:
            assert unknown.status == 403


async def test_a_steward_who_lost_the_role_loses_the_page_at_the_next_request(
    harness: Harness,
) -> None:
    world = await seed_network(harness)
    async with running_dashboard(harness) as dashboard, client() as http:
        await sign_in(http, await link_for(harness, "mod"))
        url = f"{dashboard.base_url}/n/{world.network_id}/"
        async with http.get(url) as before:
            assert before.status == 200
        mod = await harness.member("mod")
        await harness.store.networks.remove_steward(world.network_id, mod.id)
        async with http.get(url) as after:
            assert after.status == 403
            assert "not a steward" in await after.text()
        await harness.store.networks.add_steward(world.network_id, mod.id, harness.clock.now())
        async with http.get(url) as later:  # the session dropped the network
            assert later.status == 403
        async with http.get(f"{dashboard.base_url}/c/{world.north}/funnel") as community:
            assert community.status == 200  # the community pages are unaffected
            assert f'href="/n/{world.network_id}/"' not in await community.text()


async def test_a_steward_link_opened_in_a_signed_in_browser_adds_the_network(
    harness: Harness,
) -> None:
    world = await seed_network(harness)
    mod = await harness.member("mod")
    await harness.store.networks.remove_steward(world.network_id, mod.id)
    async with running_dashboard(harness) as dashboard, client() as http:
        await sign_in(http, await link_for(harness, "mod"))
        url = f"{dashboard.base_url}/n/{world.network_id}/"
        async with http.get(url) as refused:
            assert refused.status == 403
        await harness.store.networks.add_steward(world.network_id, mod.id, harness.clock.now())
        await sign_in(http, await link_for(harness, "mod"))  # a new link, the same session
        assert await dashboard.sessions.count(harness.clock.now()) == 1
        async with http.get(url) as shown:
            assert shown.status == 200
            assert NETWORK_NAME.split()[0] in await shown.text()


async def test_the_link_tells_a_steward_it_opens_the_network_page_too(harness: Harness) -> None:
    await seed_network(harness)
    async with running_dashboard(harness):
        steward = await harness.reply_text("mod", "/dashboard")
        moderator = await harness.reply_text("bea", "/dashboard")
    assert "as its steward, the network" in steward and "/signin?t=" in steward
    assert "network" not in moderator and "/signin?t=" in moderator


def test_the_line_chart_leaves_gaps_for_periods_without_a_value() -> None:
    chart = line_chart("t", "d", ["a", "b", "c", "d"], [("s", [10, None, 20, 30])], top_value=100)
    (line,) = chart.lines
    assert len(line.segments) == 2 and len(line.dots) == 3
    assert [t.text for t in chart.y_ticks] == ["0", "50", "100"]
