"""A chat's transcript keeps the order messages arrived in, on SQLite and PostgreSQL (#13).

posted_at has whole seconds, so messages in the same second tie; migration 0021's per-run seq
breaks the tie by arrival (it used to be SQLite's rowid, which PostgreSQL lacks).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from communitybot.chats.schedule import once
from communitybot.events import CommunityRef, UserRef
from communitybot.store.chat_runs import NewMessage, RunQuestion
from communitybot.store.db import Database, bundled_migrations
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


async def test_migration_0021_numbers_existing_messages_and_new_ones_follow(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    steps = bundled_migrations()
    db = await Database.open(path, [m for m in steps if m.version < 21])
    t0, t1 = "2027-01-01T00:00:00+00:00", "2027-01-01T00:00:01+00:00"
    for sql in (
        "INSERT INTO communities (id, platform, space_id, created_at) VALUES (7, 'fake', 's', ?)",
        "INSERT INTO members (id, community_id, platform, user_id, joined_at)"
        " VALUES (3, 7, 'fake', 'u', ?)",
        "INSERT INTO chat_series (id, community_id, hashtag, title, channel_id, kind, timezone,"
        " local_time, anchor, created_at) VALUES (1, 7, 't', 'T', 'c', 'once', 'UTC', '20:00',"
        " '2027-01-01', ?)",
        "INSERT INTO chat_runs (id, series_id, community_id, started_at, ends_at,"
        " conversation_id, in_thread, title) VALUES (2, 1, 7, ?, ?, 'c', 0, 'T')",
    ):
        await db.execute(sql, (t0,) * sql.count("?"))
    for message_id, text, at in (("b", "second", t1), ("a", "first", t0), ("c", "third", t1)):
        await db.execute(
            "INSERT INTO chat_run_messages (run_id, message_id, member_id, question, text,"
            " posted_at) VALUES (2, ?, 3, 1, ?, ?)",
            (message_id, text, at),
        )
    await db.close()

    db = await Database.open(path, steps)
    rows = await db.fetch_all("SELECT text, seq FROM chat_run_messages ORDER BY seq")
    assert [tuple(r) for r in rows] == [("first", 1), ("second", 2), ("third", 3)]
    await db.close()
    store = await Store.open(path)
    await store.chat_runs.record(
        NewMessage(2, "0", 3, 1, "fourth"), datetime(2027, 1, 1, tzinfo=UTC) + timedelta(seconds=1)
    )
    assert [m.text for m in await store.chat_runs.messages(2)] == [
        "first", "second", "third", "fourth",
    ]  # fmt: skip
    await store.close()
