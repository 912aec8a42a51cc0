"""A throwaway Synapse homeserver on 127.0.0.1 for the Matrix tests and the benchmark.

Why a real server: the adapter's hard parts (sync tokens, invites, DM rooms, power levels,
reconnecting) are exactly what a fake would get wrong. Synapse is a dev dependency; nothing is
installed at test time. The config is minimal: client listener only, SQLite, no federation
key servers, rate limits relaxed so nio never silently sleeps on a 429, and a media repository
with a small upload limit (`MAX_UPLOAD`) so a refused file can be tested cheaply.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

SERVER_NAME = "localhost"
START_TIMEOUT = 60.0

MAX_UPLOAD = "2M"
"""The homeserver's upload limit in the tests (Synapse's default is 50M)."""
_RELAXED = {"per_second": 10000, "burst_count": 10000}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Account:
    user_id: str
    password: str
    access_token: str
    device_id: str


def _config(directory: Path, port: int, shared_secret: str) -> str:
    config: dict[str, Any] = {
        "server_name": SERVER_NAME,
        "pid_file": str(directory / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(directory / "homeserver.db")}},
        "log_config": str(directory / "log.yaml"),
        "media_store_path": str(directory / "media"),
        "enable_media_repo": True,
        "max_upload_size": MAX_UPLOAD,
        "url_preview_enabled": False,
        "signing_key_path": str(directory / "signing.key"),
        "report_stats": False,
        "bcrypt_rounds": 4,  # fast registration; these accounts guard nothing
        "registration_shared_secret": shared_secret,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "default_room_version": "12",
        "presence": {"enabled": False},
        "rc_message": _RELAXED,
        "rc_registration": _RELAXED,
        "rc_room_creation": _RELAXED,
        "rc_joins": {"local": _RELAXED, "remote": _RELAXED},
        "rc_joins_per_room": _RELAXED,
        "rc_invites": {"per_room": _RELAXED, "per_user": _RELAXED, "per_issuer": _RELAXED},
        "rc_login": {
            "address": _RELAXED,
            "account": _RELAXED,
            "failed_attempts": _RELAXED,
        },
        "rc_admin_redaction": _RELAXED,
        "rc_3pid_validation": _RELAXED,
        "rc_delayed_event_mgmt": _RELAXED,
        "rc_presence": {"per_user": _RELAXED},
    }
    return json.dumps(config, indent=2)  # JSON is valid YAML


_LOG_CONFIG = """\
version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(levelname)s - %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: {path}
root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
"""


class Synapse:
    """Start/stop one Synapse process; the data directory survives a stop, so it can restart."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.shared_secret = secrets.token_hex(16)
        self.config_path = directory / "homeserver.yaml"
        self._process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "log.yaml").write_text(
            _LOG_CONFIG.format(path=directory / "homeserver.log"), "utf-8"
        )
        self.config_path.write_text(_config(directory, self.port, self.shared_secret), "utf-8")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server and wait for /health (keys are generated on the first start)."""
        if not (self.directory / "signing.key").exists():
            subprocess.run(
                [*self._command(), "--generate-keys"],
                check=True,
                cwd=self.directory,
                capture_output=True,
            )
        stderr = open(self.directory / "stderr.log", "ab")  # noqa: SIM115 - owned by the process
        self._process = subprocess.Popen(
            self._command(),
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, "SYNAPSE_ASYNC_IO_REACTOR": "0"},
        )
        stderr.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = (self.directory / "stderr.log").read_text("utf-8", "replace")[-3000:]
                raise RuntimeError(f"Synapse exited with {self._process.returncode}:\n{log}")
            if self._healthy():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Synapse did not become healthy within {START_TIMEOUT:.0f} s")

    def _command(self) -> list[str]:
        return [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self.config_path)]

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        """Terminate, wait, and kill if it will not go."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def _request(self, method: str, path: str, body: Any = None, token: str = "") -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            f"{self.url}{path}", data=data, method=method, headers=headers
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def register(self, name: str, *, admin: bool = False, password: str | None = None) -> Account:
        """Create a user through the shared-secret admin API (HMAC over a fresh nonce)."""
        password = password or secrets.token_hex(8)
        nonce = self._request("GET", "/_synapse/admin/v1/register")["nonce"]
        signed = "\x00".join((nonce, name, password, "admin" if admin else "notadmin"))
        mac = hmac.new(self.shared_secret.encode(), signed.encode(), hashlib.sha1)
        body = {
            "nonce": nonce,
            "username": name,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
        }
        result = self._request("POST", "/_synapse/admin/v1/register", body)
        return Account(result["user_id"], password, result["access_token"], result["device_id"])

    # -- reading what a client would see (the plain client API, not the bot's own code) ----

    def account_data(self, account: Account, kind: str) -> dict[str, Any] | None:
        """The account's global account data of type `kind`, or None if never set."""
        path = f"/_matrix/client/v3/user/{quote(account.user_id)}/account_data/{kind}"
        try:
            return dict(self._request("GET", path, token=account.access_token))
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def put_account_data(self, account: Account, kind: str, content: dict[str, Any]) -> None:
        path = f"/_matrix/client/v3/user/{quote(account.user_id)}/account_data/{kind}"
        self._request("PUT", path, content, token=account.access_token)

    def joined_rooms(self, account: Account) -> list[str]:
        result = self._request("GET", "/_matrix/client/v3/joined_rooms", token=account.access_token)
        return [str(room) for room in result["joined_rooms"]]
