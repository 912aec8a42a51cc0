"""The outbox on Matrix, with a real Synapse: a send repeated after a crash posts only once.

The one window the outbox leaves open everywhere (the platform accepted a message, the process
died before its row was deleted) is closed on Matrix: the transaction id comes from the row, so
the homeserver recognises the repeat after the restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from adapters.matrix.translate import community_ref
from communitybot.outbox_codec import encode
from communitybot.replies import Message, SendToChannel
from tests.matrix.conftest import World


class ProcessDied(BaseException):
    """The process stops here; nothing in the bot catches it."""


async def test_an_outbox_row_sent_again_after_a_crash_is_posted_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    mod = await world.member("mod")
    world.general = await mod.create_room(f"General {world.n}")
    bot = await world.start_bot()
    await world.bot_in(world.general)
    mark = mod.mark()
    action = SendToChannel(
        community_ref(world.general), world.general, Message("The chat starts in 15 minutes")
    )
    # What a previous run committed and did not deliver.
    await bot.bot.store.outbox.add([(encode(action), None)], datetime.now(UTC))

    async def died(row_ids: Sequence[int]) -> None:
        raise ProcessDied()

    # The homeserver accepts the message, then the process dies before the row is marked.
    monkeypatch.setattr(bot.bot.store.outbox, "done_many", died)
    with pytest.raises(ProcessDied):
        await bot.bot.deliver_outbox()
    await mod.wait_for(lambda s: "chat starts" in s.body, after=mark)
    await world.stop_bot()

    restarted = await world.start_bot()  # same database: the saved access token is reused
    assert await restarted.bot.deliver_outbox() == 1
    assert await restarted.bot.store.outbox.count() == 0
    await restarted.platform.send_message(world.general, Message("after the replay"))
    await mod.wait_for(lambda s: s.body == "after the replay", after=mark)
    posted = [s for s in mod.since(mark, sender=world.bot_id) if "chat starts" in s.body]
    assert len(posted) == 1
