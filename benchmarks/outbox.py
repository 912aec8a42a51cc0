"""What the durable outbox costs per action: its writes, without any network.

    python -m benchmarks.outbox [--events 2000]

Each "event" is one transaction that commits and then delivers its actions to a platform that
does nothing (so only the store's work is measured), in two ways:

- baseline: the transaction, then `delivery.deliver` from memory (the code before the outbox);
- outbox: the same transaction also writes the actions to the outbox (one statement), then
  `Outbox.deliver` sends them, then deletes the batch's rows in one statement.

Batches of 1 action (a join's onboarding DM) and of 20 (a peer round's introductions). Prints
a Markdown table: milliseconds per event and the extra microseconds per action.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from communitybot.clock import SystemClock
from communitybot.delivery import deliver
from communitybot.events import CommunityRef, ConversationRef, Event, UserRef
from communitybot.outbox import Outbox
from communitybot.replies import Action, Message, SendDirect
from communitybot.store.store import Store

COMMUNITY = CommunityRef("bench", "community")


class NullPlatform:
    """Accepts everything at once: the figures are the store's, not a network's."""

    name = "bench"

    async def reply(self, event: Event, message: Message, *, ephemeral: bool) -> None:
        return None

    async def send_to_channel(
        self, community: CommunityRef, channel_id: str, message: Message
    ) -> None:
        return None

    async def send_direct(
        self, community: CommunityRef, user: UserRef, message: Message
    ) -> ConversationRef:
        return ConversationRef("bench", "dm", user.user_id)

    async def open_group(
        self, community: CommunityRef, users: tuple[UserRef, ...], title: str, message: Message
    ) -> ConversationRef:
        return ConversationRef("bench", "thread", title)

    async def open_chat_thread(
        self, community: CommunityRef, channel_id: str, title: str, message: Message
    ) -> str:
        return channel_id

    async def grant_role(self, community: CommunityRef, user: UserRef, role_id: str) -> None:
        return None

    async def revoke_role(self, community: CommunityRef, user: UserRef, role_id: str) -> None:
        return None

    async def is_moderator(
        self, community: CommunityRef, user: UserRef, moderator_role: str | None
    ) -> bool:
        return False

    def mention_channel(self, channel_id: str) -> str:
        return channel_id

    def mention_user(self, user: UserRef) -> str:
        return user.user_id


def _actions(n: int, size: int) -> list[Action]:
    text = "Welcome! Which subjects do you teach? " * 4
    return [
        SendDirect(COMMUNITY, UserRef("bench", f"u{n}-{i}"), Message(text)) for i in range(size)
    ]


async def _run(events: int, size: int, with_outbox: bool) -> float:
    """Seconds per event."""
    with tempfile.TemporaryDirectory(prefix="outbox-bench-") as tmp:
        store = await Store.open(Path(tmp) / "bench.db")
        platform = NullPlatform()
        clock = SystemClock()
        outbox = Outbox(store, platform, clock, asyncio.Lock())
        try:
            started = time.perf_counter()
            for n in range(events):
                actions = _actions(n, size)
                async with store.db.transaction():
                    await store.db.execute("SELECT 1")  # the handler's own work is not measured
                    if with_outbox:
                        batch = await outbox.queue([(a, None) for a in actions], clock.now())
                if with_outbox:
                    await outbox.deliver(None, batch)
                else:
                    await deliver(platform, None, actions, None)
            elapsed = time.perf_counter() - started
            assert await store.outbox.count() == 0
        finally:
            await store.close()
    return elapsed / events


async def main_async(events: int) -> list[str]:
    lines = [
        "| actions per event | baseline ms/event | with outbox ms/event | extra µs per action |",
        "|---|---|---|---|",
    ]
    for size in (1, 20):
        count = max(1, events // size)
        base = await _run(count, size, with_outbox=False)
        box = await _run(count, size, with_outbox=True)
        extra = (box - base) / size * 1e6
        lines.append(f"| {size} | {base * 1000:.3f} | {box * 1000:.3f} | {extra:.0f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    print("\n".join(asyncio.run(main_async(args.events))))


if __name__ == "__main__":
    main()
