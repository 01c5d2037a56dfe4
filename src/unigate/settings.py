"""UNIGATE_* configuration, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _switch(name: str, default: bool) -> bool:
    value = (os.environ.get(name) or "").strip().lower()
    if not value:
        return default
    if value in ("on", "true", "1", "yes"):
        return True
    if value in ("off", "false", "0", "no"):
        return False
    raise ValueError(f"{name} must be on or off, not {value!r}")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(os.environ.get("UNIGATE_DATA_DIR", "data")))
    database_url: str | None = field(default_factory=lambda: os.environ.get("UNIGATE_DATABASE_URL") or None)
    secret_key: str | None = field(default_factory=lambda: os.environ.get("UNIGATE_SECRET_KEY") or None)
    # Sandbox integrated accounts (is_sandbox): off refuses them (403) and starts no sandbox server.
    # On by default here and in `unigate demo`; `unigate serve` and unigate.asgi default to off
    # (docs/deploy.md, "Sandbox accounts").
    sandboxes: bool = field(default_factory=lambda: _switch("UNIGATE_SANDBOXES", True))
    # Where the built-in sandboxes listen. None: the gateway starts them itself on a loopback port.
    sandbox_url: str | None = field(default_factory=lambda: os.environ.get("UNIGATE_SANDBOX_URL") or None)
    connect_timeout: float = field(default_factory=lambda: _float("UNIGATE_CONNECT_TIMEOUT", 5.0))
    read_timeout: float = field(default_factory=lambda: _float("UNIGATE_READ_TIMEOUT", 30.0))
    # Seconds an authenticated token or a loaded integrated account is reused before the store is read again.
    cache_ttl: float = field(default_factory=lambda: _float("UNIGATE_CACHE_TTL", 5.0))
    # How long an account's lookups (custom field definitions, board columns, stage lists) are reused
    # before they are read from the CRM again (engine/call.py LOOKUP_RESOURCES; docs/deploy.md).
    lookup_ttl: float = field(default_factory=lambda: _float("UNIGATE_LOOKUP_TTL", 60.0))
    # PostgreSQL only (docs/deploy.md): "strict" confirms a cached account with one primary-key read per
    # call, so a change made by another process is used at once; "notify" trusts LISTEN/NOTIFY alone,
    # saving that read at the price of a few milliseconds in which another process may use the old copy.
    cache_validation: str = field(default_factory=lambda: os.environ.get("UNIGATE_CACHE_VALIDATION", "strict"))
    # Shared state across gateway processes (idempotency keys, rate-limit counters) goes to Redis
    # when this is set, else to the database (docs/api.md).
    redis_url: str | None = field(default_factory=lambda: os.environ.get("UNIGATE_REDIS_URL") or None)
    # Bound (seconds) on every wait for the database or Redis: opening a connection, each statement, a
    # pool checkout, SQLite's wait for a lock, each Redis command. A store that does not answer within it
    # makes the request answer 503 with Retry-After (docs/reliability.md, "Stores that fail").
    store_timeout: float = field(default_factory=lambda: _float("UNIGATE_STORE_TIMEOUT", 2.0))
    # Seconds after a Redis failure during which calls skip Redis (fail fast) before one call probes it
    # again; also the Retry-After of the 503 a failing store answers.
    store_retry_interval: float = field(default_factory=lambda: _float("UNIGATE_STORE_RETRY_INTERVAL", 2.0))
    # Seconds an unknown API token is remembered in strict cache validation (in notify mode it is
    # remembered for cache_ttl), so a flood of bad tokens does not become a flood of store reads.
    invalid_token_ttl: float = field(default_factory=lambda: _float("UNIGATE_INVALID_TOKEN_TTL", 1.0))
    # Seconds an Idempotency-Key and its stored response are kept.
    idempotency_ttl: float = field(default_factory=lambda: _float("UNIGATE_IDEMPOTENCY_TTL", 86_400.0))
    # Seconds a claimed key stays "in progress" before another request may take it over (a process
    # that died mid-call must not lock its key for the whole TTL). Longer than any provider call.
    idempotency_lease: float = field(default_factory=lambda: _float("UNIGATE_IDEMPOTENCY_LEASE", 300.0))
    # The gateway's own rate limits, "N" (per second) or "N/window" such as "500/10s"; None is off.
    limit_per_token: str | None = field(default_factory=lambda: os.environ.get("UNIGATE_LIMIT_PER_TOKEN") or None)
    limit_per_account: str | None = field(default_factory=lambda: os.environ.get("UNIGATE_LIMIT_PER_ACCOUNT") or None)
    # The gateway's address as browsers reach it; OAuth callbacks are <public_url>/connect/<integration>/callback.
    # None: the base URL of the request that starts the connect flow.
    public_url: str | None = field(default_factory=lambda: os.environ.get("UNIGATE_PUBLIC_URL") or None)
    # Provider calls that are safe to repeat (GET, DELETE) are sent again at most `retries` times,
    # after full-jitter exponential backoff (base, capped), within `retry_budget` seconds from the
    # start of each unified request (docs/api.md "Retries and faults").
    retries: int = field(default_factory=lambda: _int("UNIGATE_RETRIES", 3))
    retry_base_delay: float = field(default_factory=lambda: _float("UNIGATE_RETRY_BASE_DELAY", 0.25))
    retry_max_delay: float = field(default_factory=lambda: _float("UNIGATE_RETRY_MAX_DELAY", 5.0))
    retry_budget: float = field(default_factory=lambda: _float("UNIGATE_RETRY_BUDGET", 10.0))
    # Request size limits on every route: a longer query string answers 414, a larger body 413.
    max_query_bytes: int = field(default_factory=lambda: _int("UNIGATE_MAX_QUERY_BYTES", 16 * 1024))
    max_body_bytes: int = field(default_factory=lambda: _int("UNIGATE_MAX_BODY_BYTES", 1024 * 1024))
    # Outbound webhooks (docs/api.md "Webhooks"). Loopback, private and link-local receivers (and plain http)
    # are refused unless this is on: for development and tests only.
    webhook_allow_private_targets: bool = field(
        default_factory=lambda: _switch("UNIGATE_WEBHOOK_ALLOW_PRIVATE_TARGETS", False))
    # Attempts per delivery; when the last fails the webhook is deactivated (is_active false).
    webhook_max_attempts: int = field(default_factory=lambda: _int("UNIGATE_WEBHOOK_MAX_ATTEMPTS", 8))
    # Seconds before the first retry, doubled for each next one up to the maximum.
    webhook_retry_delay: float = field(default_factory=lambda: _float("UNIGATE_WEBHOOK_RETRY_DELAY", 5.0))
    webhook_retry_max_delay: float = field(default_factory=lambda: _float("UNIGATE_WEBHOOK_RETRY_MAX_DELAY", 300.0))
    # Seconds one attempt may take (connect and answer) before it counts as failed.
    webhook_timeout: float = field(default_factory=lambda: _float("UNIGATE_WEBHOOK_TIMEOUT", 10.0))
    # Seconds between looks for deliveries nobody queued or whose attempt's process died.
    webhook_sweep_interval: float = field(default_factory=lambda: _float("UNIGATE_WEBHOOK_SWEEP_INTERVAL", 5.0))
    # Delivery threads per gateway process.
    webhook_workers: int = field(default_factory=lambda: _int("UNIGATE_WEBHOOK_WORKERS", 2))

    def __post_init__(self) -> None:
        if self.cache_validation not in ("strict", "notify"):
            raise ValueError(f"UNIGATE_CACHE_VALIDATION must be strict or notify, not {self.cache_validation!r}")
        if self.store_timeout <= 0:
            raise ValueError(f"UNIGATE_STORE_TIMEOUT must be a positive number of seconds, not {self.store_timeout!r}")

    @classmethod
    def for_serving(cls) -> Settings:
        """The settings of `unigate serve` and unigate.asgi: as the environment says, except that sandbox
        accounts are off unless UNIGATE_SANDBOXES=on (a production gateway holds real accounts only)."""
        return cls(sandboxes=_switch("UNIGATE_SANDBOXES", False))

    @staticmethod
    def oauth_client(integration: str) -> tuple[str, str] | None:
        """The customer's OAuth app for `integration`: UNIGATE_OAUTH_<NAME>_CLIENT_ID / _CLIENT_SECRET.

        Read when used, so an operator can add an app without other settings changing.
        """
        prefix = f"UNIGATE_OAUTH_{integration.upper()}_"
        client_id = os.environ.get(prefix + "CLIENT_ID")
        client_secret = os.environ.get(prefix + "CLIENT_SECRET")
        if not client_id or not client_secret:
            return None
        return client_id, client_secret

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'unigate.db').resolve()}"
