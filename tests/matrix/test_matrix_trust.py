"""The trust policy's decisions on a real matrix-nio key store (in memory; no homeserver):
first sight under `tofu` and `verified`, and a member's device whose keys change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from loguru import logger
from nio import AsyncClient, AsyncClientConfig, KeysQueryResponse
from nio.crypto import OlmDevice
from nio.store import SqliteMemoryStore

from adapters.matrix.crypto import Crypto

pytest.importorskip("vodozemac", reason="install the encryption extra: pip install -e .")

ALICE = "@alice:localhost"


@pytest.fixture
def lines() -> Iterator[list[str]]:
    seen: list[str] = []
    sink = logger.add(lambda message: seen.append(str(message)), format="{message}")
    try:
        yield seen
    finally:
        logger.remove(sink)


def _crypto(tmp_path: Path, trust: str) -> tuple[AsyncClient, Crypto, OlmDevice]:
    client = AsyncClient(
        "http://127.0.0.1:9",
        "@bot:localhost",
        device_id="BOTDEVICE",
        config=AsyncClientConfig(encryption_enabled=True, store=SqliteMemoryStore),
    )
    client.user_id = "@bot:localhost"  # nio sets it on log-in
    client.load_store()
    assert client.olm is not None
    state: Any = SimpleNamespace(db=SimpleNamespace(declare_personal_data=lambda holder: None))
    crypto = Crypto(client, state, tmp_path / "keys", trust)
    phone = OlmDevice(ALICE, "PHONE", {"ed25519": "first-ed25519", "curve25519": "first-curve"})
    client.olm.device_store.add(phone)
    client.olm.store.save_device_keys({ALICE: {"PHONE": phone}})
    return client, crypto, phone


def _keys_query_answers(client: AsyncClient, ed25519: str) -> None:
    async def keys_query() -> KeysQueryResponse:
        keys = {"ed25519:PHONE": ed25519, "curve25519:PHONE": "first-curve"}
        return KeysQueryResponse({ALICE: {"PHONE": {"keys": keys}}}, {})

    client.keys_query = keys_query  # type: ignore[method-assign]


async def test_tofu_trusts_a_new_device_and_logs_a_changed_key_without_the_key(
    tmp_path: Path, lines: list[str]
) -> None:
    client, crypto, phone = _crypto(tmp_path, "tofu")
    crypto.apply_trust()
    assert phone.verified  # first sight

    _keys_query_answers(client, "second-ed25519")
    await crypto._query_keys()
    changed = [line for line in lines if "different keys" in line]
    assert changed and "PHONE" in changed[0] and ALICE in changed[0]
    assert not any("ed25519" in line or "first-curve" in line for line in lines)  # no keys
    assert phone.verified and not phone.blacklisted  # logged; nio keeps the first key


async def test_verified_gives_unverified_and_changed_devices_no_keys(
    tmp_path: Path, lines: list[str]
) -> None:
    client, crypto, phone = _crypto(tmp_path, "verified")
    crypto.apply_trust()
    assert phone.blacklisted  # never verified: no room keys

    client.unblacklist_device(phone)
    client.verify_device(phone)  # verified out of band …
    crypto.apply_trust()
    assert phone.verified
    _keys_query_answers(client, "second-ed25519")  # … then its keys change
    await crypto._query_keys()
    assert phone.blacklisted and not phone.verified
    assert any("gets no more room keys" in line for line in lines)
    assert not any("second-ed25519" in line for line in lines)


def test_encryption_is_on_by_default_with_trust_on_first_use(tmp_path: Path) -> None:
    from adapters.matrix.runner import MatrixConfig
    from communitybot.settings import SettingsError, load_settings

    matrix = {
        "homeserver": "https://matrix.example.org",
        "user_id": "@bot:example.org",
        "password": "not-a-real-password",
    }
    settings = load_settings(_env_file=None, database_path=tmp_path / "bot.db", matrix=matrix)
    config = MatrixConfig.from_settings(settings.matrix)
    assert config.encryption and config.trust == "tofu"
    assert config.crypto_store == Path("matrix-crypto")
    off = load_settings(_env_file=None, matrix={**matrix, "encryption": "false"})
    assert not MatrixConfig.from_settings(off.matrix).encryption
    with pytest.raises(SettingsError, match="TRUST") as refused:
        load_settings(_env_file=None, matrix={**matrix, "trust": "everyone"})
    assert "tofu" in str(refused.value) and "verified" in str(refused.value)
