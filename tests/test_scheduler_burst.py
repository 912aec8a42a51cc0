"""What a scheduler burst spends per job, kept small without changing a byte of what goes out.

A burst of 10,000 reminders delivers 10,000 messages: delivery must not copy a message that
carries no mass mention (it used to, every time), yet never let one with a mass mention out;
and the outbox's JSON encoder is built once, writing exactly what `json.dumps` writes.
"""

from __future__ import annotations

import json

from communitybot import outbox_codec
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


def test_an_actions_outbox_json_is_what_json_dumps_writes() -> None:
    """The outbox's encoder is built once, not per action: byte for byte the same text as
    `json.dumps` with its settings, quotes, newlines, non-ASCII and all."""
    tree = {
        "__type__": "SendToChannel",
        "text": 'Lehrer*innen "Fortbildung"\n— 5 € @alice',
        "nested": [1, 2.5, True, None, {"k": ["é", "\u2028"]}],
    }
    expected = json.dumps(tree, separators=(",", ":"), ensure_ascii=False)
    assert outbox_codec._tree_encoder()(tree) == expected
    action = SendToChannel(COMMUNITY, "général", Message('say "hi"\nthen ünïcode'))
    assert outbox_codec.decode(outbox_codec.encode(action)) == action
    assert outbox_codec.encode(action) == json.dumps(
        outbox_codec._to_json(action), separators=(",", ":"), ensure_ascii=False
    )
