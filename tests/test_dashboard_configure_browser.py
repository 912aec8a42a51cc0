"""The settings page in a real browser (Playwright driving Debian's chromium) against a real
`communitybot run` on the console adapter: a moderator signs in with the link the console
prints, rewords the first onboarding question, and the next member who joins is asked the new
words. Screenshots of each page are kept as artefacts ($COMMUNITYBOT_TEST_ARTIFACTS, else the
test's temporary folder). One bot process and one browser for the module."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

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
except ImportError:  # pragma: no cover - test_dashboard_browser skipped the module already
    pytest.skip("playwright is not installed", allow_module_level=True)

NEW_TEXT = "What do you teach, <and> where?"


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    folder = tmp_path_factory.mktemp("console")
    with console_bot(
        folder,
        ":join alice\n:mod alice\n/setup modlog_channel=mod-log\n",
        re.compile(r"reply:alice.*[Mm]oderator-log"),
    ) as running:
        yield running


def test_a_moderator_rewords_a_question_and_the_next_member_is_asked_it(
    bot: RunningBot,
    browser: Browser,  # noqa: F811 - the imported fixture
    artefacts: Path,  # noqa: F811 - the imported fixture
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    sign_in(page, bot.link())
    page.screenshot(path=str(artefacts / "configure-funnel.png"), full_page=True)
    page.get_by_role("link", name="Settings").click()
    page.wait_for_load_state()
    assert re.search(r"/c/1/settings$", page.url), page.url
    page.screenshot(path=str(artefacts / "settings-before.png"), full_page=True)
    first = page.locator("ol.questions > li").first
    key = first.locator("strong").first.inner_text()
    first.get_by_label(f"Text of {key}").fill(NEW_TEXT)
    first.get_by_role("button", name=f"Save the text of {key}").click()
    page.wait_for_load_state()
    assert "/c/1/settings?done=" in page.url
    assert page.get_by_role("status").count() == 1  # the bot's answer, shown as text
    assert page.locator("ol.questions > li").first.get_by_label(f"Text of {key}").input_value() == (
        NEW_TEXT
    )
    page.screenshot(path=str(artefacts / "settings-after-edit.png"), full_page=True)
    # the change went to the moderator-log channel, like a typed command's
    bot.wait_for(re.compile(r"mod-log.*web dashboard.*onboarding questions edit"))
    # a new member joining is asked the new words
    bot.type(":join dave\n")
    bot.wait_for(re.compile(r"dm:dave.*" + re.escape(NEW_TEXT)))
    # reloading the page after the redirect shows no answer twice and changes nothing again
    page.reload()
    assert page.get_by_role("status").count() == 0
    context.close()


def test_a_form_without_its_token_changes_nothing(
    bot: RunningBot,
    browser: Browser,  # noqa: F811 - the imported fixture
    artefacts: Path,  # noqa: F811 - the imported fixture
) -> None:
    context = browser.new_context()
    page = context.new_page()
    bot.type(":as alice\n")  # the first test left the console typing as dave
    sign_in(page, bot.link())
    posted = context.request.post(
        f"{bot.base}/c/1/settings", form={"command": "tags create", "name": "robotics"}
    )
    assert posted.status == 403
    page.goto(f"{bot.base}/c/1/settings")
    assert "robotics" not in page.inner_text("main")
    page.screenshot(path=str(artefacts / "settings-page.png"), full_page=True)
    context.close()
