"""An append-only numpy array with capacity doubling: cheap single appends, zero-copy views.

Posting lists and per-slot attributes grow one member at a time as tags change; copying a
600,000-entry array for every new member would make each `/tags add` cost milliseconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


class GrowableArray:
    def __init__(self, initial: npt.NDArray[Any]) -> None:
        self._buf = initial
        self._size = len(initial)

    def __len__(self) -> int:
        return self._size

    @property
    def view(self) -> npt.NDArray[Any]:
        """The filled part; valid until the next append (which may reallocate)."""
        return self._buf[: self._size]

    def append(self, value: Any) -> int:
        """Store `value` at the end and return its position."""
        if self._size == len(self._buf):
            bigger = np.empty(max(8, 2 * len(self._buf)), dtype=self._buf.dtype)
            bigger[: self._size] = self._buf[: self._size]
            self._buf = bigger
        self._buf[self._size] = value
        self._size += 1
        return self._size - 1

    def __setitem__(self, position: int, value: Any) -> None:
        if not 0 <= position < self._size:
            raise IndexError(position)
        self._buf[position] = value

    def nbytes(self) -> int:
        return int(self._buf.nbytes)
