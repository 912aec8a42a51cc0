"""What a scheduler burst spends per job, kept small without changing a byte of what goes out.

A burst of 10,000 reminders delivers 10,000 messages: delivery must not copy a message that
carries no mass mention (it used to, every time), yet never let one with a mass mention out.
"""

from __future__ import annotations

from communitybot.delivery import deliver
from communitybot.replies import Message, SendToChannel
from tests.conftest import COMMUNITY
from tests.fakes import FakePlatform


async def test_a_message_without_mass_mentions_is_delivered_as_is_and_one_with_them_is_not() -> (
    None
):
    platform = FakePlatform()
    plain = Message("The chat starts in 15 minutes: bring @alice's question")
    loud = Message("Reminder @here and @EVERYONE")
    await deliver(
        platform,
        None,
        [SendToChannel(COMMUNITY, "general", plain), SendToChannel(COMMUNITY, "general", loud)],
        None,
    )
    first, second = platform.take()
    assert first.message is plain  # not copied
    assert "@here" not in second.text and "@EVERYONE" not in second.text
    assert second.text.startswith("Reminder @")
