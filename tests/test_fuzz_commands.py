"""Property-based tests of the bot's front door: every command, button and DM text.

Hypothesis generates lines from the catalogue (every command path, options positional or
named, misspelt option names, random unicode, huge numbers, long strings, mentions like
`@everyone` and `<@123>`), button presses with random custom ids and DM text. Each example runs
on a fresh copy of one populated community (`tests/fuzz_world.py`) and must not crash, must not
write after a refused command, and must not show the hidden member's name or private fields to
anyone else. The examples are derandomised and bounded so the suite stays quick (well under a
minute); `python -m benchmarks.fuzz --examples 20000` searches much further.

Every failure fails the test with a shortest reproducer. (Unicode digits, huge integers and far
dates crashed the bot when these tests were written; they are clear answers now and are
generated like any other input.)
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from communitybot import registry
from communitybot.commands import CATALOGUE
from tests.fuzz_world import (
    MOD,
    Line,
    Step,
    actors,
    build_snapshot,
    describe,
    examples,
    raw_commands,
    run_example,
)


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "snapshot.db"
    asyncio.run(build_snapshot(path))
    work = folder / "work"
    work.mkdir()
    return path, work


def _check(snapshot: tuple[Path, Path], example: list[Step]) -> None:
    outcome = asyncio.run(run_example(*snapshot, example))
    if outcome.problems:
        pytest.fail("\n".join(outcome.problems) + "\nreproducer:\n" + describe(example))


@fuzz(150)
@given(example=examples)
def test_any_command_button_or_dm_is_answered_without_crash_or_leak(
    snapshot: tuple[Path, Path], example: list[Step]
) -> None:
    _check(snapshot, example)


members = actors.filter(lambda actor: actor != MOD.user_id)
moderator_lines = st.sampled_from([c for c in CATALOGUE if c.moderator_only]).map(
    lambda command: "/" + command.name
)


@fuzz(40)
@given(
    example=st.lists(
        st.one_of(
            st.builds(Line, members, moderator_lines),
            raw_commands,
        ),
        min_size=1,
        max_size=3,
    )
)
def test_a_refused_command_writes_nothing(snapshot: tuple[Path, Path], example: list[Step]) -> None:
    outcome = asyncio.run(run_example(*snapshot, example))
    assert outcome.refused + outcome.parse_errors == len(example)
    assert not outcome.problems, "\n".join(outcome.problems) + "\n" + describe(example)


def test_the_checks_see_a_crash_and_allow_a_typed_mention(
    snapshot: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks are real: a crashing handler is seen, a typed mention is no leak, and the
    inputs that crashed before (huge numbers, unicode digits) are clear answers now."""

    async def crashing(ctx: object, options: object) -> list[object]:
        raise RuntimeError("a handler bug")

    monkeypatch.setitem(registry.COMMANDS, ("follow",), crashing)
    crash = [Line("u-alice", "/follow 1")]
    assert any("apologised" in p for p in asyncio.run(run_example(*snapshot, crash)).problems)
    monkeypatch.undo()
    for line in ("/follow 99999999999999999999999", "/rounds pause ²", "/resolve 1₃ done"):
        assert asyncio.run(run_example(*snapshot, [Line("u-alice", line)])).problems == []
    named = [Line("u-alice", "/profile show <@u-hidden>")]
    assert asyncio.run(run_example(*snapshot, named)).problems == []
