"""The feature declarations are complete: every command, job kind, `/stats` line, `/mydata`
section and `/forgetme` deletion comes from exactly one feature, and nothing is left out."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from communitybot import registry
from communitybot.commands import CATALOGUE
from communitybot.context import Context, NoActingMember
from communitybot.feature import HANDLES, Feature, handlers_in, handles
from communitybot.store.store import Store
from tests.conftest import Harness
from tests.schema import columns_referencing

MEMBERSHIP_KEYS = [
    "community",
    "profile",
    "tags",
    "onboarding",
    "chat_subscriptions",
    "chat_messages",
    "chats_hosted",
    "mentoring",
    "problems_of_practice",
    "peer_rounds",
    "network_stewardships",
    "peer_introductions",
    "pending_confirmation",
    "open_question",
]
"""The `/mydata` layout members (and their tools) already know: it must not move."""


def _declaring(path: tuple[str, ...]) -> list[str]:
    return [f.name for f in registry.FEATURES if path in f.commands]


@pytest.mark.parametrize("command", CATALOGUE, ids=lambda c: c.name)
def test_every_catalogue_command_has_a_handler_declared_by_exactly_one_feature(
    command: Any,
) -> None:
    owners = _declaring(command.path)
    assert len(owners) == 1, f"{command.name} is handled by {owners or 'no feature'}"
    (owner,) = [f for f in registry.FEATURES if f.name == owners[0]]
    assert command in owner.catalogue, f"{command.name}: handler and entry in different features"


@pytest.mark.parametrize("feature", registry.FEATURES, ids=lambda f: f.name)
def test_a_feature_handles_exactly_its_catalogue_entries(feature: Feature) -> None:
    assert set(feature.commands) == {c.path for c in feature.catalogue}


def test_the_menu_shows_every_declared_command_once() -> None:
    declared = Counter(c.path for f in registry.FEATURES for c in f.catalogue)
    shown = Counter(c.path for c in CATALOGUE)
    assert shown == declared
    assert max(shown.values()) == 1
    assert set(registry.COMMANDS) == set(shown)


@pytest.mark.parametrize("feature", registry.FEATURES, ids=lambda f: f.name)
def test_each_handler_is_marked_with_its_own_catalogue_path(feature: Feature) -> None:
    """A new command is its catalogue line and its `@handles(...)` handler: nothing else."""
    for path, handler in feature.commands.items():
        assert getattr(handler, HANDLES) == path, handler


def test_two_handlers_for_one_path_stop_the_bot_at_start() -> None:
    module = ModuleType("communitybot.somefeature")

    async def first(ctx: Context, options: dict[str, Any]) -> list[Any]:
        return []

    async def second(ctx: Context, options: dict[str, Any]) -> list[Any]:
        return []

    for name, function in (("first", first), ("second", second), ("again", first)):
        function.__module__ = module.__name__
        setattr(module, name, handles("help")(function))
    elsewhere = ModuleType("communitybot.other")
    elsewhere.first = first  # type: ignore[attr-defined]
    assert handlers_in(elsewhere) == {}, "an imported handler counts where it is defined"
    with pytest.raises(ValueError, match="two handlers"):
        handlers_in(module)


def test_every_job_kind_is_declared_by_exactly_one_feature() -> None:
    declared = Counter(kind for f in registry.FEATURES for kind in f.jobs)
    assert declared and max(declared.values()) == 1
    assert set(registry.JOB_KINDS) == set(declared)


def test_a_command_or_job_declared_twice_stops_the_bot_at_start() -> None:
    with pytest.raises(ValueError, match="declared by two features"):
        registry._merged([{("help",): 1}, {("help",): 2}], "command")


def test_every_feature_with_figures_or_data_has_its_place_in_stats_and_mydata() -> None:
    names = [f.name for f in registry.FEATURES]
    assert len(set(names)) == len(names)
    assert {f.name for f in registry.FEATURES if f.stats} == {f.name for f in registry.STATS_ORDER}
    assert {f.name for f in registry.FEATURES if f.export} == {
        f.name for f in registry.EXPORT_ORDER
    }
    for feature in registry.FEATURES:
        assert (feature.on_channel_message is None) == (feature.listens_to is None), feature.name
        assert (feature.after_moderator_command is None) == (
            feature.after_moderator_command_may_write is None
        ), feature.name


def test_the_set_up_hint_is_moderations_declared_hook() -> None:
    """The registry knows no feature by name: the hint runs because moderation declares it."""
    source = Path(registry.__file__).read_text()
    assert "first_steps" not in source
    owners = [f.name for f in registry.FEATURES if f.after_moderator_command is not None]
    # Onboarding's hook only re-reads which network questions a community asks after
    # `network join|leave|create`; the hint is moderation's.
    assert owners == ["onboarding", "moderation"]


def _export_methods(store: Store) -> list[tuple[str, str]]:
    return [
        (repository_name, name)
        for repository_name, repository in vars(store).items()
        if repository_name not in ("db", "reader")
        for name in dir(repository)
        if name.startswith("export") and callable(getattr(repository, name))
    ]


async def test_mydata_reaches_every_repository_that_can_export_member_data(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repository that can export a member's rows but no feature asks it: the data would be
    missing from `/mydata`, silently. This fails instead."""
    reached: set[tuple[str, str]] = set()
    methods = _export_methods(harness.store)
    assert ("asks", "export_for_member") in methods and ("adapter_data", "export") in methods
    for repository_name, name in methods:
        repository = getattr(harness.store, repository_name)
        original = getattr(repository, name)

        async def recording(*args: Any, _key: Any = (repository_name, name), _f: Any = original):
            reached.add(_key)
            return await _f(*args)

        monkeypatch.setattr(repository, name, recording)
    await harness.join("alice")
    harness.platform.take()
    await harness.command("alice", "/mydata")
    (file,) = harness.platform.attachments("reply:alice")
    data = json.loads(file.content)
    assert [list(m) for m in data["memberships"]] == [MEMBERSHIP_KEYS]
    assert list(data) == [
        "exported_at",
        "platform",
        "user_id",
        "linking",
        "memberships",
        "private_conversations",
    ]
    assert set(methods) - reached == set()


async def _member_rows(harness: Harness, member_id: int) -> dict[str, int]:
    """Rows in every table that references the members table, for one member id."""
    counts: dict[str, int] = {}
    for table, column in await columns_referencing(harness.store.db, "members"):
        row = await harness.store.db.fetch_one(
            f"SELECT count(*) FROM {table} WHERE {column} = ?", (member_id,)
        )
        assert row is not None
        counts[f"{table}.{column}"] = int(row[0])
    return counts


async def test_forgetme_leaves_no_row_that_references_the_member(harness: Harness) -> None:
    await harness.join("alice")
    await harness.join("bob")
    await harness.say("alice", "1")
    await harness.give_tags("alice", "maths")
    await harness.give_tags("bob", "maths")
    await harness.command("alice", "/mentor offer 1 maths")
    await harness.command("bob", "/mentor request maths")
    await harness.command("alice", "/rounds join")
    await harness.command("alice", "/ask How do I mark faster?")
    alice = await harness.find_member("alice")
    assert alice is not None
    before = await _member_rows(harness, alice.id)
    assert sum(before.values()) >= 5, before
    await harness.command("alice", "/forgetme")
    await harness.say("alice", "yes")
    after = await _member_rows(harness, alice.id)
    assert {table: n for table, n in after.items() if n} == {}


async def test_a_job_context_has_no_acting_member(harness: Harness) -> None:
    ctx = Context(
        harness.store,
        harness.clock,
        harness.platform,
        harness.bot.peers,
        "/",
        harness.clock.now(),
        harness.bot.features,
    )
    assert not ctx.is_moderator
    with pytest.raises(NoActingMember):
        _ = ctx.member
    with pytest.raises(NoActingMember):
        _ = ctx.community


def test_the_running_bot_imports_nothing_dev_only() -> None:
    """scipy, hypothesis and the benchmarks' synthetic data are for tests and yardsticks."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import communitybot\n"
        "for info in pkgutil.walk_packages(communitybot.__path__, 'communitybot.'):\n"
        "    importlib.import_module(info.name)\n"
        "leaked = [m for m in sys.modules if m.split('.')[0] in "
        "('scipy', 'hypothesis', 'benchmarks', 'tests', 'pytest')]\n"
        "assert not leaked, leaked\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)
