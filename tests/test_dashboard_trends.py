"""The members-over-time, tags and problems-of-practice pages over HTTP (a real server on
127.0.0.1): who may open them, their numbers on a seeded community, their CSVs, pagination and
escaping."""

from __future__ import annotations

import csv
import io

import aiohttp
import pytest

from communitybot.dashboard.server import Dashboard
from communitybot.events import CommandInvoked, CommunityRef, ConversationRef
from tests.conftest import Harness, user
from tests.dashboard_world import link_for, running_dashboard
from tests.test_dashboard_http import client, sign_in

PATHS = ["members", "members.csv", "tags", "tags.csv", "problems", "problems.csv"]
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


async def community_id(harness: Harness) -> int:
    found = await harness.store.communities.get(CommunityRef("fake", "community-1"))
    assert found is not None
    return found.id


async def signed_in(harness: Harness, dashboard: Dashboard, http: aiohttp.ClientSession) -> str:
    """Sign `mod` in; the community's base URL."""
    response = await sign_in(http, await link_for(harness, "mod"))
    assert response.status == 200
    return f"{dashboard.base_url}/c/{await community_id(harness)}"


async def page(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(url) as answer:
        text = await answer.text()
        assert answer.status == 200, text
        assert "<script>" not in text
        return text


async def table(http: aiohttp.ClientSession, url: str) -> list[list[str]]:
    async with http.get(url) as answer:
        assert answer.status == 200
        assert "attachment" in answer.headers["Content-Disposition"]
        return list(csv.reader(io.StringIO(await answer.text())))


async def without_default_tags(harness: Harness) -> None:
    """The community starts with the starter tags; these tests count their own."""
    await harness.store.db.execute(
        "DELETE FROM tags WHERE community_id = ?", (await community_id(harness),)
    )


def section(text: str, caption: str) -> str:
    return text.split(f"<caption>{caption}", 1)[1].split("</table>", 1)[0]


# -- who may open them ---------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
async def test_each_page_wants_a_session_of_a_moderator_of_that_community(
    harness: Harness, path: str
) -> None:
    harness.platform.moderators.add("mod")
    await harness.join("mod")
    other = CommunityRef("fake", "community-2")
    await harness.bot.dispatch(
        CommandInvoked(other, user("mod"), ConversationRef("fake", "channel", "g"), ("help",), {})
    )
    other_row = await harness.store.communities.get(other)
    assert other_row is not None
    own = await community_id(harness)
    async with running_dashboard(harness) as dashboard, client() as http:
        async with http.get(f"{dashboard.base_url}/c/{own}/{path}") as anonymous:
            assert anonymous.status == 401
        base = await signed_in(harness, dashboard, http)
        async with http.get(f"{dashboard.base_url}/c/{other_row.id}/{path}") as elsewhere:
            assert elsewhere.status == 403
        async with http.get(f"{base}/{path}") as allowed:
            assert allowed.status == 200
        harness.platform.moderators.discard("mod")  # a member now, not a moderator
        async with http.get(f"{base}/{path}") as member:
            assert member.status == 403
            assert "not a moderator" in await member.text()


async def test_the_navigation_links_every_page(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    await harness.join("mod")
    async with running_dashboard(harness) as dashboard, client() as http:
        base = await signed_in(harness, dashboard, http)
        text = await page(http, f"{base}/members")
    path = base.split("://", 1)[1].split("/", 1)[1]
    for name in ("funnel", "members", "tags", "problems"):
        assert f'href="/{path}/{name}"' in text
    assert 'aria-current="page">Members over time' in text


# -- members over time ---------------------------------------------------------------------


async def test_members_over_time_counts_joins_and_leaves_per_week(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    for name in ("mod", "ann", "bob"):  # 20 weeks ago
        await harness.join(name)
    harness.clock.advance(weeks=10)
    await harness.leave("bob")
    await harness.join("cat")
    harness.clock.advance(weeks=9, days=6)
    for name in ("dan", "eve", "fay"):  # this week
        await harness.join(name)
    await harness.leave("eve")
    async with running_dashboard(harness) as dashboard, client() as http:
        base = await signed_in(harness, dashboard, http)
        text = await page(http, f"{base}/members")
        rows = await table(http, f"{base}/members.csv")
    assert "<strong>5</strong> members are in" in text  # mod ann cat dan fay
    assert "7 joined and 2 left" in text
    assert '<title id="flows-title">Joins and leaves per week' in text
    assert '<title id="present-title">Members present' in text
    assert rows[0] == ["period_start", "period_end", "joined", "left", "present_at_end"]
    body = [[int(n) for n in row[2:]] for row in rows[1:]]
    assert len(body) == 26
    assert body[-1] == [3, 1, 5]  # this week: dan eve fay joined, eve left
    assert body[-10] == [1, 1, 3]  # ten weeks on: cat joined, bob left
    assert body[-20] == [3, 0, 3]  # the first week
    assert body[-21] == [0, 0, 0]  # before anyone
    assert sum(r[0] for r in body) == 7 and sum(r[1] for r in body) == 2


async def test_a_young_community_is_counted_per_day(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    await harness.join("mod")
    harness.clock.advance(days=2)
    await harness.join("ann")
    async with running_dashboard(harness) as dashboard, client() as http:
        base = await signed_in(harness, dashboard, http)
        text = await page(http, f"{base}/members")
        rows = await table(http, f"{base}/members.csv")
    assert "Joins and leaves per day" in text
    assert len(rows) == 1 + 28
    assert [int(row[2]) for row in rows[-3:]] == [0, 1, 1]  # the periods end now
    assert rows[-1][4] == "2"


# -- tags ------------------------------------------------------------------------------------


async def test_tags_show_members_growth_and_missing_channels(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    for name in ("mod", "ann", "bob", "cat"):
        await harness.join(name)
    await without_default_tags(harness)
    await harness.give_tags("ann", "maths")  # 6 weeks ago: the 4 weeks before
    harness.clock.advance(weeks=6)
    await harness.give_tags("bob", "maths", SCRIPT)
    await harness.give_tags("cat", "maths", "=HYPERLINK(1)")
    await harness.leave("cat")  # cat's tags no longer count as members, the tagging does
    community = await community_id(harness)
    maths = await harness.store.tags.ensure_tag(community, "maths", "topic", harness.clock.now())
    await harness.store.tags.link(maths.id, "channel-maths", None)
    async with running_dashboard(harness) as dashboard, client() as http:
        base = await signed_in(harness, dashboard, http)
        text = await page(http, f"{base}/tags")
        rows = await table(http, f"{base}/tags.csv")
    assert "has 3 tags; 2 of them have no channel linked" in text
    assert "<strong>4</strong> times in the last 4 weeks and 1 times in the 4 weeks before" in text
    assert ESCAPED in text
    members = section(text, "Tags by members here now, most first (new")
    assert members.index("maths") < members.index(ESCAPED)
    unlinked = section(text, "Tags with no channel linked")
    assert "maths" not in unlinked and ESCAPED in unlinked and "=HYPERLINK(1)" in unlinked
    assert rows[0][:5] == ["tag", "category", "members", "new_last_4_weeks", "new_4_weeks_before"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["maths"][2:] == ["2", "2", "1", "linked", "none"]
    assert by_name[SCRIPT][2:5] == ["1", "1", "0"]
    assert by_name["'=HYPERLINK(1)"][2:5] == ["0", "1", "0"]  # a formula stays text


async def test_the_tags_table_is_paginated(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    await harness.join("mod")
    await without_default_tags(harness)
    await harness.give_tags("mod", *(f"tag-{n:03}" for n in range(120)))
    async with running_dashboard(harness) as dashboard, client() as http:
        base = await signed_in(harness, dashboard, http)
        first = await page(http, f"{base}/tags")
        second = await page(http, f"{base}/tags?page=2")
        last = await page(http, f"{base}/tags?page=99")
        bad = await page(http, f"{base}/tags?page=x")
        rows = await table(http, f"{base}/tags.csv")
    caption = "Tags by members here now"
    assert "tag-000" in section(first, caption) and "tag-049" in section(first, caption)
    assert "tag-050" not in section(first, caption)
    assert "Page 1 of 3" in first and "?page=2" in first and 'rel="prev"' not in first
    assert "tag-050" in section(second, caption) and "tag-000" not in section(second, caption)
    assert 'rel="prev"' in second
    assert "Page 3 of 3" in last and "tag-119" in section(last, caption)
    assert 'rel="next"' not in last
    assert "Page 1 of 3" in bad
    assert len(rows) == 121


# -- problems of practice ------------------------------------------------------------------


async def test_problems_of_practice_open_oldest_first_and_time_to_resolution(
    harness: Harness,
) -> None:
    harness.platform.moderators.add("mod")
    for name in ("mod", "ann", SCRIPT):
        await harness.join(name)
    community = await community_id(harness)
    ann, scripted = await harness.member("ann"), await harness.member(SCRIPT)
    asks = harness.store.asks
    now = harness.clock.now
    first = await asks.create(community, ann.id, "Oldest open problem", "c", 7, now())
    resolved_fast = await asks.create(community, ann.id, "fast", "c", 7, now())
    resolved_slow = await asks.create(community, ann.id, "slow", "c", 7, now())
    harness.clock.advance(days=2)
    await asks.resolve(resolved_fast.id, "done", now())
    harness.clock.advance(days=4)
    await asks.resolve(resolved_slow.id, "done", now())  # 6 days
    third = await asks.create(community, ann.id, "third", "c", 7, now())
    await asks.resolve(third.id, "done", now())  # 0 days
    harness.clock.advance(days=1)
    second = await asks.create(community, scripted.id, SCRIPT, "c", 7, now())
    await asks.follow(second.id, ann.id, now())
    async with running_dashboard(harness) as dashboard, client() as http:
        base = await signed_in(harness, dashboard, http)
        text = await page(http, f"{base}/problems")
        rows = await table(http, f"{base}/problems.csv")
    assert "has <strong>2</strong> open problems" in text
    assert "3 were resolved, after a median of <strong>2 days</strong>" in text
    open_table = section(text, "Open problems of practice, oldest first")
    assert open_table.index("Oldest open problem") < open_table.index(ESCAPED)
    assert f'<td class="num">{first.id}</td>' in open_table
    assert '<td class="num">7</td><td class="num">0</td>' in open_table  # days open, followers
    assert f'{ESCAPED}</td><td class="num">0</td><td class="num">1</td>' in open_table
    assert '<title id="resolution-title">Median days' in text
    assert rows[0] == ["month", "resolved", "median_days_to_resolution"]
    assert len(rows) == 1 + 12 + 1
    month = now().strftime("%Y-%m")
    resolved_month = [row for row in rows if row[0] == month or row[1] == "3"]
    assert sum(int(row[1]) for row in rows[1:13]) == 3
    assert resolved_month
    assert rows[-1] == ["open_now", "2", ""]


async def test_a_community_without_asks_says_so(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    await harness.join("mod")
    async with running_dashboard(harness) as dashboard, client() as http:
        base = await signed_in(harness, dashboard, http)
        text = await page(http, f"{base}/problems")
    assert "No problem of practice is open." in text
    assert "None was resolved in the last 12 months." in text


async def test_tag_numbers_are_counted_again_after_a_minute(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    for name in ("mod", "ann"):
        await harness.join(name)
    await without_default_tags(harness)
    await harness.give_tags("mod", "maths")
    async with running_dashboard(harness) as dashboard, client() as http:
        base = await signed_in(harness, dashboard, http)
        assert (await table(http, f"{base}/tags.csv"))[1][:3] == ["maths", "topic", "1"]
        await harness.give_tags("ann", "maths")
        assert (await table(http, f"{base}/tags.csv"))[1][:3] == ["maths", "topic", "1"]
        harness.clock.advance(minutes=1)
        assert (await table(http, f"{base}/tags.csv"))[1][:3] == ["maths", "topic", "2"]
        assert "counted again at most once a minute" in await page(http, f"{base}/tags")
