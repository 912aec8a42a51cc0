"""A chat's transcript keeps the order messages arrived in, on SQLite and PostgreSQL (#13).

posted_at has whole seconds, so messages in the same second tie; migration 0021's per-run seq
breaks the tie by arrival (it used to be SQLite's rowid, which PostgreSQL lacks).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from communitybot.chats.schedule import once
from communitybot.events import CommunityRef, UserRef
from communitybot.store.chat_runs import NewMessage, RunQuestion
from communitybot.store.store import Store

NOW = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)
SPACE = CommunityRef("fake", "community-1")


async def test_messages_in_the_same_second_keep_their_arrival_order(store: Store) -> None:
    community, _ = await store.communities.ensure(SPACE, NOW)
    member, _ = await store.members.ensure(community.id, UserRef("fake", "bob"), NOW)
    series = await store.chats.create(
        community.id, "t", "T", "chats", once("UTC", time(20), date(2030, 2, 1)), 60, NOW,
        None, NOW,
    )  # fmt: skip
    run = await store.chat_runs.create(
        series.id, community.id, NOW, timedelta(hours=1), "chats", False, "T",
        [RunQuestion(1, "Q1", 0)],
    )  # fmt: skip
    for message_id, text in [("m3", "first"), ("m1", "second"), ("m2", "third")]:
        await store.chat_runs.record(NewMessage(run.id, message_id, member.id, 1, text), NOW)
    await store.chat_runs.record(
        NewMessage(run.id, "m0", member.id, 1, "later"), NOW + timedelta(seconds=1)
    )

    assert [m.text for m in await store.chat_runs.messages(run.id)] == [
        "first", "second", "third", "later",
    ]  # fmt: skip
    exported = await store.chat_runs.export_for_member(member.id)
    assert [row["text"] for row in exported] == ["first", "second", "third", "later"]
