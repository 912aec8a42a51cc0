"""The `communitybot` command: `communitybot run [--db PATH] [--adapter NAME]`, `communitybot
worker [--db PATH] [--adapter NAME]`, `--version`."""

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
        choices=("auto", "console", "discord", "matrix"),
        help="which platform to run (default: COMMUNITYBOT_ADAPTER or auto)",
    )
    _add_worker_command(commands)
    return parser


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


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `communitybot` command; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command not in ("run", "worker"):
        parser.print_help(sys.stderr)
        return 2
    # Imported late so `--version` and `--help` stay instant and side-effect free.
    from communitybot.app import fail, run
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


def _tolerant_streams() -> None:
    """Never crash on a stray byte in a scenario file or an odd terminal encoding."""
    for stream in (sys.stdin, sys.stdout):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="replace")


if __name__ == "__main__":
    sys.exit(main())
