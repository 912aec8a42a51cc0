"""What every handler gets, for a member's event and for a scheduled job alike: one `Context`.

A context always carries the services (store, clock, platform, peer index, the command prefix)
and `now`, the moment handling started. A member's event (command, private message, button,
join, leave, channel message) also has an `Acting`: the community, the member, the event and
whether they moderate. A job acts for nobody, so its context has none; the typed accessors
(`ctx.member`, `ctx.community`, ...) then raise `NoActingMember`, which is a bug in the caller
(a job handler reaching for an acting member), never something a user can cause.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from communitybot.clock import Clock
from communitybot.events import Event
from communitybot.i18n.choice import event_locale, member_language
from communitybot.i18n.languages import DEFAULT_LANGUAGE
from communitybot.models import Community, Member
from communitybot.ports import ChatPlatform
from communitybot.replies import Action
from communitybot.store.stats import MemberCounts
from communitybot.store.store import Store
from communitybot.units import Unit


class PeerIndexPort(Protocol):
    """The in-memory peer index, kept in step with the store (the source of truth)."""

    async def refresh_member(
        self, store: Store, community_id: int, member_id: int, *, fresh: Member | None = None
    ) -> None: ...

    def invalidate(self, community_id: int) -> None: ...

    def invalidate_all(self) -> None: ...


class EveryFeature(Protocol):
    """What a handler may ask of all the features at once: `/stats`, `/mydata` and
    `/forgetme` go through every feature's declaration. The `communitybot.registry` module is
    the one implementation (its functions of these names), handed in the context, so the
    features that need it (moderation, privacy) never import the registry, which imports
    them."""

    async def stats_lines(self, ctx: Context, counts: MemberCounts) -> list[str]: ...

    async def export_sections(self, ctx: Context, member: Member) -> dict[str, Any]: ...

    async def forget(self, ctx: Context, memberships: list[Member]) -> None: ...


class NoActingMember(LookupError):
    """A job's context was asked for the member (or community, event) an event would have."""


@dataclass
class Acting:
    """Who acts, where and how: the part of a context only a member's event has."""

    community: Community
    member: Member
    event: Event
    is_moderator: bool


@dataclass
class Context:
    store: Store
    clock: Clock
    platform: ChatPlatform
    peers: Any
    """The `communitybot.peers.index.PeerIndex` (typed loosely to keep imports one-way)."""
    prefix: str
    """How commands are typed on this platform ("/" or "!"), for help texts."""
    now: datetime
    """When handling started: the event's arrival, or the start of a job batch (the same for
    every job in it)."""
    features: EveryFeature
    """Every feature at once (`/stats`, `/mydata`, `/forgetme`): the registry's."""
    acting: Acting | None = None
    """The member's event this context answers; None for a scheduled job."""
    member_is_new: bool = False
    """The member's row was created by this very event (first contact, or after /forgetme):
    a handler that only reads (`/mydata`) removes it again rather than keep a fresh profile."""
    joined_fresh: bool = False
    """A join created the member's row just now and nothing changed it since: no tags yet.
    The first `member_changed()` tells the peer index so without reading the row back."""
    unit: Unit | None = None
    """The unit of work on the write path (None on the read path): `unit.outside(fn, …)` runs
    long work outside the transaction (`communitybot.units`)."""

    def _acting(self) -> Acting:
        if self.acting is None:
            raise NoActingMember("a scheduled job's context has no acting member or community")
        return self.acting

    @property
    def community(self) -> Community:
        """The community the event happened in."""
        return self._acting().community

    @community.setter
    def community(self, community: Community) -> None:
        self._acting().community = community

    @property
    def member(self) -> Member:
        """The member who acted (joined, left, typed, pressed)."""
        return self._acting().member

    @member.setter
    def member(self, member: Member) -> None:
        self._acting().member = member

    @property
    def event(self) -> Event:
        return self._acting().event

    @property
    def language(self) -> str:
        """The language to answer the acting member in (`communitybot.i18n.choice`); a job
        writes to each recipient in theirs, so it has none of its own: English."""
        if self.acting is None:
            return DEFAULT_LANGUAGE
        acting = self.acting
        return member_language(acting.member, acting.community, event_locale(acting.event))

    @property
    def is_moderator(self) -> bool:
        """Whether the acting member moderates; a job is no moderator."""
        return self.acting is not None and self.acting.is_moderator

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
