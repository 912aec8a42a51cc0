"""Peer rounds: everyone who opted in, in pairs (one trio when the count is odd), best total score.

Pure (no store, no asyncio) so a round can be solved in a worker thread and tested with numbers.

The score of two members is the mentoring score without goals: shared tags weighted by rarity
(the `/peers` weights) plus time-zone points (`scoring.tz_points`). A trio scores its three pairs.

Why this shape: the exact answer is a maximum-weight perfect matching on a general graph
(blossom), which takes minutes at 1,000 members. Instead:

1. *Relaxation.* Drop the "a pair is mutual" rule: give each member a partner such that every
   member is someone's partner exactly once (an assignment on members × members, self excluded).
   Solved sparsely on each member's `candidates` best partners (plus a cyclic shift of everyone,
   which keeps a full assignment possible) with scipy's LAPJVsp. Solved densely, half its value
   is an upper bound on any round (`upper_bound`).
2. *Extraction.* The assignment is a set of cycles: 2-cycles are pairs; a longer cycle yields its
   better alternate half (an odd one leaves out the member whose absence costs least).
3. *Leftovers* are paired best-first among themselves.
4. *Swaps.* 2-opt between pairs: {a,b},{c,d} → {a,c},{b,d} or {a,d},{b,c} while it gains.
5. *Trio.* With an odd count, the last member joins the pair they add most to; then the trio
   trades members with pairs while that gains.

Recent pairs (`recent_pairs`: the caller's no-repeat window) cost `REPEAT_PENALTY` each, far more
than any score: the solver repeats one only when it finds no placement without it (for example
two members who just met, alone in the round); exact rounds (≤ `EXACT_UP_TO`) then repeat as
few as possible, larger ones as few as the local search finds. Everyone is always
placed; nobody is ever left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from communitybot.mentoring.scoring import tz_table

CANDIDATES = 24
"""Partners kept per member for the sparse relaxation."""
REPEAT_PENALTY = 1_000_000
"""Cost of repeating a recent pair: above any total a swap could gain (scores stay < 10**5)."""
EXACT_UP_TO = 12
"""Rounds this small are solved exactly (subset dynamic programming)."""
MAX_SWEEPS = 8

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]
Group = tuple[int, ...]


@dataclass(frozen=True)
class Member:
    id: int
    tags: tuple[int, ...]
    offset: int | None = None
    """UTC offset in minutes now, or None when their time zone is unknown."""


def score_matrix(
    members: Sequence[Member],
    weights: Mapping[int, int],
    recent_pairs: Iterable[tuple[int, int]] = (),
) -> Floats:
    """Member row × member row scores (exact integers in float32), repeats penalised, self -inf.

    One matrix product: rows of rarity weights per tag (plus time-zone points per offset)
    against rows of tag (and offset) indicators, so the result is symmetric.
    """
    tags = sorted({t for m in members for t in m.tags})
    tag_col = {t: c for c, t in enumerate(tags)}
    offsets = sorted({m.offset for m in members}, key=lambda o: (o is None, o or 0))
    tz_col = {o: c for c, o in enumerate(offsets)}
    table = tz_table(list(offsets))
    width = len(tags) + len(offsets)
    left = np.zeros((len(members), width), np.float32)
    right = np.zeros((len(members), width), np.float32)
    for row, member in enumerate(members):
        cols = [tag_col[t] for t in member.tags]
        left[row, cols] = [weights.get(t, 1) for t in member.tags]
        right[row, cols] = 1.0
        left[row, len(tags) :] = table[tz_col[member.offset]]
        right[row, len(tags) + tz_col[member.offset]] = 1.0
    scores = left @ right.T
    row_of = {m.id: r for r, m in enumerate(members)}
    for a, b in recent_pairs:
        if a in row_of and b in row_of and a != b:
            scores[row_of[a], row_of[b]] -= REPEAT_PENALTY
            scores[row_of[b], row_of[a]] -= REPEAT_PENALTY
    np.fill_diagonal(scores, -np.inf)
    return scores


def group_score(scores: Floats, group: Sequence[int]) -> float:
    """A pair's score, or a trio's three pairs (rows of `scores`)."""
    return float(
        sum(scores[group[i], group[j]] for i in range(len(group)) for j in range(i + 1, len(group)))
    )


def _exact(scores: Floats) -> list[Group]:
    """The optimum by dynamic programming over subsets: the lowest member pairs or joins a trio."""
    n = len(scores)
    full = (1 << n) - 1
    best: dict[int, tuple[float, tuple[Group, ...]]] = {0: (0.0, ())}

    def solve(mask: int) -> tuple[float, tuple[Group, ...]]:
        if mask in best:
            return best[mask]
        low = (mask & -mask).bit_length() - 1
        rest = [j for j in range(low + 1, n) if mask >> j & 1]
        result: tuple[float, tuple[Group, ...]] = (-np.inf, ())
        odd = bin(mask).count("1") % 2 == 1
        for i, j in enumerate(rest):
            sub = mask & ~(1 << low) & ~(1 << j)
            value, groups = solve(sub)  # a lone member left over scores -inf
            if value + scores[low, j] > result[0]:
                result = (value + float(scores[low, j]), ((low, j), *groups))
            if not odd:
                continue
            for k in rest[i + 1 :]:
                value, groups = solve(sub & ~(1 << k))
                trio = float(scores[low, j] + scores[low, k] + scores[j, k])
                if value + trio > result[0]:
                    result = (value + trio, ((low, j, k), *groups))
        best[mask] = result
        return result

    return list(solve(full)[1])


def _relaxation(scores: Floats, candidates: int) -> Ints:
    """Partner of each row in the best sparse assignment (self excluded)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    n = len(scores)
    k = min(candidates, n - 1)
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    rows = np.concatenate([np.repeat(np.arange(n), k), np.arange(n)])
    cols = np.concatenate([top.ravel(), (np.arange(n) + 1) % n])
    keep = rows != cols
    rows, cols = rows[keep], cols[keep]
    # symmetric: if b is among a's candidates, a is offered to b too
    rows, cols = np.concatenate([rows, cols]), np.concatenate([cols, rows])
    edges = np.unique(rows * n + cols)
    rows, cols = edges // n, edges % n
    values = scores[rows, cols].astype(np.float64)
    cost = values.max() + 1.0 - values  # strictly positive: sparse storage keeps every edge
    graph = coo_matrix((cost, (rows, cols)), shape=(n, n)).tocsr()
    partner_rows, partner_cols = min_weight_full_bipartite_matching(graph)
    partner = np.empty(n, np.int64)
    partner[partner_rows] = partner_cols
    return partner


def _extract(scores: Floats, partner: Ints) -> tuple[list[tuple[int, int]], list[int]]:
    """Pairs from the assignment's cycles, and the members no pair took."""
    n = len(partner)
    seen = np.zeros(n, np.bool_)
    pairs: list[tuple[int, int]] = []
    left: list[int] = []
    for start in range(n):
        if seen[start]:
            continue
        cycle = []
        node = start
        while not seen[node]:
            seen[node] = True
            cycle.append(node)
            node = int(partner[node])
        size = len(cycle)
        edge = [float(scores[cycle[i], cycle[(i + 1) % size]]) for i in range(size)]
        if size % 2 == 0:
            first = sum(edge[0::2]) >= sum(edge[1::2])
            offset = 0 if first else 1
            pairs.extend(
                (cycle[(i + offset) % size], cycle[(i + offset + 1) % size])
                for i in range(0, size, 2)
            )
            continue
        # odd: leave out cycle[out]; the path after it is matched along edges out+1, out+3, ...
        best_out, best_value = 0, -np.inf
        for out in range(size):
            value = sum(edge[(out + 1 + 2 * i) % size] for i in range((size - 1) // 2))
            if value > best_value:
                best_out, best_value = out, value
        left.append(cycle[best_out])
        pairs.extend(
            (cycle[(best_out + 1 + 2 * i) % size], cycle[(best_out + 2 + 2 * i) % size])
            for i in range((size - 1) // 2)
        )
    return pairs, left


def _pair_leftovers(scores: Floats, left: list[int]) -> tuple[list[tuple[int, int]], list[int]]:
    """Leftovers paired best-first among themselves; at most one remains."""
    if len(left) < 2:
        return [], left
    idx = np.array(left, np.int64)
    sub = scores[np.ix_(idx, idx)]
    iu, ju = np.triu_indices(len(idx), 1)
    order = np.argsort(-sub[iu, ju], kind="stable")
    free = np.ones(len(idx), np.bool_)
    pairs = []
    for e in order:
        i, j = int(iu[e]), int(ju[e])
        if free[i] and free[j]:
            free[i] = free[j] = False
            pairs.append((int(idx[i]), int(idx[j])))
    return pairs, [int(x) for x in idx[free]]


def _two_opt(scores: Floats, a: Ints, b: Ints) -> None:
    """Swap partners between two pairs while any swap gains (in place)."""
    m = len(a)
    if m < 2:
        return
    for _ in range(MAX_SWEEPS):
        improved = False
        current = scores[a, b]
        for p in range(m):
            x, y = a[p], b[p]
            row_x, row_y = scores[x], scores[y]
            straight = row_x[a] + row_y[b]
            crossed = row_x[b] + row_y[a]
            gain = np.maximum(straight, crossed) - current[p] - current
            gain[p] = -np.inf
            q = int(np.argmax(gain))
            if gain[q] <= 0:
                continue
            c, d = a[q], b[q]
            if straight[q] >= crossed[q]:
                b[p], a[q], b[q] = c, y, d
            else:
                b[p], a[q], b[q] = d, c, y
            current[p] = scores[a[p], b[p]]
            current[q] = scores[a[q], b[q]]
            improved = True
        if not improved:
            return


def _add_trio(scores: Floats, a: Ints, b: Ints, last: int) -> tuple[list[int], int]:
    """Fold `last` into the pair it adds most to, then trade trio members with pairs while it gains.

    Returns the trio and the index of the pair it replaced (that pair's slot is dropped).
    """
    slot = int(np.argmax(scores[last, a] + scores[last, b]))
    trio = [last, int(a[slot]), int(b[slot])]
    alive = np.ones(len(a), np.bool_)
    alive[slot] = False
    for _ in range(MAX_SWEEPS):
        improved = False
        old_trio = group_score(scores, trio)
        current = scores[a, b]
        for t in range(3):
            x = trio[t]
            u, v = trio[(t + 1) % 3], trio[(t + 2) % 3]
            rest = float(scores[u, v])
            # x swaps with a[q] (pair becomes x,b[q]) or with b[q]
            with_a = scores[a, u] + scores[a, v] + rest + scores[x, b]
            with_b = scores[b, u] + scores[b, v] + rest + scores[x, a]
            gain = np.maximum(with_a, with_b) - old_trio - current
            gain[~alive] = -np.inf
            q = int(np.argmax(gain))
            if gain[q] <= 0:
                continue
            if with_a[q] >= with_b[q]:
                trio[t], a[q] = int(a[q]), x
            else:
                trio[t], b[q] = int(b[q]), x
            improved = True
            break
        if not improved:
            break
    return trio, slot


def pair_round(
    members: Sequence[Member],
    weights: Mapping[int, int],
    recent_pairs: Iterable[tuple[int, int]] = (),
    seed: int = 0,
    candidates: int = CANDIDATES,
    exact_up_to: int = EXACT_UP_TO,
) -> list[Group]:
    """Every member in exactly one group of member ids: pairs, plus one trio if the count is odd.

    `weights`: tag id → rarity weight (`scoring.rarity_weights`). `recent_pairs`: (id, id) pairs
    that met within the caller's no-repeat window; repeated only when unavoidable (module doc).
    `seed` fixes the order ties are broken in: the same input and seed give the same round.
    A single member gets a group of one (nobody to meet); no members, no groups.
    """
    if len(members) < 2:
        return [(m.id,) for m in members]
    order = np.random.default_rng(seed).permutation(len(members))
    shuffled = [members[int(i)] for i in order]
    scores = score_matrix(shuffled, weights, recent_pairs)
    if len(shuffled) <= exact_up_to:
        rows = _exact(scores)
        return [tuple(shuffled[r].id for r in group) for group in rows]
    partner = _relaxation(scores, candidates)
    pairs, left = _extract(scores, partner)
    more, left = _pair_leftovers(scores, left)
    pairs += more
    a = np.array([p[0] for p in pairs], np.int64)
    b = np.array([p[1] for p in pairs], np.int64)
    _two_opt(scores, a, b)
    groups: list[tuple[int, ...]] = []
    if left:
        trio, slot = _add_trio(scores, a, b, left[0])
        a, b = np.delete(a, slot), np.delete(b, slot)
        groups.append(tuple(trio))
    groups = [(int(x), int(y)) for x, y in zip(a, b, strict=True)] + groups
    return [tuple(shuffled[r].id for r in group) for group in groups]


def total_score(
    members: Sequence[Member],
    weights: Mapping[int, int],
    groups: Iterable[Group],
    recent_pairs: Iterable[tuple[int, int]] = (),
) -> float:
    """The round's total: each pair's score, each trio's three pairs (repeats penalised)."""
    scores = score_matrix(members, weights, recent_pairs)
    row_of = {m.id: r for r, m in enumerate(members)}
    return sum(group_score(scores, [row_of[i] for i in group]) for group in groups)


def upper_bound(
    members: Sequence[Member],
    weights: Mapping[int, int],
    recent_pairs: Iterable[tuple[int, int]] = (),
) -> float:
    """No round without repeats can beat this: half the dense relaxation, plus half a best trio.

    Any round, read as "each member points at a partner" (a trio as a 3-cycle), is an assignment;
    it counts every pair twice and the trio once, so 2 × total ≤ relaxation + trio ≤ relaxation
    + 3 × best score. Dense: a yardstick for the benchmark and tests, not for the bot.
    """
    from scipy.optimize import linear_sum_assignment

    n = len(members)
    if n < 2:
        return 0.0
    scores = score_matrix(members, weights, recent_pairs).astype(np.float64)
    allowed = np.isfinite(scores) & (scores > -REPEAT_PENALTY / 2)
    floor = float(scores[allowed].min()) if allowed.any() else 0.0
    gain = np.where(allowed, scores, floor - 10.0 * REPEAT_PENALTY)
    rows, cols = linear_sum_assignment(gain, maximize=True)
    relaxation = float(gain[rows, cols].sum())
    trio = 3.0 * float(scores[allowed].max()) if n % 2 and allowed.any() else 0.0
    return (relaxation + trio) / 2
