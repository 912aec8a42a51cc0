"""The peer-round yardstick: an upper bound on any round, from the dense relaxation.

Lives beside the benchmarks because it needs scipy, a dev dependency: the bot's own solver
(`communitybot.rounds.solver`) never imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from communitybot.rounds.solver import REPEAT_PENALTY, Member, score_matrix


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
