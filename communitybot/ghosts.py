"""Bridged ghosts: accounts that stand for someone on another network, never a person of their
own — Matrix appservice users (`@_discord_…`, `@_telegram_…`, generally `@_…`). They are never
linked, listed by `peers` across a network, matched, or introduced. Discord's bot and webhook
authors never reach the core (the adapter drops them)."""

from __future__ import annotations

from communitybot.events import UserRef


def is_bridged_ghost(user: UserRef) -> bool:
    return user.platform == "matrix" and user.user_id.startswith("@_")
