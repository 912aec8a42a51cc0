"""The mentoring, peer-rounds and chats pages over HTTP: a real dashboard on 127.0.0.1, a
seeded community with known figures, rights at every route, CSV downloads, escaping of names,
pagination, and the waiting reasons agreeing with what a real matching round then does."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from communitybot.chats.schedule import Schedule
from communitybot.dashboard.paged import PAGE_SIZE, paged
from communitybot.events import CommandInvoked, CommunityRef, ConversationRef, MemberJoined
from communitybot.store.chat_runs import NewMessage, RunQuestion
from tests.conftest import COMMUNITY, Harness, user
from tests.dashboard_world import link_for, running_dashboard
from tests.test_dashboard_http import client, sign_in

SCRIPT = "<script>alert(1)</script>"
OTHER = CommunityRef("fake", "community-2")
ROUTES = ("mentoring", "rounds", "chats")


async def member_id(harness: Harness, name: str) -> int:
    return (await harness.member(name)).id


async def tag_ids(harness: Harness, *names: str) -> list[int]:
    cid = (await harness.member("mod")).community_id
    now = harness.clock.now()
    return [(await harness.store.tags.ensure_tag(cid, n, "topic", now)).id for n in names]


async def seed_people(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    for name in ("mod", "ann", "bob", "cat", "dan", SCRIPT, "fay", "gus", "hal"):
        await harness.join(name)


async def seed_mentoring(harness: Harness) -> None:
    """bob mentors ann (bob full: capacity 1); cat mentors hal (flagged; one seat free).
    Waiting: dan (art: nobody offers it), the script-named member (maths: bob is full), fay
    (science: cat has a seat) and gus (no tag). Check-ins in the last 12 weeks: met 1,
    not yet 1, unanswered 1; one older "end" that falls outside the 12 weeks."""
    store, now = harness.store, harness.clock.now()
    maths, science, art = await tag_ids(harness, "maths", "science", "art")
    ids = {n: await member_id(harness, n) for n in ("ann", "bob", "cat", "dan", SCRIPT, "fay")}
    ids |= {n: await member_id(harness, n) for n in ("gus", "hal")}
    cid = (await harness.member("mod")).community_id
    await store.mentoring.put_offer(ids["bob"], 1, "", [maths], now)
    await store.mentoring.put_offer(ids["cat"], 2, "", [science], now)
    first = await store.mentoring.add_pair(cid, ids["bob"], ids["ann"], "r1", 1, "maths", now)
    second = await store.mentoring.add_pair(cid, ids["cat"], ids["hal"], "r1", 1, "science", now)
    assert first is not None and second is not None
    await store.mentoring_checkins.flag(second, now)
    checkins = store.mentoring_checkins
    await checkins.ask(first, ids["ann"], 1, now - timedelta(days=3))
    await checkins.answer(first, ids["ann"], "met", now)
    await checkins.ask(first, ids["bob"], 1, now - timedelta(days=3))
    await checkins.answer(first, ids["bob"], "not_yet", now)
    await checkins.ask(second, ids["hal"], 1, now - timedelta(days=2))
    await checkins.ask(second, ids["cat"], 1, now - timedelta(weeks=13))
    await checkins.answer(second, ids["cat"], "end", now - timedelta(weeks=13))
    for name, tags in (("dan", [art]), (SCRIPT, [maths]), ("fay", [science]), ("gus", [])):
        await store.mentoring.put_request(ids[name], "", tags, now)


async def seed_rounds(harness: Harness) -> None:
    """Taking part: 4 active, 1 paused. Round 2026-11-02: 2 groups, 4 members, 1 met (50%);
    round 2026-11-16 (by hand): 1 group of 3, none met (0%); round 2026-11-30: no group."""
    store, now = harness.store, harness.clock.now()
    cid = (await harness.member("mod")).community_id
    ids = {n: await member_id(harness, n) for n in ("ann", "bob", "cat", "dan", "fay")}
    for name in ("ann", "bob", "cat", "dan", "fay"):
        await store.rounds.join(ids[name], cid, now)
    await store.rounds.pause(ids["fay"], 2, now)
    first = await store.rounds.add_round(cid, "2026-11-02", "schedule", now)
    assert first is not None
    made = await store.rounds.add_groups(
        first, cid, [((ids["ann"], ids["bob"]), "maths"), ((ids["cat"], ids["dan"]), "")], now
    )
    (group_ab, group_cd) = sorted(made.values())
    await store.rounds.mark_asked(group_ab, [ids["ann"], ids["bob"]], now)
    await store.rounds.answer(group_ab, ids["ann"], "yes", now)
    await store.rounds.answer(group_ab, ids["bob"], "no", now)
    await store.rounds.mark_asked(group_cd, [ids["cat"]], now)
    second = await store.rounds.add_round(cid, "2026-11-16", "manual", now)
    assert second is not None
    (group,) = (
        await store.rounds.add_groups(
            second, cid, [((ids["ann"], ids["cat"], ids["dan"]), "")], now
        )
    ).values()
    await store.rounds.mark_asked(group, [ids["ann"]], now)
    await store.rounds.answer(group, ids["ann"], "no", now)
    assert await store.rounds.add_round(cid, "2026-11-30", "schedule", now) is not None


async def seed_chats(harness: Harness) -> None:
    """#engchat (2 subscribers): a chat on 2026-11-05 with 3 participants, 4 messages, 3 of
    them answers, 2 of 2 posted questions answered; one on 2026-11-12 with 1 participant.
    #netchat, a network chat of this community's network, on 2026-11-20: ann here and zed in
    community-2 (its other affiliate) wrote; 2 participants network-wide, 1 per affiliate."""
    store, now = harness.store, harness.clock.now()
    cid = (await harness.member("mod")).community_id
    ids = {n: await member_id(harness, n) for n in ("mod", "ann", "bob", "cat")}
    await harness.bot.dispatch(MemberJoined(OTHER, user("zed")))
    other = await store.communities.get(OTHER)
    assert other is not None
    zed = await store.members.get(other.id, user("zed"))
    assert zed is not None
    schedule = Schedule("weekly", "UTC", now.time().replace(microsecond=0), now.date())
    series = await store.chats.create(
        cid, "engchat", "English chat", "general", schedule, 60, now, ids["mod"], now
    )
    for name in ("ann", "bob"):
        await store.chats.subscribe(series.id, ids[name], (15,), now)
    questions = [RunQuestion(1, "Q1", 0), RunQuestion(2, "Q2", 10), RunQuestion(3, "Q3", 20)]
    run = await store.chat_runs.create(
        series.id,
        cid,
        datetime(2026, 11, 5, 18, tzinfo=UTC),
        timedelta(hours=1),
        "t1",
        True,
        "English chat",
        questions,
    )
    await store.chat_runs.set_current(run.id, 2)
    said = [("m1", "ann", 0), ("m2", "ann", 1), ("m3", "bob", 1), ("m4", "cat", 2)]
    for message_id, name, question in said:
        await store.chat_runs.record(NewMessage(run.id, message_id, ids[name], question, "hi"), now)
    later = await store.chat_runs.create(
        series.id,
        cid,
        datetime(2026, 11, 12, 18, tzinfo=UTC),
        timedelta(hours=1),
        "t2",
        True,
        "English chat",
        questions,
    )
    await store.chat_runs.record(NewMessage(later.id, "m5", ids["bob"], 0, "hello"), now)
    network = await store.networks.create("Teachers", cid, ids["mod"], now)
    await store.networks.add_affiliate(network.id, other.id, now)
    await store.db.execute(
        "UPDATE communities SET name = ? WHERE id = ?", (f"{SCRIPT} school", other.id)
    )
    net_series = await store.chats.create(
        cid,
        "netchat",
        f"Network chat {SCRIPT}",
        "general",
        schedule,
        60,
        now,
        ids["mod"],
        now,
        network_id=network.id,
    )
    net_run = await store.chat_runs.create(
        net_series.id,
        cid,
        datetime(2026, 11, 20, 18, tzinfo=UTC),
        timedelta(hours=1),
        "t3",
        True,
        "Network chat",
        questions,
        network_id=network.id,
    )
    await store.chat_legs.add(net_run.id, cid, "t3", True)
    await store.chat_legs.add(net_run.id, other.id, "o3", True)
    await store.chat_runs.set_current(net_run.id, 1)
    await store.chat_runs.record(
        NewMessage(net_run.id, "fake:n1", ids["ann"], 1, "hi", community_id=cid), now
    )
    await store.chat_runs.record(
        NewMessage(net_run.id, "fake:n2", zed.id, 1, "hi", community_id=other.id), now
    )


async def seed_all(harness: Harness) -> None:
    await seed_people(harness)
    await seed_mentoring(harness)
    await seed_rounds(harness)
    await seed_chats(harness)


def table(page: str, caption: str) -> list[list[str]]:
    """The rows of the table with this caption (cells' text, tags stripped)."""
    body = page.split(f"<caption>{caption}", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in rows
    ]


async def signed_in(harness: Harness, http: aiohttp.ClientSession) -> tuple[str, int]:
    response = await sign_in(http, await link_for(harness, "mod"))
    assert response.status == 200
    base = str(response.url).split("/c/")[0]
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    return base, community.id


async def get_csv(http: aiohttp.ClientSession, url: str) -> list[list[str]]:
    async with http.get(url) as download:
        assert download.status == 200
        assert download.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in download.headers["Content-Disposition"]
        return list(csv.reader(io.StringIO(await download.text())))


async def test_the_mentoring_page_shows_pairs_checkins_and_why_requests_wait(
    harness: Harness,
) -> None:
    await seed_all(harness)
    async with running_dashboard(harness), client() as http:
        base, cid = await signed_in(harness, http)
        async with http.get(f"{base}/c/{cid}/mentoring") as response:
            assert response.status == 200
            page = await response.text()
        assert table(page, "Mentoring in") == [
            ["Active pairs", "2"],
            ["Flagged pairs (a side left two check-ins unanswered)", "1"],
            ["Requests waiting for a mentor", "4"],
        ]
        stats = await harness.store.mentoring_checkins.figures(cid)  # what /stats says
        assert (stats.active_pairs, stats.flagged_pairs, stats.waiting_requests) == (2, 1, 4)
        assert table(page, "Check-in questions asked in the last 12 weeks")[1:] == [
            ["Met", "1"],
            ["Not yet", "1"],
            ["Asked to end", "0"],
            ["No answer (yet)", "1"],
        ]
        assert '<title id="checkins-title">' in page
        assert table(page, "Waiting requests, by reason")[1:] == [
            ["Chose no tag: a matching round only pairs requests with a tag", "1"],
            ["No mentor shares their tags yet", "1"],
            ["No mentor is offering (pairs without a shared tag are allowed)", "0"],
            ["The mentors who could fit have no free seat", "1"],
            ["A mentor fits: waiting for the next matching round", "1"],
        ]
        waiting = {
            row[0]: (row[2], row[3]) for row in table(page, "Waiting requests, in the order")[1:]
        }
        assert waiting == {
            "Dan": ("art", "No mentor shares their tags yet"),
            "&lt;script&gt;alert(1)&lt;/script&gt;": (
                "maths",
                "The mentors who could fit have no free seat",
            ),
            "Fay": ("science", "A mentor fits: waiting for the next matching round"),
            "Gus": ("none", "Chose no tag: a matching round only pairs requests with a tag"),
        }
        assert [row[:2] for row in table(page, "Active pairs flagged")[1:]] == [["Cat", "Hal"]]
        pairs = table(page, "Active pairs, newest first")[1:]
        assert sorted((row[0], row[1], row[3]) for row in pairs) == [
            ("Bob", "Ann", "maths"),
            ("Cat", "Hal", "science"),
        ]
        assert pairs[0][2] == harness.clock.now().date().isoformat()
        assert "<script>" not in page
        rows = await get_csv(http, f"{base}/c/{cid}/mentoring.csv")
    assert rows[0] == ["section", "figure", "count"]
    assert rows[1:] == [
        ["pairs", "active", "2"],
        ["pairs", "flagged", "1"],
        ["requests", "waiting", "4"],
        ["waiting_reason", "no_tags", "1"],
        ["waiting_reason", "no_shared_tag", "1"],
        ["waiting_reason", "no_mentor", "0"],
        ["waiting_reason", "mentors_full", "1"],
        ["waiting_reason", "next_round", "1"],
        ["checkins_last_12_weeks", "met", "1"],
        ["checkins_last_12_weeks", "not_yet", "1"],
        ["checkins_last_12_weeks", "end", "0"],
        ["checkins_last_12_weeks", "unanswered", "1"],
    ]


async def test_the_waiting_reasons_agree_with_a_real_matching_round(harness: Harness) -> None:
    """The page said only fay had a mentor who fits: the moderators' matching round pairs her,
    and the others still wait for the reasons the page gave."""
    await seed_people(harness)
    await seed_mentoring(harness)
    await harness.command("mod", "/mentoring match")
    fay = await member_id(harness, "fay")
    assert [p.mentor_id for p in await harness.store.mentoring.active_pairs_of(fay)] == [
        await member_id(harness, "cat")
    ]
    async with running_dashboard(harness), client() as http:
        base, cid = await signed_in(harness, http)
        page = await (await http.get(f"{base}/c/{cid}/mentoring")).text()
    assert table(page, "Waiting requests, by reason")[1:] == [
        ["Chose no tag: a matching round only pairs requests with a tag", "1"],
        ["No mentor shares their tags yet", "1"],
        ["No mentor is offering (pairs without a shared tag are allowed)", "0"],
        ["The mentors who could fit have no free seat", "1"],
        ["A mentor fits: waiting for the next matching round", "0"],
    ]
    assert table(page, "Mentoring in")[0] == ["Active pairs", "3"]


async def test_the_rounds_page_shows_each_rounds_groups_and_met_rate(harness: Harness) -> None:
    await seed_all(harness)
    async with running_dashboard(harness), client() as http:
        base, cid = await signed_in(harness, http)
        async with http.get(f"{base}/c/{cid}/rounds") as response:
            assert response.status == 200
            page = await response.text()
        assert table(page, "Members of") == [
            ["Taking part", "5"],
            ["Active", "4"],
            ["Paused", "1"],
            ["On hold (follow-ups unanswered)", "0"],
        ]
        assert table(page, "Peer rounds, newest first")[1:] == [
            ["2026-11-30", "0", "0", "0", "–"],
            ["2026-11-16 (run by hand)", "1", "3", "0", "0%"],
            ["2026-11-02", "2", "4", "1", "50%"],
        ]
        # the chart: met-rate over the rounds that made groups, oldest first, as text too
        chart = page.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
        assert "<polyline" in chart
        assert "2026-11-02 50%, 2026-11-16 0%" in chart
        rows = await get_csv(http, f"{base}/c/{cid}/rounds.csv")
    assert rows[0][:4] == ["round", "trigger", "started", "groups"]
    assert [[r[0], r[1], r[3], r[4], r[5], r[6], r[7]] for r in rows[1:]] == [
        ["2026-11-30", "schedule", "0", "0", "0", "0", ""],
        ["2026-11-16", "manual", "1", "3", "0", "1", "0.0000"],
        ["2026-11-02", "schedule", "2", "4", "1", "1", "0.5000"],
    ]


async def test_the_rounds_table_is_paginated(harness: Harness) -> None:
    await seed_people(harness)
    cid = (await harness.member("mod")).community_id
    start = datetime(2025, 1, 6, tzinfo=UTC)
    for n in range(PAGE_SIZE + 3):
        key = (start + timedelta(weeks=n)).date().isoformat()
        assert await harness.store.rounds.add_round(cid, key, "schedule", start) is not None
    async with running_dashboard(harness), client() as http:
        base, cid = await signed_in(harness, http)
        first = await (await http.get(f"{base}/c/{cid}/rounds")).text()
        rows = table(first, "Peer rounds, newest first")[1:]
        assert len(rows) == PAGE_SIZE
        assert rows[0][0] == (start + timedelta(weeks=PAGE_SIZE + 2)).date().isoformat()
        assert 'href="?page=2"' in first and "Page 1 of 2" in first
        assert 'rel="prev"' not in first
        second = await (await http.get(f"{base}/c/{cid}/rounds?page=2")).text()
        assert [r[0] for r in table(second, "Peer rounds, newest first")[1:]] == [
            (start + timedelta(weeks=n)).date().isoformat() for n in (2, 1, 0)
        ]
        assert 'href="?page=1"' in second and 'rel="next"' not in second
        # a page past the end shows the last page; nonsense shows the first
        beyond = await (await http.get(f"{base}/c/{cid}/rounds?page=99")).text()
        assert "Page 2 of 2" in beyond
        nonsense = await (await http.get(f"{base}/c/{cid}/rounds?page=-1%3Cb%3E")).text()
        assert "Page 1 of 2" in nonsense
        rows_csv = await get_csv(http, f"{base}/c/{cid}/rounds.csv")
        assert len(rows_csv) == PAGE_SIZE + 4  # every round, one header


async def test_the_chats_page_shows_series_runs_and_network_legs(harness: Harness) -> None:
    await seed_all(harness)
    community_2 = await harness.store.communities.get(OTHER)
    assert community_2 is not None
    async with running_dashboard(harness), client() as http:
        base, cid = await signed_in(harness, http)
        async with http.get(f"{base}/c/{cid}/chats") as response:
            assert response.status == 200
            page = await response.text()
        series = table(page, "Chat series of")[1:]
        assert [[r[0], r[2], r[3], r[4]] for r in series] == [
            ["#engchat English chat", "2", "2", "2026-11-12"],
            [
                "#netchat Network chat &lt;script&gt;alert(1)&lt;/script&gt; (network)",
                "0",
                "1",
                "2026-11-20",
            ],
        ]
        runs = table(page, "Chats held, newest first")[1:]
        assert runs == [
            ["#netchat (network)", "2026-11-20 18:00", "2", "2", "2", "1 of 1"],
            ["↳ fake community-1", "", "1", "1", "", ""],
            ["↳ &lt;script&gt;alert(1)&lt;/script&gt; school", "", "1", "1", "", ""],
            ["#engchat", "2026-11-12 18:00", "1", "1", "0", "0 of 0"],
            ["#engchat", "2026-11-05 18:00", "3", "4", "3", "2 of 2"],
        ]
        assert "<script>" not in page
        chart = page.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
        assert "#engchat 2026-11-05 3, #engchat 2026-11-12 1, #netchat 2026-11-20 2" in chart
        rows = await get_csv(http, f"{base}/c/{cid}/chats.csv")
    assert rows[0][0] == "row"
    assert rows[1:] == [
        ["series", "engchat", "", "0", "", "2", "", "", "", "", ""],
        ["series", "netchat", "", "1", "", "0", "", "", "", "", ""],
        ["run", "netchat", "2026-11-20T18:00:00+00:00", "1", "", "", "2", "2", "2", "1", "1"],
        ["leg", "netchat", "2026-11-20T18:00:00+00:00", "1", str(cid), "", "1", "1", "", "", ""],
        [
            "leg",
            "netchat",
            "2026-11-20T18:00:00+00:00",
            "1",
            str(community_2.id),
            "",
            "1",
            "1",
            "",
            "",
            "",
        ],
        ["run", "engchat", "2026-11-12T18:00:00+00:00", "0", "", "", "1", "1", "0", "0", "0"],
        ["run", "engchat", "2026-11-05T18:00:00+00:00", "0", "", "", "3", "4", "3", "2", "2"],
    ]


async def test_an_affiliate_sees_the_network_chats_it_had_a_leg_in(harness: Harness) -> None:
    await seed_all(harness)
    community_2 = await harness.store.communities.get(OTHER)
    assert community_2 is not None
    # mod moderates community-2 too (FakePlatform's moderators are everywhere)
    await harness.bot.dispatch(
        CommandInvoked(OTHER, user("mod"), ConversationRef("fake", "channel", "g"), ("help",), {})
    )
    async with running_dashboard(harness), client() as http:
        harness.platform.take()
        await harness.bot.dispatch(
            CommandInvoked(
                OTHER, user("mod"), ConversationRef("fake", "channel", "g"), ("dashboard",), {}
            )
        )
        (sent,) = harness.platform.take()
        link = re.search(r"(https?://\S+/signin\?t=\S+)", sent.text)
        assert link is not None
        response = await sign_in(http, link.group(1))
        base = str(response.url).split("/c/")[0]
        page = await (await http.get(f"{base}/c/{community_2.id}/chats")).text()
    assert [r[0] for r in table(page, "Chat series of")[1:]] == [
        "#netchat Network chat &lt;script&gt;alert(1)&lt;/script&gt; (network)"
    ]
    assert [r[0] for r in table(page, "Chats held, newest first")[1:]] == [
        "#netchat (network)",
        "↳ fake community-1",
        "↳ &lt;script&gt;alert(1)&lt;/script&gt; school",
    ]
    assert "<script>" not in page


async def test_the_pages_say_so_when_there_is_nothing_yet(harness: Harness) -> None:
    await seed_people(harness)
    async with running_dashboard(harness), client() as http:
        base, cid = await signed_in(harness, http)
        mentoring = await (await http.get(f"{base}/c/{cid}/mentoring")).text()
        assert "No active pair." in mentoring and "No pair is flagged." in mentoring
        rounds = await (await http.get(f"{base}/c/{cid}/rounds")).text()
        assert "No round has run yet." in rounds
        chats = await (await http.get(f"{base}/c/{cid}/chats")).text()
        assert "No chat series yet." in chats and "No chat has run yet." in chats
        assert "<svg" not in chats


@pytest.mark.parametrize("route", [f"{r}{ext}" for r in ROUTES for ext in ("", ".csv")])
async def test_every_new_route_checks_rights(harness: Harness, route: str) -> None:
    """No session: 401. A session for another community: 403. A member who does not
    moderate cannot get a link at all, and a moderator who lost the role gets 403."""
    await seed_people(harness)
    cid = (await harness.member("mod")).community_id
    await harness.bot.dispatch(
        CommandInvoked(OTHER, user("mod"), ConversationRef("fake", "channel", "g"), ("help",), {})
    )
    other = await harness.store.communities.get(OTHER)
    assert other is not None
    async with running_dashboard(harness) as dashboard, client() as http:
        async with http.get(f"{dashboard.base_url}/c/{cid}/{route}") as anonymous:
            assert anonymous.status == 401
        assert "Only moderators" in await harness.reply_text("ann", "/dashboard")
        base, _ = await signed_in(harness, http)
        async with http.get(f"{base}/c/{cid}/{route}") as allowed:
            assert allowed.status == 200
        async with http.get(f"{base}/c/{other.id}/{route}") as elsewhere:
            assert elsewhere.status == 403
        harness.platform.moderators.discard("mod")  # now a plain member
        async with http.get(f"{base}/c/{cid}/{route}") as member:
            assert member.status == 403
            assert "not a moderator" in await member.text()


async def test_the_navigation_lists_the_new_pages(harness: Harness) -> None:
    await seed_people(harness)
    async with running_dashboard(harness), client() as http:
        base, cid = await signed_in(harness, http)
        page = await (await http.get(f"{base}/c/{cid}/funnel")).text()
    for name in ROUTES:
        assert f'href="/c/{cid}/{name}"' in page


def test_pagination_links_keep_the_other_tables_place() -> None:
    query = {"waiting": "3", "page": "2"}
    pager = paged(query, total=PAGE_SIZE * 2 + 1)
    assert (pager.number, pager.pages, pager.offset) == (2, 3, PAGE_SIZE)
    assert pager.previous == "?page=1&waiting=3" and pager.next == "?page=3&waiting=3"
    waiting = paged(query, total=PAGE_SIZE * 3, key="waiting")
    assert waiting.number == 3 and waiting.next is None
    assert waiting.previous == "?page=2&waiting=2"
    assert paged({"page": "0"}, 10).number == 1 and paged({"page": "x"}, 10).pages == 1
    assert paged({}, 0).previous is None and paged({}, 0).next is None
