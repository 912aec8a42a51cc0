"""Peer-round pairing: everyone placed once, one trio when odd, no repeats, near-optimal."""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks.peer_rounds import greedy_round, members_of, random_round
from benchmarks.peer_rounds_bound import upper_bound
from communitybot.rounds import solver as rounds
from communitybot.rounds.solver import Group, Member


def _brute(members: list[Member], weights: dict[int, int], recent: list[tuple[int, int]]) -> float:
    """Best total over every partition into pairs (plus one trio when odd)."""
    ids = [m.id for m in members]

    def parts(rest: list[int]) -> list[list[Group]]:
        if not rest:
            return [[]]
        first, others = rest[0], rest[1:]
        out: list[list[Group]] = []
        for i, j in enumerate(others):
            remaining = others[:i] + others[i + 1 :]
            if len(rest) % 2 == 0:
                out += [[(first, j), *p] for p in parts(remaining)]
            else:
                out += [[(first, j), *p] for p in parts(remaining) if len(remaining) % 2 == 1]
                for k_i, k in enumerate(remaining):
                    rest3 = remaining[:k_i] + remaining[k_i + 1 :]
                    out += [[(first, j, k), *p] for p in parts(rest3)]
        return out

    return max(rounds.total_score(members, weights, p, recent) for p in parts(ids))


def _check_partition(members: list[Member], groups: list[Group]) -> None:
    placed = Counter(i for g in groups for i in g)
    assert placed == Counter(m.id for m in members)
    sizes = Counter(len(g) for g in groups)
    assert sizes[3] == len(members) % 2
    assert set(sizes) <= {2, 3}


@pytest.mark.parametrize("n", [200, 201])
def test_everyone_placed_once_and_odd_makes_one_trio(n: int) -> None:
    members, weights = members_of(n, seed=3)
    _check_partition(members, rounds.pair_round(members, weights, seed=1))


def test_same_seed_same_round() -> None:
    members, weights = members_of(101, seed=4)
    assert rounds.pair_round(members, weights, seed=5) == rounds.pair_round(
        members, weights, seed=5
    )


def test_recent_pairs_never_repeat() -> None:
    members, weights = members_of(301, seed=5)
    recent: list[tuple[int, int]] = []
    for seed in range(3):
        groups = rounds.pair_round(members, weights, recent, seed=seed)
        _check_partition(members, groups)
        met = {frozenset((a, b)) for g in groups for a in g for b in g if a != b}
        assert not met & {frozenset(p) for p in recent}
        recent += [(a, b) for g in groups for a in g for b in g if a < b]


def test_repeat_only_when_no_other_placement_exists() -> None:
    """Two members who just met, alone in the round, meet again rather than nobody meeting."""
    two = [Member(1, (1,)), Member(2, (1,))]
    assert [set(g) for g in rounds.pair_round(two, {1: 5}, [(1, 2)])] == [{1, 2}]
    four = [Member(i, (1,)) for i in range(4)]
    # 0 met everyone but 3: the only repeat-free round pairs 0 with 3
    groups = rounds.pair_round(four, {1: 5}, [(0, 1), (0, 2)])
    assert {frozenset(g) for g in groups} == {frozenset((0, 3)), frozenset((1, 2))}


def test_beats_random_and_greedy() -> None:
    members, weights = members_of(600, seed=6)
    ours = rounds.total_score(members, weights, rounds.pair_round(members, weights, seed=0))
    greedy = rounds.total_score(members, weights, greedy_round(members, weights))
    rand = rounds.total_score(members, weights, random_round(members))
    bound = upper_bound(members, weights)
    assert ours > greedy > rand
    assert ours >= 0.995 * bound


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 7, 8, 9])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_rounds_equal_brute_force(n: int, seed: int) -> None:
    members, weights = members_of(n, seed=10 + seed)
    recent = [(members[0].id, members[1].id)] if n > 3 else []
    groups = rounds.pair_round(members, weights, recent, seed=seed)
    _check_partition(members, groups)
    best = _brute(members, weights, recent)
    assert rounds.total_score(members, weights, groups, recent) == best
    if n % 2 == 0:  # the bound is the pairs-only relaxation; trios add a slack term
        assert upper_bound(members, weights, recent) >= best


@pytest.mark.parametrize("n", [6, 7, 9])
def test_heuristic_path_places_everyone_on_small_rounds(n: int) -> None:
    members, weights = members_of(n, seed=20)
    groups = rounds.pair_round(members, weights, seed=0, exact_up_to=0, candidates=3)
    _check_partition(members, groups)
    assert rounds.total_score(members, weights, groups) >= 0.8 * _brute(members, weights, [])


@pytest.mark.parametrize("n", [13, 14, 25, 40, 41])
@pytest.mark.parametrize("candidates", [1, 2])
def test_tiny_candidate_lists_still_place_everyone_without_repeats(n: int, candidates: int) -> None:
    """Few candidates make long odd cycles: the repair must still pair everyone, repeat-free."""
    members, weights = members_of(n, seed=30 + n)
    recent = [(members[i].id, members[i + 1].id) for i in range(0, n - 1, 3)]
    groups = rounds.pair_round(
        members, weights, recent, seed=n, candidates=candidates, exact_up_to=0
    )
    _check_partition(members, groups)
    met = {frozenset((a, b)) for g in groups for a in g for b in g if a != b}
    assert not met & {frozenset(p) for p in recent}


def test_a_round_too_big_for_one_piece_is_solved_in_parts_with_at_most_one_trio() -> None:
    members = [
        rounds.Member(i, (i % 7, 100 + i % 3), offset=(i % 5) * 60 if i % 4 else None)
        for i in range(1, 42)
    ]
    weights = {t: 3 for t in range(7)} | {100: 1, 101: 1, 102: 1}
    groups = rounds.pair_round(members, weights, seed=3, max_dense=10)
    placed = sorted(i for g in groups for i in g)
    assert placed == list(range(1, 42))  # everyone, once
    assert sorted(len(g) for g in groups).count(3) == 1
    assert all(len(g) in (2, 3) for g in groups)
    # Parts are cut by time zone: members without one are together at the end.
    parts = rounds._parts(members, 10)
    assert all(len(p) <= 10 for p in parts) and all(len(p) % 2 == 0 for p in parts[:-1])
    assert all(m.offset is None for m in parts[-1])


@pytest.mark.parametrize("size", [3, 4, 10, 11])
def test_parts_are_even_bounded_and_cover_everyone(size: int) -> None:
    for n in range(size + 1, 130):
        members = [rounds.Member(i, (1,), offset=(i * 37) % 11 * 60) for i in range(n)]
        parts = rounds._parts(members, size)
        assert sorted(m.id for p in parts for m in p) == list(range(n))
        assert all(2 <= len(p) <= size for p in parts), (n, [len(p) for p in parts])
        assert all(len(p) % 2 == 0 for p in parts[:-1])
