"""/readyz wants each platform heard from recently (issue #16): the adapters' `last_heard()`
given to `Dashboard.attach`, and the body says which platform is silent."""

from __future__ import annotations

from communitybot.dashboard.server import HEARD_WITHIN
from tests.conftest import Harness
from tests.dashboard_world import running_dashboard
from tests.test_dashboard_http import client


async def test_readiness_wants_the_platform_heard_from_recently(harness: Harness) -> None:
    silence: dict[str, float | None] = {"fake": None}
    async with running_dashboard(harness) as dashboard, client() as http:
        await dashboard.attach(harness.bot, lambda: True, lambda: silence["fake"])
        url = f"{dashboard.base_url}/readyz"
        async with http.get(url) as unknown:  # nothing heard yet: connected alone decides
            assert unknown.status == 200
            assert "fake: connected\n" in await unknown.text()
        silence["fake"] = 12.4
        async with http.get(url) as recent:
            assert recent.status == 200
            assert "fake: connected, last heard 12 s ago" in await recent.text()
        silence["fake"] = HEARD_WITHIN + 30
        async with http.get(url) as silent:
            assert silent.status == 503
            body = await silent.text()
            assert "fake: not heard from for 120 s (over 90 s)" in body
            assert "database: ok" in body
        async with http.get(f"{dashboard.base_url}/metrics") as metrics:
            assert 'communitybot_platform_last_heard_seconds{platform="fake"} 120.0' in (
                await metrics.text()
            )
        silence["fake"] = 1.0
        async with http.get(url) as back:
            assert back.status == 200


async def test_a_disconnected_platform_is_not_ready_whatever_it_last_heard(
    harness: Harness,
) -> None:
    async with running_dashboard(harness) as dashboard, client() as http:
        await dashboard.attach(harness.bot, lambda: False, lambda: 1.0)
        async with http.get(f"{dashboard.base_url}/readyz") as answer:
            assert answer.status == 503
            assert "fake: not connected" in await answer.text()
