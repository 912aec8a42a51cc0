"""Server-rendered SVG line charts over time (the markup in `templates/line_chart.svg`).

The companion of `charts.bar_chart` for series along a time axis (members per week, joins and
leaves): one or more lines in a `viewBox` the page scales to its width, so a phone shows it
with no JavaScript. Lines differ by dash pattern as well as colour, each is named in text at
its end, and the axes carry text labels (first, middle and last period; zero and the top), so
nothing is told by colour alone. The exact figures are in the page's table and CSV.

Use: `line_chart(title, description, period_labels, [(series name, values), ...])`, then
`{% with chart = …, chart_id = "…" %}{% include "line_chart.svg" %}{% endwith %}`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 360
HEIGHT = 220
LEFT = 44
"""Room for the y axis' numbers."""
RIGHT = 72
"""Room for the series' names at the lines' ends."""
TOP = 12
BOTTOM = 28
"""Room for the period labels."""
STYLES: tuple[tuple[str, str], ...] = (("#2f6db5", ""), ("#b5482f", "6 4"), ("#3d8a4a", "2 3"))
"""(colour, dash pattern) per series, in order."""


@dataclass(frozen=True)
class Line:
    name: str
    points: str
    """The SVG polyline's "x,y x,y …"."""
    colour: str
    dash: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class LineChart:
    title: str
    description: str
    lines: tuple[Line, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float


def line_chart(
    title: str,
    description: str,
    periods: Sequence[str],
    series: Sequence[tuple[str, Sequence[int | float]]],
) -> LineChart:
    """`periods` label the x positions; each series has one value per period (at most three
    series: more would not be readable on a phone)."""
    assert len(series) <= len(STYLES), "at most three lines per chart"
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    largest = max((max(values, default=0) for _, values in series), default=0)
    top_value = largest if largest > 0 else 1
    steps = max(len(periods) - 1, 1)

    def x(i: int) -> float:
        return round(LEFT + (right - LEFT) * i / steps, 1)

    def y(value: float) -> float:
        return round(bottom - (bottom - TOP) * value / top_value, 1)

    lines = []
    for (name, values), (colour, dash) in zip(series, STYLES, strict=False):
        points = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values))
        last = values[-1] if values else 0
        lines.append(Line(name, points, colour, dash, right + 6, y(last) + 4))
    # names at the lines' ends must not overlap: push each below the previous one
    placed: list[Line] = []
    for line in sorted(lines, key=lambda one: one.label_y):
        floor = placed[-1].label_y + 14 if placed else TOP
        placed.append(
            Line(
                line.name,
                line.points,
                line.colour,
                line.dash,
                line.label_x,
                max(line.label_y, floor),
            )
        )
    order = {line.name: n for n, line in enumerate(lines)}
    placed.sort(key=lambda one: order[one.name])
    shown = sorted({0, len(periods) // 2, len(periods) - 1}) if periods else []
    x_ticks = tuple(Tick(x(i), HEIGHT - 8, periods[i]) for i in shown)
    y_ticks = (Tick(LEFT - 6, y(0) + 4, "0"), Tick(LEFT - 6, y(top_value) + 4, _number(largest)))
    return LineChart(
        title,
        description,
        tuple(placed),
        x_ticks,
        y_ticks if largest else y_ticks[:1],
        WIDTH,
        HEIGHT,
        LEFT,
        right,
        TOP,
        bottom,
    )


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
