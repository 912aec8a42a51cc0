"""`communitybot matrix trust | untrust | trusted`: an operator trusts a member's device.

Under `COMMUNITYBOT_MATRIX__TRUST=verified` a device gets room keys only once trusted; Matrix's
interactive verification (emoji, QR) is not built, so the operator checks the device's key out
of band instead: the member reads it in Element (Settings → Sessions) and the operator types it
here. The entry goes into the bot's own database (`trusted_devices.py`), which a running bot
reads once per sync: no restart, and a standby on PostgreSQL sees it too.

Exit codes: 0 done, 2 refused (bad input, no database, no bot account). Every refusal is one
line on stderr, and nothing is written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from adapters.matrix.schema import MIGRATIONS, NAMESPACE
from adapters.matrix.trusted_devices import BadEntry, TrustedDevice, TrustedDevices, checked
from communitybot.command_line import UsageError, parse_target
from communitybot.ports import AdapterMigration, AdapterState

EXIT_OK = 0


SCHEMA: tuple[str, tuple[AdapterMigration, ...]] = (NAMESPACE, MIGRATIONS)
"""The adapter tables the command writes: the bootstrap opens them (`run_matrix_trust`)."""


def parsed(args: Any) -> tuple[str, TrustedDevice | None, str, str | Path]:
    """(action, the device for trust/untrust, the bot account, the database) from the command
    line; `BadEntry` or `UsageError` (one line to show) before anything is opened."""
    device = (
        checked(args.user, args.device, getattr(args, "key", None))
        if args.action in ("trust", "untrust")
        else None
    )
    account, target = _where(args)
    return args.action, device, account, target


def _where(args: Any) -> tuple[str, str | Path]:
    """The bot account and database: from the options, else from the settings."""
    account = (args.account or "").strip()
    target = parse_target(args.db, "--db") if args.db is not None else None
    if not account or target is None:
        from communitybot.settings import SettingsError, load_settings

        try:
            settings = load_settings(adapter="console")
        except SettingsError as error:
            raise UsageError(error.lines[0] if error.lines else str(error)) from error
        account = account or (settings.matrix.user_id or "")
        target = target if target is not None else settings.database_target
    if not account:
        raise UsageError(
            "which bot account? set COMMUNITYBOT_MATRIX__USER_ID or give --account @bot:server"
        )
    try:
        checked(account, "-")  # the same shape as a member's id
    except BadEntry:
        raise UsageError(
            "the bot account must look like @name:server, e.g. @communitybot:example.org"
        ) from None
    return account, target


async def apply(
    state: AdapterState, action: str, device: Any, account: str, out: TextIO | None = None
) -> int:
    """Carry out the parsed command on the Matrix adapter's tables; the exit code."""
    out = out or sys.stdout
    trusted = TrustedDevices(state, account)
    if action == "trust":
        await trusted.trust(device)
        print(
            f"Trusted device {device.device_id} of {device.user_id} for {account}; "
            "a running bot applies it at its next sync.",
            file=out,
        )
    elif action == "untrust":
        if not await trusted.untrust(device.user_id, device.device_id):
            print(
                f"Device {device.device_id} of {device.user_id} was not trusted by an "
                f"operator for {account}; nothing changed.",
                file=out,
            )
        else:
            print(
                f"Device {device.device_id} of {device.user_id} is no longer trusted; "
                "it gets no more room keys from the next sync.",
                file=out,
            )
    else:
        entries = await trusted.listed()
        if not entries:
            print(f"No device is trusted by an operator for {account}.", file=out)
        for entry in entries:
            print(f"{entry.user_id} {entry.device_id} {entry.ed25519}", file=out)
    return EXIT_OK
