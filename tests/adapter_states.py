"""Adapter state for tests that need an adapter's tables without its client (same wiring)."""

from __future__ import annotations

from adapters.matrix import schema as matrix_schema
from adapters.matrix.sync_state import MatrixState
from communitybot.adapter_state import SqliteAdapterState
from communitybot.bootstrap import Core
from communitybot.store.store import Store


async def matrix_tables(store: Store) -> SqliteAdapterState:
    """The Matrix adapter's state port on this store, its tables created."""
    return await Core(store).adapter_state(matrix_schema.NAMESPACE, matrix_schema.MIGRATIONS)


async def matrix_state(store: Store, account: str) -> MatrixState:
    return MatrixState(await matrix_tables(store), account)
