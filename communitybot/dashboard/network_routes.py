"""The network page's two routes, `/n/<network id>/` and `/n/<network id>/network.csv`, each
checking the steward's rights again before it reads anything (`network_access.stewarded`)."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from aiohttp import web

from communitybot.dashboard import network_page
from communitybot.dashboard.access import Denied
from communitybot.dashboard.network_access import stewarded
from communitybot.dashboard.sessions import Session
from communitybot.store.networks import Network

if TYPE_CHECKING:
    from communitybot.dashboard.server import Dashboard


def network_routes(dashboard: Dashboard) -> list[web.RouteDef]:
    async def allowed(request: web.Request) -> tuple[Session, Network] | web.Response:
        session = dashboard._session(request)
        if session is None:
            return dashboard.message(
                401, "Please sign in", "You are not signed in. " + _ask_again()
            )
        found = await stewarded(dashboard._reader, session, int(request.match_info["network"]))
        if isinstance(found, Denied):
            return dashboard.message(found.status, "No access", found.why, session)
        return session, found

    async def show(request: web.Request) -> web.Response:
        checked = await allowed(request)
        if isinstance(checked, web.Response):
            return checked
        session, network = checked
        values = await network_page.view(
            dashboard._reader, network, request.query, dashboard.clock.now()
        )
        return dashboard.render("network.html", session=session, **values)

    async def download(request: web.Request) -> web.Response:
        checked = await allowed(request)
        if isinstance(checked, web.Response):
            return checked
        _, network = checked
        out = io.StringIO()
        csv.writer(out).writerows(
            await network_page.table(dashboard._reader, network, dashboard.clock.now())
        )
        response = web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="network-{network.id}.csv"'
        return response

    return [
        web.get(r"/n/{network:\d+}/", show),
        web.get(r"/n/{network:\d+}/network.csv", download),
    ]


def _ask_again() -> str:
    from communitybot.dashboard.server import ASK_AGAIN

    return ASK_AGAIN
