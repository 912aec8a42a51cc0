"""The `communitybot` command: `communitybot run [--db PATH] [--adapter NAME]` (NAME may be
`discord+matrix`: both platforms in one process), `communitybot worker [--db PATH] [--adapter
NAME]` (one platform), `communitybot db migrate|copy|check`, `communitybot matrix
trust|untrust|trusted` (which members' devices get the bot's room keys), `--version`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Any

from communitybot import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="communitybot",
        description="A bot that turns a Discord server or a Matrix space into a professional "
        "learning network. Settings come from COMMUNITYBOT_* variables and ./.env.",
    )
    parser.add_argument("--version", action="version", version=f"communitybot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="start the bot (the console adapter when no platform is configured)",
        description="Start the bot. With no platform tokens configured it runs the console "
        "adapter: type `:help` once it is running, or pipe a scenario file into it.",
    )
    run.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="the SQLite database file (default: COMMUNITYBOT_DATABASE_PATH or ./communitybot.db)",
    )
    run.add_argument(
        "--adapter",
        choices=("auto", "console", "discord", "matrix", "discord+matrix"),
        help="which platform to run; discord+matrix serves both in one process (default: "
        "COMMUNITYBOT_ADAPTER or auto, which serves both when both are configured)",
    )
    _add_worker_command(commands)
    add_db_command(commands)
    _add_matrix_command(commands)
    return parser


def _add_matrix_command(commands: Any) -> None:
    """Declare `communitybot matrix trust|untrust|trusted` (wired by `communitybot.bootstrap`,
    decided by `adapters.matrix.trust_cli`)."""
    matrix = commands.add_parser(
        "matrix",
        help="Matrix end-to-end encryption: trust a member's device by its key",
        description="Which members' devices get the bot's room keys. Check the device's key "
        "out of band: the member reads it in Element (Settings → Sessions). A running bot "
        "applies a change at its next sync.",
    )
    actions = matrix.add_subparsers(dest="action", metavar="ACTION", required=True)
    trust = actions.add_parser(
        "trust",
        help="trust one device of a member, by its ed25519 session key",
        description="Trust the device if it shows this key; a device showing another key gets "
        "no room keys (and is logged). Trusting the same device again replaces its key.",
    )
    trust.add_argument("user", help="the member's Matrix id, e.g. @alice:example.org")
    trust.add_argument("device", help="the device (session) id, e.g. ABCDEFGHIJ")
    trust.add_argument("key", help="the device's ed25519 session key (43 characters)")
    untrust = actions.add_parser(
        "untrust",
        help="stop trusting a device: it gets no more room keys",
        description="Remove the entry: the device is unverified and gets no more room keys.",
    )
    untrust.add_argument("user", help="the member's Matrix id")
    untrust.add_argument("device", help="the device (session) id")
    listed = actions.add_parser("trusted", help="list the devices an operator trusts")
    for parser in (trust, untrust, listed):
        parser.add_argument(
            "--db",
            metavar="PATH|URL",
            help="the bot's database (default: COMMUNITYBOT_DATABASE_URL, else _PATH)",
        )
        parser.add_argument(
            "--account",
            metavar="@BOT:SERVER",
            help="the bot's Matrix account (default: COMMUNITYBOT_MATRIX__USER_ID)",
        )


def _add_worker_command(commands: Any) -> None:
    """`communitybot worker`: due jobs only, beside the bot processes (PostgreSQL only)."""
    worker = commands.add_parser(
        "worker",
        help="run scheduled jobs only, beside the bot processes (PostgreSQL)",
        description="Run due scheduled jobs of one platform's communities, with no platform "
        "connection: their messages are delivered by that platform's bot process. Needs "
        "COMMUNITYBOT_DATABASE_URL=postgresql://…; start as many as the load needs.",
    )
    worker.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="the SQLite database file (refused: a worker needs PostgreSQL)",
    )
    worker.add_argument(
        "--adapter",
        choices=("auto", "console", "discord", "matrix"),
        help="whose communities' jobs to run (default: COMMUNITYBOT_ADAPTER or auto)",
    )


DB_TARGET = (
    "postgresql://user:password@host:5432/name, sqlite:///path/to/communitybot.db or a plain "
    "file path (default: COMMUNITYBOT_DATABASE_URL, else COMMUNITYBOT_DATABASE_PATH)"
)


def add_db_command(commands: Any) -> None:
    """`communitybot db migrate|copy|check` (run by `communitybot.dbcli`)."""
    db = commands.add_parser(
        "db",
        help="the database: migrate it, copy it (SQLite → PostgreSQL), check it",
        description="Commands on the bot's database. Passwords in URLs are never printed.",
    )
    actions = db.add_subparsers(dest="action", metavar="ACTION", required=True)
    migrate = actions.add_parser(
        "migrate",
        help="bring the database to this communitybot's schema (core and every adapter)",
        description="Apply every pending migration: the core's and every adapter's, so the "
        "database serves any adapter. Says from which version to which. A database written by "
        "a newer communitybot is refused (exit 2). The bot also migrates when it starts.",
    )
    migrate.add_argument("--db", metavar="PATH|URL", help=f"the database: {DB_TARGET}")
    copy = actions.add_parser(
        "copy",
        help="copy every row into another database (e.g. SQLite → PostgreSQL)",
        description="Copy every row of every table (same ids, same text, same NULLs) into "
        "another database, migrated first; all in one transaction, so the target is never "
        "half-copied. Running it again copies nothing twice; a target holding different data "
        "under the same ids is refused before anything is written. Stop the bot for the move: "
        "the source is read in one read transaction (a running bot's unfinished writes are not "
        "copied), but whatever it commits after the copy began stays behind. The source must "
        "be at this communitybot's schema (run `communitybot db migrate --db SOURCE` first).",
    )
    copy.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="PATH|URL",
        help="the database to copy: sqlite:///path/to/communitybot.db, a plain file path, or a "
        "postgresql:// URL",
    )
    copy.add_argument(
        "--to",
        dest="target",
        metavar="URL|PATH",
        help=f"the database to copy into: {DB_TARGET}",
    )
    check = actions.add_parser(
        "check",
        help="report the database's health without changing it (exit 1 when not healthy)",
        description="Connect and report: the server, the schema version against this "
        "communitybot's (and each adapter's), pending migrations, row counts, and on SQLite "
        "integrity_check and foreign_key_check. Changes nothing. Exit 0 when healthy, 1 when "
        "not (one line per problem).",
    )
    check.add_argument("--db", metavar="PATH|URL", help=f"the database: {DB_TARGET}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `communitybot` command; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "db":
        return run_db(args)
    if args.command == "matrix":
        from communitybot.app import matrix_command

        return matrix_command(args)
    if args.command not in ("run", "worker"):
        parser.print_help(sys.stderr)
        return 2
    # Imported late so `--version` and `--help` stay instant and side-effect free.
    from communitybot.app import run
    from communitybot.command_line import fail
    from communitybot.settings import SettingsError, load_settings

    overrides: dict[str, Any] = {}
    if args.db is not None:
        overrides["database_path"] = args.db
    if args.adapter is not None:
        overrides["adapter"] = args.adapter
    try:
        settings = load_settings(**overrides)
    except SettingsError as error:
        for line in error.lines:
            fail(line)
        return 2
    if args.command == "worker":
        return _worker(settings)
    _tolerant_streams()
    try:
        return asyncio.run(run(settings))
    except KeyboardInterrupt:
        return 0


def _worker(settings: Any) -> int:
    from communitybot.worker import run_worker

    try:
        return asyncio.run(run_worker(settings))
    except KeyboardInterrupt:
        return 0


def run_db(args: argparse.Namespace) -> int:
    """`communitybot db …` (imported late, like `run`)."""
    from communitybot import dbcli

    return dbcli.main(args)


def _tolerant_streams() -> None:
    """Never crash on a stray byte in a scenario file or an odd terminal encoding."""
    for stream in (sys.stdin, sys.stdout):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="replace")


if __name__ == "__main__":
    sys.exit(main())
