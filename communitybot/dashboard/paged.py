"""Paginated tables: `?page=N` (or another key, when a page has two tables), a fixed size.

Why a fixed page size and LIMIT/OFFSET: a community of 100,000 members must render quickly, so
a table never loads more than one page of rows; the total comes from one count(*) beside it.
The links keep the rest of the query string, so paging one table leaves the other where it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

PAGE_SIZE = 50


def page_number(query: Mapping[str, str], key: str = "page") -> int:
    """The page asked for, from 1; anything that is not a positive number is page 1."""
    raw = query.get(key, "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


@dataclass(frozen=True)
class Paged:
    """Where one table is: its page number, size and total rows, and its links."""

    number: int
    total: int
    query: Mapping[str, str]
    key: str = "page"
    size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    def _link(self, number: int) -> str:
        query = {k: v for k, v in self.query.items() if k != self.key}
        query[self.key] = str(number)
        return "?" + urlencode(sorted(query.items()))

    @property
    def previous(self) -> str | None:
        return self._link(self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self._link(self.number + 1) if self.number < self.pages else None


def paged(query: Mapping[str, str], total: int, key: str = "page") -> Paged:
    """The table's position, its page number clamped to the pages there are."""
    first = Paged(page_number(query, key), total, query, key)
    return Paged(min(first.number, first.pages), total, query, key)
