"""The read-only questions adapters may ask the core (`CoreQueries`), on committed state.

Adapters used to read the core's tables themselves (Discord's autocomplete and private-thread
routing, Matrix's "is this a member already?"), so a change to the core's schema could break an
adapter silently. Here the core answers, from the store's read connection when it has one (the
last commit, never waiting for the write path), else from the writer.
"""

from __future__ import annotations

from communitybot.events import CommunityRef, UserRef
from communitybot.models import Tag
from communitybot.ports import CommunityChannels
from communitybot.store.store import Store


class StoreQueries:
    """`CoreQueries` answered by the store."""

    def __init__(self, store: Store) -> None:
        self._store = store.reader or store

    async def tags(self, community: CommunityRef) -> list[Tag]:
        record = await self._store.communities.get(community)
        return await self._store.tags.all(record.id) if record is not None else []

    async def channels(self, community: CommunityRef) -> CommunityChannels:
        record = await self._store.communities.get(community)
        if record is None:
            return CommunityChannels(None, None)
        return CommunityChannels(record.welcome_channel, record.introductions_channel)

    async def is_member(self, community: CommunityRef, user: UserRef) -> bool:
        record = await self._store.communities.get(community)
        if record is None:
            return False
        member = await self._store.members.get(record.id, user)
        return member is not None and member.left_at is None
