"""Optimal mentor assignment with capacities: candidate mentors, then an exact sparse solver.

Pure (no store, no asyncio), so a round can be solved in a worker thread and tested with numbers.

Why this shape: the exact dense problem (every mentee against every mentor seat) needs gigabytes
and tens of seconds at 10,000 mentees, and greedy loses over a percent of the total. Instead:

1. *Candidates.* Mentees and mentors become rows of small dense matrices (one column per tag,
   plus one per distinct time-zone offset). Up to `DENSE_CELLS` mentees × mentors, one float32
   matrix product scores a block of mentees against every mentor, exactly (see `scoring`),
   and each mentee keeps its `candidates` best mentors (those sharing a tag, unless the
   community allows pairs without one: `_sharing_only`). Beyond that the products cost too much
   (14 s at 50,000 × 16,700), so each mentee's candidates are the best of a pool drawn from the
   posting lists of their own tags (`_pooled_candidates`: 99.97% of the exact-candidates total
   at 10,000, 99.7% at 50,000, in a fraction of the time; every pooled mentor shares a tag).
   Hard rules (never yourself, never an
   ended pair, never the reverse of a live pairing) knock entries out either way.
2. *Assignment.* A min-cost flow on that sparse graph (OR-Tools' cost-scaling solver) with the
   mentors' real capacities: optimal on the candidates. Each mentee also has a private
   "unmatched" arc dearer than any pair, so a mentee is left out only when seating them would
   displace others badly (the fallback then seats them); it keeps the problem feasible.
   (scipy's LAPJVsp on a seat expansion finds the same optimum but took 3.8 s instead of 0.9 s
   at 10,000 × 3,300: supply and demand are nearly equal there, and its augmenting paths get
   long.) Above `FLOW_ARCS` candidate arcs the flow sees only the arcs an optimum uses in
   practice (`_pruned`: each mentee's best few, each mentor's least costly few): at 50,000
   mentees 30% of the arcs, half the flow's time, and 99.99% of the total; at 10,000 it is
   what lets each mentee keep 150 candidates in the time 50 took. (OR-Tools holds the
   GIL while solving, so two halves in threads run no faster; and pre-seating mentees whose
   best mentor is uncontested seats 2 of 50,000.)
3. *Fallback.* Mentees left unmatched because their candidates filled up are solved once more
   against every mentor who still has a seat, with all allowed edges: nobody who can still be
   matched to a free seat is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import numpy.typing as npt

from communitybot.mentoring.scoring import goal_weight, tz_table

CANDIDATES = 150
"""Mentors kept per mentee when every pair is scored. Measured against the exact optimum
(benchmarks/mentoring, synthetic communities, seed 7): 50 gave 99.98% at 2,000 but 99.92% at
5,000 and 99.82% at 10,000 — a popular mentee's 50 best mentors are often all taken; 100 gave
99.97% at 10,000 (99.955% on seed 11), 150 gives 100% / 99.998% / 99.987% at 2k / 5k / 10k
(99.986% on seed 11). With the flow pruned (`FLOW_ARCS`) 150 costs about the CPU time 50 did:
the pruned flow keeps a fifth of the 1.6 million arcs and runs 4× faster."""
POOLED_CANDIDATES = 50
"""Mentors kept per mentee from the pools of large rounds (`_pooled_candidates`): the pool's
size is a multiple of this, and at 50,000 mentees the pools are most of the time."""
BLOCK_ROWS = 2048
"""Mentees scored per matrix product: bounds the dense block (rows × mentors float32)."""
DENSE_CELLS = 60_000_000
"""Up to this many mentees × mentors, candidates come from scoring every pair (exact top-k);
above, from pools drawn from the tags' posting lists (`_pooled_candidates`)."""
SHORT_LIST = 150
"""A tag with at most this many mentors is rare: a mentee's pool takes its whole list."""
POOL = 8
PAIR_POOL = 4
"""Mentors pooled per mentee (of them from pairs of common tags), as multiples of `k`."""
THREADS = 2
"""Mentee blocks pooled at once (the reference machine has two cores)."""
PAIRS = 12
"""Pairs of common tags a mentee's pool draws from (the heaviest)."""
NEAR_POINTS = 0.75
"""Common tags: the pool's window covers mentors with at least this share of the time-zone
points."""
FLOW_ARCS = 300_000
"""Above this many candidate arcs, the flow gets only the ones it needs in practice
(`_pruned`): half the solve time at 50,000 mentees for 0.01% of the total; at 10,000 with 150
candidates a fifth of the arcs and a quarter of the flow time, for no measurable loss."""
FLOW_OWN = 16
FLOW_MENTOR = 60
"""Arcs kept per mentee (their best) and per mentor (the mentees losing least there) when
every pair was scored: 16 and 60 keep what 150 candidates gain (12 and 40 lost 0.003% at
10,000)."""
POOLED_FLOW_OWN = 10
POOLED_FLOW_MENTOR = 30
"""The same for pooled candidates (`POOLED_CANDIDATES` each): 16 and 60 there gained 0.006% of
the total at 50,000 for a quarter more time."""
EXHAUSTIVE_CELLS = 4_000_000
"""The fallback pass keeps every allowed edge when unmatched × mentors stays below this."""

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Mentee:
    id: int
    tags: tuple[int, ...]
    """Tag ids they want help with."""
    offset: int | None = None
    """UTC offset in minutes now, or None when their time zone is unknown."""
    goals: tuple[int, ...] = ()
    """Tag ids named in their goals: weighted higher when shared."""
    group: int | None = None
    """Their affiliate in a network round (see `solve`'s `outside_points`); None: no group."""


@dataclass(frozen=True)
class Mentor:
    id: int
    tags: tuple[int, ...]
    capacity: int
    """Seats still free this round (already-paired mentees deducted by the caller)."""
    offset: int | None = None
    group: int | None = None
    """Their affiliate in a network round (see `solve`'s `outside_points`); None: no group."""


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
    n_tags: int
    """The first `n_tags` feature columns are tags, the rest time-zone codes."""
    mentee_zone: Ints
    mentor_zone: Ints
    tz: Floats
    """Time-zone points between two zone codes."""
    unknown_zone: int
    """The code of "no time zone", or -1 when everyone has one."""
    shared_only: bool = True
    """Only pairs sharing at least one tag may be made (the community's rule; see `solve`)."""
    outside: int = 0
    """Points a pair gets when its two sides are in different groups (affiliates)."""
    mentee_group: Ints = field(default_factory=lambda: np.zeros(0, np.int64))
    mentor_group: Ints = field(default_factory=lambda: np.zeros(0, np.int64))
    """Group codes (distinct codes for members without a group); used only with `outside`."""


def _base(model: _Model, mentee_rows: Ints, mentor_rows: Ints) -> Floats:
    """What a pair scores without sharing any tag: time-zone points, plus the points for
    crossing groups (`outside`). Arrays broadcast like numpy indices."""
    base = model.tz[model.mentee_zone[mentee_rows], model.mentor_zone[mentor_rows]]
    if not model.outside:
        return base
    crossing = model.mentee_group[mentee_rows] != model.mentor_group[mentor_rows]
    return base + np.float32(model.outside) * crossing


def _group_codes(
    mentees: Sequence[Mentee], mentors: Sequence[Mentor]
) -> tuple[dict[int, int], Ints, Ints]:
    """Group → column, and each side's group code (a member without a group gets a code of
    their own, so they count as outside everyone)."""
    groups = sorted(
        {m.group for m in mentees if m.group is not None}
        | {m.group for m in mentors if m.group is not None}
    )
    col = {g: c for c, g in enumerate(groups)}
    fresh = iter(range(len(groups), len(groups) + len(mentees) + len(mentors)))
    mentee_group = np.array(
        [col[m.group] if m.group is not None else next(fresh) for m in mentees], np.int64
    )
    mentor_group = np.array(
        [col[m.group] if m.group is not None else next(fresh) for m in mentors], np.int64
    )
    return col, mentee_group, mentor_group


def _model(
    mentees: Sequence[Mentee],
    mentors: Sequence[Mentor],
    weights: Mapping[int, int],
    forbidden: Iterable[tuple[int, int]],
    shared_only: bool = True,
    outside: int = 0,
) -> _Model:
    """The problem as matrices. With `outside` points for crossing groups, one constant
    column gives every pair `outside` and one column per group takes it back from pairs in the
    same group: the product stays exact and non-negative."""
    tags = sorted({t for m in mentees for t in m.tags} | {t for m in mentors for t in m.tags})
    tag_col = {t: c for c, t in enumerate(tags)}
    seen: set[int | None] = {m.offset for m in mentees} | {m.offset for m in mentors}
    offsets = sorted(seen, key=lambda o: (o is None, o or 0))
    tz_col = {o: c for c, o in enumerate(offsets)}
    table = tz_table(list(offsets))
    group_col, mentee_group, mentor_group = _group_codes(mentees, mentors)
    extra = 1 + len(group_col) if outside else 0
    width = len(tags) + len(offsets) + extra
    mentee_zone = np.array([tz_col[m.offset] for m in mentees], np.int64)
    mentor_zone = np.array([tz_col[m.offset] for m in mentors], np.int64)
    tag_ids = np.array(tags, np.int64)
    # at least 1, so a pair shares a tag exactly when its score beats its time-zone points
    tag_weight = np.array([max(1, weights.get(t, 1)) for t in tags], np.float32)
    left = np.zeros((len(mentees), width), np.float32)
    rows, cols = _incidence(mentees, tag_ids)
    left[rows, cols] = tag_weight[cols]
    for row, mentee in enumerate(mentees):
        if mentee.goals:  # few have goals: boost those tags
            for t in set(mentee.goals).intersection(mentee.tags):
                left[row, tag_col[t]] = goal_weight(max(1, weights.get(t, 1)))
    left[:, len(tags) : len(tags) + len(offsets)] = table[mentee_zone]
    right = np.zeros((len(mentors), width), np.float32)
    rows, cols = _incidence(mentors, tag_ids)
    right[rows, cols] = 1.0
    right[np.arange(len(mentors)), len(tags) + mentor_zone] = 1.0
    if outside:
        const = len(tags) + len(offsets)
        left[:, const] = outside
        right[:, const] = 1.0
        for row, mentee in enumerate(mentees):
            if mentee.group is not None:
                left[row, const + 1 + group_col[mentee.group]] = -outside
        for row, mentor in enumerate(mentors):
            if mentor.group is not None:
                right[row, const + 1 + group_col[mentor.group]] = 1.0
    mentee_row = {m.id: r for r, m in enumerate(mentees)}
    mentor_row = {m.id: r for r, m in enumerate(mentors)}
    banned: dict[int, list[int]] = {}
    for mentee_id, mentor_id in [*forbidden, *((m.id, m.id) for m in mentees)]:
        if mentee_id in mentee_row and mentor_id in mentor_row:
            banned.setdefault(mentee_row[mentee_id], []).append(mentor_row[mentor_id])
    capacity = np.array([max(0, m.capacity) for m in mentors], np.int64)
    return _Model(
        mentees,
        mentors,
        left,
        right,
        capacity,
        banned,
        weights,
        len(tags),
        mentee_zone,
        mentor_zone,
        table,
        tz_col.get(None, -1),
        shared_only,
        outside,
        mentee_group,
        mentor_group,
    )


def _incidence(members: Sequence[Mentee] | Sequence[Mentor], tag_ids: Ints) -> tuple[Ints, Ints]:
    """(member row, tag column) of every tag each member carries (`tag_ids` sorted)."""
    counts = np.fromiter((len(m.tags) for m in members), np.int64, len(members))
    flat = np.fromiter(chain.from_iterable(m.tags for m in members), np.int64, int(counts.sum()))
    rows = np.repeat(np.arange(len(members), dtype=np.int64), counts)
    return rows, np.searchsorted(tag_ids, flat)


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
        if model.shared_only:
            r, c = _sharing_only(model, block, cols, scores, r, c, k)
        out_r.append(block[r])
        out_c.append(cols[c])
        out_s.append(np.rint(scores[r, c]).astype(np.int64))
    if not out_r:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_s)


def _sharing_only(
    model: _Model, block: Ints, cols: Ints, scores: Floats, r: Ints, c: Ints, k: int
) -> tuple[Ints, Ints]:
    """The top-`k` cells (`r`, `c`) of `scores` with every pair sharing no tag left out.

    A pair shares a tag exactly when its score exceeds its time-zone points (tag weights are at
    least 1). Usually a mentee's best `k` all share tags; a mentee whose list reached down to
    pairs sharing none (few mentors share their tags, or none) is ranked again among only the
    mentors sharing a tag, so the cut did not push such a mentor out.
    """
    kept = scores[r, c]
    highest = float(model.tz.max()) + model.outside
    low = np.flatnonzero(kept < highest + 0.5)  # the rest share a tag for sure
    if not len(low):
        return r, c
    lonely = np.zeros(len(r), np.bool_)
    lonely[low] = kept[low] < _base(model, block[r[low]], cols[c[low]]) + 0.5
    if not lonely.any():
        return r, c
    again = np.unique(r[lonely])
    sub = scores[again]
    sub[sub < _base(model, block[again][:, None], cols[None, :]) + 0.5] = -1.0
    r2, c2 = _top_columns(sub, k)
    keep = ~np.isin(r, again)
    r, c = np.concatenate([r[keep], again[r2]]), np.concatenate([c[keep], c2])
    order = np.argsort(r, kind="stable")  # rows in order, as the flow's pruning expects
    return r[order], c[order]


@dataclass
class _Postings:
    """Mentor lists by key (a tag, or a pair of tags), once per mentee time zone: within a key,
    mentors in the zones closest to that zone come first."""

    flat: Ints
    """Zones × incidences, flattened: zone z's lists start at z × `width`."""
    width: int
    start: Ints
    """Key → where its list starts (the same in every zone's copy); `start[key + 1]` ends it."""
    near: Ints
    """Key × zone → how many mentors at the head of the list overlap that zone well."""


def _postings(model: _Model, keys: Ints, mentors: Ints, n_keys: int) -> _Postings:
    n_zones = len(model.tz)
    base = np.lexsort(((mentors * 2654435761) % 4294967291, keys))
    keys, mentors = keys[base], mentors[base]
    start = np.searchsorted(keys, np.arange(n_keys + 1))
    flat = np.empty((n_zones, len(keys)), np.int64)
    near = np.zeros((n_keys, n_zones), np.int64)

    def zone_copy(z: int) -> None:
        closeness = np.argsort(np.argsort(-model.tz[z], kind="stable"), kind="stable")
        rank = closeness[model.mentor_zone[mentors]]
        order = np.argsort(keys * n_zones + rank, kind="stable")
        flat[z] = mentors[order]
        good = model.tz[z, model.mentor_zone[mentors]] >= NEAR_POINTS * float(model.tz.max())
        near[:, z] = np.bincount(keys[good], minlength=n_keys)

    with ThreadPoolExecutor(THREADS) as workers:
        list(workers.map(zone_copy, range(n_zones)))
    return _Postings(flat.ravel(), len(keys), start, near)


def _fill(seg_start: Ints, take: Ints, width: int, flat: Ints) -> tuple[Ints, Bools]:
    """Rows × `width` mentor rows: each row's segments of `flat` one after another, padded."""
    n = len(take)
    ends = np.minimum(np.cumsum(take, axis=1), width)
    take = np.diff(ends, axis=1, prepend=0).ravel()
    total = int(take.sum())
    cols = np.zeros((n, width), np.int64)
    valid = np.zeros((n, width), np.bool_)
    if total:
        offset = np.repeat(np.cumsum(take) - take, take)
        step = np.arange(total, dtype=np.int64) - offset
        source = np.repeat(seg_start.ravel(), take) + step
        row_start = np.arange(n, dtype=np.int64)[:, None] * width
        cell = np.repeat((row_start + ends).ravel() - take, take) + step
        cols.ravel()[cell] = flat[source]
        valid.ravel()[cell] = True
    return cols, valid


def _window(
    lists: _Postings, keys: Ints, zone: Ints, rows: Ints, wanted: Bools, cap: Ints | int
) -> tuple[Ints, Ints]:
    """Segment starts and lengths: up to `cap` of each key's mentors, the closest zones first;
    a window that moves with the mentee when more than `cap` overlap well."""
    length = lists.start[keys + 1] - lists.start[keys]
    run = np.maximum(lists.near[keys, zone[:, None]], np.minimum(length, cap))
    take = np.where(wanted, np.minimum(length, cap), 0)
    spread = rows[:, None] * 7919 + np.arange(keys.shape[1]) * 104729
    shift = spread % np.maximum(run - take + 1, 1)
    return lists.start[keys] + zone[:, None] * lists.width + shift, take


def _pooled_candidates(model: _Model, k: int) -> tuple[Ints, Ints, npt.NDArray[np.int64]]:
    """Each mentee's ~`k` best mentors among a pool drawn from posting lists of their tags.

    Scoring every mentee against every mentor (`_candidates`) is mentees × mentors × features
    of arithmetic: 14 s at 50,000 × 16,700. But a mentor who shares none of a mentee's tags
    scores at most the time-zone points, and the best mentors share a rare tag or several
    common ones. So the pool takes, for each of the mentee's rare tags (at most `SHORT_LIST`
    mentors), every mentor of it; and for each of their heaviest pairs of common tags, the
    mentors carrying both (a window of them in well-overlapping time zones, moving with the
    mentee so a popular pair does not hand everyone the same few mentors). The pool is scored
    exactly (shared tags looked up in a mentor × tag table, plus time-zone points), duplicates
    dropped, and its `k` best kept.
    """
    n_rows, n_cols = len(model.mentees), len(model.mentors)
    n_tags = model.n_tags
    member = model.right[:, :n_tags] > 0
    mentor_of, tag_of = (a.astype(np.int64) for a in np.nonzero(member))
    singles = _postings(model, tag_of, mentor_of, n_tags)
    tag_len = np.diff(singles.start)
    # pairs of common tags only: a rare tag's whole list is pooled anyway
    common_of = tag_len[tag_of] > SHORT_LIST
    mentor_tags, _ = _padded(
        mentor_of[common_of], tag_of[common_of], n_cols, np.ones(int(common_of.sum()), np.float32)
    )
    first, second = np.triu_indices(mentor_tags.shape[1], 1)
    a, b = mentor_tags[:, first], mentor_tags[:, second]
    ok = (a >= 0) & (b >= 0)
    pair_key = (np.minimum(a, b) * n_tags + np.maximum(a, b))[ok]
    pair_mentor = np.broadcast_to(np.arange(n_cols)[:, None], a.shape)[ok]
    pairs = _postings(model, pair_key, pair_mentor, n_tags * n_tags)
    # each mentee's tags, heaviest first; and their heaviest pairs of common tags
    mentee_of, tag_of = (a.astype(np.int64) for a in np.nonzero(model.left[:, :n_tags]))
    weight_of = model.left[mentee_of, tag_of]
    order = np.lexsort((tag_of, -weight_of, mentee_of))
    slot_tag, slot_weight = _padded(mentee_of[order], tag_of[order], n_rows, weight_of[order])
    slot_tag = np.maximum(slot_tag, 0)  # padding: weight 0, counts nothing
    rare = (tag_len[slot_tag] <= SHORT_LIST) & (slot_weight > 0)
    common = (tag_len[slot_tag] > SHORT_LIST) & (slot_weight > 0)
    first, second = np.triu_indices(slot_tag.shape[1], 1)
    value = np.where(
        common[:, first] & common[:, second],
        slot_weight[:, first] + slot_weight[:, second],
        -1.0,
    )
    top = np.argsort(-value, axis=1, kind="stable")[:, :PAIRS]
    t1, t2 = slot_tag[:, first], slot_tag[:, second]
    pair_of = np.take_along_axis(np.minimum(t1, t2) * n_tags + np.maximum(t1, t2), top, axis=1)
    pair_wanted = np.take_along_axis(value, top, axis=1) > 0
    member_flat = member.ravel()
    width = POOL * k
    kk = min(k, width)
    keep_first = min(width, kk + kk // 2)  # room for duplicates before they are dropped

    def block(start: int) -> tuple[Ints, Ints, Floats]:
        rows = np.arange(start, min(start + BLOCK_ROWS, n_rows), dtype=np.int64)
        zone = model.mentee_zone[rows]
        tags, weights = slot_tag[rows], slot_weight[rows]
        # rare tags: the whole list; common ones: a window (after rare ones, being lighter)
        cap = np.where(rare[rows], SHORT_LIST, max(1, k // 2))
        s_start, s_take = _window(singles, tags, zone, rows, rare[rows] | common[rows], cap)
        p_start, p_take = _window(
            pairs, pair_of[rows], zone, rows, pair_wanted[rows], max(1, k // 2)
        )
        cols_a, ok_a = _fill(s_start, s_take, width - PAIR_POOL * k, singles.flat)
        cols_b, ok_b = _fill(p_start, p_take, PAIR_POOL * k, pairs.flat)
        cols = np.concatenate([cols_a, cols_b], axis=1)
        scores = _base(model, rows[:, None], cols)
        cells = cols * n_tags
        for s in range(tags.shape[1]):
            scores += member_flat[cells + tags[:, s : s + 1]] * weights[:, s : s + 1]
        scores[~np.concatenate([ok_a, ok_b], axis=1)] = -1.0
        for row in rows[np.isin(rows, list(model.forbidden))].tolist():
            scores[row - start, np.isin(cols[row - start], model.forbidden[row])] = -1.0
        # the best cells, then duplicates (a mentor in two lists) dropped, then the best kk
        best = np.argpartition(-scores, keep_first - 1, axis=1)[:, :keep_first]
        cols = np.take_along_axis(cols, best, axis=1)
        scores = np.take_along_axis(scores, best, axis=1)
        by_col = np.argsort(cols, axis=1, kind="stable")
        cols = np.take_along_axis(cols, by_col, axis=1)
        scores = np.take_along_axis(scores, by_col, axis=1)
        repeated = (cols[:, 1:] == cols[:, :-1]) & (scores[:, :-1] >= 0)
        scores[:, 1:][repeated] = -1.0
        best = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
        return (
            np.repeat(rows, kk),
            np.take_along_axis(cols, best, axis=1).ravel(),
            np.take_along_axis(scores, best, axis=1).ravel(),
        )

    # numpy releases the GIL in these array operations: two threads use both cores
    with ThreadPoolExecutor(THREADS) as workers:
        parts = list(workers.map(block, range(0, n_rows, BLOCK_ROWS)))
    out_r, out_c, out_s = zip(*parts, strict=True)
    edge_r, edge_c, edge_s = np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_s)
    keep = edge_s >= 0
    return edge_r[keep], edge_c[keep], np.rint(edge_s[keep]).astype(np.int64)


def _padded(owner: Ints, item: Ints, n: int, weight: Floats) -> tuple[Ints, Floats]:
    """Owner × slot tables of `item` (-1 pads) and `weight` (0 pads), `owner` sorted."""
    count = np.bincount(owner, minlength=n)
    slot = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)
    items = np.full((n, max(1, int(count.max()) if n else 1)), -1, np.int64)
    weights = np.zeros(items.shape, np.float32)
    items[owner, slot] = item
    weights[owner, slot] = weight
    return items, weights


def _scores_every_pair(model: _Model) -> bool:
    """Whether candidates come from scoring every pair (else from pools, in large rounds)."""
    return len(model.mentees) * len(model.mentors) <= DENSE_CELLS or model.n_tags == 0


def _candidate_edges(model: _Model, k: int) -> tuple[Ints, Ints, npt.NDArray[np.int64]]:
    """(mentee rows, mentor rows, scores): every pair scored when that is cheap, else pools."""
    n_rows, n_cols = len(model.mentees), len(model.mentors)
    if _scores_every_pair(model):
        rows = np.arange(n_rows, dtype=np.int64)
        return _candidates(model, rows, np.arange(n_cols, dtype=np.int64), k)
    return _pooled_candidates(model, min(k, POOLED_CANDIDATES))


def _pruned(
    n_rows: int,
    n_cols: int,
    edge_r: Ints,
    edge_c: Ints,
    edge_s: npt.NDArray[np.int64],
    mentee_arcs: int | None = None,
    mentor_arcs: int | None = None,
) -> tuple[Ints, Ints, npt.NDArray[np.int64]]:
    """The arcs the flow needs in practice: each mentee's `mentee_arcs` best, and each mentor's
    `mentor_arcs` arcs where the mentee loses least against their own best (ties kept;
    defaults `FLOW_OWN` and `FLOW_MENTOR`).

    The flow's time grows with its arcs, but an optimal assignment uses few of them: a mentee
    either gets one of their first choices or a mentor for whom they are among the cheapest to
    move off their best. At 50,000 mentees this keeps 30% of the arcs and 99.99% of the total
    (the fallback pass still seats anyone the pruned flow leaves out). `edge_r` is sorted.
    """
    count = np.bincount(edge_r, minlength=n_rows)
    slot = np.arange(len(edge_r)) - np.repeat(np.cumsum(count) - count, count)
    table = np.full((n_rows, int(count.max())), -1, np.int64)
    table[edge_r, slot] = edge_s
    best = table.max(axis=1)
    own = np.ones(len(edge_r), np.bool_)
    mentee_arcs = FLOW_OWN if mentee_arcs is None else mentee_arcs
    mentor_arcs = FLOW_MENTOR if mentor_arcs is None else mentor_arcs
    if table.shape[1] > mentee_arcs:
        kth = -np.partition(-table, mentee_arcs - 1, axis=1)[:, mentee_arcs - 1]
        own = edge_s >= kth[edge_r]
    regret = best[edge_r] - edge_s
    key = np.sort((edge_c << 32) | regret)
    per_mentor = np.bincount(edge_c, minlength=n_cols)
    last = np.cumsum(per_mentor) - per_mentor + np.minimum(per_mentor, mentor_arcs) - 1
    cut = np.where(per_mentor > 0, key[np.maximum(last, 0)] & 0xFFFFFFFF, -1)
    keep = own | (regret <= cut[edge_c])
    return edge_r[keep], edge_c[keep], edge_s[keep]


def _assign(
    n_rows: int, edge_r: Ints, edge_c: Ints, edge_s: npt.NDArray[np.int64], capacity: Ints
) -> dict[int, int]:
    """Optimal mentee row → mentor row over the given edges, seats limited by `capacity`.

    A min-cost flow: each mentee sends one unit, to a mentor (cost: best score minus this
    pair's) or, failing that, straight to the sink at one and a half times the worst pair's
    cost, so that leaving a mentee out only pays when seating them would displace others badly;
    mentors pass at most `capacity` units to the sink. (A penalty above any total score would
    make the count strictly first, but doubles the solve time for the same result here; the
    fallback pass in `solve` seats anyone left out while a seat they may take is free. Three
    times the worst cost gave the same totals at 2,000 and 10,000 mentees and 99.9998% of it at
    50,000, in a fifth more flow time there.)
    """
    if not len(edge_r):
        return {}
    from ortools.graph.python import min_cost_flow  # heavy import, only when a round is solved

    n_cols = len(capacity)
    sink = n_rows + n_cols
    top = int(edge_s.max()) + 1
    unmatched = top // 2
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
    weight = model.weights
    for row, col, score in zip(rows.tolist(), cols.tolist(), scores.tolist(), strict=True):
        mentee, mentor = model.mentees[row], model.mentors[col]
        shared = set(mentor.tags).intersection(mentee.tags)
        if len(shared) > 1:
            goals = mentee.goals
            ranked = sorted(shared, key=lambda t: (-weight.get(t, 1) * (2 if t in goals else 1), t))
            shared_tags = tuple(ranked)
        else:
            shared_tags = tuple(shared)
        pairs.append(Pair(mentee.id, mentor.id, score, shared_tags))
    return pairs


def solve(
    mentees: Sequence[Mentee],
    mentors: Sequence[Mentor],
    weights: Mapping[int, int],
    forbidden: Iterable[tuple[int, int]] = (),
    candidates: int = CANDIDATES,
    allow_no_shared_tags: bool = False,
    outside_points: int = 0,
) -> list[Pair]:
    """The best total-score assignment, matching as many mentees as seats and rules allow.

    `weights`: tag id → rarity weight (`scoring.rarity_weights`). `forbidden`: (mentee id,
    mentor id) pairs that must not be proposed. Mentors with no free seat are ignored. A pair
    sharing no tag is made only with `allow_no_shared_tags` (a community's choice): otherwise a
    mentee nobody shares a tag with stays unmatched rather than being promised "someone who
    shares your interests" and given a stranger.
    `outside_points`: added to a pair whose mentee and mentor are in different groups
    (`Mentee.group`, `Mentor.group`: affiliates of a network) — "someone outside your school".
    """
    mentors = [m for m in mentors if m.capacity > 0]
    if not mentees or not mentors:
        return []
    model = _model(mentees, mentors, weights, forbidden, not allow_no_shared_tags, outside_points)
    edges = _candidate_edges(model, candidates)
    if len(edges[0]) > FLOW_ARCS:
        if _scores_every_pair(model):
            edges = _pruned(len(mentees), len(mentors), *edges)
        else:
            edges = _pruned(len(mentees), len(mentors), *edges, POOLED_FLOW_OWN, POOLED_FLOW_MENTOR)
    chosen = _assign(len(mentees), *edges, model.capacity)
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
