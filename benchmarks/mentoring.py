"""Mentor matching at scale: the solver against the exact optimum, at every size that fits.

    python -m benchmarks.mentoring [--sizes 2000,5000,10000,50000] [--repeat 3]
                                   [--exact on|off] [--previous] [--baselines]

A synthetic community (`benchmarks.synthetic`: 300 Zipf tags, 3–10 tags each,
realistic UTC offsets), one mentor per three mentees, capacity 3, under the default rule (no
pair without a shared tag). Each measurement runs in a fresh process, so its peak memory (growth
of the process's max RSS during the solve, instance already built and libraries imported) is its
own.

The yardstick is the exact dense optimum (`benchmarks.mentoring_exact`: scipy's
`linear_sum_assignment` on the mentees × seats matrix) up to `EXACT_UP_TO` mentees: about 40 s
and 2.6 GB at 10,000 on a quiet 2-core machine. Its totals are cached by instance fingerprint in
`~/.cache/communitybot/mentoring_exact.json`, so only the first run pays for it; `--exact off`
skips it. `--previous` adds the solver with its earlier settings (50 candidates per mentee, flow
pruning above a million arcs) in the same run, for a ratio on the same machine; `--baselines`
adds greedy and random pairing. Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.context import BaseContext
from pathlib import Path

import numpy as np

from benchmarks import synthetic
from communitybot.mentoring import solver
from communitybot.mentoring.solver import Pair

EXACT_UP_TO = 10_000
SEED = 7
PREVIOUS = {
    "CANDIDATES": 50,
    "FLOW_ARCS": 1_000_000,
    "FLOW_OWN": 10,
    "FLOW_MENTOR": 30,
}
"""The solver's settings before issue #10 (99.8% of the optimum at 10,000)."""


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


def _community(n_mentees: int) -> synthetic.Community:
    return synthetic.community(n_mentees, n_mentees // 3, seed=SEED)


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
    """Mentees in random order, each given a random mentor with a free seat (what Donut does;
    it ignores the shared-tag rule)."""
    model = solver._model(community.mentees, community.mentors, community.weights, ())
    rng = np.random.default_rng(SEED)
    seats = np.repeat(np.arange(len(community.mentors)), model.capacity)
    rng.shuffle(seats)
    order = rng.permutation(len(community.mentees))
    chosen = {int(r): int(c) for r, c in zip(order, seats, strict=False)}
    return solver._pairs(model, chosen)


def _exact(community: synthetic.Community) -> list[Pair]:
    from benchmarks.mentoring_exact import solve_exact

    return solve_exact(community.mentees, community.mentors, community.weights)


def _solve(community: synthetic.Community) -> list[Pair]:
    return solver.solve(community.mentees, community.mentors, community.weights)


def _solve_previous(community: synthetic.Community) -> list[Pair]:
    for name, value in PREVIOUS.items():
        setattr(solver, name, value)  # this process is fresh and measures only this
    return solver.solve(
        community.mentees, community.mentors, community.weights, candidates=PREVIOUS["CANDIDATES"]
    )


METHODS: dict[str, Callable[[synthetic.Community], list[Pair]]] = {
    "exact (dense)": _exact,
    "**solver**": _solve,
    "solver, previous settings": _solve_previous,
    "greedy": greedy,
    "random": random_pairs,
}


def measure(method: str, n_mentees: int) -> Result:
    """One method on one fresh instance, in this (fresh) process."""
    import scipy.optimize  # noqa: F401  (imported before the baseline: not the solve's memory)
    from ortools.graph.python import min_cost_flow  # noqa: F401

    community = _community(n_mentees)
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


def fingerprint(n_mentees: int) -> str:
    """What the exact optimum depends on: the instance (tags, zones, goals, capacities, weights)."""
    c = _community(n_mentees)
    text = repr((c.mentees, c.mentors, sorted(c.weights.items())))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "communitybot" / "mentoring_exact.json"


def exact_result(size: int, ctx: BaseContext) -> Result:
    """The exact optimum for `size`, from the cache or measured (and cached) in a fresh process."""
    path = _cache_path()
    cache: dict[str, dict[str, float]] = json.loads(path.read_text()) if path.exists() else {}
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        key = f"{size}:{SEED}:{pool.submit(fingerprint, size).result()}"
    if key in cache:
        saved = cache[key]
        return Result(
            "exact (dense), cached",
            size,
            size // 3,
            float(saved["seconds"]),
            float(saved["cpu_seconds"]),
            float(saved["peak_mb"]),
            int(saved["total"]),
            int(saved["matched"]),
        )
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        result = pool.submit(measure, "exact (dense)", size).result()
    cache[key] = {
        "seconds": result.seconds,
        "cpu_seconds": result.cpu_seconds,
        "peak_mb": result.peak_mb,
        "total": result.total,
        "matched": result.matched,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cache, indent=1))
    return result


def _row(size: int, result: Result, wall: str, exact: Result | None) -> str:
    optimum, share = "—", "—"
    if exact is not None:
        optimum = f"{exact.total:,}"
        share = f"{100 * result.total / exact.total:.3f}%"
    return (
        f"| {size:,} × {size // 3:,} | {result.method} | {wall} | {result.cpu_seconds:.2f} s "
        f"| {result.peak_mb:.0f} MB | {result.matched:,} | {result.total:,} | {optimum} "
        f"| {share} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", default="2000,5000,10000,50000")
    parser.add_argument(
        "--repeat", type=int, default=1, help="solver runs per size: best and median wall time"
    )
    parser.add_argument(
        "--exact",
        choices=("on", "off"),
        default="on",
        help=f"the exact optimum up to {EXACT_UP_TO:,} mentees (cached after the first run)",
    )
    parser.add_argument("--previous", action="store_true", help="also the earlier settings")
    parser.add_argument("--baselines", action="store_true", help="also greedy and random")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    methods = ["**solver**"]
    if args.previous:
        methods.append("solver, previous settings")
    if args.baselines:
        methods += ["greedy", "random"]
    ctx = get_context("spawn")
    print(
        "| mentees × mentors (cap 3) | method | wall time | cpu time | peak memory | matched "
        "| total score | exact optimum | % of optimum |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in sizes:
        exact = None
        if args.exact == "on" and size <= EXACT_UP_TO:
            exact = exact_result(size, ctx)
            print(_row(size, exact, f"{exact.seconds:.1f} s", exact), flush=True)
        for method in methods:
            runs = args.repeat if method.startswith(("**solver", "solver")) else 1
            results = []
            for _ in range(runs):
                with ProcessPoolExecutor(1, mp_context=ctx) as pool:
                    results.append(pool.submit(measure, method, size).result())
            walls = sorted(r.seconds for r in results)
            wall = f"{walls[0]:.2f} s"
            if runs > 1:
                wall += f" (median {statistics.median(walls):.2f} s)"
            best = min(results, key=lambda r: r.seconds)
            print(_row(size, best, wall, exact), flush=True)


if __name__ == "__main__":
    main()
