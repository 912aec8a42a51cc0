"""Mentor matching at scale: the solver against the exact optimum, greedy and random pairing.

    python -m benchmarks.mentoring [--sizes 2000,10000,50000] [--repeat 3]

A synthetic community (`communitybot.mentoring.synthetic`: 300 Zipf tags, 3–10 tags each,
realistic UTC offsets), one mentor per three mentees, capacity 3. Each measurement runs in a
fresh process, so its peak memory (growth of the process's max RSS during the solve, instance
already built and libraries imported) is its own. The exact dense solve runs only where it fits
(2,000 mentees); at larger sizes the yardstick is an upper bound: every mentee with their best
allowed mentor, capacities ignored. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np

from communitybot.mentoring import solver, synthetic
from communitybot.mentoring.solver import Pair

EXACT_UP_TO = 2_000
SEED = 7


@dataclass(frozen=True)
class Result:
    method: str
    mentees: int
    mentors: int
    seconds: float
    cpu_seconds: float
    peak_mb: float
    total: int
    matched: int


def greedy(community: synthetic.Community) -> list[Pair]:
    """The solver's candidate pairs, best first, taken while both sides are free: the obvious
    baseline (same candidates, so the difference is the assignment)."""
    model = solver._model(community.mentees, community.mentors, community.weights, ())
    edge_r, edge_c, edge_s = solver._candidate_edges(model, solver.CANDIDATES)
    seats = model.capacity.copy()
    chosen: dict[int, int] = {}
    for i in np.argsort(-edge_s, kind="stable"):
        r, c = int(edge_r[i]), int(edge_c[i])
        if r not in chosen and seats[c] > 0:
            chosen[r] = c
            seats[c] -= 1
    return solver._pairs(model, chosen)


def random_pairs(community: synthetic.Community) -> list[Pair]:
    """Mentees in random order, each given a random mentor with a free seat (what Donut does)."""
    model = solver._model(community.mentees, community.mentors, community.weights, ())
    rng = np.random.default_rng(SEED)
    seats = np.repeat(np.arange(len(community.mentors)), model.capacity)
    rng.shuffle(seats)
    order = rng.permutation(len(community.mentees))
    chosen = {int(r): int(c) for r, c in zip(order, seats, strict=False)}
    return solver._pairs(model, chosen)


def upper_bound(community: synthetic.Community) -> int:
    """Σ over mentees of their best mentor's score (capacities ignored): no assignment beats it."""
    model = solver._model(community.mentees, community.mentors, community.weights, ())
    best = np.zeros(len(community.mentees))
    right_t = np.ascontiguousarray(model.right.T)
    for start in range(0, len(best), solver.BLOCK_ROWS):
        best[start : start + solver.BLOCK_ROWS] = (
            model.left[start : start + solver.BLOCK_ROWS] @ right_t
        ).max(axis=1)
    # Only as many mentees as there are seats can be matched: keep the best ones.
    seats = int(model.capacity.sum())
    return int(np.sort(best)[::-1][:seats].sum())


def _exact(community: synthetic.Community) -> list[Pair]:
    from benchmarks.mentoring_exact import solve_exact

    return solve_exact(community.mentees, community.mentors, community.weights)


def _solve(community: synthetic.Community) -> list[Pair]:
    return solver.solve(community.mentees, community.mentors, community.weights)


METHODS: dict[str, Callable[[synthetic.Community], list[Pair]]] = {
    "exact (dense)": _exact,
    "solver (candidates + min-cost flow)": _solve,
    "greedy": greedy,
    "random": random_pairs,
}


def measure(method: str, n_mentees: int) -> Result:
    """One method on one fresh instance, in this (fresh) process."""
    import scipy.optimize  # noqa: F401  (imported before the baseline: not the solve's memory)
    from ortools.graph.python import min_cost_flow  # noqa: F401

    community = synthetic.community(n_mentees, n_mentees // 3, seed=SEED)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu = time.perf_counter(), time.process_time()
    pairs = METHODS[method](community)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    return Result(
        method,
        n_mentees,
        n_mentees // 3,
        seconds,
        cpu,
        peak / 1024,
        solver.total_score(pairs),
        len(pairs),
    )


def _bound(n_mentees: int) -> int:
    return upper_bound(synthetic.community(n_mentees, n_mentees // 3, seed=SEED))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000,10000,50000")
    parser.add_argument(
        "--repeat", type=int, default=1, help="solver runs per size: best and median wall time"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    ctx = get_context("spawn")
    print(
        "| mentees × mentors (cap 3) | method | wall time | cpu time | peak memory | matched "
        "| score |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for size in sizes:
        with ProcessPoolExecutor(1, mp_context=ctx) as pool:
            yardstick = None
            if size > EXACT_UP_TO:
                yardstick = ("of the upper bound", pool.submit(_bound, size).result())
        for method in METHODS:
            if method.startswith("exact") and size > EXACT_UP_TO:
                continue
            runs = args.repeat if method.startswith("solver") else 1
            results = []
            for _ in range(runs):
                with ProcessPoolExecutor(1, mp_context=ctx) as pool:
                    results.append(pool.submit(measure, method, size).result())
            walls = sorted(r.seconds for r in results)
            result = min(results, key=lambda r: r.seconds)
            wall = f"{walls[0]:.2f} s"
            if runs > 1:
                wall += f" (median {statistics.median(walls):.2f} s)"
            if yardstick is None:
                yardstick = ("of the optimum", result.total)
            label, reference = yardstick
            share = 100 * result.total / reference if reference else 0.0
            print(
                f"| {size:,} × {size // 3:,} | {method} | {wall} | {result.cpu_seconds:.2f} s "
                f"| {result.peak_mb:.0f} MB | {result.matched:,} | {share:.3f}% {label} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
