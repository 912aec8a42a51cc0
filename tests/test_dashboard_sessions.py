"""Dashboard sessions kept in the database, and stewards signing in without moderating.

Sessions: a session opened by one dashboard is honoured by another on the same database (a
restart on SQLite; on PostgreSQL a second process, as a standby that takes over), only the
cookie's hash is stored, signing out ends it for every process, and expired rows are purged.
Stewards: a network steward who moderates none of the affiliates gets a link from `dashboard`
in any affiliate where they are a member, and it opens the network's page only; a member who is
neither is refused kindly. Real servers on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from communitybot.dashboard.server import SESSION_COOKIE, Dashboard
from communitybot.events import CommandInvoked, ConversationRef
from communitybot.store.store import Store
from tests.conftest import Harness, user
from tests.dashboard_world import LINK, link_for, running_dashboard, seed_funnel
from tests.network_dashboard_world import SOUTH, seed_network
from tests.test_dashboard_http import client, csrf_of, sign_in


@asynccontextmanager
async def second_process(harness: Harness, target: Path | str) -> AsyncIterator[Dashboard]:
    """Another process's dashboard: its own connection(s) to the same database, serving the
    same platform (a restarted bot, or the standby that took over)."""
    store = await Store.open(target)
    try:
        dashboard = Dashboard(store, harness.clock, host="127.0.0.1", port=0)
        async with dashboard.running():
            await dashboard.attach(harness.bot, lambda: True)
            yield dashboard
    finally:
        await store.close()


def cookie_in(http: aiohttp.ClientSession) -> str:
    (value,) = [c.value for c in http.cookie_jar if c.key == SESSION_COOKIE]
    return value


async def stored_sessions(harness: Harness) -> list[dict[str, object]]:
    rows = await harness.store.db.fetch_all("SELECT * FROM dashboard_sessions")
    return [dict(row) for row in rows]


async def test_a_session_survives_a_restart_and_a_standby_taking_over(
    harness: Harness, store_target: Path | str
) -> None:
    await seed_funnel(harness)
    community = await harness.store.communities.get_by_id(1)
    assert community is not None
    async with client() as http:
        async with running_dashboard(harness):
            assert (await sign_in(http, await link_for(harness, "mod"))).status == 200
        # the first process is gone; the next one (its own connection) knows the session
        async with second_process(harness, store_target) as second:
            async with http.get(f"{second.base_url}/c/{community.id}/funnel") as page:
                assert page.status == 200, await page.text()
                assert "Onboarding funnel" in await page.text()
            assert await second.sessions.count(harness.clock.now()) == 1
        # only the cookie's SHA-256 is in the database, never the cookie
        cookie = cookie_in(http)
        (row,) = await stored_sessions(harness)
        assert row["id_hash"] == hashlib.sha256(cookie.encode()).hexdigest()
        assert cookie not in {str(value) for value in row.values()}


async def test_signing_out_on_one_process_ends_the_session_on_every_process(
    harness: Harness, store_target: Path | str
) -> None:
    await seed_funnel(harness)
    async with (
        running_dashboard(harness) as first,
        second_process(harness, store_target) as second,
        client() as http,
    ):
        await sign_in(http, await link_for(harness, "mod"))
        async with http.get(f"{second.base_url}/c/1/funnel") as page:
            assert page.status == 200  # opened on the first, honoured by the second
            csrf = csrf_of(await page.text())
        kept = cookie_in(http)
        async with client() as copy:  # the same cookie in another client opens it too
            copy.cookie_jar.update_cookies({SESSION_COOKIE: kept})
            async with copy.get(f"{first.base_url}/c/1/funnel") as page:
                assert page.status == 200
        async with http.post(f"{second.base_url}/signout", data={"csrf": csrf}) as out:
            assert out.status == 200
            assert "signed out" in await out.text()
        async with client() as thief:  # the old cookie, kept by someone, opens nothing now
            thief.cookie_jar.update_cookies({SESSION_COOKIE: kept})
            async with thief.get(f"{first.base_url}/c/1/funnel") as page:
                assert page.status == 401
        assert await stored_sessions(harness) == []
        assert await harness.store.db.fetch_all("SELECT * FROM dashboard_session_scopes") == []


async def test_a_session_ends_after_8_hours_and_its_row_is_purged_at_the_next_sign_in(
    harness: Harness,
) -> None:
    await seed_funnel(harness)
    async with running_dashboard(harness) as dashboard, client() as http:
        await sign_in(http, await link_for(harness, "mod"))
        old = cookie_in(http)
        harness.clock.advance(hours=7, minutes=59)
        async with http.get(f"{dashboard.base_url}/c/1/funnel") as page:
            assert page.status == 200
        harness.clock.advance(minutes=1)
        async with http.get(f"{dashboard.base_url}/c/1/funnel") as page:
            assert page.status == 401
            assert "not signed in" in await page.text()
        assert await dashboard.sessions.count(harness.clock.now()) == 0
        assert len(await stored_sessions(harness)) == 1  # still there, refused
        async with client() as other:
            await sign_in(other, await link_for(harness, "mod"))
        rows = await stored_sessions(harness)
        assert [r["id_hash"] for r in rows] != [hashlib.sha256(old.encode()).hexdigest()]
        assert len(rows) == 1  # the expired one was deleted when the new one was opened


async def test_a_community_whose_role_was_lost_stays_out_after_a_restart(
    harness: Harness, store_target: Path | str
) -> None:
    await seed_funnel(harness)
    async with client() as http:
        async with running_dashboard(harness) as first:
            await sign_in(http, await link_for(harness, "mod"))
            harness.platform.moderators.discard("mod")
            async with http.get(f"{first.base_url}/c/1/funnel") as page:
                assert page.status == 403
        harness.platform.moderators.add("mod")  # the role is back, the session still forgot
        async with (
            second_process(harness, store_target) as second,
            http.get(f"{second.base_url}/c/1/funnel") as page,
        ):
            assert page.status == 403
            assert "not for this community" in await page.text()


async def test_a_steward_who_moderates_no_affiliate_signs_in_to_the_network_page(
    harness: Harness,
) -> None:
    world = await seed_network(harness)
    dan = await harness.store.members.get(world.south, user("dan"))
    assert dan is not None  # dan: a member of South, moderator nowhere
    await harness.store.networks.add_steward(world.network_id, dan.id, harness.clock.now())
    async with running_dashboard(harness) as dashboard, client() as http:
        harness.platform.take()
        channel = ConversationRef("fake", "channel", "south")
        await harness.bot.dispatch(CommandInvoked(SOUTH, user("dan"), channel, ("dashboard",), {}))
        (sent,) = harness.platform.take()
        assert sent.where == "reply:dan" and sent.ephemeral
        assert "network" in sent.text and "as its steward" in sent.text
        found = LINK.search(sent.text)
        assert found is not None
        landing = await sign_in(http, found.group(1))
        assert landing.status == 200
        assert landing.url.path == f"/n/{world.network_id}/"
        assert "The network" in await landing.text()
        async with http.get(f"{dashboard.base_url}/n/{world.network_id}/network.csv") as csv:
            assert csv.status == 200
        # the community pages stay closed: not the ones he is in, nor the ones he is not
        for community in (world.south, world.north):
            async with http.get(f"{dashboard.base_url}/c/{community}/funnel") as page:
                assert page.status == 403
        async with http.get(f"{dashboard.base_url}/") as index:
            assert "signed in as a network steward" in await index.text()
        # losing the steward role closes the network page at the next request
        await harness.store.networks.remove_steward(world.network_id, dan.id)
        async with http.get(f"{dashboard.base_url}/n/{world.network_id}/") as page:
            assert page.status == 403
            assert "not a steward" in await page.text()


async def test_a_steward_link_opened_after_the_role_was_lost_is_refused(
    harness: Harness,
) -> None:
    world = await seed_network(harness)
    ann = await harness.member("ann")  # North, no moderator
    await harness.store.networks.add_steward(world.network_id, ann.id, harness.clock.now())
    async with running_dashboard(harness) as dashboard, client() as http:
        link = await link_for(harness, "ann")
        await harness.store.networks.remove_steward(world.network_id, ann.id)
        refused = await sign_in(http, link)
        assert refused.status == 403
        assert "not a moderator" in await refused.text()
        assert not [c for c in http.cookie_jar if c.key == SESSION_COOKIE]
        assert await dashboard.sessions.count(harness.clock.now()) == 0


async def test_a_member_who_is_neither_moderator_nor_steward_is_refused_kindly(
    harness: Harness,
) -> None:
    await seed_network(harness)
    async with running_dashboard(harness):
        text = await harness.reply_text("cat", "/dashboard")
    assert "Only moderators of this community, and stewards of its network" in text
    assert "/signin" not in text


async def test_a_moderator_steward_gets_both_in_one_session(harness: Harness) -> None:
    world = await seed_network(harness)
    async with running_dashboard(harness) as dashboard, client() as http:
        await sign_in(http, await link_for(harness, "mod"))
        for path in (f"/c/{world.north}/funnel", f"/n/{world.network_id}/"):
            async with http.get(dashboard.base_url + path) as page:
                assert page.status == 200, path
    rows = await harness.store.db.fetch_all(
        "SELECT kind, target_id FROM dashboard_session_scopes ORDER BY kind"
    )
    assert [(r["kind"], r["target_id"]) for r in rows] == [
        ("community", world.north),
        ("network", world.network_id),
    ]


async def test_forgetme_ends_the_persons_dashboard_sessions(harness: Harness) -> None:
    await seed_funnel(harness)
    async with running_dashboard(harness) as dashboard, client() as http, client() as other:
        await sign_in(http, await link_for(harness, "mod"))
        harness.platform.moderators.add("ann")
        await sign_in(other, await link_for(harness, "ann"))
        await harness.command("mod", "/forgetme")
        await harness.say("mod", "yes")
        assert "everything is deleted" in " ".join(harness.platform.texts("reply:mod"))
        async with http.get(f"{dashboard.base_url}/c/1/funnel") as page:
            assert page.status == 401
        async with other.get(f"{dashboard.base_url}/c/1/funnel") as page:
            assert page.status == 200  # ann's session is hers, untouched
    rows = await stored_sessions(harness)
    assert [r["user_id"] for r in rows] == ["ann"]
