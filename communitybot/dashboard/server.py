"""The dashboard's web server: aiohttp on the bot's own event loop, Jinja2 templates.

Why aiohttp.web: discord.py and matrix-nio already depend on it, so the dashboard adds no web
stack and no ASGI server, and it runs in the bot's loop beside the adapters (`bootstrap`
starts and stops it). Jinja2 autoescapes every template, so a tag named `<script>` is text.

Routes (docs/dashboard.md): /healthz, /readyz, /metrics for operators; /signin (GET shows a
button, POST opens the session: link previews that fetch the URL do not use it up); the pages
under /c/<community id>/, each checked again against the moderator's live rights; /signout.
Every POST carries a CSRF token (403 without it). The access log is off: sign-in URLs carry a
token in their query string, and nothing here may log one.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from typing import Any

import jinja2
from aiohttp import web
from loguru import logger

from communitybot.bot import Bot
from communitybot.clock import Clock
from communitybot.dashboard import configure, installation, network_page
from communitybot.dashboard.access import Denied, moderated, rights
from communitybot.dashboard.i18n import (
    TEMPLATE_GLOBALS,
    accepted_language,
    community_page_language,
    network_page_language,
)
from communitybot.dashboard.links import LinkClaims, Refusal, check, fingerprint
from communitybot.dashboard.metrics import CONTENT_TYPE, Metrics
from communitybot.dashboard.network_access import stewarded, stewarded_from
from communitybot.dashboard.pages import Page, PageRequest, community_pages
from communitybot.dashboard.sessions import Session, Sessions
from communitybot.events import UserRef
from communitybot.i18n import N_, current_language, tr, use_language
from communitybot.models import Community
from communitybot.ports import ChatPlatform
from communitybot.priority_lock import PriorityLock
from communitybot.store.networks import Network
from communitybot.store.store import Store
from communitybot.units import writer_turn

SESSION_COOKIE = "communitybot_session"
SIGNIN_COOKIE = "communitybot_signin"
"""The sign-in form's CSRF token (double submit: the cookie and the form field must agree)."""
READY_TIMEOUT = 2.0
"""Seconds /readyz waits for the database before it says it does not answer."""
HEARD_WITHIN = 90.0
"""/readyz: a platform not heard from for longer is not ready (Discord's gateway heartbeat is
acknowledged every ~41 s, a Matrix long-poll sync returns at least every 30 s)."""
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
        " frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
ASK_AGAIN = N_(
    "For a new link, type the dashboard command in your community "
    "(/dashboard on Discord, !dashboard on Matrix)."
)
OPERATORS = ("/healthz", "/readyz", "/metrics", "/static/")
"""Paths no person reads in a language (no session or database read to choose one)."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SESSION_KEY = web.RequestKey("session", object)
"""The request's session, once read (`Dashboard._session`)."""


def community_label(community: Community) -> str:
    return community.name or f"{community.ref.platform} {community.ref.space_id}"


class Dashboard:
    """The web dashboard of one bot process: its sessions, metrics and served platforms."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        host: str,
        port: int,
        base_url: str | None = None,
        lock: PriorityLock | None = None,
    ) -> None:
        """`base_url`: the public URL in links (None: http://host:port as bound, for tests and
        local use). `lock`: the process's writer turn (`bootstrap.Core.lock`)."""
        self.store = store
        self.clock = clock
        self.host = host
        self.port = port
        self.base_url = base_url
        self.writer = writer_turn(store.db, lock)
        self.sessions = Sessions(
            store.db, self.writer, store.reader.db if store.reader is not None else None
        )
        """In the database: a restart, or a standby taking over, keeps people signed in."""
        self.metrics = Metrics()
        self.platforms: dict[str, ChatPlatform] = {}
        self.bots: dict[str, Bot] = {}
        """Each served platform's live Bot: the settings forms run their commands through it."""
        self.connected: dict[str, Callable[[], bool]] = {}
        self.heard: dict[str, Callable[[], float | None]] = {}
        """Per platform: seconds since it was last heard from (None: not yet, or unknown)."""
        self.pages = community_pages()
        """The community pages (`communitybot.dashboard.pages`), in navigation order."""
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("communitybot.dashboard", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.templates.globals.update(TEMPLATE_GLOBALS, current_language=current_language)

    async def attach(
        self,
        bot: Bot,
        connected: Callable[[], bool],
        last_heard: Callable[[], float | None] | None = None,
    ) -> None:
        """Serve `bot`'s platform: its communities' pages, its metrics, its readiness; from
        now on `dashboard` there hands out links to this dashboard. Call inside `running()`.
        `last_heard`: seconds since the adapter last heard from its platform (the adapter's
        `last_heard()`); /readyz then also wants that recent."""
        name = bot.platform.name
        self.platforms[name] = bot.platform
        self.bots[name] = bot
        self.connected[name] = connected
        if last_heard is not None:
            self.heard[name] = last_heard
        bot.observers.append(self.metrics.observe)
        assert self.base_url is not None, "attach() inside running()"
        await installation.serve(self.store.db, self.writer, name, self.base_url, self.clock.now())

    @property
    def secure(self) -> bool:
        return (self.base_url or "").startswith("https://")

    # -- life ------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Dashboard]:
        """Listen until the block ends; on the way out, `dashboard` stops handing out links to
        it for the platforms attached meanwhile."""
        runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            try:
                await site.start()
            except OSError as error:
                raise DashboardStartupError(
                    f"the dashboard cannot listen on {self.host}:{self.port} ({error.strerror})"
                ) from None
            bound = runner.addresses[0]
            self.port = int(bound[1])
            if self.base_url is None:
                self.base_url = f"http://{self.host}:{self.port}"
            logger.info("dashboard listening on {}:{} ({})", self.host, self.port, self.base_url)
            try:
                yield self
            finally:
                with contextlib.suppress(Exception):  # a closed database: nothing to clear
                    await installation.stop_serving(self.store.db, self.writer, self.platforms)
        finally:
            await runner.cleanup()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[_headers, self._in_language], client_max_size=64 * 1024)
        app.add_routes(
            [
                web.get("/healthz", self.healthz),
                web.get("/readyz", self.readyz),
                web.get("/metrics", self.metrics_text),
                web.get("/static/dashboard.css", self.stylesheet),
                web.get("/", self.index),
                web.get("/signin", self.signin_form),
                web.post("/signin", self.signin),
                web.post("/signout", self.signout),
            ]
        )
        # -- configuration forms (communitybot.dashboard.configure) --
        app.router.add_post(r"/c/{community:\d+}/settings", self.configure)
        # -- the stewards' network page --
        app.router.add_get(r"/n/{network:\d+}/", self.network_view)
        app.router.add_get(r"/n/{network:\d+}/network.csv", self.network_csv)
        for page in self.pages:
            app.router.add_get(rf"/c/{{community:\d+}}/{page.name}", self._page_view(page))
            if page.csv is not None:
                app.router.add_get(rf"/c/{{community:\d+}}/{page.name}.csv", self._page_csv(page))
        return app

    # -- the reader's language (communitybot.dashboard.i18n) ------------------------------

    @web.middleware
    async def _in_language(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every page, error and form answer of this request in the reader's language."""
        if request.path.startswith(OPERATORS):
            return await handler(request)
        with use_language(await self._language(request)):
            return await handler(request)

    async def _language(self, request: web.Request) -> str:
        accept = accepted_language(request.headers.get("Accept-Language"))
        session = await self._session(request)
        user = UserRef(session.platform, session.user_id) if session is not None else None
        community: Community | None = None
        if request.path == "/signin":  # no session yet: the person and community the link names
            claims = await self._claims(request)
            if claims is not None:
                user = UserRef(claims.platform, claims.user_id)
                community = await self._reader.communities.get_by_id(claims.community_id)
        raw = request.match_info.get("community")
        if session is not None and raw is not None and int(raw) in session.communities:
            community = await self._reader.communities.get_by_id(int(raw))
        if user is not None and community is None:  # a network's page, the list of communities
            return await network_page_language(self._reader, user, accept)
        return await community_page_language(self._reader, user, community, accept)

    async def _claims(self, request: web.Request) -> LinkClaims | None:
        """The valid claims of the sign-in link this request carries (query or form), if any."""
        token = request.query.get("t")
        if token is None and request.method == "POST":
            sent = (await request.post()).get("t")
            token = sent if isinstance(sent, str) else None
        secret = await self._secret()
        if not token or not secret:
            return None
        claims = check(secret, token, self.clock.now())
        return None if isinstance(claims, str) else claims

    # -- rendering -------------------------------------------------------------------------

    def render(self, template: str, status: int = 200, **values: Any) -> web.Response:
        values.setdefault("session", None)
        values.setdefault("pages", self.pages)
        html = self.templates.get_template(template).render(**values)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    def message(
        self, status: int, title: str, text: str, session: Session | None = None
    ) -> web.Response:
        return self.render("message.html", status, title=title, text=text, session=session)

    async def _session(self, request: web.Request) -> Session | None:
        """The request's session (read once per request: the language needs it too)."""
        if SESSION_KEY not in request:
            request[SESSION_KEY] = await self.sessions.get(
                request.cookies.get(SESSION_COOKIE), self.clock.now()
            )
        found = request[SESSION_KEY]
        return found if isinstance(found, Session) else None

    async def _moderated(self, session: Session, community_id: int) -> Community | Denied:
        """`access.moderated`, and a community whose rights were lost leaves the stored
        session (a new link brings it back)."""
        found = await moderated(self._reader, self.platforms, session, community_id)
        if isinstance(found, Denied) and found.forget:
            await self.sessions.drop(session, "community", community_id)
        return found

    @property
    def _reader(self) -> Store:
        """Pages read on the read connection when there is one: never inside a write."""
        return self.store.reader or self.store

    # -- operators -------------------------------------------------------------------------

    async def healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(self, request: web.Request) -> web.Response:
        lines, ready = [], True
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                await self.store.db.fetch_one("SELECT 1")
            lines.append("database: ok")
        except Exception as error:  # any failure means "not ready", and says which kind
            ready = False
            lines.append(f"database: not answering ({type(error).__name__})")
        if not self.connected:
            ready = False
            lines.append("platforms: none served yet (starting, or a standby waiting to lead)")
        for name, is_connected in sorted(self.connected.items()):
            up, line = is_connected(), ""
            heard = self.heard.get(name)
            silence = heard() if heard is not None and up else None
            if silence is not None and silence > HEARD_WITHIN:
                up = False
                line = f"{name}: not heard from for {silence:.0f} s (over {HEARD_WITHIN:.0f} s)"
            elif silence is not None:
                line = f"{name}: connected, last heard {silence:.0f} s ago"
            ready = ready and up
            lines.append(line or f"{name}: {'connected' if up else 'not connected'}")
        return web.Response(text="\n".join(lines) + "\n", status=200 if ready else 503)

    async def metrics_text(self, request: web.Request) -> web.Response:
        await self.metrics.refresh(self._reader.db, self.clock.now(), self.connected, self.heard)
        response = web.Response(body=self.metrics.text())
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    async def stylesheet(self, request: web.Request) -> web.Response:
        css = resources.files("communitybot.dashboard").joinpath("static/dashboard.css")
        response = web.Response(text=css.read_text(encoding="utf-8"), content_type="text/css")
        response.headers["Cache-Control"] = "max-age=3600"
        return response

    # -- signing in ------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.Response:
        session = await self._session(request)
        if session is None:
            return self.message(
                200,
                tr("Dashboard"),
                tr("You sign in with a link the bot sends privately.") + " " + tr(ASK_AGAIN),
            )
        communities = []
        for community_id in sorted(session.communities):
            found = await self._moderated(session, community_id)
            if isinstance(found, Community):
                communities.append(found)
        return self.render(
            "index.html",
            session=session,
            communities=[(c.id, community_label(c)) for c in communities],
        )

    async def _secret(self) -> str | None:
        return await installation.secret(self.store.db)

    def _refused_link(self, why: Refusal) -> web.Response:
        if why == "expired":
            return self.message(
                403,
                tr("Link expired"),
                tr("This sign-in link has expired (links last 5 minutes).") + " " + tr(ASK_AGAIN),
            )
        return self.message(
            403,
            tr("Link not valid"),
            tr("This sign-in link is not valid.") + " " + tr(ASK_AGAIN),
        )

    async def signin_form(self, request: web.Request) -> web.Response:
        """The link's landing page: a button, so a chat app's link preview (a GET) does not
        use the link up. A bad link is refused here already, and again at the POST."""
        token = request.query.get("t", "")
        secret = await self._secret()
        claims = check(secret, token, self.clock.now()) if secret else "forged"
        if isinstance(claims, str):
            return self._refused_link(claims)
        csrf = secrets.token_urlsafe(24)
        response = self.render("signin.html", token=token, csrf=csrf)
        response.set_cookie(
            SIGNIN_COOKIE,
            csrf,
            max_age=600,
            path="/signin",
            httponly=True,
            samesite="Strict",
            secure=self.secure,
        )
        return response

    async def signin(self, request: web.Request) -> web.Response:
        form = await request.post()
        sent, expected = form.get("csrf"), request.cookies.get(SIGNIN_COOKIE)
        if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, expected):
            return self.message(
                403,
                tr("Form expired"),
                tr(
                    "This form could not be checked (its security token is missing). Open your "
                    "sign-in link again; it has not been used up."
                ),
            )
        sent_token = form.get("t")
        token = sent_token if isinstance(sent_token, str) else ""
        secret = await self._secret()
        now = self.clock.now()
        claims = check(secret, token, now) if secret else "forged"
        if isinstance(claims, str):
            return self._refused_link(claims)
        if not await installation.use_link(
            self.store.db, self.writer, claims.nonce, claims.expires_at, now
        ):
            logger.info("dashboard: a used sign-in link was opened again ({})", fingerprint(token))
            return self.message(
                403,
                tr("Link already used"),
                tr("This sign-in link was already used: each link opens once.")
                + " "
                + tr(ASK_AGAIN),
            )
        user = UserRef(claims.platform, claims.user_id)
        found = await rights(self._reader, self.platforms, user, claims.community_id)
        # a steward: their network's pages too, even when they moderate none of its affiliates
        network = await stewarded_from(self._reader, user, claims.community_id)
        if isinstance(found, Denied) and (found.status != 403 or network is None):
            return self.message(found.status, tr("No access"), found.why)
        community = found if isinstance(found, Community) else None
        if community is not None:
            first_page = f"/c/{community.id}/funnel"
        else:
            assert network is not None  # refused above otherwise
            first_page = f"/n/{network.id}/"
        response = web.Response(status=303, headers={"Location": first_page})
        current = await self._session(request)
        if current is not None and (current.platform, current.user_id) == (
            user.platform,
            user.user_id,
        ):  # the same person: one session, one more community (or network)
            if community is not None:
                await self.sessions.add(current, "community", community.id)
            if network is not None:
                await self.sessions.add(current, "network", network.id, network.name)
        else:
            cookie, _ = await self.sessions.open(
                claims.platform,
                claims.user_id,
                community.id if community else None,
                now,
                networks={network.id: network.name} if network else {},
            )
            response.set_cookie(
                SESSION_COOKIE,
                cookie,
                path="/",
                httponly=True,
                samesite="Strict",
                secure=self.secure,
            )
        response.del_cookie(SIGNIN_COOKIE, path="/signin")
        logger.info(
            "dashboard: signed in to community {} (network {})",
            community.id if community else "-",
            network.id if network else "-",
        )
        return response

    async def signout(self, request: web.Request) -> web.Response:
        session = await self._session(request)
        refused = await self._csrf_refusal(request, session)
        if refused is not None:
            return refused
        await self.sessions.close(request.cookies.get(SESSION_COOKIE))
        response = self.message(200, tr("Signed out"), tr("You are signed out."))
        response.del_cookie(SESSION_COOKIE, path="/")
        return response

    async def _csrf_refusal(
        self, request: web.Request, session: Session | None
    ) -> web.Response | None:
        """None when this POST comes with a session and its CSRF token; else the 403 page."""
        form = await request.post()
        sent = form.get("csrf")
        if session is None or not session.csrf_ok(sent if isinstance(sent, str) else None):
            return self.message(
                403,
                tr("Form refused"),
                tr(
                    "This form could not be checked (its security token is missing or old). "
                    "Reload the page and try again."
                ),
                session,
            )
        return None

    # -- community pages -------------------------------------------------------------------

    async def _community(self, request: web.Request) -> tuple[Session, Community] | web.Response:
        session = await self._session(request)
        if session is None:
            return self.message(
                401, tr("Please sign in"), tr("You are not signed in.") + " " + tr(ASK_AGAIN)
            )
        found = await self._moderated(session, int(request.match_info["community"]))
        if isinstance(found, Denied):
            return self.message(found.status, tr("No access"), found.why, session)
        return session, found

    def _page_request(self, request: web.Request, community: Community) -> PageRequest:
        return PageRequest(
            self._reader,
            community,
            community_label(community),
            request.query,
            self.clock.now(),
        )

    def _page_view(self, page: Page) -> Handler:
        async def show(request: web.Request) -> web.Response:
            allowed = await self._community(request)
            if isinstance(allowed, web.Response):
                return allowed
            session, community = allowed
            asked = self._page_request(request, community)
            values = await page.view(asked)
            return self.render(
                page.template,
                session=session,
                community=community,
                label=asked.label,
                current=page.name,
                **values,
            )

        return show

    def _page_csv(self, page: Page) -> Handler:
        assert page.csv is not None
        table = page.csv

        async def download(request: web.Request) -> web.Response:
            allowed = await self._community(request)
            if isinstance(allowed, web.Response):
                return allowed
            _, community = allowed
            out = io.StringIO()
            csv.writer(out).writerows(await table(self._page_request(request, community)))
            response = web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8")
            response.headers["Content-Disposition"] = (
                f'attachment; filename="{page.name}-{community.id}.csv"'
            )
            return response

        return download

    # -- configuration forms ---------------------------------------------------------------
    # A form on the settings page runs the command a moderator would type, through the
    # platform's Bot (`communitybot.dashboard.configure`), then sends the browser back to the
    # page with the bot's answer (post/redirect/get).

    async def configure(self, request: web.Request) -> web.Response:
        allowed = await self._community(request)
        if isinstance(allowed, web.Response):
            return allowed
        session, community = allowed
        refused = await self._csrf_refusal(request, session)
        if refused is not None:
            return refused
        form = await request.post()
        command = configure.editable_command(form.get("command"))
        bot = self.bots.get(community.ref.platform)
        if command is None or bot is None:
            return self.message(
                400,
                tr("Not a setting"),
                tr("This form does not change a setting here."),
                session,
            )
        options = configure.options_from_form(command, form, community.ref.platform)
        if isinstance(options, str):
            answer = options  # refused before the bot: the same words a typed command gets
        else:
            user = UserRef(session.platform, session.user_id)
            locale = accepted_language(request.headers.get("Accept-Language"))
            answer = await configure.run_command(bot, community, user, command, options, locale)
        token = configure.NOTICES.put(community.id, answer)
        return web.Response(
            status=303, headers={"Location": f"/c/{community.id}/settings?done={token}"}
        )

    # -- the stewards' network page ------------------------------------------------------

    async def _network(self, request: web.Request) -> tuple[Session, Network] | web.Response:
        """The network, if this session's person stewards it right now (`network_access`)."""
        session = await self._session(request)
        if session is None:
            return self.message(
                401, tr("Please sign in"), tr("You are not signed in.") + " " + tr(ASK_AGAIN)
            )
        network_id = int(request.match_info["network"])
        found = await stewarded(self._reader, session, network_id)
        if isinstance(found, Denied) and found.forget:
            await self.sessions.drop(session, "network", network_id)
        if isinstance(found, Denied):
            return self.message(found.status, tr("No access"), found.why, session)
        return session, found

    async def network_view(self, request: web.Request) -> web.Response:
        checked = await self._network(request)
        if isinstance(checked, web.Response):
            return checked
        session, network = checked
        values = await network_page.view(self._reader, network, request.query, self.clock.now())
        return self.render("network.html", session=session, **values)

    async def network_csv(self, request: web.Request) -> web.Response:
        checked = await self._network(request)
        if isinstance(checked, web.Response):
            return checked
        _, network = checked
        out = io.StringIO()
        csv.writer(out).writerows(await network_page.table(self._reader, network, self.clock.now()))
        response = web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="network-{network.id}.csv"'
        return response


class DashboardStartupError(Exception):
    """The dashboard cannot start (its address is taken): one line for the operator."""


@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every answer (redirects raised as exceptions too)."""
    try:
        response = await handler(request)
    except web.HTTPException as answer:
        answer.headers.update(HEADERS)
        raise
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
