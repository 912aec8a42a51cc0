"""The dashboard in Spanish in a real browser (Playwright driving Debian's chromium), against a
real `communitybot run` on the console: a moderator who chose Spanish signs in from a French
browser and reads the funnel in Spanish (her own choice comes first). The launcher is
tests/test_dashboard_browser.py's; the language rules are tested over HTTP in
tests/test_i18n_dashboard.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_dashboard_browser import CHROMIUM, RunningBot, console_bot

try:
    from playwright.sync_api import Browser, sync_playwright
except ImportError:  # pragma: no cover - .ci/run installs it
    pytest.skip("playwright is not installed (pip install playwright)", allow_module_level=True)


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    script = ":join alice\n:mod alice\n/profile edit language es\n/setup name=Escuela Sur\n"
    folder = tmp_path_factory.mktemp("console")
    with console_bot(folder, script, re.compile(r"reply:alice.*Escuela Sur")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


def test_a_moderator_who_chose_spanish_reads_the_dashboard_in_spanish(
    bot: RunningBot, browser: Browser, tmp_path: Path
) -> None:
    context = browser.new_context(locale="fr-FR")  # the browser asks for French
    page = context.new_page()
    page.goto(bot.link())
    assert page.locator("html").get_attribute("lang") == "es"
    page.get_by_role("button", name="Abrir el panel").click()
    page.wait_for_load_state()
    assert re.search(r"/c/1/funnel$", page.url), page.url
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").inner_text() == "Embudo de bienvenida"
    assert page.get_by_role("link", name="Miembros a lo largo del tiempo").is_visible()
    assert "Embudo de bienvenida de Escuela Sur" in (
        page.locator("svg.chart title").text_content() or ""
    )
    page.screenshot(path=str(tmp_path / "funnel-es.png"), full_page=True)
    page.get_by_role("button", name="Cerrar sesión").click()
    assert "Has cerrado la sesión." in page.inner_text("main")
    context.close()
