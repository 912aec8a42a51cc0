"""Server-rendered SVG line charts over time (a value per round, per chat, per week): the
geometry here, the markup in `templates/trend_chart.svg`. Any page may use it.

Like the bar charts (`charts.py`): a `viewBox` the page scales to its width, no JavaScript, a
<title> and <desc> for screen readers, and every point's number written beside it as text (the
page's table has them too). Only the first, middle and last dates are written under the axis,
so the labels do not overlap on a phone.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 360
HEIGHT = 200
LEFT = 14
RIGHT = WIDTH - 14
TOP = 26
BOTTOM = HEIGHT - 40
"""The plot's area inside the viewBox; dates go below BOTTOM, numbers above the points."""


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value_text: str
    label: str
    """The date (or round) under the axis; empty when not written (see the module doc)."""
    anchor: str
    """The label's text-anchor: start, middle or end (the first and last stay inside)."""


@dataclass(frozen=True)
class TrendChart:
    title: str
    description: str
    points: tuple[Point, ...]
    width: int = WIDTH
    height: int = HEIGHT
    top_text: str = ""
    """The value at the top of the plot, written under a faint line there ("100%")."""
    top_y: int = TOP
    baseline: int = BOTTOM
    label_y: int = BOTTOM + 22

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)


def trend_chart(
    title: str,
    description: str,
    items: list[tuple[str, float, str]],
    top: float | None = None,
    top_text: str = "",
) -> TrendChart:
    """Items are (label, value, value as shown), oldest first; `top` is the value at the top
    of the plot (default: the largest; e.g. 1.0 for a rate), `top_text` how it is written."""
    largest = top if top is not None else max((value for _, value, _ in items), default=0)
    count = len(items)
    step = (RIGHT - LEFT) / (count - 1) if count > 1 else 0.0
    written = {0, count // 2, count - 1} if count > 2 else set(range(count))
    points = []
    for n, (label, value, shown) in enumerate(items):
        x = LEFT + n * step if count > 1 else (LEFT + RIGHT) / 2
        height = (BOTTOM - TOP) * (value / largest) if largest else 0.0
        anchor = (
            "start" if n == 0 and count > 1 else "end" if n == count - 1 and count > 1 else "middle"
        )
        points.append(
            Point(
                x=round(x, 1),
                y=round(BOTTOM - height, 1),
                value_text=shown,
                label=label if n in written else "",
                anchor=anchor,
            )
        )
    return TrendChart(title, description, tuple(points), top_text=top_text)
