"""One-time codes people copy from one place to another: network invites and account links.

8 Crockford base-32 characters (40 bits, from the operating system's secure random source),
shown `ABCD-EFGH`. Read the way people copy them: case does not matter, `-` and spaces are
ignored, and the letters Crockford's alphabet leaves out because they look like digits are read
as those digits (`O` → 0, `I` and `L` → 1). Only a SHA-256 of the normalised code is stored,
salted with what the code is for, so a network invite and a link code never share a hash.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Literal

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base 32: no I, L, O (read as 1, 1, 0) and no U."""
LENGTH = 8
"""8 characters of 5 bits: 40 bits, a trillion codes."""
EXAMPLE = "ABCD-EFGH"
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})

Purpose = Literal["link", "network"]


def new_code() -> str:
    """A fresh code from the operating system's secure random source (normalised form)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(code: str) -> str:
    """The code as people read it: `ABCD-EFGH`."""
    return f"{code[:4]}-{code[4:]}"


def normalized(typed: str) -> str | None:
    """The code as typed, in normalised form, or None when it is not a code's shape."""
    text = "".join(typed.split()).replace("-", "").upper().translate(_LOOKALIKES)
    if len(text) != LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    return text


def code_hash(code: str, purpose: Purpose) -> str:
    """What is stored of a (normalised) code: the SHA-256, in hex, of the code and its purpose."""
    return hashlib.sha256(f"communitybot-{purpose}:{code}".encode()).hexdigest()
