"""The mentor-matching solver: optimal totals, hard rules, and nobody left out needlessly."""

from __future__ import annotations

import numpy as np
import pytest

from communitybot.mentoring import synthetic
from communitybot.mentoring.exact import solve_exact
from communitybot.mentoring.scoring import tz_points
from communitybot.mentoring.solver import Mentee, Mentor, solve, total_score


@pytest.mark.parametrize("seed", range(4))
def test_solver_reaches_the_exact_optimum_when_it_sees_every_mentor(seed: int) -> None:
    c = synthetic.community(60, 20, capacity=2, n_tags=30, seed=seed)
    exact = solve_exact(c.mentees, c.mentors, c.weights)
    pairs = solve(c.mentees, c.mentors, c.weights, candidates=len(c.mentors))
    assert total_score(pairs) == total_score(exact)
    assert len(pairs) == len(exact) == 40


def test_solver_with_few_candidates_stays_within_a_hair_of_the_optimum() -> None:
    c = synthetic.community(600, 200, seed=3)
    exact = total_score(solve_exact(c.mentees, c.mentors, c.weights))
    assert total_score(solve(c.mentees, c.mentors, c.weights)) >= 0.999 * exact


def test_hard_rules_self_forbidden_pairs_and_capacity_hold() -> None:
    c = synthetic.community(90, 30, capacity=3, n_tags=20, seed=5)
    # Member 0 is both a mentee and (with the same tags) a mentor: never their own mentor.
    mentors = [Mentor(0, c.mentees[0].tags, 3, c.mentees[0].offset), *c.mentors]
    forbidden = {(m.id, c.mentors[0].id) for m in c.mentees[:45]}
    pairs = solve(c.mentees, mentors, c.weights, forbidden)
    assert all(p.mentee_id != p.mentor_id for p in pairs)
    assert not {(p.mentee_id, p.mentor_id) for p in pairs} & forbidden
    load = np.bincount([p.mentor_id for p in pairs])
    assert load.max() <= 3
    assert len({p.mentee_id for p in pairs}) == len(pairs) == 90


def test_every_mentee_who_can_be_matched_is_matched_even_with_one_candidate_each() -> None:
    # Everyone's single best mentor is the same one; the fallback seats the rest elsewhere.
    star = Mentor(100, (1, 2, 3), 1)
    others = [Mentor(101 + i, (9,), 1) for i in range(5)]
    mentees = [Mentee(i, (1, 2, 3)) for i in range(6)]
    pairs = solve(mentees, [star, *others], {1: 3000, 2: 3000, 3: 3000, 9: 500}, candidates=1)
    assert len(pairs) == 6
    assert sum(p.mentor_id == 100 for p in pairs) == 1


def test_a_rare_shared_tag_outweighs_a_common_one() -> None:
    weights = {1: 100, 2: 4000}  # tag 1 is common, tag 2 rare
    mentee = Mentee(1, (1, 2))
    common, rare = Mentor(10, (1,), 1), Mentor(11, (2,), 1)
    (pair,) = solve([mentee], [common, rare], weights)
    assert pair.mentor_id == 11
    assert pair.shared == (2,)


def test_time_zone_overlap_breaks_a_tie_and_goals_weigh_more() -> None:
    weights = {1: 1000, 2: 1000}
    far, near = Mentor(10, (1,), 1, offset=720), Mentor(11, (1,), 1, offset=60)
    (pair,) = solve([Mentee(1, (1,), offset=0)], [far, near], weights)
    assert pair.mentor_id == 11
    assert tz_points(0, 60) > tz_points(0, 720) == 0
    goal_side, other_side = Mentor(20, (2,), 1), Mentor(21, (1,), 1)
    (pair,) = solve([Mentee(2, (1, 2), goals=(2,))], [other_side, goal_side], weights)
    assert pair.mentor_id == 20


def test_nothing_to_do_gives_no_pairs() -> None:
    assert solve([], [Mentor(1, (1,), 1)], {}) == []
    assert solve([Mentee(1, (1,))], [Mentor(2, (1,), 0)], {1: 5}) == []
