"""The trust policy's decisions on a real matrix-nio key store (in memory; no homeserver):
first sight under `tofu` and `verified`, a member's device whose keys change, and the devices
an operator trusts by key (`communitybot matrix trust`)."""

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

    crypto.set_operator_trust({(ALICE, "PHONE"): "first-ed25519"})  # checked out of band …
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


PHONE_KEY = "first-ed25519"


@pytest.mark.parametrize("policy", ["tofu", "verified"])
async def test_an_operator_entry_decides_the_device_by_its_key(
    tmp_path: Path, lines: list[str], policy: str
) -> None:
    _client, crypto, phone = _crypto(tmp_path, policy)
    crypto.set_operator_trust({(ALICE, "PHONE"): "someone-elses-key"})
    crypto.apply_trust()
    assert phone.blacklisted and not phone.verified  # the operator said another key is right
    warned = [line for line in lines if "another key" in line]
    assert len(warned) == 1 and "PHONE" in warned[0] and ALICE in warned[0]
    crypto.apply_trust()
    assert len([line for line in lines if "another key" in line]) == 1  # logged once
    assert not any(PHONE_KEY in line or "someone-elses-key" in line for line in lines)

    crypto.set_operator_trust({(ALICE, "PHONE"): PHONE_KEY})  # the operator corrects it
    crypto.apply_trust()
    assert phone.verified and not phone.blacklisted
    assert any("checked by an operator" in line for line in lines)

    crypto.set_operator_trust({})  # `communitybot matrix untrust`
    crypto.apply_trust()
    assert phone.blacklisted and not phone.verified
    crypto.apply_trust()
    assert phone.blacklisted  # and it stays so (tofu does not trust it again)


async def test_verified_trusts_a_device_only_through_an_operator_entry(
    tmp_path: Path, lines: list[str]
) -> None:
    client, crypto, phone = _crypto(tmp_path, "verified")
    client.verify_device(phone)  # verified in the key store, but no operator says so
    crypto.apply_trust()
    assert phone.blacklisted and not phone.verified  # the table is the whole truth
    assert any("no longer trusted by an operator" in line for line in lines)


async def test_an_entry_does_not_trust_a_device_whose_keys_changed(
    tmp_path: Path, lines: list[str]
) -> None:
    client, crypto, phone = _crypto(tmp_path, "verified")
    crypto.set_operator_trust({(ALICE, "PHONE"): PHONE_KEY})
    crypto.apply_trust()
    assert phone.verified
    _keys_query_answers(client, "second-ed25519")  # nio keeps the first key, but it changed
    await crypto._query_keys()
    assert phone.blacklisted and not phone.verified
    assert not any("second-ed25519" in line or PHONE_KEY in line for line in lines)


async def test_the_bot_reads_the_entries_from_its_own_database(tmp_path: Path) -> None:
    from adapters.matrix.schema import MIGRATIONS, NAMESPACE
    from adapters.matrix.trusted_devices import TrustedDevices, checked
    from communitybot.adapter_state import SqliteAdapterState
    from communitybot.priority_lock import PriorityLock
    from communitybot.store.engines import open_database

    db = await open_database(tmp_path / "bot.db")
    try:
        adapter = await SqliteAdapterState.open(db, PriorityLock(), NAMESPACE, MIGRATIONS)
        _client, crypto, phone = _crypto(tmp_path, "verified")
        crypto.state = SimpleNamespace(db=adapter, account="@bot:localhost")  # type: ignore[assignment]
        key = "A" * 43
        phone.keys["ed25519"] = key
        entries = TrustedDevices(adapter, "@bot:localhost")
        await entries.trust(checked(ALICE, "PHONE", key))
        await TrustedDevices(adapter, "@other-bot:localhost").trust(checked(ALICE, "TABLET", key))
        await crypto.load_operator_trust()
        assert crypto.operator == {(ALICE, "PHONE"): key}  # this bot account's entries only
        crypto.apply_trust()
        assert phone.verified

        await entries.untrust(ALICE, "PHONE")
        await crypto.load_operator_trust()
        crypto.apply_trust()
        assert phone.blacklisted and not phone.verified
    finally:
        await db.close()
