"""Copies of the tests' migrated PostgreSQL template, made ahead on a thread.

`CREATE DATABASE … TEMPLATE` copies every relation file of the template: with the schema of
issue #15 that is about 0.4 s, paid once per PostgreSQL test (600 of them). The copy is the
server's work, not the test process's: made on this thread while a test runs, it happens on
the machine's other core, and a test usually finds its database ready. Databases a test is
done with are dropped on the same thread.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import queue
import threading

from tests.postgres_server import PostgresServer

AHEAD = 2
"""How many copies wait ready (each test takes one; more would only race the tests for CPU)."""
TAKE_TIMEOUT = 120.0


class DatabaseFactory:
    """Makes template copies ahead and drops the used ones, on its own thread and loop."""

    def __init__(self, server: PostgresServer, template: str) -> None:
        self._server = server
        self._template = template
        self._names = itertools.count(1)
        self._ready: queue.Queue[str] = queue.Queue(maxsize=AHEAD)
        self._used: queue.Queue[str] = queue.Queue()
        self._stop = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="pg-test-databases", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def take(self) -> str:
        """The name of a fresh copy of the template (blocks until one is ready)."""
        try:
            return self._ready.get(timeout=TAKE_TIMEOUT)
        except queue.Empty:
            raise RuntimeError(f"no test database was made: {self._failure!r}") from None

    def discard(self, name: str) -> None:
        """A test is done with `name`: dropped soon, on the factory's thread."""
        self._used.put(name)

    def _work(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as error:  # seen by `take`, which would otherwise wait in vain
            self._failure = error

    async def _run(self) -> None:
        import asyncpg

        admin = await asyncpg.connect(self._server.url())
        try:
            while not self._stop.is_set():
                try:
                    used = self._used.get_nowait()
                except queue.Empty:
                    used = None
                if used is not None:
                    await admin.execute(f"DROP DATABASE IF EXISTS {used} WITH (FORCE)")
                elif not self._ready.full():
                    name = f"test_{os.getpid()}_{next(self._names)}"
                    await admin.execute(f"CREATE DATABASE {name} TEMPLATE {self._template}")
                    self._ready.put(name)
                else:
                    await asyncio.sleep(0.005)
        finally:
            await admin.close()
