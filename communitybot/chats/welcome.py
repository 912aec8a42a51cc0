"""Lines a chat's welcome shares between a community chat (`chats.run`) and each leg of a
network chat (`chats.legs`), in the current language (the caller picks the community's)."""

from __future__ import annotations

from communitybot.chats.input import MAX_DESCRIPTION
from communitybot.i18n import ntr, tr
from communitybot.text import quote


def about_line(description: str) -> str:
    """The welcome's line with the series' description (the description itself as written)."""
    return tr("About this chat: {description}", description=quote(description, MAX_DESCRIPTION))


def questions_line(count: int) -> str:
    """The welcome's line on how questions come (or that the chat is an open conversation)."""
    if not count:
        return tr("An open conversation today: say hello and jump in.")
    return ntr(
        "{n} question will come as **Q1**: start your answer with its number, e.g. "
        "`A1 I use exit tickets`.",
        "{n} questions will come as **Q1**, **Q2**, …: start your answer with its number, e.g. "
        "`A1 I use exit tickets`.",
        count,
    )
