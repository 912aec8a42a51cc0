"""PostgreSQL for the benchmarks that compare it with SQLite (`--postgres`).

`--database-url postgresql://…` names a server the benchmark may create and drop databases on
(its user needs CREATEDB); without it a throwaway server is started on 127.0.0.1 the way the
tests start one (`tests/postgres_server.py`: PostgreSQL 15 from the Debian packages) and stopped
at the end. Each measurement gets a fresh database, dropped afterwards.
"""

from __future__ import annotations

import argparse
import itertools
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from urllib.parse import urlsplit, urlunsplit

_names = itertools.count(1)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="also measure on PostgreSQL (a throwaway server unless --database-url is given)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="postgresql://… of a server to create the benchmark's databases on (implies "
        "--postgres)",
    )


@contextmanager
def server_url(database_url: str | None) -> Iterator[str]:
    """A maintenance URL: the given one, or a throwaway server's (stopped afterwards)."""
    if database_url:
        yield database_url
        return
    from tests.postgres_server import PostgresServer, postgres_bin

    found = postgres_bin()
    if found is None:
        raise SystemExit("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb)")
    server = PostgresServer(found)
    server.start()
    try:
        yield server.url()
    finally:
        server.stop()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@asynccontextmanager
async def fresh_database(server: str, label: str) -> AsyncIterator[str]:
    """The URL of a new, empty database on `server` (dropped afterwards)."""
    import asyncpg

    name = f"bench_{label}_{os.getpid()}_{next(_names)}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    try:
        yield _with_database(server, name)
    finally:
        admin = await asyncpg.connect(server)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()
