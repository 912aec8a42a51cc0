"""Rank a community's members against a set of tags: rarity-weighted overlap, then time zones.

Score = Σ weight(tag) over the shared tags, weight = log(N / df) in integer thousandths (sums are
exact, so ties are real ties), at least 1 so a tag everybody carries still counts a little.

Pruning, exact (a numpy take on MaxScore):
1. A small *seed* of visible members — the holders of the rarest query tags — is scored fully.
   Its `limit`-th best score θ is a lower bound on the answer's `limit`-th best score.
2. Tags are taken rarest first. Once the weights of the tags still to come sum to less than θ,
   a member carrying none of the tags seen so far cannot make the list: those remaining, very
   common tags are never scanned, only *probed* for the few candidates that can still make it.
3. Very common tags use a dense 0/1 mask (`CommunityIndex.dense_mask`): adding or probing them
   is a contiguous vector operation instead of random access.
Ties at the cut-off are settled by time-zone distance, then member id (stable output).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from communitybot.peers.community import CommunityIndex

UNKNOWN_OFFSET = 10_000
"""Sentinel offset for members without a (valid) time zone: they sort after everyone else."""
DAY = 24 * 60
SEED_SIZE = 1024
DENSE_FRACTION = 16
"""A tag whose posting holds at least 1/16 of all slots is handled as a dense mask."""

Slots = npt.NDArray[np.intp]
Scores = npt.NDArray[np.int64]


@dataclass(frozen=True)
class RankedSlot:
    slot: int
    score: int
    """Thousandths of the summed rarity weights."""
    shared: tuple[int, ...]
    """Local tag indices shared with the query, rarest first."""


@dataclass(frozen=True)
class _Term:
    tag: int
    weight: int
    dense: bool


def weight(live: int, df: int) -> int:
    """Rarity weight of a tag carried by `df` of `live` members, in thousandths."""
    if df <= 0 or live <= 0:
        return 0
    return max(1, round(1000 * math.log(live / df)))


def kth_largest(values: Scores, k: int) -> int:
    """The k-th largest value (k ≤ len(values)).

    Scores take few distinct values, where `np.partition` degrades badly (13 ms for 87,000
    values here); walking down the distinct values from the top needs at most k cheap passes.
    """
    if k > 32:
        keyed = values * (1 << 24) + (np.arange(len(values)) & 0xFFFFFF)
        return int(np.partition(keyed, len(values) - k)[len(values) - k] >> 24)
    value = values.max()
    while np.count_nonzero(values >= value) < k:
        value = values[values < value].max()
    return int(value)


def tz_distance(offsets: npt.NDArray[np.int32], asker: int | None) -> Scores:
    """Minutes apart on the 24-hour circle; unknown on either side → a full day (last)."""
    if asker is None:
        return np.full(len(offsets), DAY, np.int64)
    diff = np.abs(offsets.astype(np.int64) - asker) % DAY
    dist = np.minimum(diff, DAY - diff)
    dist[offsets == UNKNOWN_OFFSET] = DAY
    return dist


class _Ranker:
    """One search: the query's terms over one community's arrays."""

    def __init__(
        self,
        ix: CommunityIndex,
        query: Sequence[int],
        exclude: int,
        limit: int,
        weights: Mapping[int, int] | None = None,
        visible: npt.NDArray[np.bool_] | None = None,
    ):
        self.ix = ix
        self.limit = limit
        self.exclude = exclude
        self.visible = ix.visible.view if visible is None else visible
        n = len(self.visible)
        self.terms = sorted(
            (
                _Term(
                    t,
                    weight(ix.live, ix.df[t]) if weights is None else weights[t],
                    len(ix.postings[t]) * DENSE_FRACTION >= n,
                )
                for t in set(query)
                if ix.df[t] > 0 and (weights is None or weights[t] > 0)
            ),
            key=lambda term: (-term.weight, ix.tag_ids[term.tag]),
        )

    def usable(self, slots: Slots) -> Slots:
        """Visible members other than the asker."""
        slots = slots[self.visible[slots]]
        return slots[slots != self.exclude] if self.exclude >= 0 else slots

    def has(self, term: _Term, slots: Slots) -> npt.NDArray[np.bool_]:
        """Which of `slots` carry the term's tag."""
        if term.dense:
            return self.ix.dense_mask(term.tag)[slots].astype(np.bool_)
        posting = self.ix.postings[term.tag].view
        if not len(posting):
            return np.zeros(len(slots), np.bool_)
        at = np.minimum(np.searchsorted(posting, slots), len(posting) - 1)
        return posting[at] == slots

    def kth_best(self, scores: Scores) -> int:
        """The `limit`-th best of `scores`, or 0 when there are fewer."""
        return kth_largest(scores, self.limit) if len(scores) >= self.limit else 0

    def seed_threshold(self) -> int:
        """θ: the `limit`-th best full score among a few holders of the rarest tags."""
        seed = np.zeros(0, np.intp)
        for term in self.terms:
            posting = self.ix.postings[term.tag].view
            more = self.usable(posting[: 4 * SEED_SIZE].astype(np.intp))
            if len(more) < SEED_SIZE and len(posting) > 4 * SEED_SIZE:
                more = self.usable(posting.astype(np.intp))
            if len(seed):
                more = more[~np.isin(more, seed)]
            seed = np.concatenate([seed, more[: SEED_SIZE - len(seed)]])
            if len(seed) >= self.limit:
                break
        scores = np.zeros(len(seed), np.int64)
        for term in self.terms:
            scores += self.has(term, seed) * term.weight
        return self.kth_best(scores)

    def candidates(self) -> tuple[Slots, Scores]:
        """Every member who could make the list, with their exact scores."""
        theta = self.seed_threshold()
        remaining = sum(term.weight for term in self.terms)
        acc = np.zeros(len(self.visible), np.int32)
        split = 0
        for term in self.terms:
            if theta > 0 and remaining < theta:
                break
            if term.dense:
                acc += self.ix.dense_mask(term.tag) * np.int32(term.weight)
            else:
                acc[self.ix.postings[term.tag].view] += term.weight
            remaining -= term.weight
            split += 1
        cands = self.usable(np.flatnonzero(acc >= max(1, theta - remaining)))
        scores = acc[cands].astype(np.int64)
        for term in self.terms[split:]:
            theta = max(theta, self.kth_best(scores))
            hopeful = scores + remaining >= theta
            cands, scores = cands[hopeful], scores[hopeful]
            scores += self.has(term, cands) * term.weight
            remaining -= term.weight
        return cands, scores


def rank(
    ix: CommunityIndex,
    query: Sequence[int],
    exclude_slot: int,
    offsets_by_code: npt.NDArray[np.int32],
    asker_offset: int | None,
    limit: int,
    *,
    weights: Mapping[int, int] | None = None,
    visible: npt.NDArray[np.bool_] | None = None,
) -> list[RankedSlot]:
    """The best `limit` visible slots for the local tag indices `query`, best first.

    `weights`: each query tag's weight (thousandths) instead of its rarity here (a search
    across a network weighs tags by their rarity in the whole network). `visible`: which slots
    may be listed instead of `ix.visible` (another affiliate's members: `ix.network`).
    """
    ranker = _Ranker(ix, query, exclude_slot, limit, weights, visible)
    if not ranker.terms or limit <= 0:
        return []
    cands, scores = ranker.candidates()
    slot_tz = ix.slot_tz.view
    member = ix.slot_member.view

    def distance(slots: Slots) -> Scores:
        return tz_distance(offsets_by_code[slot_tz[slots]], asker_offset)

    if len(cands) > limit:
        cands, scores = _top_with_ties(cands, scores, limit, distance, member)
    order = np.lexsort((member[cands], distance(cands), -scores))
    query_order = {term.tag: i for i, term in enumerate(ranker.terms)}
    out = []
    for i in order:
        slot = int(cands[i])
        shared = sorted(
            (t for t in ix.slot_tags(slot) if t in query_order), key=lambda t: query_order[t]
        )
        out.append(RankedSlot(slot, int(scores[i]), tuple(shared)))
    return out


def _top_with_ties(
    cands: Slots,
    scores: Scores,
    limit: int,
    distance: Callable[[Slots], Scores],
    member: npt.NDArray[np.int64],
) -> tuple[Slots, Scores]:
    """Keep the best `limit`: everyone above the limit-th score, then the closest of the tied.

    Ties can be huge (everyone sharing only the most common tag), so the tied group is cut with
    another partition on a packed (distance, member id) key rather than sorted whole.
    """
    kth = kth_largest(scores, limit)
    above = np.flatnonzero(scores > kth)
    tied = np.flatnonzero(scores == kth)
    need = limit - len(above)
    if len(tied) > need:
        key = distance(cands[tied]) * (1 << 40) + member[cands[tied]]
        tied = tied[np.argpartition(key, need - 1)[:need]]
    keep = np.concatenate([above, tied])
    return cands[keep], scores[keep]
