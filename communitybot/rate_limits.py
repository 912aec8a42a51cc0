"""Per-member rate limits, so one member's burst cannot slow everyone else down (issue #11).

Why it looks like this:

* Token buckets per (community, member): commands (20 a minute by default, of which 10 may
  come at once: then one every 3 s), answers (DM text and button presses, at the same rate
  but a whole minute's worth at once: they answer questions the bot asked, and onboarding
  asks several in a row) and public posts (`/ask`, and `/onboard`, which ends in a public
  introduction; 5 an hour by default, all of which may come at once: then one every 12
  minutes).
* The check runs before the Bot's lock and before any database write: a refused event costs a
  dict lookup, no transaction, so a 1,000-command burst is mostly refused in microseconds and
  other members' events do not queue behind it.
* The refusal is said once per window ("Try again in 40 s."), further refused events are
  dropped silently until the member is admitted again: the bot must not become a spam
  amplifier itself.
* Nothing is stored for the counters: they live in memory, bounded (least recently used
  members are forgotten first; a forgotten member simply starts with a full bucket). Only
  the moderators' settings are stored (`community_limits`), read once and cached briefly.
* Moderators are exempt: whether someone is a moderator is only asked when they would be
  refused, so ordinary events never pay for that question.
* Channel messages (a running topic chat listens to them) and joins/leaves are not limited:
  they are not addressed to the bot, and nothing listening costs no transaction already.
"""

from __future__ import annotations

import asyncio
import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from loguru import logger

from communitybot.clock import Clock
from communitybot.commands import find_command
from communitybot.events import (
    ChoicePicked,
    CommandInvoked,
    CommunityRef,
    Event,
    MessageReceived,
    UserRef,
)
from communitybot.i18n import ntr, tr
from communitybot.ports import ChatPlatform
from communitybot.replies import Action, SendToChannel
from communitybot.store.limits import LimitSettings, LimitsRepository
from communitybot.store.store import Store

PUBLIC_POSTS: frozenset[tuple[str, ...]] = frozenset({("ask",), ("onboard",)})
"""Commands that post publicly on the member's behalf (`/onboard` ends in an intro post)."""
REFUNDED_WHEN_NOT_POSTED: frozenset[tuple[str, ...]] = frozenset({("ask",)})
"""A refused or mistyped `/ask` posted nothing, so it does not use up a public post."""
MAX_MEMBERS = 10_000
"""Buckets kept per kind; the least recently active member is forgotten beyond that."""
SETTINGS_TTL = timedelta(minutes=1)
"""How long a community's limits (and moderator role) are trusted before re-reading them."""
BURST = 10
"""Commands a member may send at once before the per-minute rate applies."""
MINUTE = 60.0
HOUR = 3600.0

Key = tuple[str, str, str]


@dataclass
class _Bucket:
    tokens: float
    at: datetime
    warned: bool = False

    def wait(self, capacity: int, rate: float, now: datetime) -> float:
        """Refill (`rate` tokens a second, up to `capacity`), then take one token: 0.0 when
        taken, else seconds until one is there."""
        elapsed = max(0.0, (now - self.at).total_seconds())
        self.tokens = min(float(capacity), self.tokens + elapsed * rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / rate


@dataclass(frozen=True)
class Refusal:
    """An event refused by a limit: `text` to reply once, None when already said."""

    text: str | None


@dataclass(frozen=True)
class _Community:
    settings: LimitSettings
    moderator_role: str | None
    expires: datetime


def command_burst(per_minute: int) -> int:
    """How many commands may come at once: a small allowance (10, or a quarter of a higher
    per-minute limit), never more than the limit itself."""
    return min(per_minute, max(BURST, per_minute // 4))


def _key(community: CommunityRef, user_id: str) -> Key:
    return (community.platform, community.space_id, user_id)


def _wait_text(seconds: float) -> str:
    if seconds < 90:
        return tr("{seconds} s", seconds=max(1, math.ceil(seconds)))
    return tr("{minutes} min", minutes=math.ceil(seconds / 60))


def _is_limited(event: Event) -> bool:
    return isinstance(event, CommandInvoked | MessageReceived | ChoicePicked)


class RateLimiter:
    """In-memory token buckets keyed by (community, member); see the module docstring."""

    def __init__(
        self,
        store: Store,
        platform: ChatPlatform,
        clock: Clock,
        *,
        enabled: bool = True,
        max_members: int = MAX_MEMBERS,
    ) -> None:
        self.enabled = enabled
        self._limits = LimitsRepository(store.db)
        self._store = store
        self._platform = platform
        self._clock = clock
        self._max = max_members
        self._commands: OrderedDict[Key, _Bucket] = OrderedDict()
        self._answers: OrderedDict[Key, _Bucket] = OrderedDict()
        self._posts: OrderedDict[Key, _Bucket] = OrderedDict()
        self._communities: dict[CommunityRef, _Community] = {}
        self._loading: dict[CommunityRef, asyncio.Future[_Community]] = {}

    async def admit(self, event: Event) -> Refusal | None:
        """None to handle `event`; a Refusal to answer (or drop) it without handling it."""
        if not self.enabled or not _is_limited(event):
            return None
        if isinstance(event, CommandInvoked):
            return await self._admit(
                event.community, event.user, "commands", event.path in PUBLIC_POSTS
            )
        return await self._admit(event.community, event.user, "messages", False, answer=True)

    async def admit_mistake(self, community: CommunityRef, user: UserRef) -> Refusal | None:
        """For a mistyped command an adapter explains itself (it never reaches the core): the
        same commands bucket, so a flood of typos is not answered with a flood of DMs."""
        if not self.enabled:
            return None
        return await self._admit(community, user, "commands", False)

    async def _admit(
        self, ref: CommunityRef, user: UserRef, what: str, public: bool, *, answer: bool = False
    ) -> Refusal | None:
        now = self._clock.now()
        community = await self._community(ref, now)
        key = _key(ref, user.user_id)
        per_minute = community.settings.commands_per_minute
        buckets = self._answers if answer else self._commands
        burst = per_minute if answer else command_burst(per_minute)
        command_wait = self._take(buckets, key, burst, per_minute / MINUTE, now)
        post_wait = 0.0
        per_hour = community.settings.posts_per_hour
        if command_wait == 0.0 and public:
            post_wait = self._take(self._posts, key, per_hour, per_hour / HOUR, now)
        if command_wait == 0.0 and post_wait == 0.0:
            return None
        if await self._platform.is_moderator(ref, user, community.moderator_role):
            return None
        if command_wait:
            if what == "commands":
                text = tr(
                    "You're sending commands faster than this community allows "
                    "({per_minute} a minute). Try again in {wait}.",
                    per_minute=per_minute,
                    wait=_wait_text(command_wait),
                )
            else:
                text = tr(
                    "You're sending messages faster than this community allows "
                    "({per_minute} a minute). Try again in {wait}.",
                    per_minute=per_minute,
                    wait=_wait_text(command_wait),
                )
            return self._refuse(buckets[key], text)
        self._refund(buckets, key, burst)  # it was not run
        text = ntr(
            "You've reached this community's limit of {n} public post an hour. "
            "Try again in {wait}.",
            "You've reached this community's limit of {n} public posts an hour. "
            "Try again in {wait}.",
            per_hour,
            wait=_wait_text(post_wait),
        )
        return self._refuse(self._posts[key], text)

    def settle(self, event: Event, actions: list[Action]) -> None:
        """After handling: give back a public post that posted nothing; re-read settings
        after a moderator command (it may have changed the limits or the moderator role)."""
        if not self.enabled or not isinstance(event, CommandInvoked):
            return
        key = _key(event.community, event.user.user_id)
        if event.path in REFUNDED_WHEN_NOT_POSTED and not any(
            isinstance(action, SendToChannel) for action in actions
        ):
            community = self._communities.get(event.community)
            if community is not None:
                self._refund(self._posts, key, community.settings.posts_per_hour)
        command = find_command(event.path)
        if command is not None and command.moderator_only:
            self.forget(event.community)

    def forget(self, community: CommunityRef) -> None:
        """Re-read this community's settings on its next event."""
        self._communities.pop(community, None)

    @property
    def tracked(self) -> int:
        """Members with a bucket in memory (bounded by `max_members` per kind)."""
        return len(self._commands)

    def _take(
        self,
        buckets: OrderedDict[Key, _Bucket],
        key: Key,
        capacity: int,
        rate: float,
        now: datetime,
    ) -> float:
        if capacity <= 0:
            return 0.0  # 0 = no limit
        bucket = buckets.get(key)
        if bucket is None:
            bucket = buckets[key] = _Bucket(float(capacity), now)
            if len(buckets) > self._max:
                buckets.popitem(last=False)
        else:
            buckets.move_to_end(key)
        wait = bucket.wait(capacity, rate, now)
        if wait == 0.0:
            bucket.warned = False
        return wait

    @staticmethod
    def _refund(buckets: OrderedDict[Key, _Bucket], key: Key, capacity: int) -> None:
        bucket = buckets.get(key)
        if bucket is not None and capacity > 0:
            bucket.tokens = min(float(capacity), bucket.tokens + 1.0)

    @staticmethod
    def _refuse(bucket: _Bucket, text: str) -> Refusal:
        if bucket.warned:
            return Refusal(None)
        bucket.warned = True
        return Refusal(text)

    async def _community(self, ref: CommunityRef, now: datetime) -> _Community:
        cached = self._communities.get(ref)
        if cached is not None and cached.expires > now:
            return cached
        loading = self._loading.get(ref)
        if loading is None:  # one read per community, however many events wait for it
            loading = asyncio.ensure_future(self._load(ref, now))
            self._loading[ref] = loading
            loading.add_done_callback(lambda _: self._loading.pop(ref, None))
        return await asyncio.shield(loading)

    async def _load(self, ref: CommunityRef, now: datetime) -> _Community:
        try:
            return await self._read(ref, now)
        except Exception as error:  # the limiter must never be why an event fails
            logger.warning("could not read the rate limits ({}); using the defaults", error)
            return _Community(LimitSettings(), None, now + timedelta(seconds=5))

    async def _read(self, ref: CommunityRef, now: datetime) -> _Community:
        found = await self._store.communities.get(ref)  # a read: no transaction, no write
        settings = await self._limits.get(found.id) if found else LimitSettings()
        fresh = _Community(settings, found.moderator_role if found else None, now + SETTINGS_TTL)
        if len(self._communities) >= self._max:
            self._communities.clear()
        self._communities[ref] = fresh
        return fresh
