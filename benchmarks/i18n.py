"""What translating costs a reply: `/peers` answered in English, Spanish and French.

    python -m benchmarks.i18n [--members 2000] [--searches 600]

A fresh SQLite store and Bot (real file, real clock, a recording platform: the core only) get
`--members` members, each with 3 of 30 tags, a third of them with `profile edit language es`,
a third `fr`, the rest none (English). Then `--searches` `/peers` commands, from members of
the three languages in turn (so machine noise falls on all three alike), are timed from dispatch
to delivered reply. Inside each reply the time spent translating — the catalogue lookups and
the placeholder formatting of every `tr`/`ntr` call — is summed by wrapping the two functions
`communitybot.i18n.translate` routes every call through (the wrappers' own cost is counted in
too, so the figure errs high). Prints a Markdown table: `/peers` p50 and p99 per language, the
translation time per reply (median, p99) and its share of `/peers`' p99 (issue #17's goal:
under 5 %). Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loguru import logger

from benchmarks.figures import quantile
from communitybot.bot import Bot
from communitybot.clock import SystemClock
from communitybot.command_parser import parse_command_line
from communitybot.events import CommandInvoked, CommunityRef, ConversationRef, MemberJoined, UserRef
from communitybot.i18n import translate
from communitybot.peers.index import PeerIndex
from communitybot.rate_limits import RateLimiter
from communitybot.store.store import Store
from tests.fakes import FakePlatform

COMMUNITY = CommunityRef("bench", "languages")
TAGS = [f"topic-{n}" for n in range(30)]
LANGUAGES = ("en", "es", "fr")


def _command(name: str, line: str) -> CommandInvoked:
    parsed = parse_command_line(line, "/", lambda raw: UserRef("bench", raw))
    return CommandInvoked(
        COMMUNITY,
        UserRef("bench", name, name),
        ConversationRef("bench", "channel", "general"),
        parsed.command.path,
        parsed.options,
    )


class TranslationClock:
    """Sums the seconds spent in the translation functions' two steps."""

    def __init__(self) -> None:
        self.spent = 0.0

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent += time.perf_counter() - started

        return timed


async def _prepare(bot: Bot, members: int) -> dict[str, list[str]]:
    await bot.dispatch(_command("moderator", "/setup welcome_channel=welcome"))
    speakers: dict[str, list[str]] = {code: [] for code in LANGUAGES}
    for n in range(members):
        name = f"member{n}"
        await bot.dispatch(MemberJoined(COMMUNITY, UserRef("bench", name, name)))
        tags = ", ".join(TAGS[(n * 7 + k) % len(TAGS)] for k in range(3))
        await bot.dispatch(_command(name, f"/tags add {tags}"))
        code = LANGUAGES[n % 3]
        if code != "en":
            await bot.dispatch(_command(name, f"/profile edit language {code}"))
        speakers[code].append(name)
    return speakers


def _ms(values: list[float], q: float) -> float:
    return quantile(values, q) * 1000


async def main(members: int, searches: int) -> None:
    logger.remove()
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(Path(folder) / "i18n.db")
        try:
            platform = FakePlatform(name=COMMUNITY.platform)
            platform.moderators.add("moderator")
            clock = SystemClock()
            limits = RateLimiter(store, platform, clock, enabled=False)
            bot = Bot(store, platform, clock, PeerIndex(), "/", limits)
            speakers = await _prepare(bot, members)
            counter = TranslationClock()
            real_catalogue, real_render = translate.catalogue, translate._render
            translate.catalogue = counter.wrap(real_catalogue)  # type: ignore[assignment]
            translate._render = counter.wrap(real_render)
            waits: dict[str, list[float]] = {code: [] for code in LANGUAGES}
            spent: dict[str, list[float]] = {code: [] for code in LANGUAGES}
            try:
                for k in range(searches):
                    code = LANGUAGES[k % 3]
                    name = speakers[code][(k // 3) % len(speakers[code])]
                    platform.take()
                    counter.spent = 0.0
                    started = time.perf_counter()
                    await bot.dispatch(_command(name, "/peers"))
                    waits[code].append(time.perf_counter() - started)
                    spent[code].append(counter.spent)
            finally:
                translate.catalogue, translate._render = real_catalogue, real_render
        finally:
            await store.close()
    print(
        f"`/peers` through the core, {members:,} members, {searches} searches in turn "
        "(English, Spanish, French)\n"
    )
    print(
        "| language | `/peers` p50 | p99 | translating per reply: median | p99 | "
        "share of `/peers` p99 |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for code in LANGUAGES:
        p99 = _ms(waits[code], 0.99)
        median_us = statistics.median(spent[code]) * 1e6
        p99_us = _ms(spent[code], 0.99) * 1000
        print(
            f"| {code} | {_ms(waits[code], 0.5):.2f} ms | {p99:.2f} ms | {median_us:.0f} µs | "
            f"{p99_us:.0f} µs | {p99_us / 1000 / p99:.1%} |"
        )


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--searches", type=int, default=600)
    options = parser.parse_args()
    asyncio.run(main(options.members, options.searches))


if __name__ == "__main__":
    cli()
