"""The mentoring, peer-rounds and chats pages in a real browser at a phone's width, against a
real `communitybot run` on the console (its own bot process and one browser for the module):
the figures a moderator made by typing commands show up, the charts fit the screen, no table
pushes the page sideways, and screenshots are kept as artefacts ($COMMUNITYBOT_TEST_ARTIFACTS,
else the test's temporary folder)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_dashboard_browser import (
    CHROMIUM,
    LINK,
    RunningBot,
    artefacts,  # noqa: F401 - a fixture
    browser,  # noqa: F401 - a fixture
    console_bot,
    sign_in,
)

try:
    from playwright.sync_api import Browser
except ImportError:  # pragma: no cover - .ci/run installs it
    pytest.skip("playwright is not installed (pip install playwright)", allow_module_level=True)
if not CHROMIUM.exists():  # pragma: no cover - .ci/run installs it
    pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)", allow_module_level=True)

PHONE = {"width": 390, "height": 844}
SEED = (
    # bob mentors maths (one seat); carol and erin ask for maths, dan for arts, which nobody
    # offers; alice moderates, matches (carol gets bob; erin waits: bob is full) and runs a
    # peer round for the four who joined rounds
    ":join bob\n/tags add maths\n/mentor offer 1 maths\n/rounds join\n"
    ":join carol\n/tags add maths\n/mentor request maths\n/rounds join\n"
    ":join dan\n/mentor request arts\n/rounds join\n"
    ":join erin\n/tags add maths\n/mentor request maths\n"
    ":join alice\n:mod alice\n/mentoring match\n/rounds join\n/rounds run\n"
)


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    folder = tmp_path_factory.mktemp("console")
    with console_bot(folder, SEED, re.compile(r"reply:alice.*Peer round .*group")) as running:
        yield running


def test_the_new_pages_read_well_on_a_phone(
    bot: RunningBot,
    browser: Browser,  # noqa: F811 - the imported fixture
    artefacts: Path,  # noqa: F811 - the imported fixture
) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, bot.link())
    assert LINK.pattern  # the console's link pattern is the funnel test's

    page.get_by_role("link", name="Mentoring").click()
    assert re.search(r"/c/1/mentoring$", page.url), page.url
    page.screenshot(path=str(artefacts / "mentoring-phone.png"), full_page=True)
    summary = page.get_by_role("table", name=re.compile("^Mentoring in"))
    assert summary.locator("td").all_inner_texts() == ["1", "0", "2"]
    waiting = page.get_by_role(
        "table", name="Waiting requests, in the order a matching round reads them"
    )
    reasons = dict(
        zip(
            waiting.locator("tbody tr td:nth-child(1)").all_inner_texts(),
            waiting.locator("tbody tr td:nth-child(4)").all_inner_texts(),
            strict=True,
        )
    )
    assert reasons == {
        "dan": "No mentor shares their tags yet",
        "erin": "The mentors who could fit have no free seat",
    }
    pairs = page.get_by_role("table", name="Active pairs, newest first")
    assert pairs.locator("tbody tr td").all_inner_texts()[:2] == ["bob", "carol"]
    fits(page)

    page.get_by_role("link", name="Peer rounds").click()
    page.screenshot(path=str(artefacts / "rounds-phone.png"), full_page=True)
    rounds = page.get_by_role("table", name="Peer rounds, newest first")
    assert rounds.locator("tbody tr td").all_inner_texts() == ["2", "4", "0", "0%"]
    chart = page.locator("svg.chart")
    assert chart.get_attribute("role") == "img"
    assert "groups that met" in (chart.locator("title").text_content() or "")
    fits(page)

    page.get_by_role("link", name="Chats").click()
    page.screenshot(path=str(artefacts / "chats-phone.png"), full_page=True)
    assert "No chat series yet." in page.inner_text("main")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these numbers (CSV)").click()
    assert download.value.suggested_filename == "chats-1.csv"
    assert Path(download.value.path()).read_text().startswith("row,hashtag,started")
    fits(page)
    context.close()


def fits(page: object) -> None:
    """Nothing wider than the phone: no sideways scrolling, every chart inside the screen."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    for n in range(page.locator("svg.chart").count()):
        box = page.locator("svg.chart").nth(n).bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"]
