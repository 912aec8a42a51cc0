"""What a scheduler burst spends per job, kept small without changing a byte of what goes out.

A burst of 10,000 reminders delivers 10,000 messages: delivery must not copy a message that
carries no mass mention (it used to, every time), yet never let one with a mass mention out;
and the outbox writes an action's JSON directly, exactly what `json.dumps` writes for it.
"""

from __future__ import annotations

import json

from communitybot import outbox_codec
from communitybot.delivery import deliver
from communitybot.replies import Message, SendToChannel
from tests.conftest import COMMUNITY
from tests.fakes import FakePlatform
from tests.test_outbox_codec_speed import plain


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


def test_an_actions_outbox_json_is_what_json_dumps_writes() -> None:
    """The outbox writes an action's JSON text straight from the action, not through a tree
    of dicts and json's encoder: byte for byte the text `json.dumps` writes for that tree,
    with its settings, quotes, newlines, non-ASCII and all (`tests/test_outbox_codec_speed.py`
    checks it over generated actions)."""
    action = SendToChannel(
        COMMUNITY, "général", Message('say "hi"\nthen ünïcode — 5 € \u2028', moments=(1, 2))
    )
    assert outbox_codec.decode(outbox_codec.encode(action)) == action
    assert outbox_codec.encode(action) == json.dumps(
        plain(action), separators=(",", ":"), ensure_ascii=False
    )
