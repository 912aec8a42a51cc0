"""Domain records the store returns: plain frozen dataclasses, no database handles inside."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from communitybot.events import CommunityRef, UserRef


@dataclass(frozen=True)
class Community:
    id: int
    ref: CommunityRef
    welcome_channel: str | None = None
    introductions_channel: str | None = None
    modlog_channel: str | None = None
    moderator_role: str | None = None
    name: str | None = None
    """How other affiliates of its network see it (`setup name=…`; also on `ref.name`)."""
    language: str | None = None
    """The language of its channels and of members who chose none (`setup language=es`);
    None is English (`communitybot.i18n.choice`)."""
    languages: tuple[str, ...] = ()
    """The languages onboarding offers (`setup languages=en,es`): more than one adds a
    question about the member's language."""


@dataclass(frozen=True)
class Member:
    id: int
    community_id: int
    ref: UserRef
    display_name: str = ""
    role: str | None = None
    timezone: str | None = None
    wants_mentor: bool | None = None
    offers_mentor: bool | None = None
    intro: str | None = None
    discoverable: bool = True
    network_visible: bool = False
    """Also found by the other affiliates of the community's network (only while
    `discoverable`); see `discover_scope`."""
    joined_at: datetime | None = None
    left_at: datetime | None = None
    language: str | None = None
    """The member's own choice (`profile edit language es`); None: their client's locale or
    the community's language decides (`communitybot.i18n.choice`)."""

    @property
    def label(self) -> str:
        return self.display_name or self.ref.user_id

    @property
    def discover_scope(self) -> str:
        """Who may find the member: "nobody", "community" or "network"."""
        if not self.discoverable:
            return "nobody"
        return "network" if self.network_visible else "community"


@dataclass(frozen=True)
class Tag:
    id: int
    community_id: int
    name: str
    category: str = "topic"
    description: str = ""
    channel_id: str | None = None
    role_id: str | None = None
    aliases: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Question:
    id: int
    community_id: int
    key: str
    position: int
    kind: str
    target: str
    prompt: str
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    tag_category: str | None = None
