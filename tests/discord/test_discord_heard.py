"""The Discord adapter's `last_heard`: the age of the gateway's last message (events and
heartbeat acks both set discord.py's keep-alive receive time), for the dashboard's /readyz."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from adapters.discord import DiscordBot
from adapters.discord.runner import DiscordConfig, discord_client, gateway_silence


def _ws(received_ago: float) -> Any:
    return SimpleNamespace(
        _keep_alive=SimpleNamespace(_last_recv=time.perf_counter() - received_ago)
    )


def test_the_silence_is_the_age_of_the_last_gateway_message() -> None:
    client: Any = SimpleNamespace(ws=_ws(42.0))
    silence = gateway_silence(client)
    assert silence is not None and 42.0 <= silence < 60.0


def test_with_shards_the_quietest_shard_counts() -> None:
    shards = {
        0: SimpleNamespace(_parent=SimpleNamespace(ws=_ws(5.0))),
        1: SimpleNamespace(_parent=SimpleNamespace(ws=_ws(200.0))),
    }
    client: Any = SimpleNamespace(shards=shards, ws=None)
    silence = gateway_silence(client)
    assert silence is not None and silence >= 200.0


@pytest.mark.parametrize("ws", [None, SimpleNamespace(_keep_alive=None), SimpleNamespace()])
def test_unknown_before_the_first_connection_or_if_discord_py_changes(ws: object) -> None:
    assert gateway_silence(SimpleNamespace(ws=ws)) is None  # type: ignore[arg-type]


async def test_a_real_client_not_yet_connected_has_not_been_heard() -> None:
    client = discord_client(DiscordConfig(token="x"))
    try:
        assert isinstance(client, discord.Client)
        assert gateway_silence(client) is None
    finally:
        await client.close()


async def test_a_bot_connected_to_the_gateway_was_heard_just_now(bot: DiscordBot) -> None:
    silence = bot.last_heard()
    assert silence is not None and silence < 30.0
