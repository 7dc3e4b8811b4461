"""Every setting in one place: each default defined once below, then TRAINUI_* environment
variables, then command-line flags. Only this module reads trainui's environment: the store, the
ingestion service and the web app get a ``ServerConfig``; a job and the API client get a
``JobEnvironment``. Standard library only, so the trainer side can import it and stay light.
"""
from __future__ import annotations

import dataclasses
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
DEFAULT_SERVER = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"  # where a client or job looks without $TRAINUI_SERVER
DEFAULT_THREADS = 24  # each open event stream or waiting long poll holds one (a third / a quarter at most)
INGEST_POLL_INTERVAL = 2.0  # seconds between the ingestion's polling passes (where file events do not arrive)
JOB_POLL_INTERVAL = 0.2  # seconds between a job's looks into its command inbox
SERIES_CACHE_MB = 128  # decoded series kept per database
INGEST_CHUNK_KB = 2048  # log bytes one ingestion turn reads before other results get theirs
DATABASE_RETRY_INTERVAL = 2.0  # seconds between tries while a database server cannot be reached yet

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the setting and what it accepts."""


def trainui_root(env: Mapping[str, str] | None = None) -> Path:
    """Where the embedded database lives: $TRAINUI_ROOT, else ~/.trainui."""
    env = os.environ if env is None else env
    return Path(env.get("TRAINUI_ROOT") or Path.home() / ".trainui").expanduser()


def default_database_url(env: Mapping[str, str] | None = None) -> str:
    return f"sqlite:///{trainui_root(env) / 'trainui.db'}"


def database_url(flag: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """--db, else $TRAINUI_DB_URL, else the embedded SQLite file."""
    env = os.environ if env is None else env
    return flag or env.get("TRAINUI_DB_URL") or default_database_url(env)


def normalize_base_url(base_url: str | None) -> str:
    """'/trainui' -> '/trainui/'; empty -> '/'."""
    base = (base_url or "/").strip()
    if not base.startswith("/"):
        base = "/" + base
    if not base.endswith("/"):
        base += "/"
    return base


def _split_paths(value: Any) -> tuple[str, ...]:
    """'/a:/b' (os.pathsep) or a list -> absolute paths, ~ expanded."""
    if isinstance(value, str):
        value = value.split(os.pathsep)
    return tuple(os.path.abspath(os.path.expanduser(p.strip())) for p in (value or ()) if p and p.strip())


def _split_hosts(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    return tuple(h.strip().lower() for h in (value or ()) if h and h.strip())


# setting name -> (environment variable, type); flags use the same names.
_FROM_ENV = {
    "host": ("TRAINUI_HOST", str),
    "port": ("TRAINUI_PORT", int),
    "base_url": ("TRAINUI_BASE_URL", str),
    "token": ("TRAINUI_ADMIN_TOKEN", str),  # not TRAINUI_TOKEN: that is a job's token for its uploader
    "allowed_hosts": ("TRAINUI_ALLOWED_HOSTS", _split_hosts),
    "threads": ("TRAINUI_THREADS", int),
    "poll_interval": ("TRAINUI_POLL_INTERVAL", float),
    "series_cache_mb": ("TRAINUI_SERIES_CACHE_MB", int),
    "ingest_chunk_kb": ("TRAINUI_INGEST_CHUNK_KB", int),
    "log_level": ("TRAINUI_LOG_LEVEL", str),
    "projects_root": ("TRAINUI_PROJECTS_ROOT", _split_paths),
}


@dataclass
class ServerConfig:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    db_url: str = field(default_factory=database_url)
    base_url: str = "/"
    token: str | None = None
    allowed_hosts: tuple[str, ...] = ()  # Host names accepted besides the bound address (and loopback names)
    threads: int = DEFAULT_THREADS
    poll_interval: float = INGEST_POLL_INTERVAL
    use_watchdog: bool = True
    ingest: bool = True  # False: serve only (`--no-ingest`); `trainui ingest` does the ingestion
    series_cache_mb: int = SERIES_CACHE_MB
    ingest_chunk_kb: int = INGEST_CHUNK_KB
    log_level: str = "INFO"
    projects_root: tuple[str, ...] = ()  # when given, projects may only be registered inside these folders
    data_root: str = field(default_factory=lambda: str(trainui_root()))  # the server's own data: never a project

    def __post_init__(self) -> None:
        self.base_url = normalize_base_url(self.base_url)
        self.projects_root = _split_paths(self.projects_root)
        self.allowed_hosts = _split_hosts(self.allowed_hosts)
        for name, low in (("port", 0), ("threads", 1), ("series_cache_mb", 0), ("ingest_chunk_kb", 16)):
            if int(getattr(self, name)) < low:
                raise ConfigError(f"{name} must be at least {low}")
        if not self.poll_interval > 0:
            raise ConfigError("poll_interval must be a positive number of seconds")

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **flags: Any) -> "ServerConfig":
        """Defaults, overridden by TRAINUI_* variables, overridden by the flags that were given
        (a flag left at None keeps the value from the environment or the default)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for name, (variable, kind) in _FROM_ENV.items():
            raw = env.get(variable)
            if raw not in (None, ""):
                try:
                    values[name] = kind(raw)
                except ValueError:
                    raise ConfigError(f"${variable}={raw!r} is not a valid {name.replace('_', ' ')}") from None
        values["db_url"] = database_url(flags.pop("db_url", None), env)
        values["data_root"] = str(trainui_root(env))
        unknown = set(flags) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        values.update({k: v for k, v in flags.items() if v is not None and v != ()})  # () : a repeatable flag not given
        return cls(**values)

    @property
    def needs_token(self) -> bool:
        return self.host not in LOOPBACK_HOSTS

    @property
    def series_cache_bytes(self) -> int:
        return self.series_cache_mb * 1024 * 1024

    @property
    def ingest_chunk_bytes(self) -> int:
        return self.ingest_chunk_kb * 1024

    def ensure_token(self) -> str | None:
        """Binding beyond loopback requires a token on every call: use the given one or make one."""
        if self.needs_token and not self.token:
            self.token = secrets.token_urlsafe(24)
        return self.token

    def accepted_hosts(self) -> tuple[str, ...] | None:
        """Host header names this server answers (None: any, when bound to every interface with a
        token and no --allowed-hosts). Loopback servers refuse other names: a web page that
        rebinds its own DNS name to 127.0.0.1 still sends its own name as Host."""
        if self.host in WILDCARD_HOSTS and not self.allowed_hosts:
            return None
        names = {*LOOPBACK_HOSTS, *self.allowed_hosts}
        if self.host not in WILDCARD_HOSTS:
            names.add(self.host.lower())
        return tuple(sorted(names))


@dataclass(frozen=True)
class JobEnvironment:
    """What a job (and the API client, `trainui sync`, `trainui command`) takes from its environment:
    $TRAINUI_SERVER, $TRAINUI_PROJECT and $TRAINUI_TOKEN (the job's token, not the server's
    $TRAINUI_ADMIN_TOKEN). An empty variable counts as unset."""

    server: str | None = None
    project: str | None = None
    token: str | None = None

    @classmethod
    def read(cls, env: Mapping[str, str] | None = None) -> "JobEnvironment":
        env = os.environ if env is None else env
        return cls(env.get("TRAINUI_SERVER") or None, env.get("TRAINUI_PROJECT") or None,
                   env.get("TRAINUI_TOKEN") or None)
