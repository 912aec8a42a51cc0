"""Actions to JSON and back, so the outbox can keep them in SQLite across a restart.

Generic on purpose: every frozen dataclass defined in `communitybot.replies` or
`communitybot.events` (actions, Message, Prompt, Choice, refs, and any field type added there
later, such as a message attachment) is written as `{"__type__": name, field: value, ...}`
using `dataclasses.fields`, so a new field or type needs no change here; a field equal to
its static default (no prompt, no moments) is left out and comes back as that default. Tuples
become lists and come back as tuples (the dataclasses only use tuples); bytes become base64.
Decoding ignores
fields the running code does not know (a row written by a newer release) and fails loudly on a
missing required one, so a row that cannot be understood is dropped with a log line rather than
delivered wrong.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable
from functools import cache
from json import encoder as json_encoder
from typing import Any

from communitybot import events, replies
from communitybot.replies import Action

TYPE_KEY = "__type__"
BYTES_KEY = "__bytes__"


class UndecodableAction(ValueError):
    """A stored action this code cannot rebuild (unknown type, missing field, bad JSON)."""


@cache
def _types() -> dict[str, type[Any]]:
    """Every dataclass the actions can contain, by name (built on first use, not at import)."""
    found: dict[str, type[Any]] = {}
    for module in (events, replies):
        for name, value in vars(module).items():
            if isinstance(value, type) and dataclasses.is_dataclass(value):
                found[name] = value
    return found


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
"""What `json.dumps(..., separators=(",", ":"), ensure_ascii=False)` builds on every call (our
trees come from dataclasses: they cannot contain themselves, so no cycle check)."""
_FIELDS: dict[type[Any], tuple[tuple[str, Any], ...] | None] = {}
"""Per type met while encoding: its fields (name, static default or `_REQUIRED`) if it is one
of our dataclasses, else None (a scheduler batch encodes thousands of actions:
`dataclasses.fields` each time was most of it)."""
_REQUIRED = object()
"""A field with no static default (required, or made by a factory such as a message's
language): always written."""
_KNOWN: dict[type[Any], frozenset[str]] = {}
"""Per type met while decoding: its field names."""


_SHARED: dict[int, tuple[Any, Any]] = {}
"""id → (prompt, its JSON tree): a question's prompt is one object shared by every member it is
asked of (`onboarding.questions` renders it once), so a join burst converts it once. The prompt
is kept alive beside its id, so the id cannot be reused meanwhile; prompts are frozen all the
way down (tuples of frozen choices), so the tree stays right."""
_SHARED_MAX = 256


def encode(action: Action) -> str:
    """Compact JSON for one action."""
    return _tree_encoder()(_to_json(action))


@cache
def _tree_encoder() -> Callable[[Any], str]:
    """`_ENCODER.encode`, without building json's C encoder again on every call (that was
    most of the time a burst spent turning a small action's tree into text). The same text:
    same separators, no ASCII escaping, no cycle check. Where the C encoder is missing (another
    Python), the plain `_ENCODER.encode`."""
    make = getattr(json_encoder, "c_make_encoder", None)
    if make is None:
        return _ENCODER.encode
    one_shot = make(
        None,  # markers: no cycle check (check_circular=False)
        _ENCODER.default,
        json_encoder.encode_basestring,  # ensure_ascii=False
        None,  # indent
        ":",
        ",",
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )

    def encode_tree(tree: Any) -> str:
        return "".join(one_shot(tree, 0))

    return encode_tree


def _field_names(cls: type[Any]) -> tuple[tuple[str, Any], ...] | None:
    try:
        return _FIELDS[cls]
    except KeyError:
        pass
    names = None
    if dataclasses.is_dataclass(cls) and _types().get(cls.__name__) is cls:
        names = tuple(
            (item.name, _REQUIRED if item.default is dataclasses.MISSING else item.default)
            for item in dataclasses.fields(cls)
        )
    _FIELDS[cls] = names
    return names


def decode(text: str) -> Action:
    """The action `encode` wrote; raises UndecodableAction if it cannot be rebuilt."""
    try:
        value = _from_json(json.loads(text))
    except (ValueError, TypeError, KeyError) as error:
        raise UndecodableAction(str(error)) from error
    if not isinstance(value, replies.Action):
        raise UndecodableAction(f"not an action: {type(value).__name__}")
    return value


def _to_json(value: Any) -> Any:
    cls = type(value)
    if cls is str or value is None:
        return value
    names = _field_names(cls)
    if names is not None:
        shared = cls is replies.Prompt
        if shared:
            known = _SHARED.get(id(value))
            if known is not None and known[0] is value:
                return known[1]
        out: dict[str, Any] = {TYPE_KEY: cls.__name__}
        for name, default in names:
            item = getattr(value, name)
            if item is default or (default is not _REQUIRED and item == default):
                continue  # decoding gives it back (a message's empty moments, no prompt…)
            out[name] = item if item is None or type(item) is str else _to_json(item)
        if shared:
            if len(_SHARED) >= _SHARED_MAX:
                _SHARED.clear()
            _SHARED[id(value)] = (value, out)
        return out
    if isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, bytes):
        return {BYTES_KEY: base64.b64encode(value).decode("ascii")}
    if isinstance(value, tuple | list):
        return [_to_json(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        raise TypeError(f"{cls.__name__} is not a dataclass of communitybot.replies or .events")
    raise TypeError(f"cannot store a {type(value).__name__} in the outbox")


def _from_json(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_from_json(item) for item in value)
    if isinstance(value, dict):
        if BYTES_KEY in value:
            return base64.b64decode(value[BYTES_KEY], validate=True)
        name = value[TYPE_KEY]
        cls = _types().get(name)
        if cls is None:
            raise ValueError(f"unknown type {name!r}")
        known = _KNOWN.get(cls)
        if known is None:
            known = _KNOWN[cls] = frozenset(item.name for item in dataclasses.fields(cls))
        arguments = {k: _from_json(v) for k, v in value.items() if k in known}
        return cls(**arguments)
    return value
