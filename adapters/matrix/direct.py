"""The bot's `m.direct` account data: which of its rooms are DMs, and with whom.

Clients (Element and others) list a room under "People" only when the account's `m.direct`
names it, so every DM room the bot opens or adopts is added there, and a room it gives up is
removed. The content is shared with any other client of the bot account, so it is always
read, merged and written back, never overwritten: entries for other users, and any keys this
code does not understand, are kept exactly as they were. When the current value cannot be
read the update is skipped rather than risk wiping the rest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from loguru import logger
from nio import AsyncClient, DirectRoomsErrorResponse, DirectRoomsResponse
from nio.api import Api
from nio.responses import EmptyResponse, ErrorResponse

from adapters.matrix.errors import TRANSIENT

M_DIRECT = "m.direct"


def merged_direct(
    current: Mapping[str, Any], user_id: str, *, add: str | None = None, remove: str | None = None
) -> dict[str, Any] | None:
    """`current` with `add` listed for `user_id` and `remove` dropped; None if unchanged."""
    before = current.get(user_id)
    rooms = [str(room) for room in before] if isinstance(before, list) else []
    after = [room for room in rooms if room != remove]
    if add is not None and add not in after:
        after.append(add)
    if isinstance(before, list) and after == before:
        return None
    if before is None and not after:
        return None
    merged = dict(current)
    if after:
        merged[user_id] = after
    else:
        merged.pop(user_id, None)
    return merged


class DirectRooms:
    """Keeps `m.direct` in step with the DM rooms the adapter uses."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    async def update(
        self, user_id: str, *, add: str | None = None, remove: str | None = None
    ) -> bool:
        """Merge one change into `m.direct`; False (and a log line) if it could not be saved."""
        try:
            current = await self.read()
            if current is None:
                return False
            merged = merged_direct(current, user_id, add=add, remove=remove)
            if merged is None:
                return True
            return await self._write(merged)
        except TRANSIENT as error:
            logger.warning("could not update m.direct for {}: {}", user_id, error)
            return False

    async def read(self) -> dict[str, Any] | None:
        """The current `m.direct` content ({} if never set); None if it cannot be read."""
        response = await self.client.list_direct_rooms()
        if isinstance(response, DirectRoomsResponse):
            return dict(response.rooms)
        if isinstance(response, DirectRoomsErrorResponse) and response.status_code == "M_NOT_FOUND":
            return {}
        logger.warning("could not read the bot's m.direct account data: {}", response)
        return None

    async def _write(self, content: dict[str, Any]) -> bool:
        path = Api._build_path(["user", self.client.user_id, "account_data", M_DIRECT])
        response = await self.client._send(EmptyResponse, "PUT", path, json.dumps(content))
        if isinstance(response, ErrorResponse):
            logger.warning("could not save the bot's m.direct account data: {}", response)
            return False
        return True
