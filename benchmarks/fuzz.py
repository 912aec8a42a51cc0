"""A long property-based run over the bot's front door: every command, button and DM text.

    python -m benchmarks.fuzz [--examples 20000] [--seed 1]

The same generator and checks as `tests/test_fuzz_commands.py` (see `tests/fuzz_world.py`),
with many more examples and without stopping at the first failure: each example runs on a
fresh copy of one populated community and must not crash (exception, the "something went
wrong" apology, an ERROR log), must not write after a refused command and must not show the
hidden member's name or private fields to anyone else. Prints a Markdown table of examples
run and failures found, then each distinct failure once with its shortest reproducer.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings
from loguru import logger

from tests.fuzz_world import Step, build_snapshot, describe, examples, run_example

_STEP = re.compile(r"^step \d+ \((.*?)\): ", re.S)


def signature(problem: str) -> str:
    """A failure without its example-specific parts, so repeats count once."""
    text = _STEP.sub("", problem).split("\n")[0]
    text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+", "", text)
    return text[:160]


def main(count: int, chosen_seed: int) -> None:
    logger.remove()
    stats: Counter[str] = Counter()
    new: dict[str, list[Step]] = {}
    with tempfile.TemporaryDirectory() as folder:
        snapshot, work = Path(folder) / "snapshot.db", Path(folder) / "work"
        work.mkdir()
        asyncio.run(build_snapshot(snapshot))

        @seed(chosen_seed)
        @settings(
            max_examples=count,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(example=examples)
        def explore(example: list[Step]) -> None:
            outcome = asyncio.run(run_example(snapshot, work, example))
            stats["examples"] += 1
            stats["steps"] += len(example)
            stats["parse errors"] += outcome.parse_errors
            stats["refused"] += outcome.refused
            if not outcome.problems:
                return
            stats["new"] += 1
            for problem in outcome.problems:
                key = signature(problem)
                if key not in new or len(str(example)) < len(str(new[key])):
                    new[key] = example

        started = time.perf_counter()
        explore()
        elapsed = time.perf_counter() - started
    print(f"Fuzzing the front door: seed {chosen_seed}, {elapsed:,.0f} s\n")
    print(
        "| examples | steps | parse errors (friendly) | refused (nothing written) |"
        " failing examples | distinct failures |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {stats['examples']:,} | {stats['steps']:,} | {stats['parse errors']:,} | "
        f"{stats['refused']:,} | {stats['new']:,} | {len(new)} |"
    )
    for key, example in new.items():
        print(f"\nFAILURE: {key}\n{describe(example)}")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    main(options.examples, options.seed)


if __name__ == "__main__":
    cli()
