"""A synthetic mentoring community for the benchmark and the solver's property tests.

300 tags with Zipf popularity, 3–10 tags per member, and a realistic mix of UTC offsets (the
same weighting as the `/peers` benchmark; one member in eight without a time zone).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from communitybot.mentoring.scoring import rarity_weights
from communitybot.mentoring.solver import Mentee, Mentor

OFFSETS: dict[int | None, int] = {
    -300: 18,
    -360: 9,
    -420: 3,
    -480: 9,
    -180: 3,
    0: 10,
    60: 11,
    120: 2,
    180: 2,
    330: 8,
    480: 3,
    540: 2,
    660: 4,
    780: 2,
    None: 13,
}
"""UTC offset (minutes) → share of members: the Americas and Europe dominate, as in practice."""


@dataclass(frozen=True)
class Community:
    mentees: list[Mentee]
    mentors: list[Mentor]
    weights: dict[int, int]


def community(
    n_mentees: int, n_mentors: int, capacity: int = 3, n_tags: int = 300, seed: int = 0
) -> Community:
    """Mentees and mentors drawn from one population; weights from that population's tags."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, n_tags + 1)
    popularity /= popularity.sum()
    zones = list(OFFSETS)
    zone_p = np.array(list(OFFSETS.values()), np.float64)
    zone_p /= zone_p.sum()
    df = np.zeros(n_tags, np.int64)

    def draw() -> tuple[tuple[int, ...], int | None]:
        count = int(rng.integers(3, 11))
        tags = tuple(sorted(int(t) for t in rng.choice(n_tags, count, replace=False, p=popularity)))
        df[list(tags)] += 1
        return tags, zones[int(rng.choice(len(zones), p=zone_p))]

    mentees = []
    for i in range(n_mentees):
        tags, offset = draw()
        goals = tags[: int(rng.integers(0, 3))]
        mentees.append(Mentee(i, tags, offset, goals))
    mentors = []
    for j in range(n_mentors):
        tags, offset = draw()
        mentors.append(Mentor(n_mentees + j, tags, capacity, offset))
    live = n_mentees + n_mentors
    weights = rarity_weights({t: int(df[t]) for t in range(n_tags) if df[t]}, live)
    return Community(mentees, mentors, weights)
