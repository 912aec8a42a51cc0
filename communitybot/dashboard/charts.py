"""Server-rendered SVG bar charts: the geometry here, the markup in `templates/bar_chart.svg`.

Horizontal bars, each with its label above it and its number after it, in a `viewBox` the
page scales to its width: readable on a phone with no JavaScript, and every figure is also text
(screen readers get the <title>, the <desc> and the labels; the table below has the numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 360
ROW = 56
BAR_HEIGHT = 24
LABEL_GAP = 18
VALUE_ROOM = 96
"""Space right of the longest bar for its number."""


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    label_y: int
    bar_y: int
    width: float
    value_x: float
    value_y: int


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    bar_height: int = BAR_HEIGHT


def bar_chart(title: str, description: str, items: list[tuple[str, int, str]]) -> BarChart:
    """Items are (label, value, value as shown); bar lengths are relative to the largest."""
    largest = max((value for _, value, _ in items), default=0)
    room = WIDTH - VALUE_ROOM
    bars = []
    for n, (label, value, shown) in enumerate(items):
        width = room * value / largest if largest else 0.0
        top = n * ROW
        bars.append(
            Bar(
                label=label,
                value_text=shown,
                label_y=top + LABEL_GAP - 4,
                bar_y=top + LABEL_GAP,
                width=round(max(width, 2.0 if value else 0.0), 1),
                value_x=round(width + 8, 1),
                value_y=top + LABEL_GAP + BAR_HEIGHT - 7,
            )
        )
    return BarChart(title, description, tuple(bars), WIDTH, max(len(items), 1) * ROW)
