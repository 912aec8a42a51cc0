"""Peer rounds at scale: the solver against random pairing and greedy, as a share of an upper bound.

    python -m benchmarks.peer_rounds [--members 5000] [--community-seed 7] [--repeat 3]

A synthetic community (`benchmarks.synthetic`: 300 Zipf tags, 3–10 tags each,
realistic UTC offsets). The yardstick is `benchmarks.peer_rounds_bound.upper_bound` (the dense
bipartite relaxation, not timed). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Mapping, Sequence

import numpy as np

from benchmarks import synthetic
from benchmarks.peer_rounds_bound import upper_bound
from communitybot.rounds import solver as rounds
from communitybot.rounds.solver import Group, Member

SEED = 7


def members_of(n: int, seed: int = SEED) -> tuple[list[Member], dict[int, int]]:
    """`n` synthetic members and their community's rarity weights."""
    community = synthetic.community(n, 0, seed=seed)
    members = [Member(m.id, m.tags, m.offset) for m in community.mentees]
    return members, community.weights


def _fold_last(groups: list[Group], last: list[int]) -> list[Group]:
    if last and groups:
        return [*groups[:-1], (*groups[-1], *last)]
    return groups + ([tuple(last)] if last else [])


def random_round(members: Sequence[Member], seed: int = 0) -> list[Group]:
    """Shuffle and pair neighbours, the odd one joining the last pair (what Donut does)."""
    ids = [members[int(i)].id for i in np.random.default_rng(seed).permutation(len(members))]
    groups: list[Group] = [(ids[i], ids[i + 1]) for i in range(0, len(ids) - 1, 2)]
    return _fold_last(groups, ids[len(ids) - len(ids) % 2 :])


def greedy_round(
    members: Sequence[Member],
    weights: Mapping[int, int],
    recent_pairs: Sequence[tuple[int, int]] = (),
) -> list[Group]:
    """Every pair, best first, taken while both are free; the rest paired in order."""
    scores = rounds.score_matrix(members, weights, recent_pairs)
    n = len(members)
    iu, ju = np.triu_indices(n, 1)
    order = np.argsort(-scores[iu, ju], kind="stable")
    free = np.ones(n, np.bool_)
    groups: list[Group] = []
    for e in order:
        i, j = int(iu[e]), int(ju[e])
        if free[i] and free[j]:
            free[i] = free[j] = False
            groups.append((members[i].id, members[j].id))
    return _fold_last(groups, [members[int(r)].id for r in np.flatnonzero(free)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--community-seed", type=int, default=SEED, help="synthetic community")
    parser.add_argument(
        "--repeat", type=int, default=1, help="pair_round runs: best and median wall time"
    )
    args = parser.parse_args()
    n = args.members
    members, weights = members_of(n, seed=args.community_seed)
    bound = upper_bound(members, weights)
    print(
        f"Peer round, {n:,} members, community seed {args.community_seed} "
        f"(bound: dense bipartite relaxation {bound:,.0f})\n"
    )
    print("| method | wall time | cpu time | total score | % of bound |")
    print("|---|---:|---:|---:|---:|")
    methods = {
        "random": lambda: random_round(members),
        "greedy": lambda: greedy_round(members, weights),
        "rounds.pair_round": lambda: rounds.pair_round(members, weights, seed=SEED),
    }
    for name, run in methods.items():
        walls, cpus = [], []
        for _ in range(args.repeat if name == "rounds.pair_round" else 1):
            start, cpu = time.perf_counter(), time.process_time()
            groups = run()
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
        wall = f"{min(walls):.2f} s"
        if len(walls) > 1:
            wall += f" (median {statistics.median(walls):.2f} s)"
        total = rounds.total_score(members, weights, groups)
        print(f"| {name} | {wall} | {min(cpus):.2f} s | {total:,.0f} | {100 * total / bound:.2f} |")


if __name__ == "__main__":
    main()
