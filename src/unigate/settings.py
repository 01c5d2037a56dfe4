"""UNIGATE_* configuration, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


@dataclass
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(os.environ.get("UNIGATE_DATA_DIR", "data")))
    database_url: str | None = field(default_factory=lambda: os.environ.get("UNIGATE_DATABASE_URL") or None)
    secret_key: str | None = field(default_factory=lambda: os.environ.get("UNIGATE_SECRET_KEY") or None)
    # Where the built-in sandboxes listen. None: the gateway starts them itself on a loopback port.
    sandbox_url: str | None = field(default_factory=lambda: os.environ.get("UNIGATE_SANDBOX_URL") or None)
    connect_timeout: float = field(default_factory=lambda: _float("UNIGATE_CONNECT_TIMEOUT", 5.0))
    read_timeout: float = field(default_factory=lambda: _float("UNIGATE_READ_TIMEOUT", 30.0))
    # Seconds an authenticated token or a loaded integrated account is reused before the store is read again.
    cache_ttl: float = field(default_factory=lambda: _float("UNIGATE_CACHE_TTL", 5.0))

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'unigate.db').resolve()}"
