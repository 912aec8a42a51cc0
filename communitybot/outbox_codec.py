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
import math
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


_FIELDS: dict[type[Any], tuple[tuple[str, Any], ...] | None] = {}
"""Per type met while encoding: its fields (name, static default or `_REQUIRED`) if it is one
of our dataclasses, else None."""
_REQUIRED = object()
"""A field with no static default (required, or made by a factory such as a message's
language): always written."""
_KNOWN: dict[type[Any], frozenset[str]] = {}
"""Per type met while decoding: its field names."""
_WRITERS: dict[type[Any], Callable[[Any], str]] = {}
"""Per type met while encoding: the function that writes a value of it as JSON text."""

_SHARED: dict[int, tuple[Any, str]] = {}
"""id → (prompt, its JSON text): a question's prompt is one object shared by every member it is
asked of (`onboarding.questions` renders it once), so a join burst writes it once. The prompt
is kept alive beside its id, so the id cannot be reused meanwhile; prompts are frozen all the
way down (tuples of frozen choices), so the text stays right."""
_SHARED_MAX = 256


def encode(action: Action) -> str:
    """Compact JSON for one action: exactly what `json.dumps(tree, separators=(",", ":"),
    ensure_ascii=False)` writes for its tree (the module docstring), but written straight to
    text by a writer per type, built once (a scheduler burst encodes thousands of actions:
    building the tree of dicts and then walking it with json's encoder was twice the work)."""
    return _text(action)


def _text(value: Any) -> str:
    writer = _WRITERS.get(type(value))
    if writer is None:
        writer = _WRITERS[type(value)] = _writer_for(type(value))
    return writer(value)


def _writer_for(cls: type[Any]) -> Callable[[Any], str]:
    """How `json.dumps` writes a value of `cls` (with our settings), or our tree's rule for it:
    a dataclass of ours as an object with its type's name, a tuple as a list, bytes as base64."""
    if _field_names(cls) is not None:
        return _dataclass_writer(cls)
    if cls is type(None):
        return lambda value: "null"  # (a required field may be None: `Prompt.max_length`)
    if issubclass(cls, str):
        return _string
    if issubclass(cls, bool):
        return lambda value: "true" if value else "false"
    if issubclass(cls, int):
        return int.__repr__
    if issubclass(cls, float):
        return _float
    if issubclass(cls, tuple | list):
        return lambda value: "[" + ",".join(map(_text, value)) + "]"
    if issubclass(cls, bytes):
        return lambda value: (
            "{" + _string(BYTES_KEY) + ":" + _string(base64.b64encode(value).decode("ascii")) + "}"
        )
    if dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a dataclass of communitybot.replies or .events")
    raise TypeError(f"cannot store a {cls.__name__} in the outbox")


def _dataclass_writer(cls: type[Any]) -> Callable[[Any], str]:
    """The writer of one of our dataclasses, as Python source made for its fields (the way
    `dataclasses` makes `__init__`): one line per field, each field's key and default fixed in
    it, so writing a message costs a few string joins instead of a loop over field metadata
    (a third of the time; a burst writes thousands). Field names are identifiers, and keys and
    defaults go in as constants: no value reaches the source."""
    names = _field_names(cls)
    assert names is not None
    namespace: dict[str, Any] = {"_string": _string, "_text": _text}
    put = "text += {key!r} + (_string(item) if type(item) is str else _text(item))"
    lines = [
        "def write(value):",
        f"    text = {'{' + _string(TYPE_KEY) + ':' + _string(cls.__name__)!r}",
    ]
    for n, (name, default) in enumerate(names):
        if not name.isidentifier():
            raise TypeError(f"{cls.__name__}.{name} cannot be written")
        key = "," + _string(name) + ":"
        lines.append(f"    item = value.{name}")
        if default is _REQUIRED:
            lines.append("    " + put.format(key=key))
            continue
        if default is None:
            lines.append("    if item is not None:")
        else:  # decoding gives it back (a message's empty moments…)
            namespace[f"default_{n}"] = default
            lines.append(f"    if not (item is default_{n} or item == default_{n}):")
        lines.append("        " + put.format(key=key))
    lines.append("    return text + '}'")
    exec("\n".join(lines), namespace)  # source made above from field names and constants only
    write: Callable[[Any], str] = namespace["write"]

    if cls is not replies.Prompt:
        return write

    def write_shared(value: Any) -> str:
        known = _SHARED.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        text = write(value)
        if len(_SHARED) >= _SHARED_MAX:
            _SHARED.clear()
        _SHARED[id(value)] = (value, text)
        return text

    return write_shared


_string: Callable[[str], str] = json_encoder.encode_basestring
"""A JSON string without ASCII escaping (`ensure_ascii=False`), json's own (C) function."""


def _float(value: float) -> str:
    """As json writes a float (`allow_nan`: NaN and the infinities as JavaScript names them)."""
    if value != value:
        return "NaN"
    if value == math.inf:
        return "Infinity"
    if value == -math.inf:
        return "-Infinity"
    return float.__repr__(value)


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
