"""The dashboard in the reader's language: which language a page is in, and the translation
functions its templates call.

Which language (issue #17, the same order the bot follows in chat): on a community's pages,
the signed-in person's own choice there (`members.language`), then the browser's
`Accept-Language` (its first supported language), then the community's language
(`setup language`), then English. On a network's page: the person's choice in any of their
memberships, then `Accept-Language`, then English. Pages with no session (sign-in, refusals)
take the link's person and community when the link names them, else the browser's language.

Templates call `tr`, `ntr` and `ptr` (the `communitybot.i18n` functions, so `pybabel extract`
finds template texts with the same keywords as the code: babel.cfg). Why not Jinja's own
`{% trans %}` / newstyle `_()`: they format with `%(name)s`, our catalogue is
python-brace-format `{name}` shared with the bot's replies. The template versions are
markup-aware, as Jinja's newstyle gettext is: a message may carry markup
(`<strong>{label}</strong>`),
its placeholder values are escaped, and the result is not escaped again.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from communitybot.events import UserRef
from communitybot.i18n import SUPPORTED, ntr, ptr, tr
from communitybot.i18n.choice import member_language
from communitybot.i18n.languages import DEFAULT_LANGUAGE, from_locale
from communitybot.models import Community
from communitybot.store.store import Store


def accepted_language(header: str | None) -> str | None:
    """The first supported language of an `Accept-Language` header ("fr-CA,fr;q=0.9,en;q=0.8"
    → "fr"), by the browser's preference weights; None when it names none we speak."""
    if not header:
        return None
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                weight = 0.0
        code = from_locale(tag.strip())
        if code is not None and weight > 0:
            weighted.append((-weight, position, code))
    return min(weighted)[2] if weighted else None


async def community_page_language(
    store: Store, user: UserRef | None, community: Community | None, accept: str | None
) -> str:
    """A community page's language: the person's choice there → the browser → the community's."""
    member = None
    if user is not None and community is not None:
        member = await store.members.get(community.id, user)
    return member_language(member, community, accept)


async def network_page_language(store: Store, user: UserRef, accept: str | None) -> str:
    """A network page's language: the person's choice in any community (one where they are
    still a member first) → the browser → English."""
    row = await store.db.fetch_one(
        "SELECT language FROM members WHERE platform = ? AND user_id = ?"
        " AND language IS NOT NULL"
        " ORDER BY CASE WHEN left_at IS NULL THEN 0 ELSE 1 END, id DESC LIMIT 1",
        (user.platform, user.user_id),
    )
    chosen = str(row["language"]) if row is not None else None
    if chosen in SUPPORTED:
        return str(chosen)
    return accept or DEFAULT_LANGUAGE


def _escaped(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, int | float) else escape(v) for k, v in params.items()}


def template_tr(message: str, /, **params: Any) -> Markup:
    """`tr` for templates: the message is markup, its values are escaped."""
    return Markup(tr(message, **_escaped(params)))


def template_ntr(singular: str, plural: str, n: int, /, **params: Any) -> Markup:
    return Markup(ntr(singular, plural, n, **_escaped(params)))


def template_ptr(context: str, message: str, /, **params: Any) -> Markup:
    return Markup(ptr(context, message, **_escaped(params)))


TEMPLATE_GLOBALS = {"tr": template_tr, "ntr": template_ntr, "ptr": template_ptr}
"""What the dashboard's Jinja environment offers its templates (see the module docstring)."""
