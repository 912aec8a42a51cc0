"""The reusable SVG line chart and the tables' pager: geometry a person would notice (lines
inside the plot, told apart without colour, an empty series that still draws, text escaped) and
page numbers that never fail."""

from __future__ import annotations

import jinja2
import pytest

from communitybot.dashboard.line_chart import line_chart
from communitybot.dashboard.paged import paged


def _points(segment: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (p.split(",") for p in segment.split())]


def test_lines_stay_inside_the_plot_and_the_top_is_labelled() -> None:
    chart = line_chart("t", "d", ["a", "b", "c", "d"], [("Joined", [0, 5, 10, 2])])
    (line,) = chart.lines
    (segment,) = line.segments
    points = _points(segment)
    assert len(points) == 4
    assert all(chart.left <= x <= chart.right and chart.top <= y <= chart.bottom for x, y in points)
    assert points[2][1] == chart.top  # the largest value reaches the top
    assert points[0][1] == chart.bottom  # zero sits on the axis
    assert "10" in [t.text for t in chart.y_ticks]


def test_two_series_are_told_apart_without_colour() -> None:
    chart = line_chart("t", "d", ["a", "b"], [("Joined", [1, 3]), ("Left", [0, 3])])
    first, second = chart.lines
    assert first.dash != second.dash
    assert first.legend_y != second.legend_y


def test_an_all_zero_or_empty_chart_still_draws() -> None:
    assert line_chart("t", "d", ["a", "b"], [("Joined", [0, 0])]).lines
    empty = line_chart("t", "d", [], [("Joined", [])])
    assert empty.lines[0].segments == () and empty.height > 0


def test_the_template_escapes_titles_and_names() -> None:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("communitybot.dashboard", "templates"), autoescape=True
    )
    chart = line_chart("<script>", "<b>", ["<i>"], [("<s>", [1])])
    svg = env.get_template("line_chart.svg").render(chart=chart, chart_id="x")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<s>" not in svg and "<i>" not in svg


@pytest.mark.parametrize(
    ("asked", "number"),
    [("1", 1), ("3", 3), ("99", 3), ("0", 1), ("-2", 1), ("x", 1), ("", 1), ("9" * 30, 1)],
)
def test_a_page_number_is_always_a_real_page(asked: str, number: int) -> None:
    paging = paged({"page": asked}, total=120)
    assert paging.number == number
    assert paging.pages == 3
    assert paging.offset == (number - 1) * paging.size


def test_an_empty_table_has_one_page_and_no_links() -> None:
    paging = paged({}, total=0)
    assert (paging.pages, paging.previous, paging.next) == (1, None, None)
