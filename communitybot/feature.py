"""What a capability declares, in one place: its commands, jobs, listeners and member data.

Every package under `communitybot/` that members can use (onboarding, tags, peers, ...) has a
`feature.py` with one `FEATURE = Feature(...)`. `communitybot.registry` builds everything the
bot consults from the ordered list of them: the command handlers, the job kinds, the listener
chains, `/stats` and the `/mydata` export. Nothing elsewhere lists a feature's parts again
(the tests check the declarations are complete).

Adding a command: its `Command(...)` line in the package's `catalogue.py` and its handler,
marked `@handles(<path>)` in one of the modules the package's `FEATURE.commands =
handlers_in(...)` names (as a discord.py cog or a Red cog collects its decorated commands).
The catalogue stays data only, so adapters and `/help` read it without importing a handler.
Adding a job kind: one entry in `FEATURE.jobs`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar

from communitybot.command_types import Command
from communitybot.context import CommandHandler, Context
from communitybot.events import ChannelMessage
from communitybot.job_kinds import JobKind
from communitybot.models import Community, Member
from communitybot.replies import Action
from communitybot.store.stats import MemberCounts
from communitybot.store.store import Store

Listener = Callable[[Context], Awaitable[list[Action]]]
"""A join or leave: every feature that listens answers (their actions are concatenated)."""
MessageListener = Callable[[Context, str], Awaitable[list[Action] | None]]
"""A private message: the first feature that returns actions (not None) has it."""
ChoiceListener = Callable[[Context, str, tuple[str, ...]], Awaitable[list[Action] | None]]
"""A button or menu choice (custom id, values): the first feature that claims it answers."""
ChannelListener = Callable[[Context, ChannelMessage], Awaitable[list[Action]]]
ChannelInterest = Callable[[Store, ChannelMessage], Awaitable[bool]]
"""Whether a channel message concerns the feature: one read, before any transaction."""
Seeder = Callable[[Context], Awaitable[None]]
StatsLines = Callable[[Context, MemberCounts], Awaitable[list[str]]]
"""The feature's lines of `/stats` (with the community's member counts, read once for all)."""
Exporter = Callable[[Context, Member], Awaitable[dict[str, Any]]]
"""The feature's sections of one membership in the `/mydata` export (JSON-ready values)."""
Forgetter = Callable[[Context, list[Member]], Awaitable[None]]
"""Deletes what the feature stores about the acting user's memberships for `/forgetme`."""
AfterModeratorCommand = Callable[[Context, tuple[str, ...], list[Action]], Awaitable[list[Action]]]
"""A moderator command's actions (its path given) in, the same or more actions out."""
MayWrite = Callable[[Community], bool]

H = TypeVar("H", bound=CommandHandler)
HANDLES = "__communitybot_command__"
"""The attribute `handles` sets on a handler: the catalogue path it serves."""


def handles(*path: str) -> Callable[[H], H]:
    """Mark a coroutine as the handler of the catalogue entry at `path` (`@handles("tags",
    "add")`); the function is returned unchanged. `handlers_in` collects the marked ones."""

    def mark(handler: H) -> H:
        setattr(handler, HANDLES, tuple(path))
        return handler

    return mark


def handlers_in(*modules: ModuleType) -> dict[tuple[str, ...], CommandHandler]:
    """Every handler marked `@handles(...)` and defined in these modules, by path (one
        imported from elsewhere counts where it is defined; a second name for the same function
    counts once). Two functions marked with one path raise at start."""
    out: dict[tuple[str, ...], CommandHandler] = {}
    for module in modules:
        for value in vars(module).values():
            path = getattr(value, HANDLES, None)
            if path is None or getattr(value, "__module__", None) != module.__name__:
                continue
            if path in out and out[path] is not value:
                raise ValueError(f"command {path!r} has two handlers in {module.__name__}")
            out[path] = value
    return out


@dataclass(frozen=True)
class Feature:
    name: str
    catalogue: tuple[Command, ...] = ()
    """Its entries in the command catalogue (`communitybot.commands` shows them in its menu
    order)."""
    commands: Mapping[tuple[str, ...], CommandHandler] = field(default_factory=dict)
    """A handler for each of its catalogue entries, by command path: `handlers_in(...)` of the
    package's command modules."""
    jobs: Mapping[str, JobKind] = field(default_factory=dict)
    """Its scheduled work, by job kind."""
    on_join: Listener | None = None
    on_leave: Listener | None = None
    on_message: MessageListener | None = None
    on_choice: ChoiceListener | None = None
    on_channel_message: ChannelListener | None = None
    listens_to: ChannelInterest | None = None
    """Required with `on_channel_message`: a message nobody listens to costs no write."""
    seed: Seeder | None = None
    """Sets up a community the bot sees for the first time (default questions, tags)."""
    stats: StatsLines | None = None
    export: Exporter | None = None
    forget: Forgetter | None = None
    """Only for data that does not go with the member's row: most rows reference the member
    and are deleted with it (`ON DELETE CASCADE`)."""
    after_moderator_command: AfterModeratorCommand | None = None
    """Runs after every moderator command's handler, in the same unit (the set-up hint)."""
    after_moderator_command_may_write: MayWrite | None = None
    """Required with `after_moderator_command`: whether it may write for this community. A
    read-only moderator command is answered on the read connection only when no feature's hook
    may write; the write path takes it otherwise."""
