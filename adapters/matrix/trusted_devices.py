"""The devices an operator trusts by hand (issue #18), in the bot's own database.

Why a table and not nio's key store: the key store is a file only the running bot opens, while
the database is shared (a running bot, a standby on PostgreSQL, the `communitybot matrix trust`
command). The operator writes an entry here; the bot reads the entries once per sync and
applies them (`Crypto.apply_trust`). An entry names the device's ed25519 key, read out of band
(Element: Settings → Sessions), so a device that shows another key is refused, not trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.matrix.schema import NAMESPACE
from communitybot.events import UserRef
from communitybot.ports import AdapterState, UserRows

_USER_ID = re.compile(r"@[^:\s]+:[^\s]+")
_DEVICE_ID = re.compile(r"[^\s]{1,255}")
_ED25519 = re.compile(r"[A-Za-z0-9+/]{43}")
"""An ed25519 public key as Matrix shows it: 32 bytes, unpadded base64 (43 characters)."""

Entries = dict[tuple[str, str], str]
"""(user id, device id) → the ed25519 key the operator checked."""


class BadEntry(ValueError):
    """An entry the operator typed that cannot be right; the message is one line."""


@dataclass(frozen=True)
class TrustedDevice:
    user_id: str
    device_id: str
    ed25519: str


def checked(user_id: str, device_id: str, ed25519: str | None = None) -> TrustedDevice:
    """The entry, its parts stripped, or `BadEntry` saying what is wrong."""
    user_id, device_id = user_id.strip(), device_id.strip()
    if not _USER_ID.fullmatch(user_id):
        raise BadEntry("the user must look like @name:server, e.g. @alice:example.org")
    if not _DEVICE_ID.fullmatch(device_id):
        raise BadEntry("the device id must be one word, e.g. ABCDEFGHIJ (Element: Sessions)")
    key = "" if ed25519 is None else ed25519.strip().replace(" ", "")
    if ed25519 is not None and not _ED25519.fullmatch(key):
        raise BadEntry(
            "the key must be the device's ed25519 session key: 43 characters of unpadded "
            "base64 (Element: Settings → Sessions → the session → its key)"
        )
    return TrustedDevice(user_id, device_id, key)


class TrustedDevices:
    """The entries of one bot account (`account` is its Matrix user id)."""

    def __init__(self, db: AdapterState, account: str) -> None:
        self._db = db
        self.account = account

    async def entries(self) -> Entries:
        rows = await self._db.fetch_all(
            "SELECT user_id, device_id, ed25519 FROM matrix_trusted_devices WHERE account = ?",
            (self.account,),
        )
        return {(str(r["user_id"]), str(r["device_id"])): str(r["ed25519"]) for r in rows}

    async def listed(self) -> list[TrustedDevice]:
        rows = await self._db.fetch_all(
            "SELECT user_id, device_id, ed25519 FROM matrix_trusted_devices WHERE account = ? "
            "ORDER BY user_id, device_id",
            (self.account,),
        )
        return [TrustedDevice(r["user_id"], r["device_id"], r["ed25519"]) for r in rows]

    async def trust(self, device: TrustedDevice) -> None:
        await self._db.write(
            "INSERT INTO matrix_trusted_devices (account, user_id, device_id, ed25519, added_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, user_id, device_id) DO UPDATE SET "
            "ed25519 = excluded.ed25519, added_at = excluded.added_at",
            (
                self.account,
                device.user_id,
                device.device_id,
                device.ed25519,
                datetime.now(UTC).isoformat(),
            ),
        )

    async def untrust(self, user_id: str, device_id: str) -> bool:
        """False when there was no such entry."""
        removed = await self._db.write(
            "DELETE FROM matrix_trusted_devices "
            "WHERE account = ? AND user_id = ? AND device_id = ?",
            (self.account, user_id, device_id),
        )
        return removed > 0


class TrustedDevicesData:
    """The entries naming a member, declared as personal data: `/mydata` shows them (ids and
    when; no key material), `/forgetme` deletes them (every bot account)."""

    def __init__(self, db: AdapterState) -> None:
        self._db = db

    async def export_user(self, user: UserRef) -> UserRows:
        if user.platform != NAMESPACE:
            return {}
        rows = await self._db.fetch_all(
            "SELECT account, device_id, added_at FROM matrix_trusted_devices WHERE user_id = ? "
            "ORDER BY account, device_id",
            (user.user_id,),
        )
        return {"matrix_trusted_devices": [dict(row) for row in rows]} if rows else {}

    async def forget_user(self, user: UserRef) -> int:
        if user.platform != NAMESPACE:
            return 0
        return await self._db.write(
            "DELETE FROM matrix_trusted_devices WHERE user_id = ?", (user.user_id,)
        )
