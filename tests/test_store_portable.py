"""Store queries rewritten to portable SQL (#13) behave as before on SQLite.

Each test pins what a user notices of one rewrite: /forgetme still drops exactly the queued
actions that name the person, queued actions keep their order, merging tags still counts the
members who gained the tag, a repeated chat message is still counted once, and the peer index
reads the same community through the portable queries as through SQLite's own fast path.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from communitybot import outbox_codec
from communitybot.chats.schedule import once
from communitybot.events import CommunityRef, UserRef
from communitybot.peers import loader
from communitybot.replies import Message, SendDirect, SendToGroup
from communitybot.store import outbox as outbox_store
from communitybot.store.chat_runs import NewMessage, RunQuestion
from communitybot.store.store import Store

NOW = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)
SPACE = CommunityRef("fake", "community-1")


def _direct(user: UserRef, text: str) -> str:
    return outbox_codec.encode(SendDirect(SPACE, user, Message(text)))


async def test_forget_drops_exactly_the_queued_actions_that_name_the_user(store: Store) -> None:
    alice = UserRef("fake", "alice")
    bob = UserRef("fake", "bob")
    alice_elsewhere = UserRef("matrix", "alice")
    rows = [
        (_direct(alice, "to alice"), None),
        (_direct(bob, "to bob, mentioning alice by name"), None),
        (outbox_codec.encode(SendToGroup(SPACE, (bob, alice), "Meet", Message("hi"))), None),
        (_direct(alice_elsewhere, "same id, other platform"), None),
        ("not json at all", None),
    ]
    async with store.db.transaction():
        ids = await store.outbox.add(rows, NOW)

    assert await store.outbox.forget(alice) == 2

    left = [row.id for row in await store.outbox.due(NOW)]
    assert left == [ids[1], ids[3], ids[4]]
    assert await store.outbox.forget(alice) == 0


async def test_a_multi_row_insert_returns_the_ids_in_row_order(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_store, "MAX_ROWS_PER_INSERT", 3)
    bob = UserRef("fake", "bob")
    rows = [(_direct(bob, f"message {n}"), None) for n in range(7)]
    async with store.db.transaction():
        ids = await store.outbox.add(rows, NOW)
        more = await store.outbox.add(rows[:2], NOW)

    assert len(set(ids + more)) == 9
    due = await store.outbox.due(NOW)
    assert [row.id for row in due] == ids + more
    assert [row.action for row in due] == [action for action, _ in rows + rows[:2]]


async def test_merging_tags_counts_members_who_gained_the_target(store: Store) -> None:
    community, _ = await store.communities.ensure(SPACE, NOW)
    cid = community.id
    source = await store.tags.create(cid, "maths", "subject", NOW)
    target = await store.tags.create(cid, "mathematics", "subject", NOW)
    both, _ = await store.members.ensure(cid, UserRef("fake", "a"), NOW)
    only_source, _ = await store.members.ensure(cid, UserRef("fake", "b"), NOW)
    await store.tags.add_member_tags(both.id, [source.id, target.id], "profile", NOW)
    await store.tags.add_member_tags(only_source.id, [source.id], "profile", NOW)

    assert await store.tags.merge(source.id, target.id) == 1

    merged = await store.tags.get_by_name(cid, "maths")
    assert merged is not None and merged.id == target.id
    assert await store.tags.member_tag_ids(both.id) == [target.id]
    assert await store.tags.member_tag_ids(only_source.id) == [target.id]


async def test_a_repeated_chat_message_is_new_once_and_the_question_never_goes_back(
    store: Store,
) -> None:
    community, _ = await store.communities.ensure(SPACE, NOW)
    member, _ = await store.members.ensure(community.id, UserRef("fake", "bob"), NOW)
    series = await store.chats.create(
        community.id, "t", "T", "chats", once("UTC", time(20), date(2030, 2, 1)), 60, NOW,
        None, NOW,
    )  # fmt: skip
    run = await store.chat_runs.create(
        series.id, community.id, NOW, timedelta(hours=1), "chats", False, "T",
        [RunQuestion(1, "Q1", 0), RunQuestion(2, "Q2", 10)],
    )  # fmt: skip
    message = NewMessage(run.id, "m1", member.id, 1, "hello")

    assert await store.chat_runs.record(message, NOW) is True
    assert await store.chat_runs.record(message, NOW) is False

    await store.chat_runs.set_current(run.id, 2)
    await store.chat_runs.set_current(run.id, 1)
    current = await store.chat_runs.get(run.id)
    assert current is not None and current.current_question == 2


async def test_a_series_without_a_next_start_is_still_listed_first(store: Store) -> None:
    community, _ = await store.communities.ensure(SPACE, NOW)
    schedule = once("UTC", time(20), date(2030, 2, 1))
    await store.chats.create(
        community.id, "later", "L", "chats", schedule, 60, NOW + timedelta(days=2), None, NOW
    )
    unset = await store.chats.create(
        community.id, "unset", "U", "chats", schedule, 60, NOW + timedelta(days=1), None, NOW
    )
    await store.db.execute("UPDATE chat_series SET next_start = NULL WHERE id = ?", (unset.id,))

    assert [s.hashtag for s in await store.chats.active(community.id)] == ["unset", "later"]


async def test_a_profile_flag_is_stored_as_an_integer(store: Store) -> None:
    community, _ = await store.communities.ensure(SPACE, NOW)
    member, _ = await store.members.ensure(community.id, UserRef("fake", "ann"), NOW)
    await store.members.update(member.id, discoverable=False)

    row = await store.db.fetch_one("SELECT discoverable FROM members WHERE id = ?", (member.id,))
    assert row is not None and (type(row[0]), row[0]) == (int, 0)  # not False, not "0"
    counts = await store.stats.member_counts(community.id)
    assert (counts.present, counts.discoverable) == (1, 0)


@pytest.mark.sqlite_only  # compares with the group_concat fast path, which reads a SQLite file
async def test_the_portable_peer_queries_build_the_same_index_as_sqlites_fast_path(
    store: Store,
) -> None:
    community, _ = await store.communities.ensure(SPACE, NOW)
    cid = community.id
    tags = [await store.tags.create(cid, f"tag{n}", "subject", NOW) for n in range(4)]
    for n in range(30):
        member, _ = await store.members.ensure(cid, UserRef("fake", f"m{n}"), NOW)
        await store.members.update(
            member.id, timezone=("Europe/Berlin", None, "Asia/Tokyo")[n % 3], discoverable=n % 4
        )
        carried = [t.id for i, t in enumerate(tags[:3]) if (n + i) % (i + 2) == 0]
        await store.tags.add_member_tags(member.id, carried, "profile", NOW)
        if n % 7 == 0:
            await store.members.mark_left(member.id, NOW)

    portable = await loader.load_community(store, cid)  # the writer: `Database` queries
    own = loader._read_and_build(store.db.path, cid)  # SQLite's group_concat fast path

    assert portable.tag_ids == own.tag_ids == [t.id for t in tags]
    assert portable.df == own.df
    assert (portable.n_loaded, portable.live) == (own.n_loaded, own.live)
    assert set(portable.tz_names) == set(own.tz_names)
    assert portable.df[3] == 0
