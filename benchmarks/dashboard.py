"""Dashboard page renders for a large community, through the real aiohttp app.

    python -m benchmarks.dashboard [--members 100000] [--requests 30]

Builds a synthetic community straight into a temporary SQLite store (schema from the
migrations): `--members` members who joined over the last 400 days (one in ten has left since),
300 tags with Zipf popularity and 3–9 tags per member (as `benchmarks/peers.py` and
`benchmarks/synthetic.py`), onboarding progress for each member, and one problem of practice per
50 members (seven in ten resolved, after 0–60 days); then a year of mentoring, peer rounds and
chats, and a network of 20 affiliates around the community with pairings, meetings and a
network chat across them (`benchmarks/dashboard_activity.py` says how much of each). Then it
starts the dashboard on 127.0.0.1 with the fake platform (the moderator, also the network's
steward, is signed in through a session opened directly), and requests every community page and
its CSV, and the network page and its CSV, `--requests` times, one after the other, after a
first request each. Prints a Markdown table per route: the first request's milliseconds (the
tags page counts its numbers then and reuses them for a minute: this is its uncached cost),
the median and p95 of the others, and the HTTP status (every route must answer 200). Issue
#16's budget: well under 300 ms at 100,000 members. Run it on a quiet machine; compare runs
made side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import numpy as np
from loguru import logger

from benchmarks import dashboard_activity as activity
from communitybot.bot import Bot
from communitybot.clock import SystemClock
from communitybot.dashboard import network_access
from communitybot.dashboard.server import SESSION_COOKIE, Dashboard
from communitybot.events import CommunityRef, MemberJoined, UserRef
from communitybot.peers.index import PeerIndex
from communitybot.store.store import Store
from communitybot.store.timefmt import to_db
from tests.fakes import FakePlatform

COMMUNITY = CommunityRef("fake", "bench")
N_TAGS = 300
DAYS = 400


def _seed(path: Path, community_id: int, first_id: int, n: int, now: datetime) -> None:
    """`n` synthetic members, their tags, onboarding and asks, with plain sqlite3 (fast)."""
    rng = np.random.default_rng(16)
    joined_ago = rng.random(n) * DAYS
    left = rng.random(n) < 0.1
    left_after = rng.random(n) * joined_ago
    popularity = 1.0 / np.arange(1, N_TAGS + 1)
    popularity /= popularity.sum()
    counts = rng.integers(3, 10, size=n)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    with conn:
        first_tag = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM tags").fetchone()[0]
        conn.executemany(
            "INSERT INTO tags (id, community_id, name, category, channel_id, created_at)"
            " VALUES (?, ?, ?, 'topic', ?, ?)",
            (
                (first_tag + t, community_id, f"tag-{t}", f"c{t}" if t % 3 else None, to_db(now))
                for t in range(N_TAGS)
            ),
        )
        members = []
        for i in range(n):
            joined = now - timedelta(days=float(joined_ago[i]))
            gone = to_db(joined + timedelta(days=float(left_after[i]))) if left[i] else None
            members.append((first_id + i, community_id, str(i), f"Member {i}", to_db(joined), gone))
        conn.executemany(
            "INSERT INTO members (id, community_id, platform, user_id, display_name, joined_at,"
            " left_at) VALUES (?, ?, 'fake', ?, ?, ?, ?)",
            members,
        )
        conn.executemany(
            "INSERT INTO member_tags (member_id, tag_id, source, added_at)"
            " VALUES (?, ?, 'self', ?)",
            (
                (first_id + i, first_tag + int(t), members[i][4])
                for i in range(n)
                for t in rng.choice(N_TAGS, size=int(counts[i]), replace=False, p=popularity)
            ),
        )
        conn.executemany(
            "INSERT INTO onboarding_progress (member_id, status, started_at) VALUES (?, ?, ?)",
            ((first_id + i, "completed" if i % 3 else "active", members[i][4]) for i in range(n)),
        )
        asks = []
        for k in range(n // 50):
            i = int(rng.integers(0, n))
            opened = now - timedelta(days=float(rng.random() * joined_ago[i]))
            resolved = (
                min(now, opened + timedelta(days=float(rng.random() * 60)))
                if rng.random() < 0.7
                else None
            )
            asks.append(
                (
                    community_id,
                    first_id + i,
                    f"Problem {k}",
                    to_db(opened),
                    "done" if resolved else None,
                    to_db(resolved) if resolved else None,
                )
            )
        conn.executemany(
            "INSERT INTO asks (community_id, member_id, problem, channel_id, remind_days,"
            " created_at, outcome, resolved_at) VALUES (?, ?, ?, 'c', 7, ?, ?, ?)",
            asks,
        )
    conn.close()


def _seed_activity(path: Path, community_id: int, steward_id: int, n: int, now: datetime) -> None:
    """The year of mentoring, rounds and chats, and the network (benchmarks/dashboard_activity)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    with conn:
        network_id, others = activity.seed_network(conn, community_id, steward_id, n, now)
        activity.seed_mentoring(conn, community_id, others, n, now)
        activity.seed_rounds(conn, community_id, others, n, now)
        activity.seed_chats(conn, community_id, network_id, others, now)
    conn.execute("ANALYZE")
    conn.close()


async def _measure(members: int, requests: int) -> list[tuple[str, float, float, float, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dashboard.db"
        store = await Store.open(path)
        platform = FakePlatform()
        platform.moderators.add("mod")
        bot = Bot(store, platform, SystemClock(), PeerIndex())
        await bot.dispatch(MemberJoined(COMMUNITY, UserRef("fake", "mod", "Mod")))
        community = await store.communities.get(COMMUNITY)
        assert community is not None
        steward = await store.members.get(community.id, UserRef("fake", "mod", "Mod"))
        assert steward is not None
        first_id = int((await store.db.fetch_one("SELECT max(id) AS n FROM members"))["n"]) + 1
        await store.close()
        now = datetime.now(UTC)
        _seed(path, community.id, first_id, members, now)
        _seed_activity(path, community.id, steward.id, members, now)
        store = await Store.open(path)
        bot = Bot(store, platform, SystemClock(), PeerIndex())
        dashboard = Dashboard(store, SystemClock(), host="127.0.0.1", port=0)
        results = []
        try:
            async with dashboard.running():
                await dashboard.attach(bot, lambda: True)
                network = await network_access.stewarded_from(
                    store, UserRef("fake", "mod"), community.id
                )
                assert network is not None
                cookie, _session = await dashboard.sessions.open(
                    "fake", "mod", community.id, now, {network.id: network.name}
                )
                base = dashboard.base_url
                routes = [
                    f"c/{community.id}/{route}"
                    for page in dashboard.pages
                    for route in (page.name, *((f"{page.name}.csv",) if page.csv else ()))
                ] + [f"n/{network.id}/", f"n/{network.id}/network.csv"]
                async with aiohttp.ClientSession(cookies={SESSION_COOKIE: cookie}) as http:
                    for route in routes:
                        started = time.perf_counter()
                        async with http.get(f"{base}/{route}") as warm:
                            status = warm.status
                            await warm.read()
                        first = (time.perf_counter() - started) * 1000
                        times = []
                        for _ in range(requests):
                            started = time.perf_counter()
                            async with http.get(f"{base}/{route}") as answer:
                                await answer.read()
                                status = max(status, answer.status)
                            times.append((time.perf_counter() - started) * 1000)
                        times.sort()
                        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
                        results.append((route, first, statistics.median(times), p95, status))
        finally:
            await store.close()
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    logger.remove()
    results = asyncio.run(_measure(args.members, args.requests))
    print(f"Dashboard routes, {args.members:,} members, {args.requests} requests each\n")
    print("| route | first request ms | median ms | p95 ms | status |")
    print("|---|---:|---:|---:|---:|")
    for route, first, median, p95, status in results:
        shown = "/".join("<id>" if part.isdigit() else part for part in route.split("/"))
        print(f"| `/{shown}` | {first:.1f} | {median:.1f} | {p95:.1f} | {status} |")


if __name__ == "__main__":
    main()
