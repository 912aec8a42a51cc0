"""Which invites the bot accepts: its served rooms, anything a moderator asks, members' DMs.

Everything else is declined, so strangers cannot pull the bot into rooms it has no business in.
A member's DM invite is accepted when the member shares a served room with the bot, and the
room becomes their DM room. An encrypted one is accepted when encryption is on; with it off it is
declined (the bot cannot read it) and the bot opens an unencrypted DM instead, saying why.

One DM room per member: the room a member's new DM invite opens replaces their previous DM room,
which the bot leaves (`MatrixPlatform.adopt_dm`), so the bot never piles up rooms. DM invites
are also bounded per member (`DM_INVITES_PER_HOUR` in a sliding hour): past that they are
declined without a reply, so nobody can make the bot join or answer rooms without end.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from loguru import logger
from nio import AsyncClient, JoinError, RoomGetStateEventResponse

from adapters.matrix.platform import MatrixPlatform
from adapters.matrix.served import Served
from adapters.matrix.sync_state import MatrixState
from adapters.matrix.translate import community_ref, user_ref
from communitybot.ports import PlatformError
from communitybot.replies import Message

DM_INVITES_PER_HOUR = 5
HOUR = 3600.0

ENCRYPTED_DM_TEXT = (
    "Hi! I can't read end-to-end encrypted rooms, so I've opened this unencrypted room for us "
    "instead. Type `{prefix}help` here to see what I can do."
)


@dataclass(frozen=True)
class Invite:
    room_id: str
    inviter: str
    is_direct: bool
    encrypted: bool

    @classmethod
    def from_state(cls, room_id: str, state: Sequence[Mapping[str, Any]], own_id: str) -> Invite:
        """Read the invite's stripped state: who invited us, as a DM or not, encrypted or not."""
        own: Mapping[str, Any] = next(
            (e for e in state if e.get("type") == "m.room.member" and e.get("state_key") == own_id),
            {},
        )
        content = own.get("content") or {}
        return cls(
            room_id=room_id,
            inviter=str(own.get("sender", "")),
            is_direct=bool(content.get("is_direct")),
            encrypted=any(e.get("type") == "m.room.encryption" for e in state),
        )


def stripped_state(event: Any) -> dict[str, Any]:
    """An invite's stripped state event as JSON (matrix-nio moves `content` out of `source`)."""
    source = dict(getattr(event, "source", {}) or {})
    content = getattr(event, "content", None)
    if "content" not in source and isinstance(content, dict):
        source["content"] = content
    return source


class InvitePolicy:
    def __init__(
        self,
        client: AsyncClient,
        served: Served,
        platform: MatrixPlatform,
        state: MatrixState,
        configured: list[str],
        prefix: str,
        *,
        encryption: bool = False,
        dm_invites_per_hour: int = DM_INVITES_PER_HOUR,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.served = served
        self.platform = platform
        self.state = state
        self.configured = configured
        self.prefix = prefix
        self.encryption = encryption
        self.dm_invites_per_hour = dm_invites_per_hour
        self._monotonic = monotonic
        self._dm_invites: dict[str, deque[float]] = {}
        """inviter → when their recent DM invites came (within the last hour)."""

    async def handle(self, invite: Invite) -> None:
        configured = invite.room_id in self.served.all_rooms() or invite.room_id in self.configured
        from_moderator = any(
            self.platform.power_level(room, invite.inviter) >= self.platform.moderator_level
            for root in self.served.roots
            for room in self.served.moderation_rooms(root)
        )
        member_space = self.shared_community(invite.inviter) if invite.is_direct else None
        if not (configured or from_moderator or member_space):
            await self._decline(invite, "not a served room, and not from a moderator")
            return
        if invite.is_direct and not configured and not self._dm_invite_allowed(invite.inviter):
            await self._decline(
                invite, f"more than {self.dm_invites_per_hour} DM invites in an hour"
            )
            return
        response = await self.client.join(invite.room_id)
        if isinstance(response, JoinError):
            logger.warning(
                "could not accept the invite to {}: {}", invite.room_id, response.message
            )
            return
        # matrix-nio drops `m.room.encryption` from invite state, so look once inside.
        if (
            member_space
            and not configured
            and not self.encryption
            and (invite.encrypted or await self._is_encrypted(invite.room_id))
        ):
            await self._decline(invite, "an encrypted DM (the bot cannot read it)")
            await self._offer_plain_dm(invite.inviter, member_space)
            return
        if member_space and not configured:
            await self.platform.adopt_dm(invite.inviter, invite.room_id, member_space)
        logger.info("accepted an invite to {} from {}", invite.room_id, invite.inviter)

    def _dm_invite_allowed(self, inviter: str) -> bool:
        """Count one more DM invite from `inviter`; False when the hour's allowance is used."""
        now = self._monotonic()
        recent = self._dm_invites.setdefault(inviter, deque())
        while recent and recent[0] <= now - HOUR:
            recent.popleft()
        if len(recent) >= self.dm_invites_per_hour:
            return False
        recent.append(now)
        return True

    def shared_community(self, user_id: str) -> str | None:
        """The community of a served room the user is in (so a DM from them is welcome)."""
        for room_id in self.served.all_rooms():
            room = self.client.rooms.get(room_id)
            if room is not None and user_id in room.users:
                return self.served.community_of(room_id)
        return None

    async def _is_encrypted(self, room_id: str) -> bool:
        response = await self.client.room_get_state_event(room_id, "m.room.encryption")
        return isinstance(response, RoomGetStateEventResponse) and bool(response.content)

    async def _decline(self, invite: Invite, why: str) -> None:
        logger.info("declining an invite to {} from {}: {}", invite.room_id, invite.inviter, why)
        await self.client.room_leave(invite.room_id)

    async def _offer_plain_dm(self, user_id: str, space_id: str) -> None:
        try:
            await self.platform.send_direct(
                community_ref(space_id),
                user_ref(user_id),
                Message(ENCRYPTED_DM_TEXT.format(prefix=self.prefix)),
            )
        except PlatformError as error:
            logger.warning("could not open a DM with {}: {}", user_id, error)
