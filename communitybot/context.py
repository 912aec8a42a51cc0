"""What a handler gets: the community and member it acts for, and the services it may use."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from communitybot.clock import Clock
from communitybot.events import Event
from communitybot.models import Community, Member
from communitybot.ports import ChatPlatform
from communitybot.replies import Action
from communitybot.store.store import Store
from communitybot.units import Unit


class PeerIndexPort(Protocol):
    """The in-memory peer index, kept in step with the store (the source of truth)."""

    async def refresh_member(
        self, store: Store, community_id: int, member_id: int, *, fresh: Member | None = None
    ) -> None: ...

    def invalidate(self, community_id: int) -> None: ...

    def invalidate_all(self) -> None: ...


@dataclass
class Context:
    store: Store
    clock: Clock
    platform: ChatPlatform
    peers: Any
    """The `communitybot.peers.index.PeerIndex` (typed loosely to keep imports one-way)."""
    community: Community
    member: Member
    event: Event
    is_moderator: bool
    prefix: str
    """How commands are typed on this platform ("/" or "!"), for help texts."""
    member_is_new: bool = False
    """The member's row was created by this very event (first contact, or after /forgetme):
    a handler that only reads (`/mydata`) removes it again rather than keep a fresh profile."""
    joined_fresh: bool = False
    """A join created the member's row just now and nothing changed it since: no tags yet.
    The first `member_changed()` tells the peer index so without reading the row back."""
    unit: Unit | None = None
    """The unit of work on the write path (None on the read path): `unit.outside(fn, …)` runs
    long work outside the transaction (`communitybot.units`)."""

    async def member_changed(self, member_id: int | None = None) -> None:
        """Tell the peer index that a member's tags, time zone or discoverability changed.

        Right after a new member's join (`joined_fresh`) there is nothing to read back.
        """
        if member_id is None and self.joined_fresh:
            self.joined_fresh = False
            await self.peers.refresh_member(
                self.store, self.community.id, self.member.id, fresh=self.member
            )
            return
        await self.peers.refresh_member(
            self.store, self.community.id, member_id if member_id is not None else self.member.id
        )

    async def reload_member(self) -> Member:
        """Re-read the acting member after a change (records are immutable snapshots)."""
        fresh = await self.store.members.get_by_id(self.member.id)
        assert fresh is not None
        self.member = fresh
        return fresh


CommandHandler = Callable[[Context, dict[str, Any]], Awaitable[list[Action]]]
"""What every command handler is: context and parsed options in, actions out."""
