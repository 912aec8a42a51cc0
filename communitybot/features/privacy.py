"""(being written)"""

from __future__ import annotations

from typing import Any

from communitybot.context import Context
from communitybot.replies import Action

COMMANDS: dict[tuple[str, ...], Any] = {}


async def on_message(ctx: Context, text: str) -> list[Action] | None:
    return None


async def on_choice(ctx: Context, custom_id: str, values: tuple[str, ...]) -> list[Action] | None:
    return None
