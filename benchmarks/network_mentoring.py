"""Network mentor matching at scale: mentees and mentors of many affiliates in one round.

    python -m benchmarks.network_mentoring [--affiliates 100] [--mentees 10000] [--repeat 3]
                                           [--exact on|off]

The synthetic population of `benchmarks.mentoring` (`benchmarks.synthetic`: 300 Zipf tags,
3–10 tags each, realistic UTC offsets, one mentor per three mentees, capacity 3) spread over
`--affiliates` affiliates of uneven size (Zipf-like shares, so a few large schools and many
small ones). Tags are the network's (matched by name, as `network mentors match` does), so the
affiliates share them. Solved as a network round does (`solver.solve` with each side's
affiliate as its group), with prefer-outside on (`OUTSIDE_POINTS` for a pair across
affiliates) and off.

The yardstick is the exact dense optimum of the same problem, bonus included
(`benchmarks.mentoring_exact`: scipy's `linear_sum_assignment` on mentees × seats; about 40 s
and 2.6 GB at 10,000). Goal (issue 14): 10,000 × 3,333 at ≥ 99.95 % of the optimum in ≤ 1.5 s.
Each measurement runs in a fresh process. Prints one Markdown table: wall and cpu time of the
solve, pairs made, pairs across affiliates, total score, the optimum and the share of it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing import get_context

import numpy as np

from benchmarks import synthetic
from communitybot.mentoring import solver
from communitybot.mentoring.solver import Mentee, Mentor, Pair
from communitybot.network_matching import OUTSIDE_POINTS

SEED = 7


@dataclass(frozen=True)
class Instance:
    mentees: list[Mentee]
    mentors: list[Mentor]
    weights: dict[int, int]


@dataclass(frozen=True)
class Result:
    seconds: float
    cpu_seconds: float
    matched: int
    across: int
    total: int


def instance(n_mentees: int, affiliates: int) -> Instance:
    """The synthetic population, each member in an affiliate drawn by uneven shares."""
    base = synthetic.community(n_mentees, n_mentees // 3, seed=SEED)
    rng = np.random.default_rng(SEED + 1)
    share = 1.0 / np.arange(1, affiliates + 1) ** 0.7
    share /= share.sum()
    groups = rng.choice(affiliates, len(base.mentees) + len(base.mentors), p=share)
    mentees = [replace(m, group=int(g)) for m, g in zip(base.mentees, groups, strict=False)]
    mentors = [
        replace(m, group=int(g))
        for m, g in zip(base.mentors, groups[len(base.mentees) :], strict=True)
    ]
    return Instance(mentees, mentors, dict(base.weights))


def _summary(found: Instance, pairs: list[Pair]) -> tuple[int, int, int]:
    group = {m.id: m.group for m in found.mentees} | {m.id: m.group for m in found.mentors}
    across = sum(1 for p in pairs if group[p.mentee_id] != group[p.mentor_id])
    return len(pairs), across, solver.total_score(pairs)


def measure(method: str, n_mentees: int, affiliates: int, outside: int) -> Result:
    """One solve of one fresh instance, in this (fresh) process."""
    from ortools.graph.python import min_cost_flow  # noqa: F401  (imported before timing)

    found = instance(n_mentees, affiliates)
    started, cpu = time.perf_counter(), time.process_time()
    if method == "exact":
        from benchmarks.mentoring_exact import solve_exact

        pairs = solve_exact(found.mentees, found.mentors, found.weights, outside_points=outside)
    else:
        pairs = solver.solve(found.mentees, found.mentors, found.weights, outside_points=outside)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Result(seconds, cpu, *_summary(found, pairs))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--affiliates", type=int, default=100)
    parser.add_argument("--mentees", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="solver runs: best and median")
    parser.add_argument("--exact", choices=("on", "off"), default="on")
    args = parser.parse_args()
    ctx = get_context("spawn")
    size = f"{args.mentees:,} × {args.mentees // 3:,}, {args.affiliates} affiliates"
    print(
        "| round | prefer outside | method | wall time | cpu time | matched | across affiliates "
        "| total score | exact optimum | % of optimum |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for outside in (OUTSIDE_POINTS, 0):
        prefer = "on" if outside else "off"
        exact = None
        if args.exact == "on":
            with ProcessPoolExecutor(1, mp_context=ctx) as pool:
                job = pool.submit(measure, "exact", args.mentees, args.affiliates, outside)
                exact = job.result()
            print(
                f"| {size} | {prefer} | exact (dense) | {exact.seconds:.1f} s "
                f"| {exact.cpu_seconds:.1f} s | {exact.matched:,} | {exact.across:,} "
                f"| {exact.total:,} | {exact.total:,} | 100% |",
                flush=True,
            )
        runs = []
        for _ in range(max(1, args.repeat)):
            with ProcessPoolExecutor(1, mp_context=ctx) as pool:
                job = pool.submit(measure, "solver", args.mentees, args.affiliates, outside)
                runs.append(job.result())
        best = min(runs, key=lambda r: r.seconds)
        wall = f"{best.seconds:.2f} s"
        if len(runs) > 1:
            wall += f" (median {statistics.median(r.seconds for r in runs):.2f} s)"
        optimum = f"{exact.total:,}" if exact else "—"
        share = f"{100 * best.total / exact.total:.3f}%" if exact and exact.total else "—"
        print(
            f"| {size} | {prefer} | **solver** | {wall} | {best.cpu_seconds:.2f} s "
            f"| {best.matched:,} | {best.across:,} | {best.total:,} | {optimum} | {share} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
