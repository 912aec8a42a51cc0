"""Relay rows that piled up in the outbox go out together: one `relay` call per run of
consecutive copies to the same conversation, so the adapter can merge them (issue #15)."""

from __future__ import annotations

from collections.abc import Sequence

from communitybot.events import CommunityRef
from communitybot.outbox_codec import encode
from communitybot.replies import Action, Message, Relayed, RelayPost, SendToChannel
from tests.conftest import COMMUNITY, Harness

Call = tuple[str, tuple[str, ...]]


def copy(key: str, text: str = "hello") -> Relayed:
    return Relayed(key, "Ann", "Matrix", text)


def post(conversation: str, *keys: str) -> RelayPost:
    return RelayPost(COMMUNITY, conversation, tuple(copy(key) for key in keys))


def counting(harness: Harness) -> list[Call]:
    """Record every `relay` call the platform gets (conversation, keys in order)."""
    calls: list[Call] = []
    original = harness.platform.relay

    async def relay(
        community: CommunityRef, conversation_id: str, messages: Sequence[Relayed]
    ) -> None:
        calls.append((conversation_id, tuple(m.key for m in messages)))
        await original(community, conversation_id, messages)

    harness.platform.relay = relay  # type: ignore[method-assign]
    return calls


async def left_undelivered(harness: Harness, actions: list[Action]) -> None:
    """Rows a previous run queued and never delivered (anyone of this platform may take them)."""
    await harness.store.outbox.add(
        [(encode(action), None) for action in actions],
        harness.clock.now(),
        platform=harness.platform.name,
    )


async def test_consecutive_copies_to_one_chat_go_out_in_one_relay_call(harness: Harness) -> None:
    calls = counting(harness)
    await left_undelivered(
        harness,
        [
            post("chat-1", "matrix:$1"),
            post("chat-1", "matrix:$2", "matrix:$3"),
            post("chat-1", "matrix:$4"),
            SendToChannel(COMMUNITY, "general", Message("A2 is up")),
            post("chat-1", "matrix:$5"),
            post("chat-2", "matrix:$6"),
            post("chat-2", "matrix:$7"),
        ],
    )

    assert await harness.bot.deliver_outbox() == 7

    assert calls == [
        ("chat-1", ("matrix:$1", "matrix:$2", "matrix:$3", "matrix:$4")),
        ("chat-1", ("matrix:$5",)),  # another action came between: the order is kept
        ("chat-2", ("matrix:$6", "matrix:$7")),
    ]
    assert list(harness.platform.relayed["chat-1"]) == [f"matrix:${n}" for n in range(1, 6)]
    assert [sent.where for sent in harness.platform.sent].count("#general") == 1
    assert await harness.store.outbox.count() == 0


async def test_a_refused_group_settles_every_row_of_it(harness: Harness) -> None:
    calls = counting(harness)
    harness.platform.relay_refused.add("chat-1")
    await left_undelivered(harness, [post("chat-1", "matrix:$1"), post("chat-1", "matrix:$2")])

    assert await harness.bot.deliver_outbox() == 2

    assert calls == [("chat-1", ("matrix:$1", "matrix:$2"))]
    assert await harness.store.outbox.count() == 0, "a final refusal is not retried"
    assert await harness.bot.deliver_outbox() == 0


async def test_a_group_that_failed_is_retried_later(harness: Harness) -> None:
    failures = [RuntimeError("network gone")]
    original = harness.platform.relay

    async def flaky(
        community: CommunityRef, conversation_id: str, messages: Sequence[Relayed]
    ) -> None:
        if failures:
            raise failures.pop()
        await original(community, conversation_id, messages)

    harness.platform.relay = flaky  # type: ignore[method-assign]
    await left_undelivered(harness, [post("chat-1", "matrix:$1"), post("chat-1", "matrix:$2")])

    assert await harness.bot.deliver_outbox() == 2
    assert await harness.store.outbox.count() == 2, "kept for a retry"
    assert not harness.platform.relayed.get("chat-1")

    harness.clock.advance(seconds=31)
    assert await harness.bot.deliver_outbox() == 2
    assert list(harness.platform.relayed["chat-1"]) == ["matrix:$1", "matrix:$2"]
    assert await harness.store.outbox.count() == 0
