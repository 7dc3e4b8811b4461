"""Every setting of the server side, read from CLI flags and TRAINUI_* environment variables in one place."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def trainui_root() -> Path:
    """Where the embedded database lives: $TRAINUI_ROOT, else ~/.trainui."""
    return Path(os.environ.get("TRAINUI_ROOT") or Path.home() / ".trainui")


def default_database_url() -> str:
    return f"sqlite:///{trainui_root() / 'trainui.db'}"


def database_url(flag: str | None = None) -> str:
    """--db, else $TRAINUI_DB_URL, else the embedded SQLite file."""
    return flag or os.environ.get("TRAINUI_DB_URL") or default_database_url()


def normalize_base_url(base_url: str | None) -> str:
    """'/trainui' -> '/trainui/'; empty -> '/'."""
    base = (base_url or "/").strip()
    if not base.startswith("/"):
        base = "/" + base
    if not base.endswith("/"):
        base += "/"
    return base


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 5000
    db_url: str = field(default_factory=database_url)
    base_url: str = "/"
    token: str | None = None

    def __post_init__(self) -> None:
        self.base_url = normalize_base_url(self.base_url)

    @property
    def needs_token(self) -> bool:
        return self.host not in LOOPBACK_HOSTS

    def ensure_token(self) -> str | None:
        """Binding beyond loopback requires a token on every call: use the given one or make one."""
        if self.needs_token and not self.token:
            self.token = os.environ.get("TRAINUI_TOKEN") or secrets.token_urlsafe(24)
        return self.token
