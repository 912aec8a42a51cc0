"""The read connection's repositories keep no cached rows: they never see the writes that would
drop one, so a moderator's change must reach the next read-only command at once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from communitybot.events import CommunityRef
from communitybot.store.store import Store

REF = CommunityRef("console", "reader-cache")


async def test_a_settings_change_reaches_the_read_connection_at_once(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bot.db")
    try:
        assert store.reader is not None
        community, _ = await store.communities.ensure(REF, datetime.now(UTC))
        before = await store.reader.communities.get(REF)
        assert before is not None and before.welcome_channel is None
        await store.communities.update_settings(community.id, welcome_channel="general")
        after = await store.reader.communities.get(REF)
        assert after is not None and after.welcome_channel == "general"
    finally:
        await store.close()
