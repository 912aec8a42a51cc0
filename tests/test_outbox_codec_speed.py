"""The outbox codec's shortcuts (field names per type, a shared prompt converted once) write
exactly the JSON the plain walk writes, and never mix up two prompts."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from communitybot import outbox_codec
from communitybot.events import CommunityRef, UserRef
from communitybot.models import Question
from communitybot.onboarding.questions import question_message
from communitybot.replies import Choice, Message, Prompt, SendDirect

COMMUNITY = CommunityRef("fake", "c")


def plain(value: Any) -> Any:
    """The definition: every dataclass as {"__type__": name, field: value, ...}, leaving out a
    field equal to its static default (decoding gives the default back)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"__type__": type(value).__name__}
        for item in dataclasses.fields(value):
            field_value = getattr(value, item.name)
            if item.default is not dataclasses.MISSING and field_value == item.default:
                continue
            out[item.name] = plain(field_value)
        return out
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    return value


def test_a_question_asked_of_many_members_encodes_like_the_plain_walk() -> None:
    question = Question(1, 1, "role", 1, "single", "role", "Your role?", ("Teacher", "Coach"))
    for name in ("ann", "bob", "cy"):
        message = question_message(question, 1, 8, f"Welcome, {name}!")
        action = SendDirect(COMMUNITY, UserRef("fake", name, name.title()), message)
        encoded = outbox_codec.encode(action)
        assert json.loads(encoded) == plain(action)
        assert outbox_codec.decode(encoded) == action


def test_two_different_prompts_never_share_a_conversion() -> None:
    for round_no in range(300):  # more than the memo keeps: it is cleared on the way
        prompt = Prompt(f"p:{round_no}", "single", (Choice(str(round_no), "x"),), None, 1)
        action = SendDirect(COMMUNITY, UserRef("fake", "ann"), Message("pick", prompt))
        assert outbox_codec.decode(outbox_codec.encode(action)) == action


def test_a_field_left_at_its_default_is_not_stored_and_comes_back() -> None:
    """A job's plain message stores its text and language, not its empty prompt and moments."""
    action = SendDirect(COMMUNITY, UserRef("fake", "ann"), Message("Hello"))
    stored = json.loads(outbox_codec.encode(action))["message"]
    assert stored == {"__type__": "Message", "text": "Hello", "language": "en"}
    assert outbox_codec.decode(outbox_codec.encode(action)) == action
