"""Which parts of the adapters hold personal data, for `/mydata` and `/forgetme`.

Adapters keep their own tables (`communitybot.adapter_state`); the core must not read or delete
them by name. Instead every part of an adapter that stores something about a person (Matrix DM
rooms, Discord DM channels and fallback threads) declares it through its `AdapterState`
(`declare_personal_data`), and the state registers the holder here. The privacy feature asks
whatever is registered. One registry per database (it hangs off the `Store`): every adapter
state opened on that database declares into it.

An adapter that never ran in this process has declared nothing, and holds nothing about the
member asking: a member reaches the bot only through the adapter of their own platform.
"""

from __future__ import annotations

from communitybot.events import UserRef
from communitybot.ports import PersonalData, UserRows


class AdapterPersonalData:
    """The registered holders, by (adapter namespace, kind of holder)."""

    def __init__(self) -> None:
        self._holders: dict[tuple[str, str], PersonalData] = {}

    def declare(self, namespace: str, holder: PersonalData) -> None:
        """Register `holder`; the same kind again (a rebuilt platform) replaces the earlier."""
        self._holders[(namespace, type(holder).__qualname__)] = holder

    @property
    def holders(self) -> list[PersonalData]:
        return list(self._holders.values())

    async def export(self, user: UserRef) -> UserRows:
        """Every holder's rows about `user`, by table (the `/mydata` `private_conversations`)."""
        rows: UserRows = {}
        for holder in self.holders:
            for table, table_rows in (await holder.export_user(user)).items():
                if table_rows:
                    rows.setdefault(table, []).extend(table_rows)
        return rows

    async def forget(self, user: UserRef) -> int:
        """Every holder deletes its rows about `user`; rows deleted. Not inside a core
        transaction: each holder writes through its adapter state, which takes the writer turn
        itself. The first failure is raised (the rest are not tried)."""
        deleted = 0
        for holder in self.holders:
            deleted += await holder.forget_user(user)
        return deleted
