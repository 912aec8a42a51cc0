"""Which rooms the bot serves, which community each belongs to, and who created them.

A configured room is a community of its own; a configured space is one community spanning the
space and its child rooms. Room ids are opaque keys here (room version 12 ids carry no server).

Room creators are tracked because from room version 12 on they outrank every power level
without appearing in `m.room.power_levels`, and matrix-nio does not know that yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_CLASSIC_VERSIONS = {str(v) for v in range(1, 12)}


class Served:
    def __init__(self) -> None:
        self._community: dict[str, str] = {}
        self.roots: list[str] = []
        self.spaces: set[str] = set()
        self._creators: dict[str, frozenset[str]] = {}
        self._restricted_to: dict[str, frozenset[str]] = {}
        """room → the rooms whose members may join it (a `restricted` join rule's allow list)."""
        self.moderator_rooms: list[str] = []
        """Configured rooms (COMMUNITYBOT_MATRIX__MODERATOR_ROOMS) whose power levels also make
        moderators of the community they belong to."""

    def add_root(self, room_id: str) -> None:
        """A configured room or space: its own community."""
        if room_id not in self.roots:
            self.roots.append(room_id)
        self._community[room_id] = room_id

    def add_child(self, space_id: str, room_id: str) -> None:
        """A room of a served space; a configured root keeps its own community."""
        if room_id not in self.roots:
            self._community[room_id] = space_id

    def remove_child(self, room_id: str) -> None:
        if room_id not in self.roots:
            self._community.pop(room_id, None)

    def community_of(self, room_id: str) -> str | None:
        return self._community.get(room_id)

    def rooms_of(self, space_id: str) -> list[str]:
        return [room for room, space in self._community.items() if space == space_id]

    def all_rooms(self) -> list[str]:
        return list(self._community)

    def observe_create(self, room_id: str, event: Mapping[str, Any]) -> None:
        """Remember an `m.room.create`: whether it is a space, and who holds creator power."""
        content = event.get("content") or {}
        if content.get("type") == "m.space":
            self.spaces.add(room_id)
        version = str(content.get("room_version", "1"))
        if version in _CLASSIC_VERSIONS:
            return
        creators = {str(event.get("sender", ""))}
        extra = content.get("additional_creators")
        if isinstance(extra, list):
            creators.update(str(user) for user in extra)
        self._creators[room_id] = frozenset(creators)

    def observe_join_rules(self, room_id: str, event: Mapping[str, Any]) -> None:
        """Remember which rooms' members a `restricted` room lets in (matrix-nio keeps only the
        rule's name)."""
        content = event.get("content") or {}
        allowed = {
            str(entry.get("room_id"))
            for entry in content.get("allow") or []
            if isinstance(entry, Mapping) and entry.get("type") == "m.room_membership"
        }
        if content.get("join_rule") in ("restricted", "knock_restricted") and allowed:
            self._restricted_to[room_id] = frozenset(allowed)
        else:
            self._restricted_to.pop(room_id, None)

    def restricted_to(self, room_id: str) -> frozenset[str]:
        """The rooms whose members may join `room_id` by themselves (empty: none recorded)."""
        return self._restricted_to.get(room_id, frozenset())

    def moderation_rooms(self, space_id: str) -> list[str]:
        """Where power makes a moderator of the community `space_id`: the space (or configured
        room) itself and the configured moderator rooms that belong to it (a moderator room
        outside every served space counts when only one community is served) — never any other
        child room, whose power levels its own creator or admins decide."""
        rooms = [space_id]
        for room in self.moderator_rooms:
            owner = self.community_of(room)
            alone = owner is None and len(self.roots) == 1
            if room not in rooms and (owner == space_id or alone):
                rooms.append(room)
        return rooms

    def is_creator(self, room_id: str, user_id: str) -> bool:
        return user_id in self._creators.get(room_id, frozenset())
