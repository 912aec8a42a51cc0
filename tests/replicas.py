"""Bot replicas as real processes for the leader-lock tests and the failover benchmark.

Each replica is `python -m …` in its own process group, with a clean COMMUNITYBOT_* environment
(only what the test gives it) and the checkout on PYTHONPATH; its log (stderr) is read line by
line so a test can wait for "leading discord" or "waiting as a standby". Every replica a test
starts, it stops (`stop()`: SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WAIT_S = 30.0


def replica_env(settings: Mapping[str, str]) -> dict[str, str]:
    """The parent's environment without its COMMUNITYBOT_* settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMUNITYBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    env["COMMUNITYBOT_LOG_FORMAT"] = "text"
    return env | dict(settings)


class Replica:
    """One bot process; `lines` is its log so far."""

    def __init__(self, name: str, module: str, args: list[str], env: dict[str, str], cwd: Path):
        self.name = name
        self.argv = [sys.executable, "-m", module, *args]
        self.env = env
        self.cwd = cwd
        self.lines: list[str] = []
        self._changed = asyncio.Event()
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> Replica:
        self._process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env=self.env,
            cwd=self.cwd,
            start_new_session=True,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        async for raw in self._process.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))
            self._changed.set()
        self._changed.set()

    def said(self, text: str) -> list[str]:
        return [line for line in self.lines if text in line]

    async def wait_line(self, text: str, within: float = WAIT_S) -> str:
        """The first log line containing `text` (fails if the process ends or time runs out)."""
        async with asyncio.timeout(within):
            while True:
                found = self.said(text)
                if found:
                    return found[0]
                if self.returncode is not None and self._reader is not None:
                    await self._reader
                    if not self.said(text):
                        log = "\n".join(self.lines[-20:])
                        raise AssertionError(f"{self.name} ended without {text!r}:\n{log}")
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.5)

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.returncode

    def signal(self, number: int) -> None:
        if self._process is not None and self._process.returncode is None:
            os.killpg(self._process.pid, number)

    async def wait(self, within: float = WAIT_S) -> int:
        """The exit code, once the process has ended."""
        assert self._process is not None
        async with asyncio.timeout(within):
            code = await self._process.wait()
            if self._reader is not None:
                await self._reader
        return code

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not ended within a few seconds."""
        if self._process is None:
            return
        if self._process.returncode is None:
            self.signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self._process.wait(), 10)
            except TimeoutError:
                self.signal(signal.SIGKILL)
                await self._process.wait()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader
