"""Peer rounds: everyone who opted in, in pairs (one trio when the count is odd), best total score.

Pure (no store, no asyncio) so a round can be solved in a worker thread and tested with numbers.

The score of two members is the mentoring score without goals: shared tags weighted by rarity
(the `/peers` weights) plus time-zone points (`scoring.tz_points`). A trio scores its three pairs.

Why this shape: the exact answer is a maximum-weight perfect matching on a general graph
(blossom), which takes minutes at 1,000 members. Instead:

1. *Candidates.* Each member's `candidates` best partners by reduced score (score minus half
   the partner's own k-th best), so lists do not all converge on the few members with many
   rare tags (`_candidates`).
2. *Relaxation.* Drop the "a pair is mutual" rule: give each member a partner such that every
   member is someone's partner exactly once (an assignment on members × members, self
   excluded), solved on the candidate edges (plus a cyclic shift of everyone, which keeps a
   full assignment possible) with OR-Tools' assignment solver. Solved densely, half its value
   is an upper bound on any round (`benchmarks/peer_rounds_bound.py`); the sparse one reaches
   99.99% of it.
3. *Extraction.* The assignment is a set of cycles: 2-cycles are pairs; an even cycle yields its
   better alternate half (at least half the cycle: nothing lost against the bound); an odd one
   leaves out the member whose absence costs least.
4. *Repair.* The members left out are paired along their best alternating paths (`_augment`):
   u takes x, x's old partner takes y or ends the path at another left-out member w. This is
   where most of the gap to the bound closes (99.2% → 99.8% at 5,000 members).
5. *Exchanges.* Two or three pairs re-paired along candidate edges while that gains
   (`_exchange`), then 2-opt between all pairs (`_two_opt`).
6. *Trio.* With an odd count, the last member joins the pair they add most to; then the trio
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
"""Partners kept per member: 99.81–99.86% of the bound at 5,000 members in ~1.2 s (16: about
0.01 point less and 10% faster; 32: no better and 50% slower; benchmarks/peer_rounds)."""
REPEAT_PENALTY = 1_000_000
"""Cost of repeating a recent pair: above any total a swap could gain (scores stay < 10**5)."""
EXACT_UP_TO = 12
"""Rounds this small are solved exactly (subset dynamic programming)."""
MAX_SWEEPS = 8
EXCHANGE_DEPTH = 8
"""Three-pair exchanges look this deep into the second member's candidate list (best first)."""
_NEVER = 1e9
MAX_DENSE = 6000
"""Largest round solved in one piece: its float32 score matrix is n² × 4 bytes (144 MB at
6,000). A bigger round is cut into time-zone-ordered parts of at most this size, solved one after
the other, so memory stays bounded (a part's members are near each other in time zone, which the
score favours anyway; only partners across a cut are out of reach)."""
"""Stands in for an impossible pairing (self, or a side that is not there) in the local search."""
_BLOCK_ROWS = 1024
"""Rows ranked at a time for the candidate lists: bounds the temporary copy of the scores."""

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]
Group = tuple[int, ...]


@dataclass(frozen=True)
class Member:
    id: int
    tags: tuple[int, ...]
    offset: int | None = None
    """UTC offset in minutes now, or None when their time zone is unknown."""
    group: int | None = None
    """Their affiliate in a network round (see `pair_round`'s `outside_points`)."""


def score_matrix(
    members: Sequence[Member],
    weights: Mapping[int, int],
    recent_pairs: Iterable[tuple[int, int]] = (),
    outside_points: int = 0,
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
    if outside_points:  # two members of different affiliates: "someone outside your school"
        fresh = iter(range(-1, -len(members) - 1, -1))  # no group: outside everyone
        group = np.array([m.group if m.group is not None else next(fresh) for m in members])
        scores += np.float32(outside_points) * (group[:, None] != group[None, :])
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


def _candidates(scores: Floats, candidates: int) -> Ints:
    """Each row's `candidates` best partners by *reduced* score (rows × candidates, self excluded).

    Ranked by raw score, everyone's lists converge on the same few members with many rare tags,
    and the sparse relaxation loses 0.4% against the dense one at 24 candidates (0.14% at 48).
    Ranking by score minus half the partner's own k-th best score (a cheap stand-in for the
    dual potential of the assignment) spreads the lists: the sparse relaxation then reaches
    99.995% of the dense one at 24. The k-th best is estimated on every 8th column.
    """
    n = len(scores)
    k = max(1, min(candidates, n - 1))
    step = 8 if n >= 64 * k else 1
    sample = scores[:, ::step]
    kk = max(1, k // step)
    kth = np.partition(sample, sample.shape[1] - kk, axis=1)[:, sample.shape[1] - kk]
    shift = (0.5 * np.maximum(kth, 0.0)).astype(np.float32)
    top = np.empty((n, k), np.int64)
    for start in range(0, n, _BLOCK_ROWS):
        block = scores[start : start + _BLOCK_ROWS] - shift[None, :]
        part = np.argpartition(-block, k - 1, axis=1)[:, :k]
        best_first = np.argsort(-np.take_along_axis(block, part, axis=1), axis=1, kind="stable")
        top[start : start + _BLOCK_ROWS] = np.take_along_axis(part, best_first, axis=1)
    return top


def _relaxation(scores: Floats, top: Ints) -> Ints:
    """Partner of each row in the best assignment on the candidate edges (self excluded).

    OR-Tools' cost-scaling assignment (a runtime dependency already) on the candidate edges,
    made symmetric, plus a cyclic shift of everyone so a full assignment always exists.
    """
    from ortools.graph.python import linear_sum_assignment  # heavy import, only when solving

    n = len(scores)
    k = top.shape[1]
    rows = np.concatenate([np.repeat(np.arange(n), k), np.arange(n)])
    cols = np.concatenate([top.ravel(), (np.arange(n) + 1) % n])
    keep = rows != cols
    rows, cols = rows[keep], cols[keep]
    # symmetric: if b is among a's candidates, a is offered to b too
    rows, cols = np.concatenate([rows, cols]), np.concatenate([cols, rows])
    edges = np.unique(rows * n + cols)
    rows, cols = edges // n, edges % n
    values = np.rint(scores[rows, cols]).astype(np.int64)
    assignment = linear_sum_assignment.SimpleLinearSumAssignment()
    assignment.add_arcs_with_cost(
        rows.astype(np.int32), cols.astype(np.int32), int(values.max()) - values
    )
    status = assignment.solve()
    if status != assignment.OPTIMAL:
        raise RuntimeError(f"peer-round assignment failed: {status}")
    return np.fromiter((assignment.right_mate(i) for i in range(n)), np.int64, n)


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


def _paths(
    scores: Floats, top: Ints, mate: Ints, ends: Ints
) -> tuple[Floats, list[list[list[int]]]]:
    """Best alternating path between every two unpaired members `ends`, and its members.

    A path u–w pairs u and w directly; u–x, x'–w (x' is x's partner) breaks one pair; u–x,
    x'–y, y'–w breaks two, y among x'\'s candidates. Its value is what the round gains. Dense
    rows are used for the unpaired members (few), candidate lists in the middle.
    """
    n, m = len(scores), len(ends)
    paired = mate >= 0
    partner = np.where(paired, mate, 0)
    pair_value = np.where(paired, scores[np.arange(n), partner], _NEVER).astype(np.float32)
    from_end = scores[ends] - pair_value[None, :]  # u takes x, x's pair is broken
    to_end = scores[ends][:, partner]  # [w, x]: x's partner pairs with w
    to_end[:, ~paired] = -_NEVER
    best = scores[np.ix_(ends, ends)].copy()
    np.fill_diagonal(best, -_NEVER)
    via: list[list[list[int]]] = [[[] for _ in range(m)] for _ in range(m)]
    # one broken pair
    one = np.empty((m, m), np.float32)
    one_x = np.empty((m, m), np.int64)
    for i in range(m):
        value = from_end[i][None, :] + to_end
        one_x[i] = np.argmax(value, axis=1)
        one[i] = value[np.arange(m), one_x[i]]
    # two broken pairs: middle[x, w] = best over y of S[x', y] - pair(y) + S[y', w]
    ys = top[partner]
    step = scores[partner[:, None], ys] - pair_value[ys]
    step[(ys == np.arange(n)[:, None]) | (ys == partner[:, None]) | ~paired[:, None]] = -_NEVER
    middle = np.empty((n, m), np.float32)
    middle_y = np.empty((n, m), np.int64)
    rows = np.arange(n)
    for j in range(m):
        value = step + to_end[j][ys]
        arg = np.argmax(value, axis=1)
        middle[:, j] = value[rows, arg]
        middle_y[:, j] = ys[rows, arg]
    two = np.empty((m, m), np.float32)
    two_x = np.empty((m, m), np.int64)
    for i in range(m):
        value = from_end[i][:, None] + middle
        two_x[i] = np.argmax(value, axis=0)
        two[i] = value[two_x[i], np.arange(m)]
    for i in range(m):
        for j in range(m):
            if i == j:
                continue
            u, w = int(ends[i]), int(ends[j])
            options = [(float(best[i, j]), [u, w])]
            x = int(one_x[i, j])
            options.append((float(one[i, j]), [u, x, int(mate[x]), w]))
            x = int(two_x[i, j])
            y = int(middle_y[x, j])
            options.append((float(two[i, j]), [u, x, int(mate[x]), y, int(mate[y]), w]))
            value, path = max(
                (o for o in options if len(set(o[1])) == len(o[1]) and min(o[1]) >= 0),
                key=lambda o: o[0],
            )
            best[i, j] = value
            via[i][j] = path
    return best, via


def _augment(scores: Floats, top: Ints, mate: Ints, left: list[int]) -> list[int]:
    """Pair the unpaired members along their best alternating paths (in place); ≤ 1 remains.

    The members an odd cycle of the relaxation left out are scattered; paired with each other
    directly they lose about half their usual score. Along an alternating path, each takes a
    partner who pays for it by moving on to someone else, and the round gains what the
    relaxation promised (99.2% → 99.8% of the bound at 5,000 members).
    """
    while len(left) >= 2:
        ends = np.array(left, np.int64)
        best, via = _paths(scores, top, mate, ends)
        iu, ju = np.triu_indices(len(ends), 1)
        forward = best[iu, ju] >= best[ju, iu]
        order = np.argsort(-np.maximum(best[iu, ju], best[ju, iu]), kind="stable")
        used: set[int] = set()
        for e in order.tolist():
            i, j = (int(iu[e]), int(ju[e])) if forward[e] else (int(ju[e]), int(iu[e]))
            path = via[i][j]
            if used.intersection(path):
                continue
            used.update(path)
            for q in range(0, len(path), 2):
                mate[path[q]], mate[path[q + 1]] = path[q + 1], path[q]
        remaining = [x for x in left if mate[x] < 0]
        left = remaining  # the best path always fits, so each round pairs at least two
    return left


def _exchange(scores: Floats, top: Ints, mate: Ints) -> None:
    """Re-pair two or three pairs along candidate edges while that gains (in place).

    For every paired member u (partner u'): u takes a candidate x, x's partner x' takes one
    of its candidates y, and y's partner y' closes the cycle with u' (three pairs re-paired);
    or x' closes it with u' directly (two pairs, a 2-opt move). Every move of every member is
    scored at once (members × candidates × `EXCHANGE_DEPTH`); the best moves that touch no common
    pair are applied together, and the sweep repeats while anything gains.
    """
    n = len(mate)
    nodes = np.flatnonzero(mate >= 0)
    if len(nodes) < 4:
        return
    top_nodes = top[nodes]
    for _ in range(MAX_SWEEPS):
        paired = mate >= 0
        partner = np.where(paired, mate, 0)
        pair_value = np.where(paired, scores[np.arange(n), partner], _NEVER).astype(np.float32)
        u, u2 = nodes, partner[nodes]
        x = top_nodes
        x2 = partner[x]
        bad_x = (x == u2[:, None]) | ~paired[x]
        first = scores[u[:, None], x] - pair_value[x] - pair_value[u][:, None]
        first[bad_x] = -_NEVER
        two = first + scores[x2, u2[:, None]]
        y = top[x2][:, :, :EXCHANGE_DEPTH]  # nodes × k × depth
        y2 = partner[y]
        three = (
            first[:, :, None]
            + scores[x2[:, :, None], y]
            - pair_value[y]
            + scores[y2, u2[:, None, None]]
        )
        bad_y = (
            (y == u[:, None, None])
            | (y == u2[:, None, None])
            | (y == x[:, :, None])
            | (y == x2[:, :, None])
            | ~paired[y]
        )
        three[bad_y] = -_NEVER
        flat = three.reshape(len(nodes), -1)
        best3 = np.argmax(flat, axis=1)
        gain3 = flat[np.arange(len(nodes)), best3]
        best2 = np.argmax(two, axis=1)
        gain2 = two[np.arange(len(nodes)), best2]
        gain = np.maximum(gain2, gain3)
        order = np.flatnonzero(gain > 0)
        if not len(order):
            return
        order = order[np.argsort(-gain[order], kind="stable")]
        used = np.zeros(n, np.bool_)
        for i in order.tolist():
            a, a2 = int(u[i]), int(u2[i])
            if gain3[i] > gain2[i]:
                xi, yi = divmod(int(best3[i]), y.shape[2])
                b = int(x[i, xi])
                c = int(y[i, xi, yi])
                move = [a, b, int(mate[b]), c, int(mate[c]), a2]
            else:
                b = int(x[i, best2[i]])
                move = [a, b, int(mate[b]), a2]
            if used[move].any():
                continue
            used[move] = True
            for q in range(0, len(move), 2):
                mate[move[q]], mate[move[q + 1]] = move[q + 1], move[q]


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
    max_dense: int = MAX_DENSE,
    outside_points: int = 0,
) -> list[Group]:
    """Every member in exactly one group of member ids: pairs, plus one trio if the count is odd.

    `weights`: tag id → rarity weight (`scoring.rarity_weights`). `recent_pairs`: (id, id) pairs
    that met within the caller's no-repeat window; repeated only when unavoidable (module doc).
    `seed` fixes the order ties are broken in: the same input and seed give the same round.
    `outside_points`: added to two members of different groups (`Member.group`: affiliates of
    a network round).
    A single member gets a group of one (nobody to meet); no members, no groups.
    """
    if len(members) < 2:
        return [(m.id,) for m in members]
    if len(members) > max_dense:
        return [
            group
            for part in _parts(members, max_dense)
            for group in pair_round(
                part,
                weights,
                recent_pairs,
                seed,
                candidates,
                exact_up_to,
                outside_points=outside_points,
            )
        ]
    order = np.random.default_rng(seed).permutation(len(members))
    shuffled = [members[int(i)] for i in order]
    scores = score_matrix(shuffled, weights, recent_pairs, outside_points)
    if len(shuffled) <= exact_up_to:
        rows = _exact(scores)
        return [tuple(shuffled[r].id for r in group) for group in rows]
    np.fill_diagonal(scores, -_NEVER)
    top = _candidates(scores, candidates)
    pairs, left = _extract(scores, _relaxation(scores, top))
    mate = np.full(len(scores), -1, np.int64)
    for x, y in pairs:
        mate[x], mate[y] = y, x
    left = _augment(scores, top, mate, left)
    _exchange(scores, top, mate)
    a = np.flatnonzero(mate > np.arange(len(mate)))
    b = mate[a]
    _two_opt(scores, a, b)
    groups: list[tuple[int, ...]] = []
    if left:
        trio, slot = _add_trio(scores, a, b, left[0])
        a, b = np.delete(a, slot), np.delete(b, slot)
        groups.append(tuple(trio))
    groups = [(int(x), int(y)) for x, y in zip(a, b, strict=True)] + groups
    return [tuple(shuffled[r].id for r in group) for group in groups]


def _parts(members: Sequence[Member], size: int) -> list[list[Member]]:
    """Members ordered by UTC offset (unknown last, then by id) cut into near-equal parts of at
    most `size` (≥ 3), every part even except the last, so a round still has one trio at most."""
    ordered = sorted(members, key=lambda m: (m.offset is None, m.offset or 0, m.id))
    even = max(2, size - size % 2)
    count = min(-(-(len(ordered) + 1) // even), max(1, len(ordered) // 2))
    q, r = divmod(len(ordered) // 2, count)
    lengths = [2 * (q + (i < r)) for i in range(count)]
    lengths[-1] += len(ordered) % 2
    parts, start = [], 0
    for length in lengths:
        parts.append(ordered[start : start + length])
        start += length
    return parts


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
