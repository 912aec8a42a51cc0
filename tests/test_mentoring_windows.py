"""The time-zone window as a hard rule: never broken, and the solver's optimum otherwise."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from benchmarks.synthetic import community
from communitybot.mentoring import solver, windows


def _windows(mentees: list[solver.Mentee], share: float, seed: int) -> dict[int, int]:
    rng = np.random.default_rng(seed)
    return {
        m.id: int(rng.choice([0, 60, 120, 180]))
        for m in mentees
        if m.offset is not None and rng.random() < share
    }


def test_windows_are_never_broken_and_cost_little_score() -> None:
    made = community(400, 150, capacity=2, seed=3)
    rules = _windows(made.mentees, 0.4, seed=3)
    kept = windows.solve(made.mentees, made.mentors, made.weights, set(), rules)
    offsets = {m.id: m.offset for m in made.mentors}
    mentee_offsets = {m.id: m.offset for m in made.mentees}
    for pair in kept:
        if pair.mentee_id in rules:
            assert windows.within(
                mentee_offsets[pair.mentee_id], offsets[pair.mentor_id], rules[pair.mentee_id]
            )
    free = solver.solve(made.mentees, made.mentors, made.weights)
    assert len(kept) == len(free)  # enough near mentors: everyone is still matched
    assert solver.total_score(kept) <= solver.total_score(free)


def test_without_windows_it_is_the_plain_solver() -> None:
    made = community(200, 80, seed=1)
    assert windows.solve(made.mentees, made.mentors, made.weights, set(), {}) == solver.solve(
        made.mentees, made.mentors, made.weights
    )


def test_an_unknown_zone_is_outside_every_window() -> None:
    mentee = solver.Mentee(1, (7,), offset=60)
    near = solver.Mentor(2, (7,), 1, offset=120)
    unknown = solver.Mentor(3, (7, 8), 1, offset=None)
    far = solver.Mentor(4, (7, 8), 1, offset=-300)
    pairs = windows.solve([mentee], [unknown, far, near], {7: 1000, 8: 1000}, set(), {1: 120})
    assert [(p.mentee_id, p.mentor_id) for p in pairs] == [(1, 2)]
    nobody = windows.solve([replace(mentee, offset=None)], [near], {7: 1000}, set(), {1: 600})
    assert nobody == []
