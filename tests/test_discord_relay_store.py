"""The Discord relay's tables on SQLite and PostgreSQL: webhooks, and copies that a merged post
shares, re-rendered and mapped back to their originals (adapter migration 3)."""

from __future__ import annotations

from adapters.discord import schema as discord_schema
from adapters.discord.relay_store import Piece, RelayStore, StoredPiece
from communitybot.bootstrap import Core
from communitybot.store.store import Store

APP = "900000000000000001"


async def relay_store(store: Store) -> RelayStore:
    state = await Core(store).adapter_state(discord_schema.NAMESPACE, discord_schema.MIGRATIONS)
    return RelayStore(state, APP)


def stored(key: str, seq: int, message: str, position: int, content: str) -> StoredPiece:
    piece = Piece(key, seq, "Ann · Matrix", "", "", content)
    return StoredPiece(piece, "10", "", message, "501", position)


async def test_a_webhook_is_remembered_replaced_and_forgotten(store: Store) -> None:
    relays = await relay_store(store)
    assert await relays.webhook("10") is None
    await relays.save_webhook("10", "501", "token-a")
    await relays.save_webhook("10", "502", "token-b")  # made again after a deletion
    assert await relays.webhook("10") == ("502", "token-b")
    await relays.forget_webhook("10")
    assert await relays.webhook("10") is None


async def test_copies_are_found_by_key_and_by_message_and_map_back(store: Store) -> None:
    relays = await relay_store(store)
    await relays.add("20", stored("matrix:$1", 0, "900", 0, "first"))
    await relays.add("20", stored("matrix:$2", 0, "900", 1, "second"))
    await relays.add("20", stored("matrix:$2", 1, "901", 0, "second, continued"))

    by_key = await relays.pieces_of_key("20", "matrix:$2")
    assert [(p.piece.seq, p.message_id) for p in by_key] == [(0, "900"), (1, "901")]
    in_message = await relays.pieces_of_message("900")
    assert [p.piece.content for p in in_message] == ["first", "second"]
    assert await relays.source_of("900") == "matrix:$2", "the last line of a merged post"
    assert await relays.source_of("901") == "matrix:$2"
    assert await relays.source_of("999") is None

    await relays.set_content("20", "matrix:$1", 0, "first, edited")
    await relays.remove("20", "matrix:$2", 0)
    assert [p.piece.content for p in await relays.pieces_of_message("900")] == ["first, edited"]
    assert await relays.pieces_of_key("21", "matrix:$1") == [], "per conversation"
