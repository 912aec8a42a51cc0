"""Optimal mentor assignment with capacities: candidates by BLAS, then an exact sparse solver.

Pure (no store, no asyncio), so a round can be solved in a worker thread and tested with numbers.

Why this shape: the exact dense problem (every mentee against every mentor seat) needs gigabytes
and tens of seconds at 10,000 mentees, and greedy loses over a percent of the total. Instead:

1. *Candidates.* Mentees and mentors become rows of small dense matrices (one column per tag,
   plus one per distinct time-zone offset), so one float32 matrix product scores a block of
   mentees against every mentor, exactly (see `scoring`). Hard rules (never yourself, never an
   ended pair, never the reverse of a live pairing) knock entries out; each mentee keeps its
   `candidates` best mentors.
2. *Assignment.* A min-cost flow on that sparse graph (OR-Tools' cost-scaling solver) with the
   mentors' real capacities: optimal on the candidates. Each mentee also has a private
   "unmatched" arc whose cost is so high that matching more mentees always wins over a better
   score, which keeps the problem feasible. (scipy's LAPJVsp on a seat expansion finds the same
   optimum but took 3.8 s instead of 0.9 s at 10,000 × 3,300: supply and demand are nearly
   equal there, and its augmenting paths get long.)
3. *Fallback.* Mentees left unmatched because their candidates filled up are solved once more
   against every mentor who still has a seat, with all allowed edges: nobody who can still be
   matched to a free seat is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from communitybot.mentoring.scoring import goal_weight, tz_table

CANDIDATES = 50
"""Mentors kept per mentee: 99.98% of the optimum at 2,000 mentees (40: 99.96%, 64: 99.99%,
but +15% and +35% time at 10,000; see benchmarks/mentoring)."""
BLOCK_ROWS = 2048
"""Mentees scored per matrix product: bounds the dense block (rows × mentors float32)."""
EXHAUSTIVE_CELLS = 4_000_000
"""The fallback pass keeps every allowed edge when unmatched × mentors stays below this."""

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Mentee:
    id: int
    tags: tuple[int, ...]
    """Tag ids they want help with."""
    offset: int | None = None
    """UTC offset in minutes now, or None when their time zone is unknown."""
    goals: tuple[int, ...] = ()
    """Tag ids named in their goals: weighted higher when shared."""


@dataclass(frozen=True)
class Mentor:
    id: int
    tags: tuple[int, ...]
    capacity: int
    """Seats still free this round (already-paired mentees deducted by the caller)."""
    offset: int | None = None


@dataclass(frozen=True)
class Pair:
    mentee_id: int
    mentor_id: int
    score: int
    shared: tuple[int, ...]
    """Shared tag ids, heaviest (rarest, or a goal) first: what the introduction names."""


@dataclass
class _Model:
    """The problem as matrices: mentee rows × features, mentor rows × features."""

    mentees: Sequence[Mentee]
    mentors: Sequence[Mentor]
    left: Floats
    right: Floats
    capacity: Ints
    forbidden: dict[int, list[int]]
    """Mentee row → mentor rows it may never be paired with."""
    weights: Mapping[int, int]


def _model(
    mentees: Sequence[Mentee],
    mentors: Sequence[Mentor],
    weights: Mapping[int, int],
    forbidden: Iterable[tuple[int, int]],
) -> _Model:
    tags = sorted({t for m in mentees for t in m.tags} | {t for m in mentors for t in m.tags})
    tag_col = {t: c for c, t in enumerate(tags)}
    seen: set[int | None] = {m.offset for m in mentees} | {m.offset for m in mentors}
    offsets = sorted(seen, key=lambda o: (o is None, o or 0))
    tz_col = {o: c for c, o in enumerate(offsets)}
    table = tz_table(list(offsets))
    width = len(tags) + len(offsets)
    left = np.zeros((len(mentees), width), np.float32)
    for row, mentee in enumerate(mentees):
        goals = set(mentee.goals)
        for t in mentee.tags:
            base = weights.get(t, 1)
            left[row, tag_col[t]] = goal_weight(base) if t in goals else base
        left[row, len(tags) :] = table[tz_col[mentee.offset]]
    right = np.zeros((len(mentors), width), np.float32)
    for row, mentor in enumerate(mentors):
        right[row, [tag_col[t] for t in mentor.tags]] = 1.0
        right[row, len(tags) + tz_col[mentor.offset]] = 1.0
    mentee_row = {m.id: r for r, m in enumerate(mentees)}
    mentor_row = {m.id: r for r, m in enumerate(mentors)}
    banned: dict[int, list[int]] = {}
    for mentee_id, mentor_id in [*forbidden, *((m.id, m.id) for m in mentees)]:
        if mentee_id in mentee_row and mentor_id in mentor_row:
            banned.setdefault(mentee_row[mentee_id], []).append(mentor_row[mentor_id])
    capacity = np.array([max(0, m.capacity) for m in mentors], np.int64)
    return _Model(mentees, mentors, left, right, capacity, banned, weights)


def _top_columns(scores: Floats, k: int) -> tuple[Ints, Ints]:
    """(row, column) of about the `k` best entries per row, ties at the cut kept (≤ 2k).

    A full row-wise partition costs more than the matrix product itself, so the cut-off is
    estimated on every 8th column (its k/8-th best) and applied with one comparison; only rows
    whose ties overshoot are partitioned exactly.
    """
    n_cols = scores.shape[1]
    if k >= n_cols:
        rows, cols = np.nonzero(scores >= 0)
        return rows.astype(np.int64), cols.astype(np.int64)
    step = 8 if n_cols >= 64 * k else 1
    sample = scores[:, ::step]
    kk = max(1, k // step)
    cut = np.partition(sample, sample.shape[1] - kk, axis=1)[:, sample.shape[1] - kk]
    np.maximum(cut, 0.0, out=cut)
    mask = scores >= cut[:, None]
    heavy = np.flatnonzero(np.count_nonzero(mask, axis=1) > 2 * k)
    if len(heavy):
        part = np.argpartition(-scores[heavy], k - 1, axis=1)[:, :k]
        mask[heavy] = False
        mask[heavy[:, None], part] = scores[heavy[:, None], part] >= 0
    rows, cols = np.nonzero(mask)
    return rows.astype(np.int64), cols.astype(np.int64)


def _candidates(
    model: _Model, rows: Ints, cols: Ints, k: int
) -> tuple[Ints, Ints, npt.NDArray[np.int64]]:
    """(mentee rows, mentor rows, scores): each mentee's ~`k` best allowed mentors in `cols`."""
    out_r, out_c, out_s = [], [], []
    right_t = np.ascontiguousarray(model.right[cols].T)
    col_pos = {int(c): p for p, c in enumerate(cols)}
    for start in range(0, len(rows), BLOCK_ROWS):
        block = rows[start : start + BLOCK_ROWS]
        scores = model.left[block] @ right_t
        for i, row in enumerate(block):
            for banned in model.forbidden.get(int(row), ()):
                if banned in col_pos:
                    scores[i, col_pos[banned]] = -1.0
        r, c = _top_columns(scores, k)
        out_r.append(block[r])
        out_c.append(cols[c])
        out_s.append(np.rint(scores[r, c]).astype(np.int64))
    if not out_r:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_s)


def _assign(
    n_rows: int, edge_r: Ints, edge_c: Ints, edge_s: npt.NDArray[np.int64], capacity: Ints
) -> dict[int, int]:
    """Optimal mentee row → mentor row over the given edges, seats limited by `capacity`.

    A min-cost flow: each mentee sends one unit, to a mentor (cost: best score minus this
    pair's) or, failing that, straight to the sink at three times the worst pair's cost, so that
    leaving a mentee out only pays when seating them would displace others badly; mentors pass
    at most `capacity` units to the sink. (A penalty above any total score would make the count
    strictly first, but doubles the solve time for the same result here; the fallback pass in
    `solve` seats anyone left out while a seat they may take is free.)
    """
    if not len(edge_r):
        return {}
    from ortools.graph.python import min_cost_flow  # heavy import, only when a round is solved

    n_cols = len(capacity)
    sink = n_rows + n_cols
    top = int(edge_s.max()) + 1
    unmatched = 2 * top
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([edge_r, n_rows + np.arange(n_cols), np.arange(n_rows)])
    heads = np.concatenate([n_rows + edge_c, np.full(n_cols, sink), np.full(n_rows, sink)])
    caps = np.concatenate([np.ones(len(edge_r), np.int64), capacity, np.ones(n_rows, np.int64)])
    costs = np.concatenate(
        [top - edge_s, np.zeros(n_cols, np.int64), np.full(n_rows, top + unmatched, np.int64)]
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps.astype(np.int64), costs
    )
    supplies = np.ones(sink + 1, np.int64)
    supplies[n_rows:] = 0
    supplies[sink] = -n_rows
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    used = flow.flows(np.arange(len(edge_r), dtype=np.int32)) > 0
    return {int(r): int(c) for r, c in zip(edge_r[used], edge_c[used], strict=True)}


def _pairs(model: _Model, chosen: dict[int, int]) -> list[Pair]:
    rows = np.fromiter(sorted(chosen), np.int64, len(chosen))
    cols = np.fromiter((chosen[int(r)] for r in rows), np.int64, len(rows))
    scores = np.rint(np.einsum("ij,ij->i", model.left[rows], model.right[cols])).astype(np.int64)
    pairs = []
    for row, col, score in zip(rows.tolist(), cols.tolist(), scores.tolist(), strict=True):
        mentee, mentor = model.mentees[row], model.mentors[col]
        goals = set(mentee.goals)
        shared = sorted(
            set(mentee.tags) & set(mentor.tags),
            key=lambda t: (-(model.weights.get(t, 1) * (2 if t in goals else 1)), t),
        )
        pairs.append(Pair(mentee.id, mentor.id, score, tuple(shared)))
    return pairs


def solve(
    mentees: Sequence[Mentee],
    mentors: Sequence[Mentor],
    weights: Mapping[int, int],
    forbidden: Iterable[tuple[int, int]] = (),
    candidates: int = CANDIDATES,
) -> list[Pair]:
    """The best total-score assignment, matching as many mentees as seats and rules allow.

    `weights`: tag id → rarity weight (`scoring.rarity_weights`). `forbidden`: (mentee id,
    mentor id) pairs that must not be proposed. Mentors with no free seat are ignored.
    """
    mentors = [m for m in mentors if m.capacity > 0]
    if not mentees or not mentors:
        return []
    model = _model(mentees, mentors, weights, forbidden)
    all_rows = np.arange(len(mentees), dtype=np.int64)
    all_cols = np.arange(len(mentors), dtype=np.int64)
    chosen = _assign(
        len(mentees), *_candidates(model, all_rows, all_cols, candidates), model.capacity
    )
    left_out = np.array([r for r in range(len(mentees)) if r not in chosen], np.int64)
    taken = np.bincount(np.fromiter(chosen.values(), np.int64), minlength=len(mentors))
    spare = model.capacity - taken
    free_cols = np.flatnonzero(spare > 0).astype(np.int64)
    if len(left_out) and len(free_cols):
        k = len(free_cols)
        if len(left_out) * len(free_cols) > EXHAUSTIVE_CELLS:
            k = candidates
        edge_r, edge_c, edge_s = _candidates(model, left_out, free_cols, k)
        local = np.searchsorted(left_out, edge_r)
        extra = _assign(len(left_out), local, edge_c, edge_s, spare)
        chosen.update({int(left_out[r]): c for r, c in extra.items()})
    return _pairs(model, chosen)


def total_score(pairs: Iterable[Pair]) -> int:
    return sum(pair.score for pair in pairs)
