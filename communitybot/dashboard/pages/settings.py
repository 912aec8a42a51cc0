"""The settings page: what moderators change by command, shown with forms that run those
commands (`communitybot.dashboard.configure`): onboarding questions, tags, chat series,
mentoring and peer-round settings. It only reads; its forms POST to /c/<id>/settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from babel import Locale
from babel.dates import get_day_names

from communitybot.dashboard.configure import NOTICES
from communitybot.dashboard.pages import Page, PageRequest
from communitybot.i18n import N_, current_language, ptr
from communitybot.i18n.dates import BABEL_LOCALES

TAGS_PER_PAGE = 50


def weekday_name(weekday: int) -> str:
    """ "Monday" (Monday is 0) as the reader writes it: "lunes", "lundi"."""
    name = get_day_names("wide", locale=Locale.parse(BABEL_LOCALES[current_language()]))[weekday]
    return str(name)


def frequency_text(frequency: str) -> str:
    """How often peer rounds run, as the page says it ("cada semana"; the stored value is the
    option typed: `weekly`)."""
    if frequency == "weekly":
        return ptr("how often", "weekly")
    if frequency == "biweekly":
        return ptr("how often", "biweekly")
    if frequency == "monthly":
        return ptr("how often", "monthly")
    return frequency


def page_number(request: PageRequest) -> int:
    raw = request.query.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


async def tags_page(request: PageRequest, number: int) -> tuple[list[Any], bool]:
    """One page of the community's tags (with aliases) and whether another follows: one query
    for the page, one for its aliases, whatever the number of tags."""
    db, community_id = request.store.db, request.community.id
    rows = await db.fetch_all(
        "SELECT id, name, category, channel_id, role_id FROM tags WHERE community_id = ?"
        " ORDER BY category, name LIMIT ? OFFSET ?",
        (community_id, TAGS_PER_PAGE + 1, (number - 1) * TAGS_PER_PAGE),
    )
    more = len(rows) > TAGS_PER_PAGE
    rows = rows[:TAGS_PER_PAGE]
    aliases: dict[int, list[str]] = {}
    if rows:
        marks = ",".join("?" * len(rows))
        for alias in await db.fetch_all(
            f"SELECT tag_id, alias FROM tag_aliases WHERE tag_id IN ({marks}) ORDER BY alias",
            [row["id"] for row in rows],
        ):
            aliases.setdefault(int(alias["tag_id"]), []).append(str(alias["alias"]))
    tags = [
        {
            "name": row["name"],
            "category": row["category"],
            "channel": row["channel_id"] or "",
            "role": row["role_id"] or "",
            "aliases": ", ".join(aliases.get(int(row["id"]), [])),
        }
        for row in rows
    ]
    return tags, more


async def view(request: PageRequest) -> dict[str, Any]:
    store, community_id = request.store, request.community.id
    number = page_number(request)
    tags, more_tags = await tags_page(request, number)
    rounds = await store.rounds.settings(community_id)
    return {
        "notice": NOTICES.take(request.query.get("done"), community_id),
        "questions": await store.onboarding.list_questions(community_id),
        "tags": tags,
        "tags_page": number,
        "more_tags": more_tags,
        "chats": await store.chats.active(community_id),
        "mentoring": await store.mentoring.settings(community_id),
        "rounds": rounds,
        "round_weekday": weekday_name(rounds.weekday) if rounds else "",
        "round_frequency": frequency_text(rounds.frequency) if rounds else "",
    }


async def table(request: PageRequest) -> Sequence[Sequence[object]]:
    """The onboarding questions in order (what the page lists first), as CSV."""
    questions = await request.store.onboarding.list_questions(request.community.id)
    return [["position", "key", "kind", "target", "prompt", "choices"]] + [
        [q.position, q.key, q.kind, q.target, q.prompt, "; ".join(q.choices)] for q in questions
    ]


PAGE = Page("settings", N_("Settings"), "settings.html", view, table)
