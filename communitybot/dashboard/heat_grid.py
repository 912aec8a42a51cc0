"""Server-rendered SVG heat grids (a count per row × column, e.g. pairings between two
affiliates): the geometry here, the markup in `templates/heat_grid.svg`.

Every cell writes its number (the shade only helps the eye: darker is more), so the grid reads
without colour; a cell with no meaning (an affiliate with itself) is None and shows a dash.
Column headings are letters with a key underneath, because names do not fit across a phone;
row names longer than `ROW_LABEL` characters are shortened with the full name in a <title>.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 360
LABEL_ROOM = 118
HEADER = 22
CELL_HEIGHT = 28
MIN_CELL = 26
KEY_ROW = 18
ROW_LABEL = 16


@dataclass(frozen=True)
class Cell:
    x: float
    y: int
    text: str
    opacity: float
    """0 (nothing) … 1 (the largest count); -1 for a cell with no meaning."""


@dataclass(frozen=True)
class Row:
    label: str
    full: str
    y: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Column:
    letter: str
    label: str
    x: float


@dataclass(frozen=True)
class HeatGrid:
    title: str
    description: str
    rows: tuple[Row, ...]
    columns: tuple[Column, ...]
    cell_width: float
    cell_height: int
    label_room: int
    key_y: int
    key_row: int
    width: float
    height: int


def _letter(n: int) -> str:
    letters = string.ascii_uppercase
    return letters[n] if n < len(letters) else letters[n // len(letters) - 1] + letters[n % 26]


def heat_grid(
    title: str,
    description: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    values: Sequence[Sequence[int | None]],
) -> HeatGrid:
    """`values[r][c]` is the count of row r with column c (None: no meaning)."""
    cell = max(MIN_CELL, (WIDTH - LABEL_ROOM) / max(len(column_labels), 1))
    largest = max((v for row in values for v in row if v is not None), default=0)
    columns = tuple(
        Column(_letter(n), label, round(LABEL_ROOM + n * cell + cell / 2, 1))
        for n, label in enumerate(column_labels)
    )
    rows = []
    for r, (label, counts) in enumerate(zip(row_labels, values, strict=True)):
        y = HEADER + r * CELL_HEIGHT
        cells = tuple(
            Cell(
                round(LABEL_ROOM + c * cell, 1),
                y,
                "—" if v is None else str(v),
                -1.0 if v is None else (round(v / largest, 2) if largest else 0.0),
            )
            for c, v in enumerate(counts)
        )
        short = label if len(label) <= ROW_LABEL else label[: ROW_LABEL - 1] + "…"
        rows.append(Row(short, label, y, cells))
    key_y = HEADER + len(rows) * CELL_HEIGHT + KEY_ROW
    return HeatGrid(
        title,
        description,
        tuple(rows),
        columns,
        round(cell, 1),
        CELL_HEIGHT,
        LABEL_ROOM,
        key_y,
        KEY_ROW,
        max(WIDTH, round(LABEL_ROOM + len(columns) * cell, 1)),
        key_y + len(columns) * KEY_ROW,
    )
