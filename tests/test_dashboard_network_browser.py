"""The network page in a real browser (Playwright driving Debian's chromium) against a real
`communitybot run` on the console: alice moderates "local", creates a network there (so she is
its steward), signs in with the link the console prints, follows the network link in the
layout and reads her network's page on a phone-sized screen. Screenshots are kept as artefacts
(tests/test_dashboard_browser.py says where). Its own bot process and browser, for one test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_dashboard_browser import (
    CHROMIUM,
    RunningBot,
    artefacts,
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

NETWORK = "<script>alert(1)</script> Maths"
__all__ = ["artefacts"]  # the fixture, shared with the funnel's browser tests


@pytest.fixture(scope="module")
def steward_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    folder = tmp_path_factory.mktemp("network-console")
    with console_bot(
        folder,
        f":join bob\n:join alice\n:mod alice\n/network create {NETWORK}\n",
        re.compile(r"reply:alice.*Created the network"),
    ) as running:
        yield running


def test_a_steward_signs_in_and_sees_the_network_page(
    steward_bot: RunningBot,
    browser: Browser,  # noqa: F811 - the imported fixture
    artefacts: Path,
) -> None:
    dialogs: list[Any] = []
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog), dialog.dismiss()))
    sign_in(page, steward_bot.link())
    page.get_by_role("link", name=f"Network: {NETWORK}").click()
    page.wait_for_load_state()
    assert re.search(r"/n/\d+/$", page.url), page.url
    page.screenshot(path=str(artefacts / "network-phone.png"), full_page=True)
    assert page.locator("h1").inner_text() == f"The network {NETWORK}"
    rows = page.locator("tr.affiliate")
    assert rows.count() == 1
    assert rows.first.locator("td").first.inner_text() == "2"  # alice and bob
    assert page.locator("tr.month").count() == 12
    trend = page.locator("svg.chart").last
    assert "Share across affiliate lines" in (trend.locator("title").text_content() or "")
    box = trend.bounding_box()
    assert box is not None and box["width"] <= 390  # fits a phone's width
    assert not dialogs  # the network's name, typed as a script, ran nothing
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these numbers (CSV)").click()
    assert download.value.suggested_filename.startswith("network-")
    assert Path(download.value.path()).read_text().startswith("section,id,subject,measure,value")
    context.close()


def test_a_steward_who_moderates_nothing_signs_in_to_the_network_page_only(
    steward_bot: RunningBot,
    browser: Browser,  # noqa: F811 - the imported fixture
    artefacts: Path,
) -> None:
    # dave joins "local" and alice makes him a steward; he moderates nothing. carol is neither.
    steward_bot.type(":join carol\n/dashboard\n")
    refusal = steward_bot.wait_for(re.compile(r"reply:carol.*"))
    assert "Only moderators of this community, and stewards of its network" in refusal.group(0)
    assert "/signin" not in refusal.group(0)
    steward_bot.type(":join dave\n:as alice\n/network stewards add dave\n")
    steward_bot.wait_for(re.compile(r"reply:alice.*now a steward"))
    steward_bot.type(":as dave\n")
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    sign_in(page, steward_bot.link())
    assert re.search(r"/n/\d+/$", page.url), page.url  # straight to the network page
    assert page.locator("h1").inner_text() == f"The network {NETWORK}"
    assert page.locator("tr.affiliate").count() == 1
    page.screenshot(path=str(artefacts / "network-steward-only-phone.png"), full_page=True)
    # the community's pages stay closed to him: a steward who does not moderate "local"
    answer = page.goto(steward_bot.base + "/c/1/funnel")
    assert answer is not None and answer.status == 403
    assert "not for this community" in page.inner_text("main")
    page.goto(steward_bot.base + "/")
    assert "signed in as a network steward" in page.inner_text("main")
    page.screenshot(path=str(artefacts / "network-steward-only-index.png"))
    page.get_by_role("button", name="Sign out").click()
    assert "signed out" in page.inner_text("main")
    context.close()
