"""The dashboard over HTTP: sign-in links, sessions, rights re-checked at each request, CSRF,
the funnel page and its CSV, and the operators' endpoints. A real server on 127.0.0.1."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from loguru import logger
from prometheus_client.parser import text_string_to_metric_families

from communitybot.dashboard.commands import OFF_TEXT
from communitybot.dashboard.server import Dashboard
from communitybot.events import CommandInvoked, CommunityRef, ConversationRef
from tests.conftest import Harness, user
from tests.dashboard_world import LINK, link_for, running_dashboard, seed_funnel


def client() -> aiohttp.ClientSession:
    # unsafe: keep cookies for an IP address (127.0.0.1), as a browser does
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["t"][0]


async def sign_in(http: aiohttp.ClientSession, link: str) -> aiohttp.ClientResponse:
    """Open the link and press its button, as a person does."""
    async with http.get(link) as landing:
        page = await landing.text()
        assert landing.status == 200, page
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    base = link.split("/signin", 1)[0]
    response = await http.post(
        f"{base}/signin", data={"t": token_of(link), "csrf": csrf}, allow_redirects=True
    )
    await response.read()
    return response


def csrf_of(page: str) -> str:
    return page.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def cells(page: str) -> list[str]:
    """The funnel table's member counts, in stage order."""
    table = page.split("<caption>Onboarding funnel", 1)[1].split("</table>", 1)[0]
    return [part.split("</td>", 1)[0] for part in table.split('<td class="num">')[1::2]]


async def test_the_command_says_when_the_dashboard_is_off(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    await harness.join("mod")
    assert (await harness.reply_text("mod", "/dashboard")).startswith(OFF_TEXT)
    async with running_dashboard(harness):
        assert "/signin?t=" in await harness.reply_text("mod", "/dashboard")
    # stopped: off again
    assert (await harness.reply_text("mod", "/dashboard")).startswith(OFF_TEXT)


async def test_a_member_who_does_not_moderate_gets_no_link(harness: Harness) -> None:
    await harness.join("ann")
    async with running_dashboard(harness):
        text = await harness.reply_text("ann", "/dashboard")
    assert "Only moderators" in text
    assert "signin" not in text


async def test_a_moderator_signs_in_and_sees_the_funnel_and_its_csv(harness: Harness) -> None:
    await seed_funnel(harness)
    async with running_dashboard(harness) as dashboard, client() as http:
        link = await link_for(harness, "mod")
        response = await sign_in(http, link)
        page = await response.text()
        assert response.status == 200
        assert response.url.path.endswith("/funnel")
        assert cells(page) == ["5", "5", "2", "3", "2"]  # joined … first pairing
        assert "40%" in page and "60%" in page
        assert "<svg" in page and '<title id="funnel-title">Onboarding funnel' in page
        # a tag named like a script is text, never markup (on the tags page)
        async with http.get(str(response.url).replace("/funnel", "/tags")) as tags:
            listed = await tags.text()
        assert "<script>" not in listed
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listed
        async with http.get(str(response.url) + ".csv") as download:
            assert download.status == 200
            assert "attachment" in download.headers["Content-Disposition"]
            rows = list(csv.reader(io.StringIO(await download.text())))
        assert rows[0] == ["stage", "members", "share_of_joined"]
        assert [r[:2] for r in rows[1:]] == [
            ["joined", "5"],
            ["started", "5"],
            ["finished", "2"],
            ["first_tag", "3"],
            ["first_pairing", "2"],
        ]
        assert await dashboard.sessions.count(harness.clock.now()) == 1


async def test_a_used_link_opens_no_second_session(harness: Harness) -> None:
    await seed_funnel(harness)
    async with running_dashboard(harness) as dashboard:
        link = await link_for(harness, "mod")
        async with client() as first:
            assert (await sign_in(first, link)).status == 200
        async with client() as second:
            async with second.get(link) as landing:  # the landing page still shows a button
                csrf = csrf_of(await landing.text())
            async with second.post(
                link.split("/signin")[0] + "/signin", data={"t": token_of(link), "csrf": csrf}
            ) as again:
                assert again.status == 403
                assert "already used" in await again.text()
                assert "communitybot_session" not in again.cookies
        assert await dashboard.sessions.count(harness.clock.now()) == 1


async def test_an_expired_link_is_refused(harness: Harness) -> None:
    await seed_funnel(harness)
    async with running_dashboard(harness) as dashboard, client() as http:
        link = await link_for(harness, "mod")
        harness.clock.advance(minutes=5, seconds=1)
        async with http.get(link) as landing:
            assert landing.status == 403
            assert "expired" in await landing.text()
        assert await dashboard.sessions.count(harness.clock.now()) == 0


@pytest.mark.parametrize("tamper", ["mac", "payload", "garbage"])
async def test_a_forged_link_is_refused(harness: Harness, tamper: str) -> None:
    await seed_funnel(harness)
    async with running_dashboard(harness) as dashboard, client() as http:
        link = await link_for(harness, "mod")
        payload, mac = token_of(link).split(".")
        forged = {
            "mac": f"{payload}.{mac[:-2]}{'AA' if mac[-2:] != 'AA' else 'BB'}",
            # the same claims for another user, with the old MAC
            "payload": payload[:-3] + ("xyz" if payload[-3:] != "xyz" else "abc") + "." + mac,
            "garbage": "not-a-token",
        }[tamper]
        base = link.split("/signin")[0]
        async with http.get(f"{base}/signin", params={"t": forged}) as landing:
            assert landing.status == 403
            assert "not valid" in await landing.text()
        assert await dashboard.sessions.count(harness.clock.now()) == 0


async def test_a_session_for_one_community_is_refused_on_anothers_pages(
    harness: Harness,
) -> None:
    await seed_funnel(harness)
    other = CommunityRef("fake", "community-2")
    # mod moderates the other community too (FakePlatform's moderators are everywhere)
    await harness.bot.dispatch(
        CommandInvoked(other, user("mod"), ConversationRef("fake", "channel", "g"), ("help",), {})
    )
    other_row = await harness.store.communities.get(other)
    assert other_row is not None
    async with running_dashboard(harness), client() as http:
        response = await sign_in(http, await link_for(harness, "mod"))
        base = str(response.url).split("/c/")[0]
        for path in (f"/c/{other_row.id}/funnel", f"/c/{other_row.id}/funnel.csv", "/c/999/funnel"):
            async with http.get(base + path) as refused:
                assert refused.status == 403, path
                assert "not for this community" in await refused.text()


async def test_a_moderator_who_lost_the_role_loses_the_page_at_the_next_request(
    harness: Harness,
) -> None:
    await seed_funnel(harness)
    async with running_dashboard(harness), client() as http:
        response = await sign_in(http, await link_for(harness, "mod"))
        assert response.status == 200
        harness.platform.moderators.discard("mod")
        async with http.get(response.url) as again:
            assert again.status == 403
            assert "not a moderator" in await again.text()
        harness.platform.moderators.add("mod")  # back, but the session dropped the community
        async with http.get(response.url) as later:
            assert later.status == 403


async def test_pages_without_a_session_ask_to_sign_in(harness: Harness) -> None:
    await seed_funnel(harness)
    async with running_dashboard(harness) as dashboard, client() as http:
        community = await harness.store.communities.get(CommunityRef("fake", "community-1"))
        assert community is not None
        async with http.get(f"{dashboard.base_url}/c/{community.id}/funnel") as page:
            assert page.status == 401
            assert "not signed in" in await page.text()


async def test_a_post_without_its_csrf_token_is_refused(harness: Harness) -> None:
    await seed_funnel(harness)
    async with running_dashboard(harness), client() as http:
        link = await link_for(harness, "mod")
        base = link.split("/signin")[0]
        # the sign-in form without its token: refused, and the link is not used up
        async with http.post(f"{base}/signin", data={"t": token_of(link)}) as bare:
            assert bare.status == 403
        response = await sign_in(http, link)
        assert response.status == 200
        page = await response.text()
        async with http.post(f"{base}/signout", data={}) as no_token:
            assert no_token.status == 403
        async with http.post(f"{base}/signout", data={"csrf": "wrong"}) as wrong:
            assert wrong.status == 403
        async with http.get(response.url) as still:
            assert still.status == 200  # the session survived both
        async with http.post(f"{base}/signout", data={"csrf": csrf_of(page)}) as out:
            assert out.status == 200
        async with http.get(response.url) as gone:
            assert gone.status == 401


async def test_the_session_cookie_is_httponly_strict_and_secure_behind_https(
    harness: Harness,
) -> None:
    await seed_funnel(harness)
    async with running_dashboard(harness, base_url="https://bot.example.org") as dashboard:
        link = await link_for(harness, "mod")
        assert link.startswith("https://bot.example.org/signin?t=")
        local = f"http://127.0.0.1:{dashboard.port}"
        async with client() as http:
            async with http.get(f"{local}/signin", params={"t": token_of(link)}) as landing:
                csrf = csrf_of(await landing.text())
            async with http.post(
                f"{local}/signin",
                data={"t": token_of(link), "csrf": csrf},
                cookies={"communitybot_signin": csrf},
                allow_redirects=False,
            ) as response:
                assert response.status == 303
                cookie = response.cookies["communitybot_session"]
        assert cookie["httponly"] and cookie["secure"]
        assert cookie["samesite"] == "Strict"


async def test_no_sign_in_token_reaches_the_log(harness: Harness) -> None:
    await seed_funnel(harness)
    lines: list[str] = []
    sink = logger.add(lines.append, level="DEBUG")
    try:
        async with running_dashboard(harness), client() as http:
            link = await link_for(harness, "mod")
            await sign_in(http, link)
            await sign_in(http, link)  # refused: logged, by fingerprint only
    finally:
        logger.remove(sink)
    token = token_of(link)
    assert lines
    assert not [line for line in lines if token in line or token.split(".")[1] in line]


async def test_health_readiness_and_metrics(harness: Harness) -> None:
    up = {"fake": True}
    async with running_dashboard(harness) as dashboard, client() as http:
        await seed_funnel(harness)  # counted: the dashboard watches the bot already
        dashboard.connected["fake"] = lambda: up["fake"]
        await link_for(harness, "mod")
        base = dashboard.base_url
        async with http.get(f"{base}/healthz") as health:
            assert health.status == 200
        async with http.get(f"{base}/readyz") as ready:
            assert ready.status == 200
            assert "database: ok" in await ready.text()
        up["fake"] = False
        async with http.get(f"{base}/readyz") as not_ready:
            assert not_ready.status == 503
            assert "fake: not connected" in await not_ready.text()
        async with http.get(f"{base}/metrics") as metrics:
            assert metrics.status == 200
            assert metrics.headers["Content-Type"].startswith("text/plain")
            families = {f.name: f for f in text_string_to_metric_families(await metrics.text())}
    events = {
        s.labels["kind"]: s.value
        for s in families["communitybot_events_handled"].samples
        if s.name.endswith("_total")
    }
    assert events["MemberJoined"] == 6 and events["MemberLeft"] == 1
    assert events["CommandInvoked"] >= 1
    counts = [
        s
        for s in families["communitybot_command_seconds"].samples
        if s.name.endswith("_count") and s.labels["command"] == "dashboard"
    ]
    assert counts and counts[0].value == 1
    assert families["communitybot_platform_connected"].samples[0].labels == {"platform": "fake"}
    assert families["communitybot_platform_connected"].samples[0].value == 0
    for gauge in ("communitybot_jobs_due", "communitybot_jobs_late", "communitybot_outbox_backlog"):
        assert families[gauge].samples[0].value >= 0


async def test_every_answer_carries_the_security_headers(harness: Harness) -> None:
    async with running_dashboard(harness) as dashboard, client() as http:
        page = await http.get(f"{dashboard.base_url}/")
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        assert page.headers["Referrer-Policy"] == "no-referrer"
        page.release()


def test_dashboard_is_importable_without_a_running_loop() -> None:
    assert Dashboard.__doc__


async def test_a_process_without_the_dashboard_clears_only_its_own_platforms_links(
    harness: Harness,
) -> None:
    """Two processes on one database (PostgreSQL): one serving `fake` with the dashboard, one
    serving Matrix without it. The second's start must not turn the first's links off."""
    from communitybot.dashboard import installation
    from communitybot.units import writer_turn

    harness.platform.moderators.add("mod")
    await harness.join("mod")
    async with running_dashboard(harness) as dashboard:
        writer = writer_turn(harness.store.db, harness.bot.lanes.writer)
        await installation.stop_serving(harness.store.db, writer, ["matrix"])
        assert await installation.url_for(harness.store.db, "fake") == dashboard.base_url
        assert "/signin?t=" in await harness.reply_text("mod", "/dashboard")


@pytest.mark.parametrize("path", ["/c/{id}/funnel", "/c/{id}/funnel.csv"])
async def test_every_community_route_wants_a_session(harness: Harness, path: str) -> None:
    await seed_funnel(harness)
    community = await harness.store.communities.get(CommunityRef("fake", "community-1"))
    assert community is not None
    async with running_dashboard(harness) as dashboard, client() as http:
        answer = await http.get(f"{dashboard.base_url}{path.format(id=community.id)}")
        assert answer.status == 401
        assert "not signed in" in await answer.text()
        answer = await http.get(
            f"{dashboard.base_url}{path.format(id=community.id)}",
            cookies={"communitybot_session": "made-up"},
        )
        assert answer.status == 401


async def test_the_index_lists_only_the_communities_still_moderated(harness: Harness) -> None:
    await seed_funnel(harness)
    async with running_dashboard(harness) as dashboard, client() as http:
        community = await harness.store.communities.get(CommunityRef("fake", "community-1"))
        assert community is not None
        await sign_in(http, await link_for(harness, "mod"))
        page = await (await http.get(f"{dashboard.base_url}/")).text()
        assert f'href="/c/{community.id}/funnel"' in page
        harness.platform.moderators.discard("mod")
        page = await (await http.get(f"{dashboard.base_url}/")).text()
        assert "/funnel" not in page
        assert "You moderate none" in page


async def test_a_dashboard_serving_no_platform_yet_is_alive_but_not_ready(
    harness: Harness,
) -> None:
    """A standby replica: its dashboard listens, but nothing is served until it leads."""
    standby = Dashboard(harness.store, harness.clock, host="127.0.0.1", port=0)
    async with standby.running(), client() as http:
        assert (await http.get(f"{standby.base_url}/healthz")).status == 200
        ready = await http.get(f"{standby.base_url}/readyz")
        assert ready.status == 503
        assert "none served yet" in await ready.text()


async def test_a_second_link_of_the_same_moderator_adds_its_community_to_the_session(
    harness: Harness,
) -> None:
    await seed_funnel(harness)
    other = CommunityRef("fake", "community-2")
    channel = ConversationRef("fake", "channel", "g")
    async with running_dashboard(harness) as dashboard, client() as http:
        await sign_in(http, await link_for(harness, "mod"))
        harness.platform.take()
        await harness.bot.dispatch(CommandInvoked(other, user("mod"), channel, ("dashboard",), {}))
        (sent,) = harness.platform.take()
        found = LINK.search(sent.text)
        assert found is not None and sent.ephemeral
        second = await sign_in(http, found.group(1))
        assert second.status == 200
        first, other_row = (
            await harness.store.communities.get(CommunityRef("fake", "community-1")),
            await harness.store.communities.get(other),
        )
        assert first is not None and other_row is not None
        for community in (first, other_row):
            page = await http.get(f"{dashboard.base_url}/c/{community.id}/funnel")
            assert page.status == 200
        assert await dashboard.sessions.count(harness.clock.now()) == 1
