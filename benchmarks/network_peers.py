"""`/peers scope=network` at scale: a network of affiliates, each with its own peer index.

    python -m benchmarks.network_peers [--affiliates 100] [--members 1000] [--searches 300]
        [--local-tags]

Builds, in a temporary SQLite store, one network of `--affiliates` communities (alternately
"discord" and "matrix") of `--members` members each: every community holds a copy of the
network's 300 tags (one taxonomy: the same names everywhere, different ids, linked to the
network tag; with `--local-tags` each community's own tags of the same names, matched across
by name), Zipf popularity, ~6 tags per member; 90 % of the members are discoverable and 60 %
of those chose the network scope. Then, in a fresh process:

- **index loads**: every affiliate's index loaded cold through the read connection, the way the
  first `/peers scope=network` does (reported separately: it happens once per process and
  affiliate, in a worker thread);
- **search**: `PeerIndex.search_network` alone (tag matches given), for random askers;
- **`/peers scope=network`**: what the command costs beyond parsing and replying: the asker's
  row and tags, the network and its affiliates, every affiliate's copy of the query tags (one
  query; by name and alias with `--local-tags`), the asker's memberships, the search, and the
  listed members' rows;
- the same command when, before each, one member of a random affiliate took new tags (so
  what the search keeps between searches is stale somewhere every time).

Prints a Markdown table (milliseconds).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from benchmarks.peers import N_TAGS, NOW, ZONES, _percentile, _zipf_tags
from communitybot.models import Member
from communitybot.peers.commands import _network_search
from communitybot.peers.index import PeerIndex
from communitybot.store.store import Store

NETWORK_SHARE = 0.6


def build_database(
    path: str, affiliates: int, members: int, seed: int = 42, *, shared: bool = True
) -> None:
    """Write the network straight into SQLite (the schema comes from the migrations).
    `shared`: the tags are the network's (one taxonomy, each affiliate holding a copy of each);
    otherwise every affiliate's tags are its own, matched across by name."""
    asyncio.run(_migrate(path))
    rng = np.random.default_rng(seed)
    names = list(ZONES)
    zone_p = np.array(list(ZONES.values()), float)
    stamp = NOW.isoformat()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    with conn:
        conn.execute("INSERT INTO networks (id, name, created_at) VALUES (1, 'Bench', ?)", (stamp,))
        if shared:
            conn.executemany(
                "INSERT INTO network_tags (id, network_id, name, created_at) VALUES (?, 1, ?, ?)",
                ((t + 1, f"tag-{t}", stamp) for t in range(N_TAGS)),
            )
        for c in range(affiliates):
            community_id = c + 1
            platform = "discord" if c % 2 == 0 else "matrix"
            conn.execute(
                "INSERT INTO communities (id, platform, space_id, created_at) VALUES (?, ?, ?, ?)",
                (community_id, platform, f"space-{community_id}", stamp),
            )
            conn.execute(
                "INSERT INTO network_affiliates (community_id, network_id, joined_at)"
                " VALUES (?, 1, ?)",
                (community_id, stamp),
            )
            first_tag = c * N_TAGS + 1
            conn.executemany(
                "INSERT INTO tags (id, community_id, name, category, created_at)"
                " VALUES (?, ?, ?, 'topic', ?)",
                ((first_tag + t, community_id, f"tag-{t}", stamp) for t in range(N_TAGS)),
            )
            if shared:  # every affiliate's tag is its copy of the network's
                conn.execute(
                    "UPDATE tags SET network_tag_id = id - ? WHERE community_id = ?",
                    (first_tag - 1, community_id),
                )
            first_member = c * members + 1
            zones = rng.choice(len(names), size=members, p=zone_p / zone_p.sum())
            discoverable = rng.random(members) < 0.9
            network = rng.random(members) < NETWORK_SHARE
            conn.executemany(
                "INSERT INTO members (id, community_id, platform, user_id, display_name,"
                " timezone, discoverable, network_visible, joined_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        first_member + i,
                        community_id,
                        platform,
                        f"user-{first_member + i}",
                        f"Member {first_member + i}",
                        names[z] or None,
                        int(d),
                        int(w),
                        stamp,
                    )
                    for i, (z, d, w) in enumerate(
                        zip(zones.tolist(), discoverable.tolist(), network.tolist(), strict=True)
                    )
                ),
            )
            member_idx, tag_idx = _zipf_tags(rng, members)
            conn.executemany(
                "INSERT INTO member_tags (member_id, tag_id, source, added_at)"
                " VALUES (?, ?, 'self', ?)",
                (
                    (first_member + m, first_tag + t, stamp)
                    for m, t in zip(member_idx.tolist(), tag_idx.tolist(), strict=True)
                ),
            )
    conn.execute("ANALYZE")
    conn.close()


async def _migrate(path: str) -> None:
    store = await Store.open(path)
    await store.close()


async def _measure_async(
    path: str, affiliates: int, members: int, searches: int, seed: int
) -> dict[str, float]:
    store = await Store.open(path)
    try:
        return await _measure_open(store, affiliates, members, searches, seed)
    finally:
        await store.close()


async def _measure_open(
    store: Store, affiliates: int, members: int, searches: int, seed: int
) -> dict[str, float]:
    reader = store.reader or store  # `/peers` is read-only: it runs on the read connection
    index = PeerIndex()
    started = time.perf_counter()
    for community_id in range(1, affiliates + 1):
        await index.ensure_loaded(reader, community_id)
    load_s = time.perf_counter() - started
    rng = np.random.default_rng(seed)
    askers = rng.integers(1, affiliates * members + 1, size=searches).tolist()
    core, command, hits = [], [], []
    for member_id in [*askers[:10], *askers]:  # the first ten warm caches up
        member = await reader.members.get_by_id(member_id)
        assert member is not None
        tags = await reader.tags.tags_of_member(member_id)
        if not tags:
            continue
        ctx = await ctx_of(reader, index, member)
        # The search alone: the tag matches given (the same tag names in every affiliate).
        offset = [t.id - (member.community_id - 1) * N_TAGS for t in tags]
        matches = {member.community_id: [t.id for t in tags]}
        for community_id in range(1, affiliates + 1):
            if community_id != member.community_id:
                matches[community_id] = [(community_id - 1) * N_TAGS + o for o in offset]
        started = time.perf_counter()
        await index.search_network(
            reader,
            matches,
            member.community_id,
            {member.community_id: member_id},
            member.timezone,
            10,
            at=NOW,
        )
        core.append((time.perf_counter() - started) * 1000)
        # What the command reads and searches (beyond parsing and replying).
        started = time.perf_counter()
        member = await reader.members.get_by_id(member_id)
        tags = await reader.tags.tags_of_member(member_id)
        found = await _network_search(ctx, tags, 10)  # type: ignore[arg-type]
        command.append((time.perf_counter() - started) * 1000)
        hits.append(len(found or []))
    core, command = core[10:], command[10:]
    churn = await _measure_churn(reader, index, ctx_of, askers, affiliates, members, seed)
    return {
        "churn_median": statistics.median(churn),
        "churn_p99": _percentile(churn, 0.99),
        "load_s": load_s,
        "core_median": statistics.median(core),
        "core_p99": _percentile(core, 0.99),
        "command_median": statistics.median(command),
        "command_p99": _percentile(command, 0.99),
        "hits": statistics.mean(hits),
        "searches": len(core),
    }


async def ctx_of(reader: Store, index: PeerIndex, member: Member) -> SimpleNamespace:
    """What `_network_search` reads of a command's context."""
    return SimpleNamespace(
        store=reader,
        community=await reader.communities.get_by_id(member.community_id),
        member=member,
        peers=index,
        clock=SimpleNamespace(now=lambda: NOW),
    )


async def _measure_churn(
    reader: Store,
    index: PeerIndex,
    make_ctx: Callable[[Store, PeerIndex, Member], Awaitable[SimpleNamespace]],
    askers: list[int],
    affiliates: int,
    members: int,
    seed: int,
) -> list[float]:
    """`/peers scope=network` while the network changes: before each search one member of a
    random affiliate takes a new set of tags (as the write path applies a `/tags add`), so
    whatever a search keeps between searches is stale somewhere every time."""
    rng = np.random.default_rng(seed + 1)
    times = []
    for member_id in askers:
        changed = int(rng.integers(1, affiliates * members + 1))
        community_id = (changed - 1) // members + 1
        first_tag = (community_id - 1) * N_TAGS + 1
        tags = (first_tag + rng.choice(N_TAGS, size=6, replace=False)).tolist()
        index._communities[community_id].upsert(
            changed, tags, "Europe/London", True, present=True, network=True
        )
        member = await reader.members.get_by_id(member_id)
        assert member is not None
        ctx = await make_ctx(reader, index, member)
        started = time.perf_counter()
        member = await reader.members.get_by_id(member_id)
        tags_of = await reader.tags.tags_of_member(member_id)
        await _network_search(ctx, tags_of, 10)  # type: ignore[arg-type]
        times.append((time.perf_counter() - started) * 1000)
    return times


def measure(path: str, affiliates: int, members: int, searches: int, seed: int = 7) -> dict:
    return asyncio.run(_measure_async(path, affiliates, members, searches, seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--affiliates", type=int, default=100)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument(
        "--local-tags",
        action="store_true",
        help="each affiliate's own tags, matched by name (no network taxonomy)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "network.db")
        started = time.perf_counter()
        build_database(path, args.affiliates, args.members, shared=not args.local_tags)
        built = time.perf_counter() - started
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            row = pool.submit(measure, path, args.affiliates, args.members, args.searches).result()
    print(
        f"Network of {args.affiliates} affiliates × {args.members:,} members "
        f"(SQLite, built in {built:.1f} s; "
        f"{'local tags matched by name' if args.local_tags else 'network tags'}), "
        f"{row['searches']} searches, "
        f"{row['hits']:.1f} members listed on average.\n"
    )
    print("| what | median ms | p99 ms |")
    print("| --- | ---: | ---: |")
    print(f"| search (`search_network`) | {row['core_median']:.2f} | {row['core_p99']:.2f} |")
    print(
        f"| `/peers scope=network` (reads + search) | {row['command_median']:.2f} "
        f"| {row['command_p99']:.2f} |"
    )
    print(
        f"| `/peers scope=network`, one member changed before each | {row['churn_median']:.2f} "
        f"| {row['churn_p99']:.2f} |"
    )
    print(
        f"\nIndex loads (excluded above): {args.affiliates} affiliates in {row['load_s']:.2f} s "
        f"({row['load_s'] / args.affiliates * 1000:.1f} ms each, cold, read path)."
    )


if __name__ == "__main__":
    main()
