"""Settings from the environment and `.env`: `COMMUNITYBOT_` prefix, `__` between section and key.

Nothing is read at import time: the composition root calls `load_settings()` once, and every
problem (a bad value, a placeholder secret, a misspelt variable, a half-configured platform) is
turned into a `SettingsError` with one line per problem naming the variable to fix, so a wrong
setting stops start-up with a sentence instead of a traceback.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as PydanticSettingsError

ENV_PREFIX = "COMMUNITYBOT_"
NESTED = "__"
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL")
AdapterName = Literal["console", "discord", "matrix", "discord+matrix"]
"""What `communitybot run` serves: one platform, or Discord and Matrix in one process."""
PlatformName = Literal["console", "discord", "matrix"]
"""One platform (what a `communitybot worker` runs the jobs of)."""
BOTH: Final = "discord+matrix"

_PLACEHOLDERS = {
    "changeme",
    "change-me",
    "change_me",
    "replaceme",
    "replace-me",
    "todo",
    "token",
    "secret",
    "password",
    "placeholder",
    "example",
    "none",
    "null",
}
_MATRIX_USER = re.compile(r"@[^:\s]+:[^\s]+")


class SettingsError(Exception):
    """Start-up cannot continue; `lines` holds one human sentence per problem."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def is_placeholder(value: str) -> bool:
    """True for values copied from an example file instead of a real secret."""
    text = value.strip().casefold()
    squashed = re.sub(r"[\s_\-]", "", text)
    return (
        text in _PLACEHOLDERS
        or "changeme" in squashed
        or re.fullmatch(r"(your|my|the)\w*(token|password|secret|key)\w*", squashed) is not None
        or re.fullmatch(r"\w*(token|password|secret)here", squashed) is not None
        or re.fullmatch(r"x{3,}|\.{3,}|\*{3,}|<.*>|\{.*\}", text) is not None
    )


def _secret(value: Any) -> Any:
    """Trim pasted whitespace and refuse example values, without ever echoing the secret."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if is_placeholder(value):
            raise ValueError("is a placeholder from the example file; put the real secret here")
    return value


def _blank_is_unset(value: Any) -> Any:
    """An empty or blank variable counts as not set (a template left `FOO=` in place)."""
    return value.strip() or None if isinstance(value, str) else value


def _http_url(value: str | None, example: str) -> str | None:
    """An http(s) URL without its trailing slash; ValueError (naming `example`) otherwise."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http:// or https:// URL, e.g. {example}")
    return value.rstrip("/")


def _word_list(value: Any) -> Any:
    """Accept `a,b c` as well as a JSON list, since people type lists both ways in .env files."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                raise ValueError("is not a valid JSON list; use commas: a,b,c") from None
        return [part for part in re.split(r"[,\s]+", text) if part]
    return value


Secret = SecretStr | None


class DiscordSettings(BaseModel):
    """The Discord bot account (`adapters/discord`)."""

    model_config = ConfigDict(extra="forbid")

    token: Secret = None
    application_id: int | None = Field(default=None, gt=0)
    dev_guild_ids: Annotated[list[Annotated[int, Field(gt=0)]], NoDecode] = []
    shard: bool = False
    dm_interval: float = Field(default=0.05, ge=0, le=5)
    """Seconds between bulk DMs (a join burst), on top of discord.py's rate-limit handling."""
    message_content: bool = False
    """Ask for the privileged Message Content intent, so a running topic chat can read answers
    ("A1 …"); enable it on the developer portal's Bot page too. Off: participation still counts."""

    @field_validator("token", mode="before")
    @classmethod
    def _check_token(cls, value: Any) -> Any:
        return _secret(value)

    @field_validator("dev_guild_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        return _word_list(value)


class MatrixSettings(BaseModel):
    """The Matrix bot account and the rooms/spaces it serves (`adapters/matrix`)."""

    model_config = ConfigDict(extra="forbid")

    homeserver: str | None = None
    user_id: str | None = None
    access_token: Secret = None
    password: Secret = None
    device_id: str | None = None
    rooms: Annotated[list[str], NoDecode] = []
    moderator_rooms: Annotated[list[str], NoDecode] = []
    """Rooms (ids or aliases) whose power levels also make moderators, besides the space's own:
    e.g. a private moderators' room. A child room of the space never does by itself."""
    command_prefix: str = Field(default="!", min_length=1, max_length=3)
    moderator_power_level: int = Field(default=50, ge=0, le=100)
    encryption: bool = True
    """End-to-end encryption (matrix-nio with vodozemac): read and answer in encrypted rooms and
    DMs, and open DM rooms encrypted. False: encrypted DMs are declined, encrypted rooms unread."""
    trust: Literal["tofu", "verified"] = "tofu"
    """Which members' devices get the room keys: `tofu` trusts a device the first time it is
    seen; `verified` only devices an operator trusted (`communitybot matrix trust`)."""
    crypto_store: Path = Path("matrix-crypto")
    """The folder of the bot's end-to-end keys (created 0700, one SQLite file per device)."""

    @field_validator("access_token", "password", mode="before")
    @classmethod
    def _check_secrets(cls, value: Any) -> Any:
        return _secret(value)

    @field_validator("rooms", "moderator_rooms", mode="before")
    @classmethod
    def _split_rooms(cls, value: Any) -> Any:
        return _word_list(value)

    @field_validator("homeserver", "user_id", "device_id", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return _blank_is_unset(value)

    @field_validator("homeserver")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _http_url(value, "https://matrix.example.org")

    @field_validator("user_id")
    @classmethod
    def _matrix_id(cls, value: str | None) -> str | None:
        if value is not None and not _MATRIX_USER.fullmatch(value):
            raise ValueError("must look like @name:server, e.g. @communitybot:example.org")
        return value

    @property
    def any_set(self) -> bool:
        return any((self.homeserver, self.user_id, self.access_token, self.password))

    def missing(self) -> list[str]:
        """Variables still needed before the bot can log in."""
        names = []
        if not self.homeserver:
            names.append(env_name(("matrix", "homeserver")))
        if not self.user_id:
            names.append(env_name(("matrix", "user_id")))
        if not (self.access_token or self.password):
            names.append(
                f"{env_name(('matrix', 'access_token'))} or {env_name(('matrix', 'password'))}"
            )
        return names


class DashboardSettings(BaseModel):
    """The moderators' web dashboard (`communitybot/dashboard`, docs/dashboard.md): off until
    `listen` is set. The bot process serves it on its own event loop."""

    model_config = ConfigDict(extra="forbid")

    listen: str | None = None
    """host:port to listen on, e.g. 127.0.0.1:8080 (put a TLS reverse proxy in front)."""
    base_url: str | None = None
    """The public URL people open (in the sign-in links), e.g. https://bot.example.org;
    unset: http://<listen>. https makes the session cookie Secure."""

    @field_validator("listen", "base_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return _blank_is_unset(value)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError("must be host:port with a port from 1 to 65535, e.g. 127.0.0.1:8080")
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _http_url(value, "https://bot.example.org")

    @property
    def enabled(self) -> bool:
        return self.listen is not None

    @property
    def host(self) -> str:
        assert self.listen is not None
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        assert self.listen is not None
        return int(self.listen.rpartition(":")[2])

    @property
    def public_url(self) -> str | None:
        """Where links point: the base URL, else http://<listen>; None while off."""
        if self.listen is None:
            return None
        return self.base_url or f"http://{self.listen}"


class Settings(BaseSettings):
    """Everything configurable; build it with `load_settings()`, never at import."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTED,
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
    )

    discord: DiscordSettings = DiscordSettings()
    matrix: MatrixSettings = MatrixSettings()
    dashboard: DashboardSettings = DashboardSettings()
    database_path: Path = Path("communitybot.db")
    database_url: SecretStr | None = None
    """postgresql://user:password@host:port/db (or sqlite:///path); unset: `database_path`."""
    database_pool_size: int = Field(default=20, ge=2, le=1000)
    """PostgreSQL: connections per process at most (one per unit of work running in parallel,
    plus brief reads); a unit waits for a free one. SQLite ignores it."""
    adapter: Literal["auto", "console", "discord", "matrix", "discord+matrix"] = "auto"
    """`auto`: Discord and Matrix in one process when both are configured, else the one that
    is, else the console."""
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    console_community: str = Field(default="local", min_length=1, max_length=64)
    console_files_dir: Path = Path("communitybot-files")
    """Where the console adapter saves files the bot sends (/mydata, transcripts, calendars)."""

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        text = str(value).strip().upper()
        if text not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return text

    @field_validator("database_path", mode="after")
    @classmethod
    def _path(cls, value: Path) -> Path:
        if str(value).strip() in ("", "."):
            raise ValueError("must be a file path, e.g. ./communitybot.db")
        return value.expanduser()

    @field_validator("database_url", mode="after")
    @classmethod
    def _url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        scheme = value.get_secret_value().strip().split("://", 1)[0].lower()
        if scheme not in ("postgresql", "postgres", "sqlite"):
            raise ValueError(
                "must start with postgresql:// (e.g. postgresql://bot:secret@db:5432/communitybot)"
                " or sqlite:/// (e.g. sqlite:///data/communitybot.db)"
            )
        url = value.get_secret_value().strip()
        if scheme != "sqlite":
            from communitybot.store.urls import port_is_valid, redacted_host

            if not port_is_valid(url):
                raise ValueError(
                    f"the port in {redacted_host(url)} is not a number from 1 to 65535 "
                    "(e.g. postgresql://bot:secret@db:5432/communitybot)"
                )
        return SecretStr(url)

    @property
    def database_target(self) -> str | Path:
        """What `Store.open` opens: the URL when one is set, else the SQLite file."""
        if self.database_url is None:
            return self.database_path
        url = self.database_url.get_secret_value()
        if url.lower().startswith("sqlite://"):
            # As SQLAlchemy reads it: sqlite:///relative.db, sqlite:////absolute/path.db
            return Path(url.split("://", 1)[1][1:]).expanduser()
        return url

    @property
    def database_shown(self) -> str:
        """The database as messages and logs name it (never with the URL's password)."""
        from communitybot.store.urls import redacted

        target = self.database_target
        return redacted(target) if isinstance(target, str) else str(target)

    @field_validator("console_files_dir", mode="after")
    @classmethod
    def _folder(cls, value: Path) -> Path:
        return value.expanduser()

    @model_validator(mode="after")
    def _platform_complete(self) -> Settings:
        if self.adapter in ("discord", BOTH) and self.discord.token is None:
            raise ValueError(
                f"{env_name(('discord', 'token'))}: required when {ENV_PREFIX}ADAPTER="
                + self.adapter
            )
        # `auto` with a Discord token and some Matrix settings serves both: so they must be
        # complete too (before, the Matrix ones were silently left unused).
        auto = self.adapter == "auto"
        wanted = self.adapter in ("matrix", BOTH) or (auto and self.matrix.any_set)
        if wanted and self.matrix.missing():
            raise ValueError(
                "the Matrix settings are incomplete: set " + ", ".join(self.matrix.missing())
            )
        return self

    @property
    def _matrix_ready(self) -> bool:
        return self.matrix.any_set and not self.matrix.missing()

    def resolved_adapter(self) -> AdapterName:
        """What `communitybot run` serves. `auto`: Discord and Matrix in one process when both
        are configured (a Discord token; a complete Matrix login), else the one that is, else
        the console."""
        if self.adapter != "auto":
            return self.adapter
        if self.discord.token is not None:
            return BOTH if self._matrix_ready else "discord"
        if self._matrix_ready:
            return "matrix"
        return "console"

    def worker_platform(self) -> PlatformName | None:
        """Whose communities' jobs `communitybot worker` runs: one platform, chosen as before
        `discord+matrix` existed (`auto`: Discord when it has a token, else Matrix when it can
        log in, else the console). None for `discord+matrix`: a worker serves one platform,
        so start one per platform (`--adapter discord`, `--adapter matrix`)."""
        if self.adapter == BOTH:
            return None
        if self.adapter in ("console", "discord", "matrix"):
            return self.adapter
        if self.discord.token is not None:
            return "discord"
        return "matrix" if self._matrix_ready else "console"

    def secret_values(self) -> list[str]:
        """Every configured secret, so logging can redact it wherever it turns up."""
        secrets = (self.discord.token, self.matrix.access_token, self.matrix.password)
        found = [s.get_secret_value() for s in secrets if s is not None]
        if self.database_url is not None:
            from communitybot.store.urls import password_forms

            found += password_forms(self.database_url.get_secret_value())
        return found


def env_name(loc: tuple[Any, ...]) -> str:
    """("matrix", "moderator_power_level", 0) → COMMUNITYBOT_MATRIX__MODERATOR_POWER_LEVEL."""
    fields = [str(part) for part in loc if isinstance(part, str)][:2]
    return ENV_PREFIX + NESTED.join(fields).upper()


def known_env_names() -> set[str]:
    """Every variable name the settings understand (sections may also be given as JSON)."""
    names = set()
    for name, field in Settings.model_fields.items():
        names.add(env_name((name,)))
        section = field.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            names.update(env_name((name, sub)) for sub in section.model_fields)
    return names


def _unknown_variables(env_file: Path | None) -> list[str]:
    """Misspelt COMMUNITYBOT_ variables, which pydantic-settings would silently ignore."""
    seen = {key.upper() for key in os.environ if key.upper().startswith(ENV_PREFIX)}
    if env_file is not None and env_file.is_file():
        seen |= {k.upper() for k in dotenv_values(env_file) if k.upper().startswith(ENV_PREFIX)}
    known = known_env_names()
    lines = []
    for name in sorted(seen - known):
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
        hint = f" (did you mean {close[0]}?)" if close else ""
        lines.append(f"{name}: unknown setting{hint}")
    return lines


_SECRET_FIELDS = {"token", "access_token", "password"}
_TOKEN_RUN = re.compile(r"[\w.~+=\-]{20,}")
"""A run of token characters long enough to be a token (Discord's, Matrix's, a hex key)."""
_TOKEN_HOME = {
    "discord": "COMMUNITYBOT_DISCORD__TOKEN",
    "matrix": "COMMUNITYBOT_MATRIX__ACCESS_TOKEN",
}
_ECHO_LIMIT = 40


def _never_echoed(loc: tuple[Any, ...]) -> bool:
    """Secret fields and every id field: a value there may be a pasted token."""
    names = [part for part in loc if isinstance(part, str)]
    return any(
        name in _SECRET_FIELDS or name == "id" or name.endswith(("_id", "_ids")) for name in names
    )


def looks_like_a_secret(value: object) -> bool:
    """True for a value shaped like a token: 20+ characters of letters, digits and `._-~+=`
    mixing upper case, lower case and digits, or 32+ of them with letters and digits."""
    if not isinstance(value, str):
        return False
    for run in _TOKEN_RUN.findall(value):
        kinds = sum(any(test(c) for c in run) for test in (str.isupper, str.islower, str.isdigit))
        has_letter = any(c.isalpha() for c in run)
        if kinds == 3 or (len(run) >= 32 and has_letter and any(c.isdigit() for c in run)):
            return True
    return False


def _describe(error: Any) -> str:
    """One readable sentence for one pydantic error, never echoing a secret.

    The input is quoted only when it is harmless to show: not from a secret or id field, not
    shaped like a token, short. pydantic's own message is used only without the input in it.
    """
    loc = tuple(error.get("loc", ()))
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    simple = {
        "less_than_equal": f"must be ≤ {ctx.get('le')}",
        "less_than": f"must be < {ctx.get('lt')}",
        "greater_than_equal": f"must be ≥ {ctx.get('ge')}",
        "greater_than": f"must be > {ctx.get('gt')}",
        "int_parsing": "must be a whole number",
        "int_type": "must be a whole number",
        "bool_parsing": "must be true or false",
        "literal_error": f"must be one of {ctx.get('expected', '')}",
        "string_too_short": "must not be empty",
        "string_too_long": f"must be at most {ctx.get('max_length')} characters",
        "extra_forbidden": "unknown setting",
        "list_type": "must be a list (a,b,c)",
    }
    value = error.get("input")
    text = simple.get(kind, message)
    if isinstance(value, str) and len(value) >= 4 and value in text:
        text = text.replace(value, "the value")
    if not loc:
        return text
    secret_field = any(isinstance(part, str) and part in _SECRET_FIELDS for part in loc)
    if looks_like_a_secret(value) and not secret_field:
        home = _TOKEN_HOME.get(str(loc[0]))
        where = f"belongs in {home}" if home else "does not belong here"
        got = f" (the value looks like a token and is not shown; a token {where})"
    elif isinstance(value, str | int) and kind in simple and kind != "extra_forbidden":
        got = "" if _never_echoed(loc) else f" (got {str(value)[:_ECHO_LIMIT]!r})"
    else:
        got = ""
    return f"{env_name(loc)}: {text}{got}"


def load_settings(**overrides: Any) -> Settings:
    """Read the environment and `.env` (plus explicit overrides, e.g. from the command line).

    `_env_file=None` skips the `.env` file (tests); otherwise `.env` in the working directory.
    """
    env_file = overrides.get("_env_file", Path(".env"))
    problems = _unknown_variables(Path(env_file) if env_file else None)
    try:
        settings = Settings(**overrides)
    except ValidationError as error:
        problems += [_describe(e) for e in error.errors(include_url=False)]
    except PydanticSettingsError as error:
        field = re.search(r'field "(\w+)"', str(error))
        name = env_name((field[1],)) if field else "a COMMUNITYBOT_ variable"
        problems.append(f"{name}: is not valid JSON; set its keys one by one ({name}__KEY)")
    if problems:
        raise SettingsError(list(dict.fromkeys(problems)))
    return settings
