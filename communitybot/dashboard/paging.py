"""Pagination for the dashboard's tables: `?page=N`, a fixed page size, next/previous links.

Why fixed: a large community (100,000 members) must never have a page that renders every row,
so every long table is read with LIMIT/OFFSET and the page only links on. A bad `page` value
(text, zero, negative, past the end) shows the nearest real page instead of an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PAGE_SIZE = 50


@dataclass(frozen=True)
class Pager:
    number: int
    """1-based, within 1..pages."""
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def requested(query: Mapping[str, str]) -> int:
    """The `page` the query string asks for (1 when absent or not a positive number)."""
    text = query.get("page", "1")
    return int(text) if text.isdigit() and 0 < len(text) < 7 and int(text) > 0 else 1


def pager(query: Mapping[str, str], total: int, size: int = PAGE_SIZE) -> Pager:
    """The page asked for, clamped to the pages there are."""
    first = Pager(1, size, total)
    return Pager(min(requested(query), first.pages), size, total)
