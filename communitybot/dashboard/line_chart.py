"""Server-rendered SVG line charts over time: the geometry here, the markup in
`templates/line_chart.svg` (include it with `chart` and `chart_id` set, like `bar_chart.svg`).

Any page can draw values per period (a share per month, members per week): each series is a
line in its own colour AND its own dash pattern (so it reads in greyscale and for colour-blind
readers too), with a text legend; a period with no value (None: nothing to measure) leaves a
gap instead of a made-up zero. Same `viewBox` approach as the bar chart: it scales to a phone's
width with no JavaScript, and the <title>/<desc> plus the page's table carry every number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 360
PLOT_HEIGHT = 160
LEFT = 36
"""Room for the y-axis labels."""
RIGHT = 20
"""Room for half the last period's label."""
TOP = 10
AXIS_ROOM = 34
"""Below the plot: the period labels."""
LEGEND_ROW = 20
STYLES = (
    ("#2f6db5", ""),
    ("#b5562f", "6 3"),
    ("#2f8a4d", "2 3"),
    ("#7a4fb5", "8 3 2 3"),
)
"""(stroke colour, dash pattern) of the series in order; more series cycle through them."""


@dataclass(frozen=True)
class Tick:
    text: str
    x: float
    y: float


@dataclass(frozen=True)
class Line:
    name: str
    colour: str
    dash: str
    segments: tuple[str, ...]
    """SVG `points` strings: one per run of consecutive known values."""
    dots: tuple[tuple[float, float], ...]
    legend_y: int


@dataclass(frozen=True)
class LineChart:
    title: str
    description: str
    lines: tuple[Line, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    left: int
    right: float
    top: int
    bottom: int
    width: int
    height: int


def line_chart(
    title: str,
    description: str,
    periods: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    top_value: float | None = None,
    unit: str = "",
    label_every: int = 1,
) -> LineChart:
    """`periods` label the x axis (every `label_every`-th one is written); each series is
    (name, one value or None per period). The y axis runs from 0 to `top_value` (default: the
    largest value, at least 1), labelled at 0, half and top with `unit` after the number."""
    known = [v for _, values in series for v in values if v is not None]
    top = top_value if top_value is not None else max([1.0, *known])
    bottom = TOP + PLOT_HEIGHT
    right = WIDTH - RIGHT
    step = (right - LEFT) / max(len(periods) - 1, 1)

    def x_of(n: int) -> float:
        return round(LEFT + n * step, 1)

    def y_of(value: float) -> float:
        return round(bottom - PLOT_HEIGHT * min(value, top) / top, 1)

    lines = []
    for n, (name, values) in enumerate(series):
        colour, dash = STYLES[n % len(STYLES)]
        segments: list[str] = []
        run: list[str] = []
        dots = []
        for i, value in enumerate(values):
            if value is None:
                if run:
                    segments.append(" ".join(run))
                run = []
                continue
            point = (x_of(i), y_of(value))
            dots.append(point)
            run.append(f"{point[0]},{point[1]}")
        if run:
            segments.append(" ".join(run))
        lines.append(
            Line(
                name,
                colour,
                dash,
                tuple(segments),
                tuple(dots),
                bottom + AXIS_ROOM + n * LEGEND_ROW + 12,
            )
        )
    x_ticks = tuple(
        Tick(label, x_of(i), bottom + 16)
        for i, label in enumerate(periods)
        if i % max(label_every, 1) == 0 or i == len(periods) - 1
    )
    y_ticks = tuple(Tick(f"{_number(v)}{unit}", LEFT - 4, y_of(v)) for v in (0.0, top / 2, top))
    height = bottom + AXIS_ROOM + len(series) * LEGEND_ROW + 4
    return LineChart(
        title,
        description,
        tuple(lines),
        x_ticks,
        y_ticks,
        LEFT,
        right,
        TOP,
        bottom,
        WIDTH,
        height,
    )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
