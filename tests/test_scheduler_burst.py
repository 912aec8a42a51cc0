"""What a scheduler burst spends per job, kept small without changing a byte of what goes out.

A burst of 10,000 reminders delivers 10,000 messages and writes 10,000 outbox rows: delivery
must not copy a message that carries no mass mention, and the outbox's JSON for a community
(named by every action) is built once per community, not once per action (the same JSON).
"""

from __future__ import annotations

import json

from communitybot.delivery import deliver
from communitybot.events import CommunityRef
from communitybot.outbox_codec import decode, encode
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


def test_a_communitys_json_is_the_same_whichever_equal_ref_names_it() -> None:
    one = SendToChannel(CommunityRef("matrix", "!a:example.org"), "c", Message("x"))
    same = SendToChannel(CommunityRef("matrix", "!a:example.org"), "c", Message("x"))
    other = SendToChannel(CommunityRef("matrix", "!b:example.org"), "c", Message("x"))
    assert encode(one) == encode(same)
    assert json.loads(encode(one))["community"] == {
        "__type__": "CommunityRef",
        "platform": "matrix",
        "space_id": "!a:example.org",
    }
    assert json.loads(encode(other))["community"]["space_id"] == "!b:example.org"
    assert decode(encode(other)) == other
