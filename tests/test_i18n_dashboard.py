"""The moderators' dashboard in the reader's language (issue #17), over HTTP on 127.0.0.1.

Which language a page is in: the signed-in person's own choice in the community viewed, then
the browser's Accept-Language, then the community's language, then English; `<html lang>`
says which. And a pseudo-language scan: with every translation wrapped in ⟦…⟧, no English word
is left outside the brackets in the visible text (or the aria-labels) of any page.
"""

from __future__ import annotations

import html
import re

import aiohttp
import pytest
from babel.dates import get_day_names, get_month_names

from communitybot.dashboard.i18n import accepted_language
from tests.conftest import Harness
from tests.dashboard_world import LINK, link_for, running_dashboard, seed_funnel
from tests.network_dashboard_world import seed_network
from tests.pseudo_locale import pseudo_translated, untranslated
from tests.test_dashboard_h8_pages import seed_all
from tests.test_dashboard_http import sign_in

pytestmark = pytest.mark.sqlite_only


def browser(accept: str | None = None) -> aiohttp.ClientSession:
    """A client that keeps cookies for 127.0.0.1 and sends `accept` as its Accept-Language."""
    headers = {"Accept-Language": accept} if accept else {}
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), headers=headers)


def lang_of(page: str) -> str:
    found = re.search(r'<html lang="([^"]+)">', page)
    assert found is not None, page[:200]
    return found.group(1)


def visible(page: str) -> str:
    """What a person reads (and a screen reader says): text between tags, and aria-labels."""
    labels = " ".join(re.findall(r'aria-label="([^"]*)"', page))
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body) + " " + labels)


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url) as response:
        return response.status, await response.text()


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        ("en;q=0.3, es-419;q=0.9", "es"),  # the weights decide, not the order
        ("de-DE,de;q=0.9,fr;q=0.2", "fr"),  # the first language the bot speaks
        ("es;q=0, en", "en"),  # q=0 means "not this one"
        ("de, *", None),
        ("es;q=abc", None),
        ("", None),
    ],
)
def test_the_browsers_language_is_read_from_accept_language(
    header: str, language: str | None
) -> None:
    assert accepted_language(header) == language


async def test_a_moderator_who_chose_spanish_gets_spanish_pages(harness: Harness) -> None:
    await seed_funnel(harness)
    await harness.command("mod", "/profile edit language es")
    async with running_dashboard(harness) as dashboard, browser("fr") as http:
        reply = await harness.reply_text("mod", "/dashboard")  # the link's reply in Spanish
        assert reply.startswith("Tu enlace de acceso al panel de esta comunidad"), reply
        found = LINK.search(reply)
        assert found is not None
        link = found.group(1)
        response = await sign_in(http, link)  # her own choice beats the browser's French
        page = await response.text()
        assert lang_of(page) == "es"
        assert "<h1>Embudo de bienvenida</h1>" in page
        assert '<th scope="col">Etapa</th>' in page
        assert ">Terminaron la bienvenida</th>" in page  # a stage of the funnel
        assert ">Cerrar sesión</button>" in page
        base = f"{dashboard.base_url}/c/{response.url.path.split('/')[2]}"
        status, members = await get(http, f"{base}/members")
        assert status == 200 and "<h1>Miembros a lo largo del tiempo</h1>" in members
        assert "Ahora hay <strong>5</strong> miembros en" in members
        # the CSV's columns are data keys, the same in every language (docs/dashboard.md)
        status, table = await get(http, f"{base}/funnel.csv")
        assert status == 200 and table.splitlines()[0] == "stage,members,share_of_joined"


async def test_a_french_browser_with_no_choice_gets_french(harness: Harness) -> None:
    await seed_funnel(harness)
    async with running_dashboard(harness), browser("fr-CA,fr;q=0.9,en;q=0.8") as http:
        link = await link_for(harness, "mod")
        status, landing = await get(http, link)
        assert status == 200 and lang_of(landing) == "fr"
        assert "Ouvrir le tableau de bord" in landing
        response = await sign_in(http, link)
        page = await response.text()
        assert lang_of(page) == "fr"
        assert "<h1>Entonnoir d’accueil</h1>" in page
        assert "Télécharger ces chiffres (CSV)" in page


async def test_the_community_language_comes_after_the_browser(harness: Harness) -> None:
    await seed_funnel(harness)
    await harness.command("mod", "/setup language=es")
    async with running_dashboard(harness):
        async with browser() as http:  # a browser that says nothing: the community's Spanish
            page = await (await sign_in(http, await link_for(harness, "mod"))).text()
            assert lang_of(page) == "es" and "<h1>Embudo de bienvenida</h1>" in page
        async with browser("de-DE,de;q=0.9") as http:  # a language we do not speak: the same
            page = await (await sign_in(http, await link_for(harness, "mod"))).text()
            assert lang_of(page) == "es"
        async with browser("fr") as http:  # a browser in French: French
            page = await (await sign_in(http, await link_for(harness, "mod"))).text()
            assert lang_of(page) == "fr"


async def test_english_stays_english(harness: Harness) -> None:
    await seed_funnel(harness)
    async with running_dashboard(harness), browser("en-GB,es;q=0.5") as http:
        page = await (await sign_in(http, await link_for(harness, "mod"))).text()
        assert lang_of(page) == "en"
        assert "<h1>Onboarding funnel</h1>" in page


async def test_refusals_speak_the_browsers_language(harness: Harness) -> None:
    await seed_funnel(harness)
    async with running_dashboard(harness) as dashboard:
        link = await link_for(harness, "mod")
        async with browser("es") as http:
            status, page = await get(http, f"{dashboard.base_url}/c/1/funnel")
            assert status == 401 and lang_of(page) == "es"
            assert "No has iniciado sesión." in page
            assert "escribe el comando dashboard en tu comunidad" in page
            status, page = await get(http, f"{dashboard.base_url}/signin?t=forged.token")
            assert status == 403 and "Este enlace de acceso no es válido." in page
        harness.clock.advance(minutes=5, seconds=1)
        async with browser("fr") as http:
            status, page = await get(http, link)
            assert status == 403 and "<h1>Lien expiré</h1>" in page


async def test_the_dashboard_command_answers_a_member_in_their_language(
    harness: Harness,
) -> None:
    await seed_funnel(harness)
    await harness.command("ann", "/profile edit language fr")
    async with running_dashboard(harness):
        refused = await harness.reply_text("ann", "/dashboard")
    assert refused.startswith("Seuls les modérateurs de cette communauté")
    await harness.command("mod", "/profile edit language es")
    off = await harness.reply_text("mod", "/dashboard")  # no dashboard running
    assert off.startswith("El panel web no está activado en este bot.")


async def test_a_settings_form_answers_in_the_pages_language(harness: Harness) -> None:
    await seed_funnel(harness)
    async with running_dashboard(harness), browser("fr") as http:
        response = await sign_in(http, await link_for(harness, "mod"))
        settings = str(response.url).replace("/funnel", "/settings")
        status, page = await get(http, settings)
        assert status == 200 and "<h1>Réglages</h1>" in page
        csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        async with http.post(
            settings, data={"csrf": csrf, "command": "tags create", "name": ""}
        ) as answered:
            shown = await answered.text()
        assert "Merci de remplir « name »." in shown, shown


# -- the pseudo-language scan ------------------------------------------------------------------

DATA_WORDS = frozenset(
    {
        # what the seeded communities hold: names, tags, platforms, the script-like tag's text
        *("mod", "ann", "bob", "cat", "dan", "eve", "bea", "fay", "gus"),
        *("Ann", "Bob", "Cat", "Dan", "Eve"),
        *("maths", "science", "script", "alert", "fake", "community", "North", "South", "West"),
        *("Maths", "name", "kind", "target", "prompt", "text", "single", "multi", "role"),
        *("UTC", "CSV"),
        # values a moderator types, shown as typed (placeholders of the forms)
        *("Europe", "Paris", "monday"),
    }
)
"""Words on the pages that are data, not the dashboard's own English."""
CALENDAR = frozenset(
    word
    for names in (
        get_month_names("abbreviated", locale="es"),
        get_month_names("wide", locale="es"),
        get_day_names("wide", locale="es"),
    )
    for name in names.values()
    for word in re.findall(r"[^\W\d_]+", str(name))
)
"""Month and day names Babel writes in the pseudo-language's locale (es)."""


async def community_words(harness: Harness) -> frozenset[str]:
    """What the communities themselves wrote or were seeded with (tag names and categories,
    member and community names, chat hashtags, titles and channels, the onboarding questions
    as stored: the settings page edits them as they are)."""
    community_id = (await harness.member("mod")).community_id
    texts: list[str] = []
    for row in await harness.store.db.fetch_all(
        "SELECT name, category FROM tags WHERE community_id = ?", (community_id,)
    ):
        texts += [str(row["name"]), str(row["category"] or "")]
    for sql in (
        "SELECT display_name, user_id FROM members",
        "SELECT hashtag, title, channel_id FROM chat_series",
        "SELECT name, space_id FROM communities",
    ):
        for row in await harness.store.db.fetch_all(sql):
            texts += [str(value or "") for value in tuple(row)]
    for question in await harness.store.onboarding.list_questions(community_id):
        texts += [question.key, question.prompt, question.target, *question.choices]
    return frozenset(word for text in texts for word in re.findall(r"[^\W\d_]+", text))


async def scan(
    http: aiohttp.ClientSession, url: str, allowed: frozenset[str] = frozenset()
) -> list[str]:
    status, page = await get(http, url)
    assert status == 200, (url, page[:300])
    assert lang_of(page) == "es"
    return untranslated(visible(page), DATA_WORDS | CALENDAR | allowed)


async def test_every_community_page_is_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_funnel(harness)
    await harness.command("mod", "/profile edit language es")
    await harness.command("mod", "/rounds setup weekly monday 09:00")
    async with running_dashboard(harness) as dashboard, browser() as http:
        response = await sign_in(http, await link_for(harness, "mod"))
        base = str(response.url).rsplit("/", 1)[0]
        allowed = await community_words(harness)
        with pseudo_translated(monkeypatch, "es"):
            left = {
                page.name: await scan(http, f"{base}/{page.name}", allowed)
                for page in dashboard.pages
            }
            left["index"] = await scan(http, f"{dashboard.base_url}/")
        assert not {name: sorted(set(words)) for name, words in left.items() if words}, left


async def test_pages_full_of_mentoring_rounds_and_chats_are_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same scan over the pages with everything in them (tests/test_dashboard_h8_pages.py's
    community: pairs, check-ins, waiting requests, rounds, chat series, runs and network legs)."""
    await seed_all(harness)
    await harness.command("mod", "/profile edit language es")
    async with running_dashboard(harness), browser() as http:
        response = await sign_in(http, await link_for(harness, "mod"))
        base = str(response.url).rsplit("/", 1)[0]
        allowed = await community_words(harness)
        with pseudo_translated(monkeypatch, "es"):
            left = {
                name: await scan(http, f"{base}/{name}", allowed)
                for name in ("mentoring", "rounds", "chats", "problems", "settings")
            }
        assert not {name: sorted(set(words)) for name, words in left.items() if words}, left


async def test_the_network_page_and_refusals_are_translated(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await seed_network(harness)
    await harness.command("mod", "/profile edit language es")
    async with running_dashboard(harness) as dashboard, browser() as http:
        link = await link_for(harness, "mod")
        with pseudo_translated(monkeypatch, "es"):
            status, landing = await get(http, link)
            assert not untranslated(visible(landing), DATA_WORDS)
            await sign_in(http, link)
            network = f"{dashboard.base_url}/n/{world.network_id}/"
            assert not await scan(http, network)
            other = f"{dashboard.base_url}/n/{world.other_network_id}/"
            status, refused = await get(http, other)
            assert status == 403 and not untranslated(visible(refused), DATA_WORDS)
        async with browser("es") as stranger:
            with pseudo_translated(monkeypatch, "es"):
                status, page = await get(stranger, network)
        assert status == 401 and not untranslated(visible(page), DATA_WORDS)
