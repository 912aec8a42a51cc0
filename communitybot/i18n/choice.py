"""Which language a member, a channel or an event is answered in.

The order the issue settled: the member's own choice (`profile edit language es`, or the
onboarding question when the community offers several) → the locale of the client they typed
from (a Discord interaction's locale, the console's `:lang`) → the community's default
(`setup language es`) → English. A channel is read by everyone, so it gets the community's
language; an introduction between two members is written once per member, in each one's own.
"""

from __future__ import annotations

from communitybot.events import Event
from communitybot.i18n.languages import DEFAULT_LANGUAGE, from_locale
from communitybot.models import Community, Member


def event_locale(event: Event | None) -> str | None:
    """The language of the client an event came from, when the platform says."""
    locale = getattr(event, "locale", None)
    return from_locale(locale) if isinstance(locale, str) else None


def member_language(
    member: Member | None, community: Community | None, locale: str | None = None
) -> str:
    """The language to write to `member` in (see the module docstring for the order);
    `locale` is their client's ("es-419", an event's `locale`, a browser's choice), if known."""
    if member is not None and member.language:
        return member.language
    return from_locale(locale) or community_language(community)


def community_language(community: Community | None) -> str:
    """The language of a community's channels: its default, else English."""
    if community is not None and community.language:
        return community.language
    return DEFAULT_LANGUAGE
