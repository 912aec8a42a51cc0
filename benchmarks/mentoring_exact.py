"""The exact dense solve: every mentee against every mentor seat. The benchmark's yardstick.

Memory grows as mentees × seats (10,000 × 9,999 seats: about 2.6 GB and 40 s), so this is for
tests and for measuring `solver.solve` against the true optimum; it lives here, not in the
package, because scipy is a development dependency only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from communitybot.mentoring.solver import Mentee, Mentor, Pair, _model, _pairs


def solve_exact(
    mentees: Sequence[Mentee],
    mentors: Sequence[Mentor],
    weights: Mapping[int, int],
    forbidden: Iterable[tuple[int, int]] = (),
    allow_no_shared_tags: bool = False,
    outside_points: int = 0,
) -> list[Pair]:
    """The optimum of the problem `solver.solve` approximates: most mentees, then best total
    (with `outside_points` for pairs across groups, as `solver.solve` takes them)."""
    mentors = [m for m in mentors if m.capacity > 0]
    if not mentees or not mentors:
        return []
    model = _model(mentees, mentors, weights, forbidden, not allow_no_shared_tags, outside_points)
    scores = (model.left @ model.right.T).astype(np.float64)
    allowed = np.ones(scores.shape, np.bool_)
    for row, banned in model.forbidden.items():
        allowed[row, banned] = False
    if model.shared_only:
        n = model.n_tags
        tags = (model.left[:, :n] > 0).astype(np.float32)
        allowed &= tags @ (model.right[:, :n] > 0).astype(np.float32).T > 0
    bonus = float(scores.max()) * (len(mentees) + 1) + 1.0
    gain = np.where(allowed, scores + bonus, 0.0)
    del scores
    seats = np.repeat(np.arange(len(mentors)), model.capacity)
    rows, cols = linear_sum_assignment(gain[:, seats], maximize=True)
    chosen = {
        int(r): int(seats[c]) for r, c in zip(rows, cols, strict=True) if allowed[r, seats[c]]
    }
    return _pairs(model, chosen)
