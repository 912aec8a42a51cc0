"""A throwaway PostgreSQL server for the tests: 127.0.0.1, a free port, a temporary data folder.

`initdb` refuses to run as root, so under root the server runs as `nobody` (the data folder
is handed to it); otherwise as the current user. Password authentication (scram) is on, so the
tests see the same URL shape (`postgresql://user:password@host:port/db`) a deployment uses.
`PostgresServer.start()` / `stop()`; stop is safe to call twice and after a failed start.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

USER = "communitybot"


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian layout), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major)
    return Path(found[-1]).parent if found else None


def _major(path: str) -> int:
    try:
        return int(Path(path).parent.parent.name)
    except ValueError:
        return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    bin: Path
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cb-pg-")))
    port: int = field(default_factory=_free_port)
    password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    _started: bool = False

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _as_owner(self, *argv: str) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "nobody", "--", *argv]
        return list(argv)

    def start(self) -> None:
        """initdb + pg_ctl start (waits until it accepts connections); raises with its log."""
        self.root.chmod(0o755)
        self.data.mkdir(mode=0o700)
        (self.root / "sockets").mkdir()
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            for path in (self.data, self.root / "sockets", pwfile):
                shutil.chown(path, "nobody", "nogroup")
        pwfile.chmod(0o600)
        env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        subprocess.run(
            self._as_owner(
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                USER,
                "--pwfile",
                str(pwfile),
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-sync",
            ),
            check=True,
            capture_output=True,
            env=env,
        )
        pwfile.unlink()
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.root / 'sockets'} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = self.root / "server.log"
        if os.geteuid() == 0:
            log.touch()
            shutil.chown(log, "nobody", "nogroup")
        self._started = True
        result = subprocess.run(
            self._as_owner(
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ),
            capture_output=True,
            text=True,
            env=env,
        )
        if result.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            self.stop()
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr}\n{tail}")

    def stop(self) -> None:
        if self._started:
            self._started = False
            subprocess.run(
                self._as_owner(
                    str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"
                ),
                capture_output=True,
            )
        shutil.rmtree(self.root, ignore_errors=True)
