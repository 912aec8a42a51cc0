"""The outbox codec's shortcuts (a text writer per type, a shared prompt written once) write
exactly the JSON `json.dumps` writes for the plain walk's tree, and never mix up two prompts."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from communitybot import outbox_codec
from communitybot.events import CommunityRef, UserRef
from communitybot.models import Question
from communitybot.onboarding.questions import question_message
from communitybot.replies import (
    Action,
    Attachment,
    Choice,
    Message,
    Prompt,
    Relayed,
    RelayPost,
    SendDirect,
    SendToChannel,
)

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
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    return value


def dumped(action: Action) -> str:
    return json.dumps(plain(action), separators=(",", ":"), ensure_ascii=False)


TEXT = st.text(max_size=40)  # every code point: quotes, controls, surrogates, U+2028, emoji
MAYBE_TEXT = st.none() | TEXT
REFS = st.builds(CommunityRef, TEXT, TEXT)
USERS = st.builds(UserRef, TEXT, TEXT, TEXT)
PROMPTS = st.builds(
    Prompt,
    TEXT,
    st.sampled_from(["single", "multi", "text"]),
    st.lists(st.builds(Choice, TEXT, TEXT), max_size=3).map(tuple),
    st.none() | st.integers(-(2**70), 2**70),
    st.integers(0, 25),
)
MESSAGES = st.builds(
    Message,
    TEXT,
    st.none() | PROMPTS,
    MAYBE_TEXT,
    st.none() | st.builds(Attachment, TEXT, st.binary(max_size=20), TEXT),
    st.lists(st.integers(0, 2**40), max_size=3).map(tuple),
    TEXT,
)
RELAYED = st.builds(
    Relayed,
    TEXT,
    TEXT,
    TEXT,
    TEXT,
    MAYBE_TEXT,
    MAYBE_TEXT,
    TEXT,
    st.lists(TEXT, max_size=2).map(tuple),
)
ACTIONS = st.one_of(
    st.builds(SendToChannel, REFS, TEXT, MESSAGES),
    st.builds(SendDirect, REFS, USERS, MESSAGES),
    st.builds(RelayPost, REFS, TEXT, st.lists(RELAYED, max_size=3).map(tuple)),
)


@settings(max_examples=150, deadline=None)
@given(ACTIONS)
def test_any_action_is_written_as_json_dumps_writes_its_tree_and_read_back(action: Action) -> None:
    encoded = outbox_codec.encode(action)
    assert encoded == dumped(action)
    assert outbox_codec.decode(encoded) == action


def test_numbers_and_flags_are_written_as_json_writes_them() -> None:
    """No action has a float or a flag today; a field that one day holds one is written as
    json writes it (the shared writer is per type, not per field)."""
    for value in (0.1, -2.5e-300, 1e308, float("inf"), float("-inf"), True, False, 7, -(2**80)):
        assert outbox_codec._text(value) == json.dumps(value)
    assert outbox_codec._text(float("nan")) == "NaN"


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
