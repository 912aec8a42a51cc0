"""`/peers` at scale: the peer index against a plain SQL GROUP BY, on a synthetic community.

    python -m benchmarks.peers [--sizes 100000,1000000] [--searches 200]
                               [--postgres | --database-url postgresql://…]

For each size, a fresh process builds a community in a temporary SQLite store (300 tags with
Zipf popularity, ~6 tags per member, a realistic time-zone mix, 90 % discoverable), then a second
fresh process loads the `PeerIndex` the way a cold `/peers` does (through the store's read
connection, a read-only command's), times the core search for random members (their own tags,
their own time zone, exactly what `/peers` asks) and the SQL query for comparison. Fresh
processes keep one size's memory out of the next one's figures. Prints a Markdown table.

`/peers` p99 is what the command costs beyond parsing and replying: the asker's member row and
tags read from the database, then the index search. With `--postgres` (`benchmarks/pg.py`) the
same community is copied into a fresh PostgreSQL database (COPY) and measured there too, one row
per size and database, side by side; the SQL GROUP BY runs on each database.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import resource
import sqlite3
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import pg
from communitybot.events import CommunityRef
from communitybot.peers.index import PeerIndex
from communitybot.store.store import Store

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
N_TAGS = 300
ZIPF_S = 1.0
ZONES = {
    "America/New_York": 18,
    "America/Chicago": 9,
    "America/Denver": 3,
    "America/Los_Angeles": 9,
    "America/Sao_Paulo": 3,
    "Europe/London": 10,
    "Europe/Berlin": 8,
    "Europe/Madrid": 3,
    "Africa/Lagos": 3,
    "Africa/Nairobi": 2,
    "Asia/Kolkata": 8,
    "Asia/Singapore": 3,
    "Asia/Tokyo": 2,
    "Australia/Sydney": 4,
    "Pacific/Auckland": 2,
    "": 13,
}


@dataclass(frozen=True)
class Row:
    members: int
    database: str
    load_s: float
    loop_stall_ms: float
    median_ms: float
    p99_ms: float
    max_ms: float
    peers_p99_ms: float
    index_mb: float
    rss_mb: float
    peak_mb: float
    sql_median_ms: float
    sql_p99_ms: float


def _zipf_tags(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per member 3–9 distinct tags (mean 6), drawn by Zipf popularity: (member idx, tag idx)."""
    p = 1 / np.arange(1, N_TAGS + 1) ** ZIPF_S
    p /= p.sum()
    members, tags = [], []
    for start in range(0, n, 100_000):
        rows = min(100_000, n - start)
        draws = rng.choice(N_TAGS, size=(rows, 16), p=p)
        dup = np.zeros(draws.shape, np.bool_)
        for j in range(1, draws.shape[1]):
            dup[:, j] = (draws[:, :j] == draws[:, j : j + 1]).any(axis=1)
        wanted = rng.integers(3, 10, size=rows)
        keep = ~dup & (np.cumsum(~dup, axis=1) <= wanted[:, None])
        idx, col = np.nonzero(keep)
        members.append(idx + start)
        tags.append(draws[idx, col])
    return np.concatenate(members), np.concatenate(tags)


def build_database(path: str, n: int, seed: int = 42) -> None:
    """Write a synthetic community straight into SQLite (the schema comes from the migrations)."""
    asyncio.run(_migrate(path))
    rng = np.random.default_rng(seed)
    names = list(ZONES)
    zone_p = np.array(list(ZONES.values()), float)
    zones = rng.choice(len(names), size=n, p=zone_p / zone_p.sum())
    discoverable = rng.random(n) < 0.9
    member_idx, tag_idx = _zipf_tags(rng, n)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    with conn:
        conn.execute(
            "INSERT INTO communities (id, platform, space_id, created_at)"
            " VALUES (1, 'bench', 's', ?)",
            (NOW.isoformat(),),
        )
        conn.executemany(
            "INSERT INTO tags (id, community_id, name, category, created_at)"
            " VALUES (?, 1, ?, 'topic', ?)",
            ((t + 1, f"tag-{t}", NOW.isoformat()) for t in range(N_TAGS)),
        )
        conn.executemany(
            "INSERT INTO members (id, community_id, platform, user_id, display_name, timezone,"
            " discoverable, joined_at) VALUES (?, 1, 'bench', ?, ?, ?, ?, ?)",
            (
                (i + 1, str(i + 1), f"Member {i + 1}", names[z] or None, int(d), NOW.isoformat())
                for i, (z, d) in enumerate(zip(zones.tolist(), discoverable.tolist(), strict=True))
            ),
        )
        conn.execute("DROP INDEX member_tags_by_tag")
        conn.executemany(
            "INSERT INTO member_tags (member_id, tag_id, source, added_at)"
            " VALUES (?, ?, 'self', ?)",
            (
                (m + 1, t + 1, NOW.isoformat())
                for m, t in zip(member_idx.tolist(), tag_idx.tolist(), strict=True)
            ),
        )
        conn.execute("CREATE INDEX member_tags_by_tag ON member_tags (tag_id, member_id)")
    conn.execute("ANALYZE")
    conn.close()


async def _migrate(path: str) -> None:
    store = await Store.open(path)
    await store.close()


COPIED = {
    "communities": ("id", "platform", "space_id", "created_at"),
    "tags": ("id", "community_id", "name", "category", "created_at"),
    "members": (
        "id",
        "community_id",
        "platform",
        "user_id",
        "display_name",
        "timezone",
        "discoverable",
        "joined_at",
    ),
    "member_tags": ("member_id", "tag_id", "source", "added_at"),
}


def copy_to_postgres(path: str, url: str) -> None:
    """The synthetic community from the SQLite file into the (migrated) database at `url`."""
    asyncio.run(_copy_to_postgres(path, url))


async def _copy_to_postgres(path: str, url: str) -> None:
    import asyncpg

    await _migrate(url)
    source = sqlite3.connect(path)
    target = await asyncpg.connect(url)
    try:
        for table, columns in COPIED.items():
            cursor = source.execute(f"SELECT {', '.join(columns)} FROM {table}")
            while rows := cursor.fetchmany(200_000):
                await target.copy_records_to_table(table, records=rows, columns=columns)
        await target.execute("ANALYZE")
    finally:
        await target.close()
        source.close()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


async def _pg_sql_top(conn: Any, tags: list[int], exclude: int, n: int) -> list[int]:
    """`_sql_top` on PostgreSQL (the same GROUP BY, `= ANY($1)` for the tag list)."""
    df = {
        r[0]: r[1]
        for r in await conn.fetch(
            "SELECT tag_id, count(*) FROM member_tags WHERE tag_id = ANY($1) GROUP BY tag_id",
            tags,
        )
    }
    cases = " ".join(f"WHEN {t} THEN {math.log(n / max(1, df.get(t, 1))):.6f}" for t in tags)
    rows = await conn.fetch(
        f"SELECT member_id, sum(CASE tag_id {cases} END) AS score FROM member_tags"
        " WHERE tag_id = ANY($1) AND member_id != $2"
        " GROUP BY member_id ORDER BY score DESC LIMIT 10",
        tags,
        exclude,
    )
    return [r[0] for r in rows]


def _sql_top(conn: sqlite3.Connection, tags: list[int], exclude: int, n: int) -> list[int]:
    """The plain SQL the issue measured: rarity-weighted GROUP BY over member_tags, top 10.

    It does not even drop hidden or departed members (that join makes it ~2x slower).
    """
    marks = ",".join("?" * len(tags))
    df = dict(
        conn.execute(
            f"SELECT tag_id, count(*) FROM member_tags WHERE tag_id IN ({marks}) GROUP BY tag_id",
            tags,
        ).fetchall()
    )
    cases = " ".join(f"WHEN {t} THEN {math.log(n / max(1, df.get(t, 1))):.6f}" for t in tags)
    rows = conn.execute(
        f"SELECT member_id, sum(CASE tag_id {cases} END) AS score FROM member_tags"
        f" WHERE tag_id IN ({marks}) AND member_id != ?"
        " GROUP BY member_id ORDER BY score DESC LIMIT 10",
        [*tags, exclude],
    ).fetchall()
    return [r[0] for r in rows]


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


async def _measure_async(path: str, n: int, searches: int, sql_runs: int, seed: int) -> Row:
    store = await Store.open(path)
    rng = np.random.default_rng(seed)
    askers = rng.integers(1, n + 1, size=searches).tolist()
    own: dict[int, tuple[list[int], str | None]] = {}
    for member_id in askers:
        tags = await store.tags.member_tag_ids(member_id)
        member = await store.members.get_by_id(member_id)
        own[member_id] = (tags, member.timezone if member else None)
    index = PeerIndex()
    stall = 0.0

    async def ticker() -> None:
        nonlocal stall
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            stall = max(stall, now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    started = time.perf_counter()
    reader = store.reader or store  # a cold `/peers` is read-only: it loads on the read path
    await index.ensure_loaded(reader, 1)
    load_s = time.perf_counter() - started
    ticking.cancel()
    community = await store.communities.get(CommunityRef("bench", "s"))
    assert community is not None
    timings = []
    for member_id in [*askers[:10], *askers]:  # the first ten warm caches up
        tags, timezone = own[member_id]
        started = time.perf_counter()
        await index.search(reader, 1, tags, member_id, timezone, 10, at=NOW)
        timings.append((time.perf_counter() - started) * 1000)
    timings = timings[10:]
    peers_timings = []
    for member_id in [*askers[:10], *askers]:  # what `/peers` reads, then the search
        started = time.perf_counter()
        member = await reader.members.get_by_id(member_id)
        tags = await reader.tags.member_tag_ids(member_id)
        await index.search(
            reader, 1, tags, member_id, member.timezone if member else None, 10, at=NOW
        )
        peers_timings.append((time.perf_counter() - started) * 1000)
    peers_timings = peers_timings[10:]
    database = store.db.dialect
    await store.close()
    sql_timings = []
    if database == "postgresql":
        import asyncpg

        pg_conn = await asyncpg.connect(path)
        for member_id in askers[:sql_runs]:
            started = time.perf_counter()
            await _pg_sql_top(pg_conn, own[member_id][0], member_id, n)
            sql_timings.append((time.perf_counter() - started) * 1000)
        await pg_conn.close()
    else:
        conn = sqlite3.connect(path)
        for member_id in askers[:sql_runs]:
            started = time.perf_counter()
            _sql_top(conn, own[member_id][0], member_id, n)
            sql_timings.append((time.perf_counter() - started) * 1000)
        conn.close()
    return Row(
        members=n,
        database="PostgreSQL" if database == "postgresql" else "SQLite",
        load_s=load_s,
        loop_stall_ms=stall * 1000,
        median_ms=statistics.median(timings),
        p99_ms=_percentile(timings, 0.99),
        max_ms=max(timings),
        peers_p99_ms=_percentile(peers_timings, 0.99),
        index_mb=index.nbytes(1) / 2**20,
        rss_mb=_rss_mb(),
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        sql_median_ms=statistics.median(sql_timings),
        sql_p99_ms=_percentile(sql_timings, 0.99),
    )


def measure(path: str, n: int, searches: int, sql_runs: int, seed: int = 7) -> Row:
    return asyncio.run(_measure_async(path, n, searches, sql_runs, seed))


def _fresh_process() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated member counts")
    parser.add_argument("--searches", type=int, default=200)
    pg.add_arguments(parser)
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if args.postgres or args.database_url:
        with pg.server_url(args.database_url) as server:
            rows = _measure_sizes(sizes, args.searches, server)
    else:
        rows = _measure_sizes(sizes, args.searches, None)
    print()
    print(
        "| members | database | index load | max loop stall during load | search median"
        " | search p99 | max | `/peers` p99 (reads + search) | index arrays | RSS after"
        " | peak RSS | SQL GROUP BY median | SQL p99 |"
    )
    print("|---:|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r.members:,} | {r.database} | {r.load_s:.2f} s | {r.loop_stall_ms:.0f} ms"
            f" | {r.median_ms:.2f} ms | {r.p99_ms:.2f} ms | {r.max_ms:.2f} ms"
            f" | {r.peers_p99_ms:.2f} ms | {r.index_mb:.0f} MB | {r.rss_mb:.0f} MB"
            f" | {r.peak_mb:.0f} MB | {r.sql_median_ms:.1f} ms | {r.sql_p99_ms:.1f} ms |"
        )
    print(
        f"\n{args.searches} searches per size for random members with their own tags and time"
        " zone (limit 10); SQL: rarity-weighted GROUP BY over member_tags."
    )


def _measure_sizes(sizes: list[int], searches: int, server: str | None) -> list[Row]:
    """Build each size once (SQLite), measure it there and, with a `server`, on PostgreSQL."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = str(Path(tmp) / f"peers-{n}.db")
            started = time.perf_counter()
            with _fresh_process() as pool:
                pool.submit(build_database, path, n).result()
            print(f"built {n:,} members in {time.perf_counter() - started:.1f} s", flush=True)
            sql_runs = max(10, min(100, 3_000_000 // n))
            with _fresh_process() as pool:
                rows.append(pool.submit(measure, path, n, searches, sql_runs).result())
            if server is not None:
                rows.append(asyncio.run(_measure_postgres(server, path, n, searches, sql_runs)))
            Path(path).unlink()
    return rows


async def _measure_postgres(server: str, path: str, n: int, searches: int, sql_runs: int) -> Row:
    """The same community copied into a fresh PostgreSQL database, measured in a fresh process."""
    loop = asyncio.get_running_loop()
    async with pg.fresh_database(server, "peers") as url:
        started = time.perf_counter()
        with _fresh_process() as pool:
            await loop.run_in_executor(pool, copy_to_postgres, path, url)
        print(f"copied {n:,} members to PostgreSQL in {time.perf_counter() - started:.1f} s")
        with _fresh_process() as pool:
            return await loop.run_in_executor(pool, measure, url, n, searches, sql_runs)


if __name__ == "__main__":
    main()
