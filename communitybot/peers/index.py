"""(placeholder, being replaced by the numpy posting-list index)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from communitybot.store.store import Store


@dataclass(frozen=True)
class PeerHit:
    member_id: int
    score: float
    shared_tag_ids: tuple[int, ...]


class PeerIndex:
    def __init__(self) -> None:
        self._loaded: set[int] = set()

    async def refresh_member(self, store: Store, community_id: int, member_id: int) -> None:
        return None

    def invalidate(self, community_id: int) -> None:
        self._loaded.discard(community_id)

    def invalidate_all(self) -> None:
        self._loaded.clear()

    async def search(
        self,
        store: Store,
        community_id: int,
        tag_ids: Sequence[int],
        exclude_member_id: int | None,
        timezone: str | None,
        limit: int = 10,
    ) -> list[PeerHit]:
        return []
