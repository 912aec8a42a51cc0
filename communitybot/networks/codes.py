"""One-time codes: 8 Crockford base-32 characters (40 bits), shown as `ABCD-EFGH`.

Read forgivingly: case does not matter, `-` and spaces are ignored, `O` reads as 0 and `I`/`L`
as 1. Only the sha256 of the normalised code is stored.
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    """A fresh random code, normalised (no dash)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(code: str) -> str:
    """`ABCDEFGH` → `ABCD-EFGH`."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def normalize(raw: str) -> str | None:
    """The code as typed, normalised; None when it cannot be a code at all."""
    text = "".join(raw.split()).replace("-", "").upper().translate(_READ_AS)
    if len(text) != LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    return text


def code_hash(code: str) -> str:
    """What is stored and looked up: the sha256 (hex) of the normalised code."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()
