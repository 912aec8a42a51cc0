"""How well a mentor suits a mentee: rarity-weighted shared tags, goals, time-zone overlap.

Shared tags count with the rarity weight `/peers` ranks by (`peers.scoring.weight`, log(N/df)
in integer thousandths), so a rare shared interest outweighs a common one. A tag the
mentee named in their goals counts half again. Time zones add up to `TZ_POINTS` for the overlap of
the two sides' 09:00–21:00 local days (unknown zones get half: neither rewarded nor ruled out).

Every part is an integer, so a matrix product in float32 computes the scores exactly (sums stay
far below 2**24) and ties are real ties.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from communitybot.peers.scoring import weight

TZ_POINTS = 1000
"""A full 12-hour overlap of the two local days: about one moderately rare shared tag."""
GOAL_BOOST_PERCENT = 50
DAY_MINUTES = 24 * 60
AWAKE_MINUTES = 12 * 60
UNKNOWN_TZ = -1
"""Time-zone code for a member without a (valid) time zone."""


def rarity_weights(df: Mapping[int, int], live: int) -> dict[int, int]:
    """tag id → weight, from how many of the `live` members carry each tag (as `/peers`)."""
    return {tag: weight(live, count) for tag, count in df.items()}


def goal_weight(base: int) -> int:
    """The weight of a shared tag the mentee also named as a goal."""
    return base + base * GOAL_BOOST_PERCENT // 100


def tz_points(a: int | None, b: int | None) -> int:
    """Points for two UTC offsets (minutes): overlap of the 12 waking hours, scaled."""
    if a is None or b is None:
        return TZ_POINTS // 2
    diff = abs(a - b) % DAY_MINUTES
    distance = min(diff, DAY_MINUTES - diff)
    return TZ_POINTS * max(0, AWAKE_MINUTES - distance) // AWAKE_MINUTES


def tz_table(offsets: list[int | None]) -> npt.NDArray[np.float32]:
    """Points between every pair of distinct offsets (codes index `offsets`)."""
    table = np.empty((len(offsets), len(offsets)), np.float32)
    for i, a in enumerate(offsets):
        for j, b in enumerate(offsets):
            table[i, j] = tz_points(a, b)
    return table
