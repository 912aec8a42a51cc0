"""One bot process serves a Discord guild and a Matrix space of the same network (issue #14).

The real start-up path (`communitybot.app.run` with settings naming both platforms, on a real
SQLite file) against the Discord loopback double and a real Synapse: a network created on
Discord is joined by the Matrix space; a person links their Discord and Matrix accounts (the
question and the confirmation cross platforms inside the one process, at once); `network stats`
counts them; a Discord moderator finds the Matrix member with `/peers scope=network`. Then a
process whose second platform cannot start fails with one line and leaves nothing running.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path
from typing import Any

import pytest
from nio import RoomCreateResponse, RoomPreset

from communitybot.app import EXIT_OK, run
from communitybot.command_line import EXIT_CONFIG
from communitybot.settings import Settings, load_settings
from tests.discord.gateway_double import APP_ID, MOD_ROLE, DiscordDouble, running_double
from tests.discord.helpers import ALICE, MOD, slash, sub
from tests.matrix.conftest import World
from tests.matrix.members import Member
from tests.matrix.synapse import free_port
from tests.test_logging import restore_logging

CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4})\b")
FIRST_QUESTION = "What best describes your role?"


__all__ = ["restore_logging"]  # autouse: `run` configures loguru on this test's stderr


def _settings(token: str, world: World, db: Path, rooms: list[str], **matrix: Any) -> Settings:
    """Both platforms configured, as an operator's environment would: `auto` serves both."""
    return load_settings(
        _env_file=None,
        database_path=db,
        discord={"token": token},
        matrix={
            "homeserver": world.synapse.url,
            "user_id": world.bot_id,
            "password": world.bot_account.password,
            "rooms": rooms,
            "crypto_store": db.parent / "matrix-keys",  # encryption is on by default
            **matrix,
        },
    )


async def _space(world: World) -> tuple[Member, str, str]:
    """A space created by its moderator, with a lobby room; the bot will serve the space."""
    mod = await world.member("spacemod", encrypted=True)
    space = await mod.client.room_create(
        name=f"Space {world.n}", space=True, preset=RoomPreset.public_chat
    )
    assert isinstance(space, RoomCreateResponse)
    lobby = await mod.create_room(f"Lobby {world.n}")
    await mod.client.room_put_state(
        space.room_id, "m.space.child", {"via": ["localhost"]}, state_key=lobby
    )
    await mod.join(lobby)
    return mod, space.room_id, lobby


async def _bot_serves(world: World, room: str, within: float = 30.0) -> None:
    """Wait until the bot account has joined `room` (it joins a space's rooms at start-up)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while room not in await asyncio.to_thread(world.synapse.joined_rooms, world.bot_account):
        assert loop.time() < deadline, f"the bot never joined {room}"
        await asyncio.sleep(0.2)


async def _discord_says(double: DiscordDouble, user: str, data: dict[str, Any]) -> str:
    """A slash command's answer text, whether sent at once or after a deferral."""
    interaction = await double.interact(user, 2, data)
    [callback] = await double.wait_for("POST", f"/interactions/{interaction}/", within=20)
    if callback.body["type"] == 4:
        return str(callback.body["data"]["content"])
    [follow_up] = await double.wait_for(
        "POST", f"/webhooks/{APP_ID}/token-{interaction}", within=20
    )
    return str(follow_up.body["content"])


async def _matrix_says(member: Member, bot_id: str, room: str, line: str, expect: str) -> str:
    """What the bot answers (in the member's DM room or in `room`) to a typed command."""
    mark = member.mark()
    await member.say(room, line)
    seen = await member.wait_for(
        lambda s: (
            s.sender == bot_id
            and (s.room_id in member.direct_rooms or s.room_id == room)
            and expect.casefold() in s.body.casefold()
        ),
        after=mark,
    )
    return seen.body


def _failure_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The one-line start-up failures printed since the last look (log lines aside)."""
    err = capsys.readouterr().err
    return [line for line in err.splitlines() if line.startswith("communitybot:")]


def _option(name: str, value: str) -> dict[str, Any]:
    return {"type": 3, "name": name, "value": value}


async def test_one_process_serves_a_guild_and_a_space_and_links_a_person_across_them(
    world: World, tmp_path: Path
) -> None:
    space_mod, space, lobby = await _space(world)
    bot_id = world.bot_id
    async with running_double() as double:
        double.add_user(MOD, "mod", roles=[MOD_ROLE])
        double.add_user(ALICE, "alice")
        settings = _settings(double.valid_token, world, tmp_path / "both.db", [space])
        assert settings.resolved_adapter() == "discord+matrix"
        process = asyncio.create_task(run(settings))
        try:
            async with asyncio.timeout(30):
                await double.identified.wait()
            await _bot_serves(world, lobby)

            # A network created on Discord, joined by the Matrix space.
            created = await _discord_says(
                double, MOD, slash("network", sub("create", _option("name", "Maths north")))
            )
            assert "Created the network" in created
            invite = await _discord_says(double, MOD, slash("network", sub("invite")))
            network_code = CODE.findall(invite)[0]
            joined = await _matrix_says(
                space_mod, bot_id, lobby, f"!network join {network_code}", "Maths north"
            )
            assert "now an affiliate" in joined

            # A person with an account on each: the code is asked for on Discord, typed on
            # Matrix; the question reaches the Discord account from the same process.
            alice_m = await world.member("alicem", encrypted=True)
            await alice_m.join(space)
            await alice_m.join(lobby)
            await alice_m.wait_dm(FIRST_QUESTION, sender=bot_id)
            asked = await _discord_says(double, ALICE, slash("link"))
            link_code = CODE.findall(asked)[0]
            accepted = await _matrix_says(
                alice_m, bot_id, lobby, f"!link {link_code}", "Confirm from your other account"
            )
            assert "(discord)" in accepted
            [question] = await double.wait_for("POST", "/messages", saying="Link them?")
            assert question.path == f"/channels/{double.dm_channel_of(ALICE)}/messages"
            assert "alicem" in question.body["content"]

            mark = alice_m.mark()
            await double.say_in_dm(ALICE, "yes")
            await double.wait_for("POST", "/messages", saying="Linked")
            await alice_m.wait_dm("your accounts are linked", after=mark, sender=bot_id)

            stats = await _discord_says(double, MOD, slash("network", sub("stats")))
            assert "**Across affiliates:** 1 person(s)" in stats

            # The Matrix member chooses to be found across the network; a Discord member
            # finds them with /peers scope=network.
            await _matrix_says(alice_m, bot_id, lobby, "!privacy discoverable network", "network")
            await _matrix_says(alice_m, bot_id, lobby, "!tags add maths", "maths")
            peers = await _discord_says(
                double,
                MOD,
                slash("peers", _option("tags", "maths"), _option("scope", "network")),
            )
            assert "alicem" in peers and "matrix" in peers.casefold()

            # Mentoring across the silo and the platforms: a Discord mentor, the Matrix member
            # as mentee; the steward's network round introduces each on their own platform.
            await _discord_says(
                double, MOD, slash("privacy", sub("discoverable", _option("value", "network")))
            )
            offered = await _discord_says(
                double,
                MOD,
                slash(
                    "mentor",
                    sub(
                        "offer",
                        {"type": 4, "name": "capacity", "value": 2},
                        _option("tags", "maths"),
                    ),
                ),
            )
            assert "maths" in offered
            await _matrix_says(alice_m, bot_id, lobby, "!mentor request maths", "maths")
            mark = alice_m.mark()
            matched = await _discord_says(
                double,
                MOD,
                slash("network", {"type": 2, "name": "mentors", "options": [sub("match")]}),
            )
            assert "1 of them across affiliates" in matched
            [intro] = await double.wait_for(
                "POST", "/messages", saying="matched across the network", within=20
            )
            assert "alicem" in intro.body["content"] and "Matrix" in intro.body["content"]
            met = await alice_m.wait_dm("matched across the network", after=mark, sender=bot_id)
            assert "“mod”" in met.body.casefold() and "discord" in met.body.casefold()
        finally:
            if not process.done():
                os.kill(os.getpid(), signal.SIGTERM)  # as `docker stop` does: both stop
        assert await asyncio.wait_for(process, 30) == EXIT_OK
        assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("communitybot-")]


async def test_a_second_platform_that_cannot_start_fails_the_start_in_one_line(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_double() as double:
        settings = _settings(
            double.valid_token,
            world,
            tmp_path / "away.db",
            [],
            homeserver=f"http://127.0.0.1:{free_port()}",  # nobody listens there
        )
        capsys.readouterr()
        assert await run(settings) == EXIT_CONFIG
        failures = [
            line
            for line in capsys.readouterr().err.splitlines()
            if line.startswith("communitybot:")
        ]
        assert len(failures) == 1
        assert failures[0].startswith("communitybot: cannot reach the Matrix homeserver")
        assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("communitybot-")]

        # A wrong Discord token, while the Matrix account logs in fine.
        settings = _settings("not-the-bots-token", world, tmp_path / "refused.db", [])
        assert await run(settings) == EXIT_CONFIG
        [failure] = [
            line
            for line in capsys.readouterr().err.splitlines()
            if line.startswith("communitybot:")
        ]
        assert failure.startswith("communitybot: Discord rejected the bot token")
        assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("communitybot-")]
