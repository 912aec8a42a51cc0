"""The members-over-time, tags and problems-of-practice pages in a real browser at a phone's
width (Playwright driving Debian's chromium) against a real `communitybot run` on the console:
what a moderator sees, charts that fit, nothing wider than the screen, a script-like ask that
stays text, and the pager. Screenshots are kept as artefacts like tests/test_dashboard_browser.
One bot process and one browser for the module."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_dashboard_browser import (
    RunningBot,
    artefacts,  # noqa: F401 - a fixture
    browser,  # noqa: F401 - a fixture
    console_bot,
    sign_in,
)

try:
    from playwright.sync_api import Browser
except ImportError:  # pragma: no cover - the browser module skipped already
    pytest.skip("playwright is not installed", allow_module_level=True)

PROBLEM = "<script>alert(2)</script> how do I start group work?"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    folder = tmp_path_factory.mktemp("console-trends")
    with console_bot(
        folder,
        (
            ":join alice\n:mod alice\n/setup welcome_channel=#general\n"
            ":join bob\n/tags add maths\n"
            f"/ask {PROBLEM}\n"
            ":join carol\n/ask second problem\n:as alice\n/help\n"
        ),
        re.compile(r"reply:carol"),
    ) as running:
        running.wait_for(re.compile(r"reply:alice"))
        yield running


def _fits_the_phone(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 391)"
        ".map(e => e.tagName + ' ' + e.className + ' ' + e.textContent.slice(0, 40))"
    )
    assert width <= PHONE["width"], f"the page is {width}px wide on a 390px phone: {wide}"
    for chart in page.locator("svg.chart").all():
        box = chart.bounding_box()
        assert box is not None and box["width"] <= PHONE["width"]
        assert chart.get_attribute("role") == "img"
        assert (chart.locator("title").text_content() or "").strip()


def test_the_new_pages_read_well_on_a_phone(
    bot: RunningBot,
    browser: Browser,  # noqa: F811 - the fixture
    artefacts: Path,  # noqa: F811 - the fixture
) -> None:
    dialogs: list[Any] = []
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog), dialog.dismiss()))
    sign_in(page, bot.link())
    page.get_by_role("link", name="Members over time").click()
    page.wait_for_load_state()
    assert re.search(r"/c/1/members$", page.url), page.url
    assert "3 members are in" in page.inner_text("main")  # bob, carol, alice
    assert page.locator("svg.chart").count() == 2
    assert page.locator("svg.chart polyline").count() == 3  # joined, left; present
    _fits_the_phone(page)
    page.screenshot(path=str(artefacts / "members-phone.png"), full_page=True)

    page.get_by_role("link", name="Tags", exact=True).click()
    page.wait_for_load_state()
    first_row = page.locator("table").first.locator("tbody tr").first
    assert first_row.locator("td").first.inner_text() == "maths"
    assert first_row.locator("td").nth(1).inner_text() == "1"
    _fits_the_phone(page)
    page.screenshot(path=str(artefacts / "tags-phone.png"), full_page=True)

    page.get_by_role("link", name="Problems of practice").click()
    page.wait_for_load_state()
    assert "No problem of practice is open" not in page.inner_text("main"), bot.seen
    open_rows = page.locator("table").first.locator("tbody tr")
    assert open_rows.count() == 2
    assert open_rows.first.locator("td").nth(1).inner_text() == PROBLEM  # text, oldest first
    assert not dialogs
    _fits_the_phone(page)
    page.screenshot(path=str(artefacts / "problems-phone.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these numbers (CSV)").click()
    assert download.value.suggested_filename == "problems-1.csv"
    assert Path(download.value.path()).read_text().splitlines()[-1] == "open_now,2,"
    context.close()
