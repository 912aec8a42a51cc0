"""What several benchmarks compute the same way from their samples."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile of `values` (0.5 the median, 0.99 the p99, 1.0 the maximum), by
    `statistics.quantiles` with the inclusive method: with 100 samples, p99 is between the two
    largest, not the largest."""
    if q >= 1:
        return max(values)
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]
