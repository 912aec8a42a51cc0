"""Several communities in one console run (`:community NAME`): typed through the console session
with the real Bot and store, asserting the lines a person trying the bot reads.

Each community is its own island (members, tags, moderators, /peers); a person may join several;
once a run has two communities every line says which one it belongs to, and a run with one
prints exactly what it always did.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.console.platform import ConsolePlatform
from adapters.console.runner import ConsoleSession
from adapters.console.translate import HELP_TEXT
from communitybot.bot import Bot
from communitybot.clock import FakeClock
from communitybot.events import CommunityRef, Event, UserRef
from communitybot.peers.index import PeerIndex
from communitybot.store.store import Store
from tests.test_readme import ROOT, code_block_after

LOCAL = CommunityRef("console", "local")
SCHOOL_A = CommunityRef("console", "school-a")
SCHOOL_B = CommunityRef("console", "school-b")


@dataclass
class Console:
    session: ConsoleSession
    out: io.StringIO
    dispatched: list[Event]

    async def type(self, text: str) -> list[str]:
        """Type each line of `text`; the lines printed for them."""
        start = len(self.out.getvalue())
        for line in text.splitlines():
            assert await self.session.handle(line)
        return self.out.getvalue()[start:].splitlines()

    def at(self, where: str) -> list[str]:
        """The text of every line printed to `[where]`, prefix removed."""
        prefix = f"[{where}]"
        return [
            line[len(prefix) :].strip()
            for line in self.out.getvalue().splitlines()
            if line.startswith(prefix)
        ]


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    store = await Store.open(tmp_path / "bot.db")
    out = io.StringIO()
    platform = ConsolePlatform(out, tmp_path / "files")
    bot = Bot(store, platform, FakeClock(), PeerIndex(), prefix="/")
    dispatched: list[Event] = []
    real_dispatch = bot.dispatch

    async def recording(event: Event) -> None:
        dispatched.append(event)
        await real_dispatch(event)

    bot.dispatch = recording  # type: ignore[method-assign]
    try:
        yield Console(ConsoleSession(bot, platform, LOCAL), out, dispatched)
    finally:
        await store.close()


TWO_SCHOOLS = """\
:community school-a
:join alice
/tags add maths
:join bob
/tags add maths
:community school-b
:join carol
/tags add maths
:join alice
/tags add maths, science
"""


async def test_a_member_in_two_communities_finds_only_each_communitys_peers(
    console: Console,
) -> None:
    await console.type(TWO_SCHOOLS)
    await console.type(":as carol\n/peers maths")
    carol = "\n".join(console.at("school-b reply:carol"))
    assert "alice" in carol, console.out.getvalue()
    assert "bob" not in carol, "bob is only in school-a"
    await console.type(":community school-a\n:as bob\n/peers maths")
    bob = "\n".join(console.at("school-a reply:bob"))
    assert "alice" in bob, console.out.getvalue()
    assert "carol" not in bob, "carol is only in school-b"
    await console.type(":as alice\n/profile show")
    profile = "\n".join(console.at("school-a reply:alice"))
    assert "maths" in profile.casefold() and "science" not in profile.casefold(), (
        "alice's tags in school-b stay in school-b"
    )


async def test_every_line_acts_in_the_current_community(console: Console) -> None:
    await console.type(":join ann")
    await console.type(
        ":community school-a\n:join alice\n/help\n#general> hi all\nhello\n:leave alice"
    )
    await console.type(":community local\n:as ann\n/help\nann#general> back home")
    assert [event.community for event in console.dispatched] == [LOCAL] + [SCHOOL_A] * 5 + [
        LOCAL
    ] * 2


async def test_once_there_are_two_communities_every_output_names_its_community(
    console: Console,
) -> None:
    before = await console.type(":join ann\n/tags add maths")
    assert "[dm:ann] 👋 Welcome to the community, ann!" in before
    assert "[reply:ann] Added **maths** to your profile." in before
    after = await console.type(":community school-a\n:join ann\n/tags add maths\n:mod ann")
    assert after[0] == (
        "[console] You are now in community school-a (new in this run: `:join NAME` adds its"
        " members)."
    )
    assert "[console] ann joined school-a; you are now ann." in after
    assert "[dm:ann from school-a] 👋 Welcome to the community, ann!" in after
    assert "[school-a reply:ann] Added **maths** to your profile." in after
    assert "[console] ann is now a moderator of school-a." in after
    back = await console.type(":community local\n/tags add science\n:leave ann")
    assert "[local reply:ann] Added **science** to your profile." in back
    assert "[console] ann left local." in back
    unlabelled = [
        line
        for line in console.out.getvalue().splitlines()[len(before) :]
        if not line.startswith(("[console]", "[local ", "[school-a ", "[dm:ann from "))
    ]
    assert not unlabelled


async def test_a_dm_is_the_members_own_conversation_saying_which_community_wrote(
    console: Console,
) -> None:
    await console.type(":community school-a\n:join alice\n:community school-b\n:join alice")
    assert console.at("dm:alice from school-a")[0] == "👋 Welcome to the community, alice!"
    assert console.at("dm:alice from school-b")[0] == "👋 Welcome to the community, alice!"
    # A private message goes to the bot in the current community: it answers school-b's question.
    answered = await console.type("1")
    assert answered and all(line.startswith("[dm:alice from school-b]") for line in answered)
    assert any("Question 2 of" in line for line in answered)


async def test_a_moderator_of_one_community_is_not_one_of_another(console: Console) -> None:
    await console.type(":community school-a\n:mod bob\n:join bob\n/setup")
    assert not any("Only moderators" in line for line in console.at("school-a reply:bob"))
    await console.type(":community school-b\n:join bob\n/setup")
    assert any("Only moderators" in line for line in console.at("school-b reply:bob"))


async def test_community_alone_names_the_current_one_and_the_runs_communities(
    console: Console,
) -> None:
    assert await console.type(":community") == [
        "[console] You are in community local. Communities in this run: local. "
        "`:community NAME` switches (a new name starts a community)."
    ]
    await console.type(":community school-b\n:community school-a\n:community school-b")
    assert console.at("console")[-1] == "You are now in community school-b."
    assert await console.type(":community school-b\n:community") == [
        "[console] You are already in community school-b.",
        "[console] You are in community school-b. Communities in this run: local, school-b, "
        "school-a. `:community NAME` switches (a new name starts a community).",
    ]


@pytest.mark.parametrize(
    "line",
    [":community school/a", ":community two words", f":community {'x' * 65}"],
)
async def test_a_bad_community_name_is_refused_and_nothing_switches(
    console: Console, line: str
) -> None:
    said = await console.type(f"{line}\n:join ann")
    assert said[0].startswith("[console] A community name is one word of letters, digits")
    assert "[console] ann joined; you are now ann." in said, "still in local, and unlabelled"
    assert console.session.community == LOCAL


async def test_a_name_of_64_characters_is_a_community(console: Console) -> None:
    name = "école-" + "x" * 58
    assert await console.type(f":community {name}") == [
        f"[console] You are now in community {name} (new in this run: `:join NAME` adds its"
        " members)."
    ]


async def test_one_community_prints_as_it_always_did(console: Console) -> None:
    said = await console.type(
        ":community\n:community local\n:join alice\n/tags add maths\n/frobnicate\n:mod alice\n"
        ":leave alice"
    )
    assert said[:2] == [
        "[console] You are in community local. Communities in this run: local. "
        "`:community NAME` switches (a new name starts a community).",
        "[console] You are already in community local.",
    ]
    assert said[2] == "[console] alice joined; you are now alice."
    assert "[dm:alice] 👋 Welcome to the community, alice!" in said
    assert "[reply:alice] Added **maths** to your profile." in said
    assert any(line.startswith("[reply:alice] I don't know `/frobnicate`") for line in said)
    assert said[-2:] == [
        "[console] alice is now a moderator.",
        "[console] alice left the community.",
    ]
    prefixes = {line.partition("]")[0] + "]" for line in said}
    assert prefixes == {"[console]", "[dm:alice]", "[reply:alice]"}, said


async def test_role_changes_and_prompts_name_the_community_once_there_are_several(
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    platform = ConsolePlatform(out, tmp_path / "files")
    alice = UserRef("console", "alice", "alice")
    await platform.grant_role(SCHOOL_A, alice, "maths-fans")
    await platform.grant_role(SCHOOL_B, alice, "mods")
    await platform.revoke_role(SCHOOL_A, alice, "maths-fans")
    assert out.getvalue().splitlines() == [
        "[roles] alice +maths-fans",
        "[school-b roles] alice +mods",
        "[school-a roles] alice -maths-fans",
    ]
    assert await platform.is_moderator(SCHOOL_B, alice, "mods")
    assert not await platform.is_moderator(SCHOOL_A, alice, "mods"), "a role is per community"


async def test_the_prompt_and_help_mention_the_community(console: Console) -> None:
    await console.type(":join alice")
    assert console.session.prompt == "alice> "
    await console.type(":community school-a")
    assert console.session.prompt == "alice@school-a> "
    assert ":community NAME" in HELP_TEXT
    help_lines = await console.type(":help")
    assert any(":community NAME" in line for line in help_lines)


async def test_the_docs_example_does_what_it_says(console: Console) -> None:
    page = (ROOT / "docs" / "console.md").read_text("utf-8")
    await console.type(code_block_after(page, "## Several communities in one run", "text"))
    bob = console.at("school-b reply:bob")
    assert any(line.startswith("1. alice") for line in bob), console.out.getvalue()
    assert "science" not in "\n".join(bob)
    assert console.at("console")[-1].startswith(
        "You are in community school-b. Communities in this run: local, school-b."
    )
    assert console.at("dm:alice"), "before the switch, alice's welcome is unlabelled"
    assert console.at("dm:alice from school-b")
