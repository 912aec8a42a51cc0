"""The dashboard in a real browser (Playwright driving Debian's chromium), against a real
`communitybot run` on the console adapter with the dashboard on: the link the console prints
signs a moderator in, and what a person sees is checked, with screenshots kept as artefacts
(in $COMMUNITYBOT_TEST_ARTIFACTS when set, else the test's temporary folder).

One bot process and one browser for the module. An expired link is made without waiting 5
minutes: a link the console printed is signed again with its expiry in the past, under the
installation's secret read from the test's own database file: exactly what an old link is (the
dashboard has no test-only way in). The same refusal is also tested over HTTP with a fake clock
(tests/test_dashboard_http.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import queue
import re
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from communitybot.dashboard.links import check, sign
from tests.test_console import clean_env

CHROMIUM = Path("/usr/bin/chromium")
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/signin\?t=\S+)")
NAME = "<script>alert(1)</script> Riverside"

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - .ci/run installs it
    pytest.skip("playwright is not installed (pip install playwright)", allow_module_level=True)
if not CHROMIUM.exists():  # pragma: no cover - .ci/run installs it
    pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningBot:
    """`communitybot run` on the console, typed to through its standard input."""

    process: subprocess.Popen[str]
    lines: queue.Queue[str]
    base: str
    seen: list[str]
    database: Path

    def type(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 30) -> re.Match[str]:
        while True:
            line = self.lines.get(timeout=timeout)
            self.seen.append(line)
            found = pattern.search(line)
            if found:
                return found

    def link(self) -> str:
        """A fresh link for alice (the moderator typing)."""
        self.type("/dashboard\n")
        return self.wait_for(LINK).group(1)

    def aged(self, link: str, age: timedelta) -> str:
        """`link` as it would be had it been issued `age` ago: the same claims and nonce, the
        expiry moved back, signed with the installation's secret read from the bot's database
        file (read-only)."""
        with contextlib.closing(
            sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
        ) as database:
            (secret,) = database.execute(
                "SELECT secret FROM dashboard_installation WHERE id = 1"
            ).fetchone()
        base, token = link.split("?t=", 1)
        claims = check(secret, token, datetime.now(UTC))
        assert not isinstance(claims, str), claims
        old = dataclasses.replace(claims, expires_at=claims.expires_at - age)
        return f"{base}?t={sign(secret, old)}"


@contextlib.contextmanager
def console_bot(
    folder: Path, script: str, ready: re.Pattern[str], **env: str
) -> Iterator[RunningBot]:
    """`communitybot run` on the console with the dashboard on a free port, in `folder`: types
    `script`, waits for `ready`, and at the end closes its input and checks it stopped cleanly,
    printed no traceback and logged no sign-in token."""
    port = free_port()
    environment = clean_env(COMMUNITYBOT_DASHBOARD__LISTEN=f"127.0.0.1:{port}", **env)
    log = open(folder / "stderr.txt", "w")  # noqa: SIM115 - closed once the bot has stopped
    process = subprocess.Popen(
        [sys.executable, "-m", "communitybot", "run", "--db", str(folder / "bot.db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        encoding="utf-8",
        cwd=folder,
        env=environment,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    running = RunningBot(process, lines, f"http://127.0.0.1:{port}", [], folder / "bot.db")
    try:
        running.type(script)
        running.wait_for(ready)
        yield running
    finally:
        if process.stdin is not None:
            process.stdin.close()  # the console's input ends: the bot (and dashboard) stop
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        finally:
            log.close()
        stderr = (folder / "stderr.txt").read_text()
        assert code == 0, stderr
        assert "Traceback" not in stderr, stderr
        for line in running.seen:
            found = LINK.search(line)
            if found:  # no sign-in token in the log
                assert found.group(1).split("t=")[1] not in stderr


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    # bob chose a tag, then asked for a link he may not have; carol joined; alice moderates
    # (here and in school-b, whose page her link must still not open)
    script = (
        ":join bob\n/tags add maths\n/dashboard\n:join carol\n"
        ":community school-b\n:join alice\n:mod alice\n:community local\n"
        f":join alice\n:mod alice\n/setup name={NAME}\n"
    )
    folder = tmp_path_factory.mktemp("console")
    with console_bot(folder, script, re.compile(r"reply:alice.*Riverside")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


@pytest.fixture
def artefacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("COMMUNITYBOT_TEST_ARTIFACTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(page: Page, link: str) -> None:
    page.goto(link)
    page.get_by_role("button", name="Open the dashboard").click()
    page.wait_for_load_state()


def test_a_moderator_signs_in_with_the_console_link_and_reads_the_funnel(
    bot: RunningBot, browser: Browser, artefacts: Path
) -> None:
    refused = [line for line in bot.seen if "reply:bob" in line and "Only moderators" in line]
    assert refused, "bob, no moderator, was refused a link"
    assert not any("reply:bob" in line and "/signin" in line for line in bot.seen)
    dialogs: list[Any] = []
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog), dialog.dismiss()))
    sign_in(page, bot.link())
    assert re.search(r"/c/1/funnel$", page.url), page.url
    page.screenshot(path=str(artefacts / "funnel-phone.png"), full_page=True)
    rows = page.locator("table").first.locator("tbody tr")
    assert rows.count() == 5
    shown = [rows.nth(n).locator("td").first.inner_text() for n in range(5)]
    assert shown == ["3", "3", "0", "1", "0"]  # joined, started, finished, first tag, paired
    # the community's name, typed as a script, is text on the page and ran nothing
    assert page.locator("nav .community").inner_text() == NAME
    assert not dialogs
    chart = page.locator("svg.chart")
    assert chart.get_attribute("role") == "img"
    assert "Onboarding funnel of" in (chart.locator("title").text_content() or "")
    box = chart.bounding_box()
    assert box is not None and box["width"] <= 390  # fits a phone's width
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these numbers (CSV)").click()
    assert download.value.suggested_filename == "funnel-1.csv"
    csv_text = Path(download.value.path()).read_text()
    assert csv_text.splitlines()[1] == "joined,3,1.0000"
    # her link was for this community only: school-b (id 2) is refused, though she moderates it
    answer = page.goto(f"{bot.base}/c/2/funnel")
    assert answer is not None and answer.status == 403
    assert "not for this community" in page.inner_text("main")
    page.screenshot(path=str(artefacts / "refused-other-community.png"))
    # a form posted without its CSRF token is refused; the session stays
    posted = context.request.post(f"{bot.base}/signout", form={})
    assert posted.status == 403
    assert page.goto(f"{bot.base}/c/1/funnel") is not None
    assert page.locator("table").count() >= 1
    # signing out with the page's own form works
    page.get_by_role("button", name="Sign out").click()
    assert "signed out" in page.inner_text("main")
    context.close()


def test_a_used_and_a_forged_link_are_refused(
    bot: RunningBot, browser: Browser, artefacts: Path
) -> None:
    link = bot.link()
    first = browser.new_context()
    sign_in(first.new_page(), link)
    first.close()
    again = browser.new_context()
    page = again.new_page()
    sign_in(page, link)
    assert "already used" in page.inner_text("main")
    assert not [c for c in again.cookies() if c["name"] == "communitybot_session"]
    page.screenshot(path=str(artefacts / "link-used.png"))
    answer = page.goto(f"{bot.base}/signin?t=forged.token")
    assert answer is not None and answer.status == 403
    assert "not valid" in page.inner_text("main")
    again.close()


def test_health_readiness_and_metrics_answer(bot: RunningBot, browser: Browser) -> None:
    context = browser.new_context()
    for path, status, text in (
        ("/healthz", 200, "ok"),
        ("/readyz", 200, "console: connected"),
        ("/metrics", 200, "communitybot_events_handled_total"),
    ):
        answer = context.request.get(bot.base + path)
        assert answer.status == status, path
        assert text in answer.text(), path
    context.close()


def test_an_expired_link_is_refused(bot: RunningBot, browser: Browser, artefacts: Path) -> None:
    fresh = bot.link()
    old = bot.aged(fresh, timedelta(minutes=5, seconds=1))  # issued 5 min 1 s ago
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    answer = page.goto(old)
    assert answer is not None and answer.status == 403
    assert page.locator("h1").inner_text() == "Link expired"
    assert "has expired (links last 5 minutes)" in page.inner_text("main")
    assert page.get_by_role("button", name="Open the dashboard").count() == 0
    page.screenshot(path=str(artefacts / "link-expired.png"), full_page=True)
    assert not [c for c in context.cookies() if c["name"].startswith("communitybot_")]
    # only its age was wrong: the same link, as issued, still opens the dashboard
    sign_in(page, fresh)
    assert re.search(r"/c/1/funnel$", page.url), page.url
    assert [c for c in context.cookies() if c["name"] == "communitybot_session"]
    context.close()


def test_a_session_survives_a_restart_of_the_bot(
    tmp_path_factory: pytest.TempPathFactory, browser: Browser, artefacts: Path
) -> None:
    """Its own bot, run twice on one database file: the browser signed in during the first
    run is still signed in after the restart (the new process reads the stored session), and
    "Sign out" then ends it."""
    folder = tmp_path_factory.mktemp("restart")
    context = browser.new_context()
    page = context.new_page()
    ready = re.compile(r"reply:alice.*signin")
    with console_bot(folder, ":join alice\n:mod alice\n/dashboard\n", ready) as bot:
        sign_in(page, bot.link())
        assert re.search(r"/c/1/funnel$", page.url), page.url
    # the first process has stopped (its dashboard too); a new one starts on the same file
    with console_bot(folder, ":as alice\n:mod alice\n/dashboard\n", ready) as again:
        answer = page.goto(f"{again.base}/c/1/funnel")  # no new link used: the old cookie
        assert answer is not None and answer.status == 200
        assert page.locator("table").count() >= 1
        page.screenshot(path=str(artefacts / "funnel-after-restart.png"), full_page=True)
        page.get_by_role("button", name="Sign out").click()
        assert "signed out" in page.inner_text("main")
        answer = page.goto(f"{again.base}/c/1/funnel")
        assert answer is not None and answer.status == 401
    context.close()
