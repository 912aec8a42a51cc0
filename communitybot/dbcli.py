"""`communitybot db migrate | copy | check`: the database's own commands, beside `run`.

- `migrate`: the core's migrations and every adapter's (so a database it prepared serves any
  adapter); says from which version to which. The bot still migrates when it starts.
- `copy`: every row of one database into another (`store.copy`: one transaction, same ids,
  idempotent), the target migrated first. For moving a community from SQLite to PostgreSQL.
- `check`: connect, report versions, pending migrations, main row counts and (SQLite) the
  integrity checks, without changing anything (`store.snapshot`); exit 1 when not healthy.

Exit codes: 0 done / healthy, 1 `check` found a problem, 2 refused (bad argument, unreachable
database, a database newer than the code, a copy that cannot be made exactly). Every refusal is
one line on stderr; URLs are shown without their password.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any, TextIO

from communitybot import bootstrap
from communitybot.adapter_state import SqliteAdapterState
from communitybot.command_line import UsageError, fail, parse_target
from communitybot.logging import register_secret
from communitybot.priority_lock import PriorityLock
from communitybot.store.copy import CopyRefused, TableCopy, check_source_schema, copy_database
from communitybot.store.db import Database, StoreError, bundled_migrations
from communitybot.store.engines import open_database
from communitybot.store.snapshot import SqliteSnapshot, open_snapshot
from communitybot.store.urls import is_postgres, redacted

EXIT_OK = 0
EXIT_UNHEALTHY = 1
EXIT_REFUSED = 2


def plural(count: int, noun: str) -> str:
    """ "1 table", "2 tables", "1,000 rows"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def shown(target: str | Path) -> str:
    return redacted(target) if isinstance(target, str) else str(target)


def newest_versions() -> tuple[int, dict[str, int]]:
    """This code's core schema version and each adapter's."""
    core = bundled_migrations()
    return core[-1].version if core else 0, {
        name: (steps[-1].version if steps else 0)
        for name, steps in bootstrap.adapter_schemas().items()
    }


async def _versions_now(target: str | Path) -> tuple[int, dict[str, int]]:
    """The database's versions before migrating (0 and none for a file not there yet)."""
    if not _exists(target):
        return 0, {}
    snapshot = await open_snapshot(target)
    try:
        return await snapshot.schema_version(), await snapshot.adapter_versions()
    finally:
        await snapshot.close()


def _exists(target: str | Path) -> bool:
    return is_postgres(target) or Path(target).exists()


async def _migrated(target: str | Path) -> Database:
    """The database opened (core migrations applied by opening) with every adapter's tables."""
    db = await open_database(target)
    try:
        for namespace, steps in bootstrap.adapter_schemas().items():
            await SqliteAdapterState.open(db, PriorityLock(), namespace, steps)
    except BaseException:
        await db.close()
        raise
    return db


async def migrate(target: str | Path, out: TextIO) -> int:
    """`db migrate`: apply what is pending, say what changed."""
    before, adapters_before = await _versions_now(target)
    db = await _migrated(target)
    try:
        after = await db.schema_version()
    finally:
        await db.close()
    _, adapters = newest_versions()
    changes = []
    if after != before:
        changes.append(
            f"core schema: version {before} → {after} "
            f"({plural(after - before, 'migration')} applied)"
        )
    for name, newest in adapters.items():
        was = adapters_before.get(name, 0)
        if was != newest:
            changes.append(f"{name} adapter tables: version {was} → {newest}")
    versions = ", ".join([f"core schema {after}", *(f"{n} {v}" for n, v in adapters.items())])
    if not changes:
        print(f"{shown(target)} is already up to date ({versions}).", file=out)
        return EXIT_OK
    print(f"Migrated {shown(target)}:", file=out)
    for line in changes:
        print(f"  {line}", file=out)
    print(f"Now at this communitybot's schema ({versions}).", file=out)
    return EXIT_OK


async def copy(source: str | Path, target: str | Path, out: TextIO) -> int:
    """`db copy`: the source's rows into the target, migrated first; one transaction."""
    if _same(source, target):
        return fail(f"--from and --to name the same database ({shown(source)})")
    newest, adapters = newest_versions()
    snapshot = await open_snapshot(source)
    try:
        await check_source_schema(snapshot, newest, adapters)
        print(f"Copying {snapshot.shown} → {shown(target)} (one transaction).", file=out)
        db = await _migrated(target)
        try:
            print(f"  target at schema {newest}: migrated, ready", file=out)

            def progress(table: TableCopy) -> None:
                print(
                    f"  {table.name}: {table.copied} copied, {table.present} already there",
                    file=out,
                    flush=True,
                )

            report = await copy_database(snapshot, db, progress=progress)
        finally:
            await db.close()
    finally:
        await snapshot.close()
    tables = plural(len(report.tables), "table")
    if report.copied == 0:
        print(
            f"Nothing to copy: all {plural(report.present, 'row')} of the source's {tables} "
            f"are already in {shown(target)}.",
            file=out,
        )
        return EXIT_OK
    also = f"; {report.present} were already there" if report.present else ""
    print(
        f"Done: {plural(report.copied, 'row')} copied in {tables}{also}; committed."
        + (
            f" Id sequences set past the copied ids ({plural(len(report.sequences), 'table')})."
            if report.sequences
            else ""
        ),
        file=out,
    )
    return EXIT_OK


def _same(source: str | Path, target: str | Path) -> bool:
    if isinstance(source, Path) and isinstance(target, Path):
        return source.expanduser().resolve() == target.expanduser().resolve()
    return isinstance(source, str) and isinstance(target, str) and source == target


MAIN_COUNTS = (
    ("communities", "communities", "SELECT count(*) FROM communities"),
    ("members", "members", "SELECT count(*) FROM members"),
    ("jobs pending", "jobs", "SELECT count(*) FROM jobs WHERE status = 'pending'"),
    ("outbox rows", "outbox", "SELECT count(*) FROM outbox"),
)
"""What `db check` counts: (label, table it needs, query)."""


async def check(target: str | Path, out: TextIO) -> int:
    """`db check`: report; exit 1 with one line per problem when something is wrong."""
    problems: list[str] = []
    try:
        snapshot = await open_snapshot(target)
    except StoreError as error:
        print(f"problem: {error}", file=out)
        return EXIT_UNHEALTHY
    try:
        print(f"database: {snapshot.shown}", file=out)
        print(f"server: {await snapshot.server_version()}", file=out)
        newest, adapters = newest_versions()
        version = await snapshot.schema_version()
        line = f"core schema: version {version} (this communitybot: {newest})"
        if version < newest:
            pending = [f"{m.version:04d}_{m.name}" for m in bundled_migrations()][version:]
            print(f"{line}, pending: {', '.join(pending)}", file=out)
            problems.append(
                f"{plural(len(pending), 'migration')} pending: run `communitybot db migrate`"
            )
        elif version > newest:
            print(line, file=out)
            problems.append(
                f"the schema (version {version}) is newer than this communitybot's ({newest}):"
                " upgrade communitybot"
            )
        else:
            print(f"{line}, up to date", file=out)
        found = await snapshot.adapter_versions()
        for name, expected in adapters.items():
            have = found.get(name, 0)
            text = f"{name} adapter tables: version {have} (this communitybot: {expected})"
            if have == 0:
                text += ", not set up (the adapter's first start or `db migrate` creates them)"
            elif have < expected:
                text += ", behind"
                problems.append(f"the {name} adapter's tables are behind: run `db migrate`")
            elif have > expected:
                problems.append(f"the {name} adapter's tables are newer: upgrade communitybot")
            print(text, file=out)
        tables = await snapshot.table_names()
        counts = []
        for label, table, sql in MAIN_COUNTS:
            if table in tables:
                counts.append(f"{int(await snapshot.scalar(sql) or 0):,} {label}")
        if counts:
            print(f"rows: {', '.join(counts)}", file=out)
        if isinstance(snapshot, SqliteSnapshot):
            found_problems = await snapshot.integrity_problems()
            print(
                "integrity (integrity_check, foreign_key_check): "
                + ("ok" if not found_problems else f"{len(found_problems)} problems"),
                file=out,
            )
            problems += found_problems[:20]
    except StoreError as error:
        problems.append(str(error))
    finally:
        await snapshot.close()
    for problem in problems:
        print(f"problem: {problem}", file=out)
    print("healthy" if not problems else "not healthy", file=out)
    return EXIT_OK if not problems else EXIT_UNHEALTHY


def main(args: Any, out: TextIO | None = None) -> int:
    """Run `communitybot db <action>` from parsed arguments; the exit code."""
    stream = out or sys.stdout
    try:
        if args.action == "copy":
            source = parse_target(args.source, "--from")
            target = (
                parse_target(args.target, "--to") if args.target is not None else _configured(args)
            )
            return asyncio.run(copy(source, target, stream))
        target = parse_target(args.db, "--db") if args.db is not None else _configured(args)
        if args.action == "migrate":
            return asyncio.run(migrate(target, stream))
        return asyncio.run(check(target, stream))
    except UsageError as error:
        return fail(str(error))
    except _Configured as error:
        for line in error.lines:
            fail(line)
        return EXIT_REFUSED
    except CopyRefused as error:
        return fail(f"copy refused: {error}")
    except StoreError as error:
        return fail(str(error))
    except OSError as error:
        return fail(f"cannot open the database: {error}")


class _Configured(Exception):
    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(lines))
        self.lines = lines


def _configured(args: Any) -> str | Path:
    """The configured database (COMMUNITYBOT_DATABASE_URL or _PATH) when none is named."""
    from communitybot.settings import SettingsError, load_settings

    try:
        # Only the database matters here: as the console adapter, the platform settings are
        # not required (a migrate step needs no Discord token).
        settings = load_settings(adapter="console")
    except SettingsError as error:
        raise _Configured(error.lines) from error
    for secret in settings.secret_values():
        register_secret(secret)
    return settings.database_target
